"""The financing API: organisations, funding lines, loans with their schedules, disbursements, repayments;
the 政银企 platform's financing demands and credit intentions with their steps; financing.xlsx.

A lender (a bank's account manager) reads what its scope holds (portfolio.access) and records its own
loans' money; funding lines stay the city's and the districts'."""

from django.utils import timezone
from drf_spectacular.openapi import AutoSchema
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework.decorators import action
from rest_framework.response import Response

from financing import selectors, services
from financing.excel import financing_workbook
from financing.filtersets import (
    DemandFilterSet,
    DisbursementFilterSet,
    FundingLineFilterSet,
    IntentionFilterSet,
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
    ApproveSerializer,
    DemandSerializer,
    DisbursementSerializer,
    FundingLineSerializer,
    IntentionSerializer,
    LoanSerializer,
    OrganizationSerializer,
    ReasonSerializer,
    RepaymentSerializer,
    ScheduleSerializer,
    SignSerializer,
)

STAFF = (access.CITY_STAFF,)
BANK = (access.LENDER,)
# Who records a loan's money: city staff, and the bank that made the loan (the services check the bank).
LOAN_RECORDERS = (access.CITY_STAFF, access.LENDER)


class OrganizationViewSet(RecordOnlyViewSet):
    serializer_class = OrganizationSerializer
    filterset_class = OrganizationFilterSet
    selector = staticmethod(selectors.organization_list)
    write_roles = STAFF
    lender_allowed = True


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
    lender_allowed = True

    @extend_schema(responses=ScheduleSerializer, summary="还款计划")
    @action(detail=True, methods=["get"])
    def schedule(self, request, pk=None):
        """The loan's repayment schedule for the money drawn, with the repayments allocated oldest first
        and the installments past due and unpaid marked `overdue`, as on the loan's page; no installments
        while the loan's terms are incomplete."""
        loan = self.get_object()
        installments = []
        if loan.schedule_terms() is not None:
            installments = selectors.installments_of(loan=loan, today=timezone.localdate())
        return Response(ScheduleSerializer({"installments": installments}).data)


class DisbursementViewSet(RecordOnlyViewSet):
    serializer_class = DisbursementSerializer
    filterset_class = DisbursementFilterSet
    selector = staticmethod(selectors.disbursement_list)
    write_roles = LOAN_RECORDERS
    lender_allowed = True


class RepaymentViewSet(RecordOnlyViewSet):
    serializer_class = RepaymentSerializer
    filterset_class = RepaymentFilterSet
    selector = staticmethod(selectors.repayment_list)
    write_roles = LOAN_RECORDERS
    lender_allowed = True


# -- the 政银企 platform -----------------------------------------------------------------------------


class LenderHiddenSchema(AutoSchema):
    """The fields a serializer's `lender_hidden` names are left out of a lender's answers: not required."""

    def _map_basic_serializer(self, serializer, direction):
        schema = super()._map_basic_serializer(serializer, direction)
        hidden = set(getattr(serializer, "lender_hidden", ()))
        if hidden and "required" in schema:
            schema["required"] = [name for name in schema["required"] if name not in hidden]
            if not schema["required"]:
                del schema["required"]
        return schema


class PlatformSteps:
    """Workflow steps as actions: `step_roles` names each step's roles (the services decide too; this
    answers 403 once the record was found in the user's scope, before the body is parsed), and each step
    parses its body, calls one service with the record under the name `step_target`, and answers the
    record read back through the selector. A step the record's state refuses is a 400 naming why."""

    step_roles: dict[str, tuple[str, ...]] = {}
    step_target = ""

    def get_permissions(self):
        if self.action in self.step_roles:
            self.write_roles = self.step_roles[self.action]
        return super().get_permissions()

    def _step(self, request, step, body_class=None):
        record = self.get_object()
        arguments = {}
        if body_class is not None:
            body = body_class(data=request.data, context=self.get_serializer_context())
            body.is_valid(raise_exception=True)
            arguments = dict(body.validated_data)
        step(acting_user=request.user, **{self.step_target: record}, **arguments)
        return Response(self.get_serializer(self.get_queryset().get(pk=record.pk)).data)


def demand_list(*, user, params=None):
    """The demands of selectors.demand_list with their project's funding in place; the number of
    intentions for everyone but a lender."""
    demands = selectors.demand_list(user=user, params=params)
    return selectors.with_demand_figures(demands, intention_count=access.role_of(user) != access.LENDER)


class DemandViewSet(PlatformSteps, ServiceModelViewSet):
    """融资需求. A district drafts one for its own library project and changes it while it is a draft; city
    staff publish it to every bank and close it. Banks read the published ones (and those they answered)."""

    serializer_class = DemandSerializer
    filterset_class = DemandFilterSet
    selector = staticmethod(demand_list)
    schema = LenderHiddenSchema()
    write_roles = access.EDITORS
    reread_after_write = True  # the project's funding is computed
    lender_allowed = True
    step_roles = {"publish": STAFF, "close": STAFF}
    step_target = "demand"

    @extend_schema(request=None, responses=DemandSerializer)
    @action(detail=True, methods=["post"])
    def publish(self, request, pk=None):
        return self._step(request, services.demand_publish)

    @extend_schema(request=None, responses=DemandSerializer)
    @action(detail=True, methods=["post"])
    def close(self, request, pk=None):
        return self._step(request, services.demand_close)


class IntentionViewSet(PlatformSteps, ServiceModelViewSet):
    """授信意向. A bank answers a published demand, changes its answer while it is only an intention, and
    moves its own to approved (with the credit approval number), declined or withdrawn; city staff mark
    an approved one signed, tied to the loan registered. A bank sees only its own bank's intentions."""

    serializer_class = IntentionSerializer
    filterset_class = IntentionFilterSet
    selector = staticmethod(selectors.intention_list)
    write_roles = BANK
    lender_allowed = True
    step_roles = {"approve": BANK, "decline": BANK, "withdraw": BANK, "sign": STAFF}
    step_target = "intention"

    @extend_schema(request=ApproveSerializer, responses=IntentionSerializer)
    @action(detail=True, methods=["post"])
    def approve(self, request, pk=None):
        return self._step(request, services.intention_approve, ApproveSerializer)

    @extend_schema(request=ReasonSerializer, responses=IntentionSerializer)
    @action(detail=True, methods=["post"])
    def decline(self, request, pk=None):
        return self._step(request, services.intention_decline, ReasonSerializer)

    @extend_schema(request=ReasonSerializer, responses=IntentionSerializer)
    @action(detail=True, methods=["post"])
    def withdraw(self, request, pk=None):
        return self._step(request, services.intention_withdraw, ReasonSerializer)

    @extend_schema(request=SignSerializer, responses=IntentionSerializer)
    @action(detail=True, methods=["post"])
    def sign(self, request, pk=None):
        return self._step(request, services.intention_sign, SignSerializer)


@extend_schema_view(get=extend_schema(responses=WORKBOOK, summary="资金与贷款（Excel）"))
class FinancingExport(WorkbookExport):
    """The ledger of the projects the library list shows (the same filters and scope)."""

    filterset_class = ProjectFilterSet
    selector = staticmethod(project_list)
    build = staticmethod(financing_workbook)
    name = "financing"
    lender_allowed = True  # a lender's file holds its own bank's loans and entries only
