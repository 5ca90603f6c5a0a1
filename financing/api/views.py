from financing.filtersets import (
    DisbursementFilterSet,
    FundingLineFilterSet,
    LoanFilterSet,
    OrganizationFilterSet,
    RepaymentFilterSet,
)
from financing.models import Disbursement, FundingLine, Loan, Organization, Repayment
from portfolio import access
from portfolio.api_views import RecordOnlyViewSet, ServiceModelViewSet

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
    write_roles = STAFF
    queryset = Organization.objects.order_by("name")


class FundingLineViewSet(ServiceModelViewSet):
    serializer_class = FundingLineSerializer
    filterset_class = FundingLineFilterSet
    write_roles = STAFF

    def get_queryset(self):
        return FundingLine.objects.visible_to(self.request.user).order_by("project", "year", "pk")


class LoanViewSet(ServiceModelViewSet):
    serializer_class = LoanSerializer
    filterset_class = LoanFilterSet
    write_roles = STAFF
    reread_after_write = True  # disbursed and outstanding are computed

    def get_queryset(self):
        return Loan.objects.visible_to(self.request.user).with_balances().order_by("project", "pk")


class DisbursementViewSet(RecordOnlyViewSet):
    serializer_class = DisbursementSerializer
    filterset_class = DisbursementFilterSet
    write_roles = STAFF

    def get_queryset(self):
        return Disbursement.objects.visible_to(self.request.user).order_by("loan", "date", "pk")


class RepaymentViewSet(RecordOnlyViewSet):
    serializer_class = RepaymentSerializer
    filterset_class = RepaymentFilterSet
    write_roles = STAFF

    def get_queryset(self):
        return Repayment.objects.visible_to(self.request.user).order_by("loan", "date", "pk")
