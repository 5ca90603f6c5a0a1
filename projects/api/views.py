"""The projects API: districts, units, projects with their workflow, milestones; the monthly dispatch's
annual plans, monthly reports with their review, and problems; projects.xlsx, and the batch import of
projects with its template."""

from django.core.exceptions import PermissionDenied
from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import status, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from financing.api.readiness import ReadinessSerializer, readiness_data
from portfolio import access
from portfolio.api.exports import WORKBOOK, WorkbookExport
from portfolio.api.viewsets import SelectorReads, ServiceModelViewSet
from projects import selectors, services
from projects.excel import projects_workbook
from projects.filtersets import (
    InvestmentPlanFilterSet,
    MilestoneFilterSet,
    ProblemFilterSet,
    ProgressReportFilterSet,
    ProjectFilterSet,
    UnitFilterSet,
)
from projects.models import District
from projects.selectors import progress as progress_selectors
from projects.services import progress as progress_services

from .imports import ImportTemplate, ProjectImport
from .serializers import (
    AcceptSerializer,
    DistrictSerializer,
    InvestmentPlanSerializer,
    MilestoneSerializer,
    ProblemSerializer,
    ProgressReportSerializer,
    ProjectSerializer,
    ReopenSerializer,
    ReturnSerializer,
    SubmitSerializer,
    TransitionSerializer,
    UnitSerializer,
)

__all__ = ["ImportTemplate", "ProjectImport", "ProjectsExport"]


class DistrictViewSet(viewsets.ReadOnlyModelViewSet):
    queryset = District.objects.all()
    serializer_class = DistrictSerializer
    lookup_field = "code"
    pagination_class = None
    lender_allowed = True


class UnitViewSet(SelectorReads, viewsets.ReadOnlyModelViewSet):
    serializer_class = UnitSerializer
    filterset_class = UnitFilterSet
    selector = staticmethod(selectors.unit_list)
    lender_allowed = True


class WorkflowSteps:
    """Workflow steps as actions: the `staff_actions` are the city's (the services say so too; this answers
    403 before the body is parsed), and each step parses its body, calls one service with the record under
    the name `step_target`, and answers the record read back through the selector."""

    staff_actions: tuple[str, ...] = ()
    step_target = ""

    def get_permissions(self):
        if self.action in self.staff_actions:
            self.write_roles = (access.CITY_STAFF,)
        return super().get_permissions()

    def _step(self, request, step, serializer_class=None):
        """Parse the body with `serializer_class` (none for a step without one) and take the step with it."""
        record = self.get_object()
        arguments = {}
        if serializer_class is not None:
            body = serializer_class(data=request.data)
            body.is_valid(raise_exception=True)
            arguments = dict(body.validated_data)
            arguments["expected_version"] = arguments.pop("version", None)
        step(acting_user=request.user, **{self.step_target: record}, **arguments)
        return Response(self.get_serializer(self.get_queryset().get(pk=record.pk)).data)


class ProjectViewSet(WorkflowSteps, ServiceModelViewSet):
    """Projects of the library. A change or workflow step sent with the `version` that was read answers 409
    if the project changed meanwhile; a change sent with `If-Match` (the `ETag` read) answers 412. A bank
    reads the projects its scope holds, without their contacts and remarks, and changes none."""

    serializer_class = ProjectSerializer
    filterset_class = ProjectFilterSet
    selector = staticmethod(selectors.project_list)
    write_roles = access.EDITORS
    reread_after_write = True  # the funding gap and surplus are computed
    # Review and stage steps are the city's.
    staff_actions = ("return_", "accept", "transition")
    step_target = "project"
    lender_allowed = True

    @extend_schema(request=SubmitSerializer, responses=ProjectSerializer)
    @action(detail=True, methods=["post"])
    def submit(self, request, pk=None):
        return self._step(request, services.project_submit, SubmitSerializer)

    @extend_schema(request=ReturnSerializer, responses=ProjectSerializer)
    @action(detail=True, methods=["post"], url_path="return", url_name="return")
    def return_(self, request, pk=None):
        return self._step(request, services.project_return, ReturnSerializer)

    @extend_schema(request=AcceptSerializer, responses=ProjectSerializer)
    @action(detail=True, methods=["post"])
    def accept(self, request, pk=None):
        return self._step(request, services.project_accept, AcceptSerializer)

    @extend_schema(request=TransitionSerializer, responses=ProjectSerializer)
    @action(detail=True, methods=["post"])
    def transition(self, request, pk=None):
        return self._step(request, services.project_transition, TransitionSerializer)

    @extend_schema(responses=ReadinessSerializer, summary="申报条件")
    @action(detail=True, methods=["get"])
    def readiness(self, request, pk=None):
        """Per active funding programme: whether the project is ready, and exactly what it lacks. Not for
        lenders (403)."""
        if access.role_of(request.user) not in access.MEMBERS:
            raise PermissionDenied(_("贷款银行账户无权访问此接口。"))
        project = self.get_object()
        return Response(ReadinessSerializer(readiness_data(project=project)).data)


class MilestoneViewSet(ServiceModelViewSet):
    serializer_class = MilestoneSerializer
    filterset_class = MilestoneFilterSet
    selector = staticmethod(selectors.milestone_list)
    write_roles = access.EDITORS


class InvestmentPlanViewSet(WorkflowSteps, ServiceModelViewSet):
    """Annual investment plans. A district drafts its projects' plans; city staff confirm them, after which
    only city staff change them, with a `reason` (调整)."""

    serializer_class = InvestmentPlanSerializer
    filterset_class = InvestmentPlanFilterSet
    selector = staticmethod(progress_selectors.plan_list)
    write_roles = access.EDITORS
    staff_actions = ("confirm",)
    step_target = "plan"

    @extend_schema(request=None, responses=InvestmentPlanSerializer)
    @action(detail=True, methods=["post"])
    def confirm(self, request, pk=None):
        return self._step(request, progress_services.plan_confirm)


class ProgressReportViewSet(WorkflowSteps, ServiceModelViewSet):
    """Monthly progress reports and their review. A change or step sent with the `version` that was read
    answers 409 if the report changed meanwhile; a change sent with `If-Match` (the `ETag` read) answers 412.
    An accepted report is locked until city staff reopen it."""

    serializer_class = ProgressReportSerializer
    filterset_class = ProgressReportFilterSet
    selector = staticmethod(progress_selectors.report_list)
    write_roles = access.EDITORS
    reread_after_write = True  # the cumulative figures are computed
    staff_actions = ("return_", "accept", "reopen")
    step_target = "report"

    def get_queryset(self):
        # A single record carries its cumulative figures; the list adds them for its page only.
        reports = super().get_queryset()
        if getattr(self, "action", None) == "list":
            return reports
        return progress_selectors.with_cumulative(reports)

    def paginate_queryset(self, queryset):
        page = super().paginate_queryset(queryset)
        return progress_selectors.attach_cumulative(queryset if page is None else page)

    @extend_schema(request=SubmitSerializer, responses=ProgressReportSerializer)
    @action(detail=True, methods=["post"])
    def submit(self, request, pk=None):
        return self._step(request, progress_services.report_submit, SubmitSerializer)

    @extend_schema(request=ReturnSerializer, responses=ProgressReportSerializer)
    @action(detail=True, methods=["post"], url_path="return", url_name="return")
    def return_(self, request, pk=None):
        return self._step(request, progress_services.report_return, ReturnSerializer)

    @extend_schema(request=AcceptSerializer, responses=ProgressReportSerializer)
    @action(detail=True, methods=["post"])
    def accept(self, request, pk=None):
        return self._step(request, progress_services.report_accept, AcceptSerializer)

    @extend_schema(request=ReopenSerializer, responses=ProgressReportSerializer)
    @action(detail=True, methods=["post"])
    def reopen(self, request, pk=None):
        return self._step(request, progress_services.report_reopen, ReopenSerializer)

    @extend_schema(request=None, responses={201: ProblemSerializer})
    @action(detail=True, methods=["post"])
    def problem(self, request, pk=None):
        """The problems the report names, as one entry of the problem ledger (once per report)."""
        report = self.get_object()
        problem = progress_services.problem_from_report(acting_user=request.user, report=report)
        data = ProblemSerializer(problem, context=self.get_serializer_context()).data
        return Response(data, status=status.HTTP_201_CREATED)


class ProblemViewSet(ServiceModelViewSet):
    """The problem ledger (问题协调): a problem is resolved by a change with status, resolution and date."""

    serializer_class = ProblemSerializer
    filterset_class = ProblemFilterSet
    selector = staticmethod(progress_selectors.problem_list)
    write_roles = access.EDITORS


@extend_schema_view(get=extend_schema(responses=WORKBOOK, summary="项目清单（Excel）"))
class ProjectsExport(WorkbookExport):
    """The library list as a workbook: the rows of the list page and the API list, in their order."""

    filterset_class = ProjectFilterSet
    selector = staticmethod(selectors.project_list)
    build = staticmethod(projects_workbook)
    name = "projects"
    lender_allowed = True  # a lender's file leaves out contacts, remarks and what its scope does not hold
