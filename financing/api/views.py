from rest_framework import mixins, viewsets

from financing.filtersets import (
    DisbursementFilterSet,
    FundingLineFilterSet,
    LoanFilterSet,
    OrganizationFilterSet,
    RepaymentFilterSet,
)
from financing.models import Disbursement, FundingLine, Loan, Organization, Repayment
from portfolio import access
from portfolio.api import ServiceViewSetMixin

from .serializers import (
    DisbursementSerializer,
    FundingLineSerializer,
    LoanSerializer,
    OrganizationSerializer,
    RepaymentSerializer,
)

STAFF = (access.CITY_STAFF,)


class ServiceViewSet(
    ServiceViewSetMixin,
    mixins.CreateModelMixin,
    mixins.RetrieveModelMixin,
    mixins.UpdateModelMixin,
    mixins.ListModelMixin,
    viewsets.GenericViewSet,
):
    write_roles = STAFF


class LedgerEntryViewSet(
    ServiceViewSetMixin,
    mixins.CreateModelMixin,
    mixins.RetrieveModelMixin,
    mixins.ListModelMixin,
    viewsets.GenericViewSet,
):
    """Disbursements and repayments are recorded, never changed or deleted through the API."""

    write_roles = STAFF


class OrganizationViewSet(
    ServiceViewSetMixin,
    mixins.CreateModelMixin,
    mixins.RetrieveModelMixin,
    mixins.ListModelMixin,
    viewsets.GenericViewSet,
):
    serializer_class = OrganizationSerializer
    filterset_class = OrganizationFilterSet
    write_roles = STAFF
    queryset = Organization.objects.order_by("name")


class FundingLineViewSet(ServiceViewSet):
    serializer_class = FundingLineSerializer
    filterset_class = FundingLineFilterSet

    def get_queryset(self):
        return FundingLine.objects.visible_to(self.request.user).order_by("project", "year", "pk")


class LoanViewSet(ServiceViewSet):
    serializer_class = LoanSerializer
    filterset_class = LoanFilterSet

    def get_queryset(self):
        return Loan.objects.visible_to(self.request.user).with_balances().order_by("project", "pk")


class DisbursementViewSet(LedgerEntryViewSet):
    serializer_class = DisbursementSerializer
    filterset_class = DisbursementFilterSet

    def get_queryset(self):
        return Disbursement.objects.visible_to(self.request.user).order_by("loan", "date", "pk")


class RepaymentViewSet(LedgerEntryViewSet):
    serializer_class = RepaymentSerializer
    filterset_class = RepaymentFilterSet

    def get_queryset(self):
        return Repayment.objects.visible_to(self.request.user).order_by("loan", "date", "pk")
