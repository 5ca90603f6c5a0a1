"""The projects API: districts, units, projects with their workflow, milestones; projects.xlsx, and the
batch import of projects with its template."""

from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from portfolio import access
from portfolio.api.exports import WORKBOOK, WorkbookExport
from portfolio.api.viewsets import SelectorReads, ServiceModelViewSet
from projects import selectors, services
from projects.excel import projects_workbook
from projects.filtersets import MilestoneFilterSet, ProjectFilterSet, UnitFilterSet
from projects.models import District

from .imports import ImportTemplate, ProjectImport
from .serializers import (
    AcceptSerializer,
    DistrictSerializer,
    MilestoneSerializer,
    ProjectSerializer,
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


class UnitViewSet(SelectorReads, viewsets.ReadOnlyModelViewSet):
    serializer_class = UnitSerializer
    filterset_class = UnitFilterSet
    selector = staticmethod(selectors.unit_list)


class ProjectViewSet(ServiceModelViewSet):
    """Projects of the library. A change or workflow step sent with the `version` that was read answers 409
    if the project changed meanwhile; a change sent with `If-Match` (the `ETag` read) answers 412."""

    serializer_class = ProjectSerializer
    filterset_class = ProjectFilterSet
    selector = staticmethod(selectors.project_list)
    write_roles = access.EDITORS
    reread_after_write = True  # the funding gap and surplus are computed

    def get_permissions(self):
        # Review and stage steps are the city's; the services say so too, this answers it before parsing.
        if self.action in ("return_", "accept", "transition"):
            self.write_roles = (access.CITY_STAFF,)
        return super().get_permissions()

    def _step(self, request, step, serializer_class):
        """Parse the body with `serializer_class` and take the workflow step with it."""
        project = self.get_object()
        body = serializer_class(data=request.data)
        body.is_valid(raise_exception=True)
        arguments = dict(body.validated_data)
        arguments["expected_version"] = arguments.pop("version", None)
        step(project=project, acting_user=request.user, **arguments)
        return Response(self.get_serializer(self.get_queryset().get(pk=project.pk)).data)

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


class MilestoneViewSet(ServiceModelViewSet):
    serializer_class = MilestoneSerializer
    filterset_class = MilestoneFilterSet
    selector = staticmethod(selectors.milestone_list)
    write_roles = access.EDITORS


@extend_schema_view(get=extend_schema(responses=WORKBOOK, summary="项目清单（Excel）"))
class ProjectsExport(WorkbookExport):
    """The library list as a workbook: the rows of the list page and the API list, in their order."""

    filterset_class = ProjectFilterSet
    selector = staticmethod(selectors.project_list)
    build = staticmethod(projects_workbook)
    name = "projects"
