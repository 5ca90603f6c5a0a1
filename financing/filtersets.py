"""The one way each financing list is narrowed, shared by the API and any page that lists them."""

import django_filters
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from portfolio.filters import AmountFilter, IdFilter, IntegerFilter, ScopedFilterSet
from projects.choices import Category, Stage
from projects.filtersets import ProjectRecordFilterSet
from projects.models import District

from .choices import DemandStatus, FundingStatus, IntentionStatus, LoanStatus, OrganizationKind, SourceType
from .models import CreditIntention, Disbursement, FinancingDemand, FundingLine, Loan, Organization, Repayment


class OrganizationFilterSet(ScopedFilterSet):
    kind = django_filters.ChoiceFilter(choices=OrganizationKind.choices, label=_("类型"))
    q = django_filters.CharFilter(field_name="name", lookup_expr="icontains", label=_("关键词"))

    class Meta:
        model = Organization
        fields = []


class FundingLineFilterSet(ProjectRecordFilterSet):
    source_type = django_filters.ChoiceFilter(choices=SourceType.choices, label=_("资金来源"))
    status = django_filters.ChoiceFilter(choices=FundingStatus.choices, label=_("状态"))
    year = IntegerFilter(label=_("年度"), min_value=2000, max_value=2100)

    class Meta:
        model = FundingLine
        fields = []


class LoanFilterSet(ProjectRecordFilterSet):
    lender = IdFilter(field_name="lender_id", label=_("贷款银行"))
    status = django_filters.ChoiceFilter(choices=LoanStatus.choices, label=_("状态"))

    class Meta:
        model = Loan
        fields = []


class LoanEntryFilterSet(ScopedFilterSet):
    """Disbursements and repayments: by loan, project or district, and by date."""

    loan = IdFilter(field_name="loan_id", label=_("贷款"))
    project = IdFilter(field_name="loan__project_id", label=_("项目"))
    district = django_filters.ModelChoiceFilter(
        field_name="loan__project__district", queryset=District.objects.all(), label=_("区")
    )
    after = django_filters.DateFilter(field_name="date", lookup_expr="gte", label=_("日期不早于"))
    before = django_filters.DateFilter(field_name="date", lookup_expr="lte", label=_("日期不晚于"))


class DisbursementFilterSet(LoanEntryFilterSet):
    class Meta:
        model = Disbursement
        fields = []


class RepaymentFilterSet(LoanEntryFilterSet):
    class Meta:
        model = Repayment
        fields = []


class DemandFilterSet(ProjectRecordFilterSet):
    """Financing demands: by the project's district, category and stage, the amount asked, the status."""

    category = django_filters.ChoiceFilter(
        field_name="project__category", choices=Category.choices, label=_("类别")
    )
    stage = django_filters.ChoiceFilter(field_name="project__stage", choices=Stage.choices, label=_("阶段"))
    status = django_filters.ChoiceFilter(choices=DemandStatus.choices, label=_("状态"))
    min_amount = AmountFilter(field_name="amount", lookup_expr="gte", label=_("融资金额不低于（元）"))
    max_amount = AmountFilter(field_name="amount", lookup_expr="lte", label=_("融资金额不高于（元）"))
    q = django_filters.CharFilter(method="search", label=_("关键词"))

    class Meta:
        model = FinancingDemand
        fields = []

    def search(self, queryset, name, value):
        value = value.strip()
        if not value:
            return queryset
        return queryset.filter(
            Q(project__name__icontains=value)
            | Q(project__code__icontains=value)
            | Q(purpose__icontains=value)
        )


class IntentionFilterSet(ScopedFilterSet):
    demand = IdFilter(field_name="demand_id", label=_("融资需求"))
    project = IdFilter(field_name="demand__project_id", label=_("项目"))
    district = django_filters.ModelChoiceFilter(
        field_name="demand__project__district", queryset=District.objects.all(), label=_("区")
    )
    lender = IdFilter(field_name="lender_id", label=_("贷款银行"))
    status = django_filters.ChoiceFilter(choices=IntentionStatus.choices, label=_("状态"))

    class Meta:
        model = CreditIntention
        fields = []
