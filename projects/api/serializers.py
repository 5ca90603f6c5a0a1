from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

from financing.models import Organization
from portfolio.api.fields import FixedParentSerializer, ScopedRelatedField
from projects import services
from projects.choices import Stage
from projects.models import District, Milestone, Project, Unit


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
    """Shapes the input; project_create / project_update decide and write the audit entry."""

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
