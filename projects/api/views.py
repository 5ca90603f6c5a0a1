from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import APIException
from rest_framework.response import Response

from portfolio import access
from portfolio.api import ServiceViewSetMixin
from projects import services
from projects.filtersets import MilestoneFilterSet, ProjectFilterSet, UnitFilterSet
from projects.models import District, Milestone, Project, Unit

from .serializers import (
    DistrictSerializer,
    MilestoneSerializer,
    ProjectSerializer,
    ReturnSerializer,
    ReviewStepSerializer,
    TransitionSerializer,
    UnitSerializer,
)

EDITORS = (access.CITY_STAFF, access.DISTRICT_USER)


class PreconditionFailed(APIException):
    status_code = status.HTTP_412_PRECONDITION_FAILED
    default_detail = _("记录已被修改：If-Match 与当前版本不符。")
    default_code = "precondition_failed"


def etag(project: Project) -> str:
    return f'"{project.version}"'


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


class ProjectViewSet(
    ServiceViewSetMixin,
    mixins.CreateModelMixin,
    mixins.RetrieveModelMixin,
    mixins.UpdateModelMixin,
    mixins.ListModelMixin,
    viewsets.GenericViewSet,
):
    """Projects of the library. `ETag` carries the version; send it back in `If-Match` (412 when stale)
    or send `version` in the body (409 when stale)."""

    serializer_class = ProjectSerializer
    filterset_class = ProjectFilterSet
    write_roles = EDITORS

    def get_queryset(self):
        return (
            Project.objects.visible_to(self.request.user)
            .with_financing_totals()
            .select_related("district", "unit", "implementing_org")
            .order_by("district", "code")
        )

    def retrieve(self, request, *args, **kwargs):
        response = super().retrieve(request, *args, **kwargs)
        response["ETag"] = etag(self.get_object())
        return response

    def update(self, request, *args, **kwargs):
        expected = request.headers.get("If-Match")
        if expected and expected != etag(self.get_object()):
            raise PreconditionFailed()
        response = super().update(request, *args, **kwargs)
        response["ETag"] = f'"{response.data["version"]}"'
        return response

    def _step(self, request, step, serializer_class, arguments):
        """Parse the body with `serializer_class`; call the service `step` with `arguments` of it."""
        project = self.get_object()
        data = serializer_class(data=request.data)
        data.is_valid(raise_exception=True)
        step(project=project, acting_user=request.user, **arguments(data.validated_data))
        return Response(self.get_serializer(self.get_queryset().get(pk=project.pk)).data)

    @extend_schema(request=ReviewStepSerializer, responses=ProjectSerializer)
    @action(detail=True, methods=["post"])
    def submit(self, request, pk=None):
        return self._step(
            request,
            services.project_submit,
            ReviewStepSerializer,
            lambda d: {"expected_version": d.get("version")},
        )

    @extend_schema(request=ReturnSerializer, responses=ProjectSerializer)
    @action(detail=True, methods=["post"], url_path="return", url_name="return")
    def return_(self, request, pk=None):
        return self._step(
            request,
            services.project_return,
            ReturnSerializer,
            lambda d: {"comment": d["comment"], "expected_version": d.get("version")},
        )

    @extend_schema(request=ReviewStepSerializer, responses=ProjectSerializer)
    @action(detail=True, methods=["post"])
    def accept(self, request, pk=None):
        return self._step(
            request,
            services.project_accept,
            ReviewStepSerializer,
            lambda d: {"comment": d["comment"], "expected_version": d.get("version")},
        )

    @extend_schema(request=TransitionSerializer, responses=ProjectSerializer)
    @action(detail=True, methods=["post"])
    def transition(self, request, pk=None):
        return self._step(request, services.project_transition, TransitionSerializer, lambda d: dict(d))

    def get_permissions(self):
        # Review and stage steps are the city's; the services say so too, this answers it before parsing.
        if self.action in ("return_", "accept", "transition"):
            self.write_roles = (access.CITY_STAFF,)
        return super().get_permissions()


class MilestoneViewSet(
    ServiceViewSetMixin,
    mixins.CreateModelMixin,
    mixins.RetrieveModelMixin,
    mixins.UpdateModelMixin,
    mixins.ListModelMixin,
    viewsets.GenericViewSet,
):
    serializer_class = MilestoneSerializer
    filterset_class = MilestoneFilterSet
    write_roles = EDITORS

    def get_queryset(self):
        return Milestone.objects.visible_to(self.request.user).order_by("project", "planned_date", "pk")
