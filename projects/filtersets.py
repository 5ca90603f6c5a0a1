"""The one way a list of projects is narrowed: the library page, the API and the Excel export use it alike."""

import django_filters
from django import forms
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from financing.choices import SourceType
from portfolio.filters import AmountFilter, IdFilter, IntegerFilter, MonthFilter, ScopedFilterSet
from portfolio.forms import style_filters

from .choices import (
    Category,
    PlanKind,
    PlanStatus,
    ProblemCategory,
    ProblemStatus,
    ProcedureKind,
    ProcedureStatus,
    ReportStatus,
    ReviewStatus,
    Stage,
)
from .deadlines import late_q
from .models import (
    District,
    InvestmentPlan,
    Milestone,
    Problem,
    Procedure,
    ProgressReport,
    Project,
    Unit,
)
from .search import keyword_search

SORTS = (
    ("code", "code"),
    ("name", "name"),
    ("district", "district"),
    ("stage", "stage"),
    ("review_status", "review_status"),
    ("total_investment", "total_investment"),
    ("funding_gap", "funding_gap"),
    ("updated_at", "updated_at"),
    ("submitted_at", "submitted_at"),
)


class Ordering(django_filters.OrderingFilter):
    descending_fmt = _("%s（降序）")

    def filter(self, qs, value):
        # The primary key breaks ties, so that pages neither repeat nor skip rows.
        ordered = super().filter(qs, value)
        return ordered.order_by(*ordered.query.order_by, "pk") if value else ordered


class ProjectFilterSet(ScopedFilterSet):
    q = django_filters.CharFilter(method="search", label=_("关键词"))
    code = django_filters.CharFilter(field_name="code", label=_("项目编号"), widget=forms.HiddenInput)
    district = django_filters.ModelChoiceFilter(queryset=District.objects.all(), label=_("区"))
    unit = django_filters.ModelChoiceFilter(queryset=Unit.objects.none(), label=_("美丽单元"))
    stage = django_filters.ChoiceFilter(choices=Stage.choices, label=_("阶段"))
    review_status = django_filters.ChoiceFilter(choices=ReviewStatus.choices, label=_("入库状态"))
    category = django_filters.ChoiceFilter(choices=Category.choices, label=_("类别"))
    source_type = django_filters.ChoiceFilter(
        choices=SourceType.choices, method="with_source", label=_("资金来源")
    )
    min_investment = AmountFilter(
        field_name="total_investment", lookup_expr="gte", label=_("总投资不低于（元）")
    )
    max_investment = AmountFilter(
        field_name="total_investment", lookup_expr="lte", label=_("总投资不高于（元）")
    )
    sort = Ordering(
        fields=SORTS,
        field_labels={
            "code": _("项目编号"),
            "name": _("项目名称"),
            "district": _("区"),
            "stage": _("阶段"),
            "review_status": _("入库状态"),
            "total_investment": _("总投资"),
            "funding_gap": _("资金缺口"),
            "updated_at": _("最近更新"),
            "submitted_at": _("最近提交时间"),
        },
        label=_("排序"),
    )

    class Meta:
        model = Project
        fields = []

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.filters["unit"].queryset = Unit.objects.visible_to(self.user).select_related("district")
        style_filters(self.form)

    def search(self, queryset, name, value):
        value = value.strip()
        if not value:
            return queryset
        return keyword_search(queryset, value)

    def with_source(self, queryset, name, value):
        from financing.models import FundingLine

        # A subquery rather than a join: a project with two lines of the type appears once. Only the lines
        # the user may see answer (a bank sees none: the filter must not tell it of other banks' money).
        lines = FundingLine.objects.visible_to(self.user).filter(source_type=value)
        return queryset.filter(pk__in=lines.values("project"))


class UnitFilterSet(ScopedFilterSet):
    district = django_filters.ModelChoiceFilter(queryset=District.objects.all(), label=_("区"))

    class Meta:
        model = Unit
        fields = []


class ProjectRecordFilterSet(ScopedFilterSet):
    """The filters of every list of a project's records (milestones, funding lines, loans): by the
    project's id and by its district."""

    project = IdFilter(field_name="project_id", label=_("项目"))
    district = django_filters.ModelChoiceFilter(
        field_name="project__district", queryset=District.objects.all(), label=_("区")
    )


class MilestoneFilterSet(ProjectRecordFilterSet):
    overdue = django_filters.ChoiceFilter(
        choices=[("true", _("是")), ("false", _("否"))], method="filter_overdue", label=_("逾期")
    )
    planned_after = django_filters.DateFilter(
        field_name="planned_date", lookup_expr="gte", label=_("计划日期不早于")
    )
    planned_before = django_filters.DateFilter(
        field_name="planned_date", lookup_expr="lte", label=_("计划日期不晚于")
    )

    class Meta:
        model = Milestone
        fields = []

    def filter_overdue(self, queryset, name, value):
        overdue = queryset.overdue()
        return overdue if value == "true" else queryset.exclude(pk__in=overdue.values("pk"))


class _TrueFalse(django_filters.ChoiceFilter):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, choices=[("true", _("是")), ("false", _("否"))], **kwargs)


class InvestmentPlanFilterSet(ProjectRecordFilterSet):
    year = IntegerFilter(label=_("年度"), min_value=2000, max_value=2100)
    status = django_filters.ChoiceFilter(choices=PlanStatus.choices, label=_("状态"))
    kind = django_filters.ChoiceFilter(choices=PlanKind.choices, label=_("计划类型"))

    class Meta:
        model = InvestmentPlan
        fields = []


class ProgressReportFilterSet(ProjectRecordFilterSet):
    year = IntegerFilter(field_name="period__year", label=_("年度"), min_value=2000, max_value=2100)
    period = MonthFilter(field_name="period", label=_("月份（YYYY-MM）"))
    status = django_filters.ChoiceFilter(choices=ReportStatus.choices, label=_("状态"))
    is_late = _TrueFalse(method="late", label=_("逾期未报"))

    class Meta:
        model = ProgressReport
        fields = []

    def late(self, queryset, name, value):
        periods = queryset.order_by().values_list("period", flat=True).distinct()
        condition = late_q(list(periods), timezone.localdate())
        return queryset.filter(condition) if value == "true" else queryset.exclude(condition)


class ProblemFilterSet(ProjectRecordFilterSet):
    year = IntegerFilter(field_name="raised_on__year", label=_("年度"), min_value=2000, max_value=2100)
    category = django_filters.ChoiceFilter(choices=ProblemCategory.choices, label=_("问题类别"))
    status = django_filters.ChoiceFilter(choices=ProblemStatus.choices, label=_("状态"))
    is_overdue = _TrueFalse(method="overdue", label=_("逾期"))

    class Meta:
        model = Problem
        fields = []

    def overdue(self, queryset, name, value):
        condition = Q(status=ProblemStatus.OPEN, due_on__lt=timezone.localdate())
        return queryset.filter(condition) if value == "true" else queryset.exclude(condition)


class ProcedureFilterSet(ProjectRecordFilterSet):
    kind = django_filters.ChoiceFilter(choices=ProcedureKind.choices, label=_("手续"))
    status = django_filters.ChoiceFilter(choices=ProcedureStatus.choices, label=_("办理状态"))

    class Meta:
        model = Procedure
        fields = []
