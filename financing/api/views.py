"""The financing API: organisations, funding lines, loans, disbursements, repayments; financing.xlsx."""

from drf_spectacular.utils import extend_schema, extend_schema_view

from financing import selectors
from financing.excel import financing_workbook
from financing.filtersets import (
    DisbursementFilterSet,
    FundingLineFilterSet,
    LoanFilterSet,
    OrganizationFilterSet,
    RepaymentFilterSet,
)
from portfolio import access
from portfolio.api.exports import WORKBOOK, WorkbookExport
from portfolio.api.viewsets import RecordOnlyViewSet, ServiceModelViewSet
from projects.filtersets import ProjectFilterSet
from projects.selectors import project_list

from .serializers import (
    DisbursementSerializer,
    FundingLineSerializer,
    LoanSerializer,
    OrganizationSerializer,
    RepaymentSerializer,
)

STAFF = (access.CITY_STAFF,)


class OrganizationViewSet(RecordOnlyViewSet):
    serializer_class = OrganizationSerializer
    filterset_class = OrganizationFilterSet
    selector = staticmethod(selectors.organization_list)
    write_roles = STAFF


class FundingLineViewSet(ServiceModelViewSet):
    serializer_class = FundingLineSerializer
    filterset_class = FundingLineFilterSet
    selector = staticmethod(selectors.funding_line_list)
    write_roles = STAFF


class LoanViewSet(ServiceModelViewSet):
    serializer_class = LoanSerializer
    filterset_class = LoanFilterSet
    selector = staticmethod(selectors.loan_list)
    write_roles = STAFF
    reread_after_write = True  # disbursed and outstanding are computed


class DisbursementViewSet(RecordOnlyViewSet):
    serializer_class = DisbursementSerializer
    filterset_class = DisbursementFilterSet
    selector = staticmethod(selectors.disbursement_list)
    write_roles = STAFF


class RepaymentViewSet(RecordOnlyViewSet):
    serializer_class = RepaymentSerializer
    filterset_class = RepaymentFilterSet
    selector = staticmethod(selectors.repayment_list)
    write_roles = STAFF


@extend_schema_view(get=extend_schema(responses=WORKBOOK, summary="资金与贷款（Excel）"))
class FinancingExport(WorkbookExport):
    """The ledger of the projects the library list shows (the same filters and scope)."""

    filterset_class = ProjectFilterSet
    selector = staticmethod(project_list)
    build = staticmethod(financing_workbook)
    name = "financing"
