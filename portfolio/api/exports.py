"""The base of every Excel export: a list's selector (its filters, sort and scope) written as a workbook."""

from django.http import FileResponse
from django_filters.rest_framework import DjangoFilterBackend
from drf_spectacular.openapi import AutoSchema
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse
from rest_framework.generics import GenericAPIView

from portfolio import access
from portfolio.excel import XLSX, save_to_temp, today_stamp

WORKBOOK = {(200, XLSX): OpenApiResponse(OpenApiTypes.BINARY, description="Excel 工作簿")}


class WorkbookSchema(AutoSchema):
    """An export is a list written as a file: its operation documents the list's filters and sort."""

    def get_filter_backends(self):
        return [DjangoFilterBackend]


class WorkbookExport(GenericAPIView):
    """GET: the rows of `selector(*, user, params)` for the request's query, in the list's own order,
    written by `build(rows=…, user=…, filters=…, scope=…)` and sent as an attachment.

    `filterset_class` names the list's filters so that the schema documents them (the selector applies
    them); an invalid filter value is a 400, as on the list."""

    pagination_class = None
    filter_backends = ()
    schema = WorkbookSchema()
    selector = None
    build = None
    name = ""

    def get_queryset(self):
        # For the schema only: the model whose filters the export takes. Rows come from the selector.
        return self.filterset_class._meta.model._default_manager.none()

    def get(self, request, *args, **kwargs):
        rows = self.selector(user=request.user, params=request.query_params)
        filters = {key: request.query_params.get(key) for key in self.filterset_class.base_filters}
        workbook, _counts = self.build(
            rows=rows, user=request.user, filters=filters, scope=access.scope_label(request.user)
        )
        filename = f"{self.name}-{today_stamp()}.xlsx"
        return FileResponse(save_to_temp(workbook), as_attachment=True, filename=filename, content_type=XLSX)
