"""The one way each financing list is narrowed, shared by the API and any page that lists them."""

import django_filters
from django.utils.translation import gettext_lazy as _

from portfolio.filters import IdFilter, IntegerFilter, ScopedFilterSet
from projects.filtersets import ProjectRecordFilterSet
from projects.models import District

from .choices import FundingStatus, LoanStatus, OrganizationKind, SourceType
from .models import Disbursement, FundingLine, Loan, Organization, Repayment


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
