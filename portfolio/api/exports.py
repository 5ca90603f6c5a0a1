"""The base of every Excel export: a list's selector (its filters, sort and scope) written as a workbook.

Past settings.EXPORT_JOB_THRESHOLD rows the workbook is written by a background job instead
(`run_workbook_export`): the same selector, as the same user, with the same query string."""

from django.http import FileResponse, QueryDict
from django.utils.module_loading import import_string
from django_filters.rest_framework import DjangoFilterBackend
from drf_spectacular.openapi import AutoSchema
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse
from rest_framework.generics import GenericAPIView

from portfolio import access
from portfolio.excel import XLSX, save_to_temp, today_stamp
from portfolio.jobs import services as jobs
from portfolio.jobs.http import job_answer, over
from portfolio.jobs.models import JobKind

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
        filename = f"{self.name}-{today_stamp()}.xlsx"
        size = rows.count()
        if over("EXPORT_JOB_THRESHOLD", size):
            job = jobs.job_submit(
                owner=request.user,
                kind=JobKind(f"{self.name}_export"),
                params={
                    "view": f"{type(self).__module__}.{type(self).__qualname__}",
                    "query": request.query_params.urlencode(),
                },
                total=size,
                download_name=filename,
                content_type=XLSX,
            )
            return job_answer(request, job)
        workbook = self.workbook(rows=rows, user=request.user, params=request.query_params)
        return FileResponse(save_to_temp(workbook), as_attachment=True, filename=filename, content_type=XLSX)

    @classmethod
    def workbook(cls, *, rows, user, params):
        filters = {key: params.get(key) for key in cls.filterset_class.base_filters}
        workbook, _counts = cls.build(rows=rows, user=user, filters=filters, scope=access.scope_label(user))
        return workbook


def run_workbook_export(job, progress) -> jobs.Outcome:
    """The export a job was asked for, as its owner sees it. The writers take a queryset and stream it in
    chunks themselves, so the progress says rows counted, then the file written."""
    view = import_string(job.params["view"])
    params = QueryDict(job.params.get("query", ""))
    rows = view.selector(user=job.owner, params=params)
    total = rows.count()
    progress(0, total)
    workbook = view.workbook(rows=rows, user=job.owner, params=params)
    handle = save_to_temp(workbook)
    progress(total, total)
    return jobs.Outcome(file=handle, download_name=job.download_name, content_type=XLSX)
