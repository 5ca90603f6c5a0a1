from drf_spectacular.utils import extend_schema
from rest_framework import viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from portfolio import access
from portfolio.api_views import ServiceModelViewSet
from projects import services
from projects.filtersets import MilestoneFilterSet, ProjectFilterSet, UnitFilterSet
from projects.models import District, Milestone, Project, Unit

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


class DistrictViewSet(viewsets.ReadOnlyModelViewSet):
    queryset = District.objects.all()
    serializer_class = DistrictSerializer
    lookup_field = "code"
    pagination_class = None


class UnitViewSet(viewsets.ReadOnlyModelViewSet):
    serializer_class = UnitSerializer
    filterset_class = UnitFilterSet

    def get_queryset(self):
        return (
            Unit.objects.visible_to(self.request.user).select_related("district").order_by("district", "name")
        )


class ProjectViewSet(ServiceModelViewSet):
    """Projects of the library. A change or workflow step sent with the `version` that was read answers 409
    if the project changed meanwhile; a change sent with `If-Match` (the `ETag` read) answers 412."""

    serializer_class = ProjectSerializer
    filterset_class = ProjectFilterSet
    write_roles = access.EDITORS
    reread_after_write = True  # the funding gap is computed

    def get_queryset(self):
        return (
            Project.objects.visible_to(self.request.user)
            .with_financing_totals()
            .select_related("district", "unit", "implementing_org")
            .order_by("district", "code")
        )

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
    write_roles = access.EDITORS

    def get_queryset(self):
        return Milestone.objects.visible_to(self.request.user).order_by("project", "planned_date", "pk")
