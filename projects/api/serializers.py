import datetime

from django.utils.translation import gettext_lazy as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from financing.models import Organization
from portfolio import access
from portfolio.api.fields import FixedParentSerializer, ScopedRelatedField
from portfolio.workdays import parse_month
from projects import services
from projects.choices import Stage
from projects.deadlines import is_late, report_due
from projects.models import District, InvestmentPlan, Milestone, Problem, ProgressReport, Project, Unit
from projects.services import progress as progress_services


class DistrictSerializer(serializers.ModelSerializer):
    class Meta:
        model = District
        fields = ["code", "name"]


class UnitSerializer(serializers.ModelSerializer):
    district = serializers.SlugRelatedField(slug_field="code", read_only=True)

    class Meta:
        model = Unit
        fields = ["id", "name", "district"]


class ProjectSerializer(serializers.ModelSerializer):
    """Shapes the input; project_create / project_update decide and write the audit entry. A lender's
    answers leave out the project's contacts and remarks (`lender_hidden`)."""

    lender_hidden = ("contact_name", "contact_phone", "remarks")

    code = serializers.CharField(
        required=False, max_length=32, help_text=_("不填时由系统分配；只有市项目办可以指定")
    )
    district = serializers.SlugRelatedField(
        slug_field="code", queryset=District.objects.all(), required=False, help_text=_("区划代码，如 440112")
    )
    unit = ScopedRelatedField(queryset=Unit.objects.all(), required=False, allow_null=True)
    implementing_org = serializers.PrimaryKeyRelatedField(
        queryset=Organization.objects.all(), required=False, allow_null=True
    )
    funding_gap = serializers.DecimalField(
        max_digits=18, decimal_places=2, read_only=True, help_text=_("总投资中尚未落实的部分（元），不为负")
    )
    funding_surplus = serializers.DecimalField(
        max_digits=18,
        decimal_places=2,
        read_only=True,
        help_text=_("已落实资金超出总投资的部分（元）"),
    )
    version = serializers.IntegerField(
        required=False,
        min_value=1,
        help_text=_("读取时为当前版本；修改时填写读取到的版本，记录已被他人修改则返回 409"),
    )

    class Meta:
        model = Project
        fields = [
            "id",
            "code",
            *services.PROJECT_FIELDS,
            "stage",
            "review_status",
            "funding_gap",
            "funding_surplus",
            "version",
            "submitted_at",
            "created_at",
            "updated_at",
            "is_demo",
        ]
        read_only_fields = ["stage", "review_status", "submitted_at", "created_at", "updated_at", "is_demo"]
        # Uniqueness and every other rule are the service's to decide, in one place.
        validators = []
        extra_kwargs = {"national_code": {"validators": []}}

    def to_representation(self, instance):
        data = super().to_representation(instance)
        request = self.context.get("request")
        if access.role_of(getattr(request, "user", None)) == access.LENDER:
            for name in self.lender_hidden:
                data.pop(name, None)
        return data

    def create(self, validated_data):
        validated_data.pop("version", None)
        code = validated_data.pop("code", "")
        return services.project_create(acting_user=self.context["request"].user, code=code, **validated_data)

    def update(self, instance, validated_data):
        version = validated_data.pop("version", None)
        code = validated_data.pop("code", instance.code)
        if code != instance.code:
            raise serializers.ValidationError({"code": [_("项目编号创建后不能修改。")]})
        return services.project_update(
            project=instance,
            acting_user=self.context["request"].user,
            expected_version=version,
            **validated_data,
        )


class SubmitSerializer(serializers.Serializer):
    version = serializers.IntegerField(
        required=False, min_value=1, help_text=_("读取到的版本；不符则返回 409")
    )


class AcceptSerializer(SubmitSerializer):
    comment = serializers.CharField(required=False, allow_blank=True, default="")


class ReturnSerializer(SubmitSerializer):
    comment = serializers.CharField(help_text=_("退回意见，必填"))


class TransitionSerializer(SubmitSerializer):
    stage = serializers.ChoiceField(choices=Stage.choices)
    reason = serializers.CharField(required=False, allow_blank=True, default="")
    override = serializers.BooleanField(required=False, default=False)
    on = serializers.DateField(required=False, allow_null=True, default=None)


class MilestoneSerializer(FixedParentSerializer):
    project = ScopedRelatedField(queryset=Project.objects.all())
    is_overdue = serializers.BooleanField(read_only=True)

    class Meta:
        model = Milestone
        fields = ["id", "project", "name", "planned_date", "actual_date", "responsible", "note", "is_overdue"]

    def create(self, validated_data):
        project = validated_data.pop("project")
        return services.milestone_record(
            acting_user=self.context["request"].user, project=project, **validated_data
        )

    def update(self, instance, validated_data):
        return services.milestone_record(
            acting_user=self.context["request"].user, milestone=instance, **validated_data
        )


# -- the monthly dispatch: annual plans, monthly reports, problems -----------------------------------


@extend_schema_field({"type": "string", "pattern": r"^\d{4}-\d{2}$", "example": "2025-03"})
class PeriodField(serializers.Field):
    """A month as `YYYY-MM`, in and out; stored as the month's first day."""

    default_error_messages = {"invalid": _("月份应为 YYYY-MM，如 2026-03。")}

    def to_internal_value(self, data):
        period = parse_month(data) if isinstance(data, str) else None
        if period is None:
            self.fail("invalid")
        return period

    def to_representation(self, value):
        return f"{value:%Y-%m}"


class FixedParentAndKeySerializer(FixedParentSerializer):
    """As FixedParentSerializer, and the fields of `fixed_on_change` (the plan's year, the report's month)
    are read-only on a change too: the record's key is set when it is created."""

    fixed_on_change: tuple[str, ...] = ()

    def get_fields(self):
        fields = super().get_fields()
        if self.instance is not None and not isinstance(self.instance, list | tuple):
            for name in self.fixed_on_change:
                fields[name].read_only = True
        return fields


class InvestmentPlanSerializer(FixedParentAndKeySerializer):
    """Shapes the input; plan_create / plan_update decide (one plan per project and year, the remaining
    investment, who may change a confirmed plan) and write the audit entry."""

    project = ScopedRelatedField(queryset=Project.objects.all())
    reason = serializers.CharField(
        write_only=True,
        required=False,
        allow_blank=True,
        default="",
        help_text=_("调整已确认的计划时必填（只有市项目办可以调整）"),
    )
    fixed_on_change = ("year",)

    class Meta:
        model = InvestmentPlan
        fields = ["id", "project", "year", *progress_services.PLAN_FIELDS, "status", "reason"]
        read_only_fields = ["status"]
        validators = []  # one plan per project and year: the service decides

    def create(self, validated_data):
        validated_data.pop("reason", None)
        return progress_services.plan_create(acting_user=self.context["request"].user, **validated_data)

    def update(self, instance, validated_data):
        return progress_services.plan_update(
            acting_user=self.context["request"].user, plan=instance, **validated_data
        )


class ProgressReportSerializer(FixedParentAndKeySerializer):
    """Shapes the input; report_create / report_update decide (which months a project reports, progress
    that never goes down, locks, versions) and write the audit entry. The cumulative figures come from the
    list's selector (report_list), the due date and lateness from projects.deadlines."""

    project = ScopedRelatedField(queryset=Project.objects.all())
    period = PeriodField(help_text=_("月份，YYYY-MM"))
    year_to_date = serializers.DecimalField(
        max_digits=18, decimal_places=2, read_only=True, help_text=_("本年累计完成投资（元）")
    )
    since_start = serializers.DecimalField(
        max_digits=18, decimal_places=2, read_only=True, help_text=_("开工以来累计完成投资（元）")
    )
    due_on = serializers.SerializerMethodField(help_text=_("应报日期：次月第 N 个工作日"))
    is_late = serializers.SerializerMethodField(help_text=_("逾期未报：截至应报日期未报送"))
    version = serializers.IntegerField(
        required=False,
        min_value=1,
        help_text=_("读取时为当前版本；修改时填写读取到的版本，月报已被他人修改则返回 409"),
    )
    fixed_on_change = ("period",)

    class Meta:
        model = ProgressReport
        fields = [
            "id",
            "project",
            "period",
            *progress_services.REPORT_FIELDS,
            "status",
            "review_comment",
            "year_to_date",
            "since_start",
            "due_on",
            "is_late",
            "version",
        ]
        read_only_fields = ["status", "review_comment"]
        validators = []  # one report per project and month: the service decides

    @extend_schema_field(OpenApiTypes.DATE)
    def get_due_on(self, report) -> datetime.date:
        return report_due(report.period).day

    def get_is_late(self, report) -> bool:
        return is_late(report)

    def create(self, validated_data):
        validated_data.pop("version", None)
        return progress_services.report_create(acting_user=self.context["request"].user, **validated_data)

    def update(self, instance, validated_data):
        version = validated_data.pop("version", None)
        return progress_services.report_update(
            acting_user=self.context["request"].user,
            report=instance,
            expected_version=version,
            **validated_data,
        )


class ReopenSerializer(SubmitSerializer):
    reason = serializers.CharField(help_text=_("重新打开的理由，必填"))


class ProblemSerializer(FixedParentSerializer):
    """Shapes the input; problem_create / problem_update decide and write the audit entry."""

    project = ScopedRelatedField(queryset=Project.objects.all())
    is_overdue = serializers.BooleanField(read_only=True)

    class Meta:
        model = Problem
        fields = [
            "id",
            "project",
            *progress_services.PROBLEM_FIELDS,
            "is_overdue",
        ]

    def create(self, validated_data):
        return progress_services.problem_create(acting_user=self.context["request"].user, **validated_data)

    def update(self, instance, validated_data):
        return progress_services.problem_update(
            acting_user=self.context["request"].user, problem=instance, **validated_data
        )
