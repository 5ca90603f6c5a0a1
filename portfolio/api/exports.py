"""GET /api/v1/exports/projects.xlsx and financing.xlsx: the lists' filters and scope, as workbooks."""

from django.http import FileResponse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, extend_schema, extend_schema_view
from rest_framework.generics import GenericAPIView

from financing.excel import financing_workbook
from projects.excel import projects_workbook
from projects.filtersets import ProjectFilterSet
from projects.models import District, Project

from . import access
from .excel import XLSX, save_to_temp, today_stamp

WORKBOOK = {(200, XLSX): OpenApiResponse(OpenApiTypes.BINARY, description="Excel 工作簿")}


def scope_label(user) -> str:
    if access.role_of(user) == access.DISTRICT_USER:
        district = District.objects.filter(pk=access.district_code_of(user)).first()
        return district.name if district else "—"
    return "全市"


class WorkbookExport(GenericAPIView):
    filterset_class = ProjectFilterSet
    pagination_class = None
    build = None
    name = ""

    def get_queryset(self):
        return Project.objects.visible_to(self.request.user)

    def get(self, request, *args, **kwargs):
        projects = self.filter_queryset(self.get_queryset())
        filters = {key: request.query_params.get(key) for key in self.filterset_class.base_filters}
        workbook, _counts = self.build(
            projects=projects, user=request.user, filters=filters, scope=scope_label(request.user)
        )
        filename = f"{self.name}-{today_stamp()}.xlsx"
        return FileResponse(save_to_temp(workbook), as_attachment=True, filename=filename, content_type=XLSX)


@extend_schema_view(get=extend_schema(responses=WORKBOOK, summary="项目清单（Excel）"))
class ProjectsExport(WorkbookExport):
    build = staticmethod(projects_workbook)
    name = "projects"


@extend_schema_view(get=extend_schema(responses=WORKBOOK, summary="资金与贷款（Excel）"))
class FinancingExport(WorkbookExport):
    build = staticmethod(financing_workbook)
    name = "financing"
