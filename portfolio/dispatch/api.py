"""The dispatch in the API: `GET /api/v1/dispatch/` in DOMAIN.md's shape, the 调度表 as a workbook and the
通报 as a PDF; each reads `dispatch_figures` for the user's scope. Past a number of projects (the
settings' EXPORT_JOB_THRESHOLD, PDF_JOB_THRESHOLD) the file is made by a background job, from the same query
as the same user."""

import io

from django.http import FileResponse, HttpResponse, QueryDict
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import serializers
from rest_framework.response import Response
from rest_framework.views import APIView

from portfolio import access
from portfolio.api.exports import WORKBOOK
from portfolio.excel import XLSX, save_to_temp
from portfolio.jobs import services as jobs
from portfolio.jobs.http import job_answer, over
from portfolio.jobs.models import JobKind
from portfolio.tallies import tallied_dispatch_summary

from .excel import dispatch_workbook
from .pdf import bulletin_pdf
from .query import DispatchQuery
from .selectors import dispatch_figures

QUERY = [
    OpenApiParameter("year", int, description="年度（默认为上月所在年度）"),
    OpenApiParameter("month", int, description="截至月份 1–12（默认为上月）"),
    OpenApiParameter("district", str, description="区划代码，只看一个区"),
]


def _rate(value) -> str | None:
    return None if value is None else f"{value:.1f}"


def _money(value) -> str:
    return f"{value:.2f}"


def dispatch_document(dispatch) -> dict:
    """The dispatch in DOMAIN.md's shape: rates and completion rates as one-decimal strings, 元 as strings."""
    return {
        "year": dispatch.year,
        "month": dispatch.month,
        "time_progress": _rate(dispatch.time_progress),
        "rates": {key: _rate(value) for key, value in dispatch.rates.as_dict().items()},
        "total": {
            "annual_plan": _money(dispatch.total.annual_plan),
            "year_to_date": _money(dispatch.total.year_to_date),
            "completion_rate": _rate(dispatch.total.completion_rate),
            "flag": dispatch.total.flag,
            "reports_due": dispatch.total.reports_due,
            "reports_late": dispatch.total.reports_late,
            "reports_missing": dispatch.total.reports_missing,
            "red": dispatch.total.red,
            "yellow": dispatch.total.yellow,
        },
        "districts": [
            {
                "district": row.district.code,
                "name": row.district.name,
                "annual_plan": _money(row.annual_plan),
                "year_to_date": _money(row.year_to_date),
                "completion_rate": _rate(row.completion_rate),
                "flag": row.flag,
                "reports_due": row.reports_due,
                "reports_late": row.reports_late,
                "reports_missing": row.reports_missing,
                "rates": {key: _rate(value) for key, value in row.rates.as_dict().items()},
            }
            for row in dispatch.districts
        ],
        "projects": [
            {
                "project": row.project.pk,
                "code": row.project.code,
                "name": row.project.name,
                "district": row.project.district_id,
                "annual_plan": _money(row.annual_plan),
                "this_month": _money(row.this_month),
                "year_to_date": _money(row.year_to_date),
                "completion_rate": _rate(row.completion_rate),
                "flag": row.flag,
                "report_status": row.report_status,
                "report_late": row.report_late,
                "reasons": row.reasons,
            }
            for row in dispatch.projects
        ],
    }


class DispatchReadView(APIView):
    """Reads the query and the user's dispatch."""

    def dispatch_of(self, request):
        return dispatch_figures(user=request.user, **_chosen(request.query_params))


def _chosen(params) -> dict:
    """The year, month and district the query asks for; a 400 naming the parameter when it is wrong."""
    query = DispatchQuery(params)
    if not query.is_valid():
        raise serializers.ValidationError(
            {
                (key if key != "__all__" else "month"): [str(m) for m in messages]
                for key, messages in query.errors.items()
            }
        )
    return query.chosen


def _scope_for(*, user, params, dispatch) -> str:
    """What the output covers: the district asked for (when the user sees it), else the user's scope."""
    if params.get("district") and len(dispatch.districts) == 1:
        return dispatch.districts[0].district.name
    return access.scope_label(user)


class DispatchFile(DispatchReadView):
    """A file of the dispatch (the 调度表, the 通报): made in the request, or past `threshold` projects by a
    job. How many projects there are comes from the summary (one statement), so that a dispatch too large
    for the request is not first built in it."""

    kind = None
    threshold = ""
    extension = ""
    content_type = ""

    @staticmethod
    def write(dispatch, *, scope: str):
        """The file's content as an open binary file."""
        raise NotImplementedError

    def get(self, request):
        chosen = _chosen(request.query_params)
        filename = f"dispatch-{chosen['year']}-{chosen['month']:02d}.{self.extension}"
        size = tallied_dispatch_summary(user=request.user, **chosen).total.count
        if over(self.threshold, size):
            # The month the user saw, even if the job runs after the default month has moved on.
            query = request.query_params.copy()
            query["year"], query["month"] = str(chosen["year"]), str(chosen["month"])
            job = jobs.job_submit(
                owner=request.user,
                kind=self.kind,
                params={"query": query.urlencode()},
                total=size,
                download_name=filename,
                content_type=self.content_type,
            )
            return job_answer(request, job)
        dispatch = dispatch_figures(user=request.user, **chosen)
        scope = _scope_for(user=request.user, params=request.query_params, dispatch=dispatch)
        return self.answer(self.write(dispatch, scope=scope), filename=filename)

    def answer(self, made, *, filename: str):
        return FileResponse(made, as_attachment=True, filename=filename, content_type=self.content_type)


class DispatchView(DispatchReadView):
    @extend_schema(
        parameters=QUERY,
        responses={200: OpenApiResponse(OpenApiTypes.OBJECT, description="月度调度")},
        summary="月度调度：序时进度、四率、各区与各项目的完成率和旗色",
    )
    def get(self, request):
        return Response(dispatch_document(self.dispatch_of(request)))


class DispatchExport(DispatchFile):
    kind = JobKind.DISPATCH_EXPORT
    threshold = "EXPORT_JOB_THRESHOLD"
    extension = "xlsx"
    content_type = XLSX

    @staticmethod
    def write(dispatch, *, scope: str):
        return save_to_temp(dispatch_workbook(dispatch, scope=scope))

    @extend_schema(
        parameters=QUERY,
        responses=WORKBOOK,
        summary="调度表（重点项目投资完成情况表）",
    )
    def get(self, request):
        return super().get(request)


PDF = "application/pdf"


class DispatchBulletin(DispatchFile):
    kind = JobKind.DISPATCH_PDF
    threshold = "PDF_JOB_THRESHOLD"
    extension = "pdf"
    content_type = PDF

    @staticmethod
    def write(dispatch, *, scope: str):
        return io.BytesIO(bulletin_pdf(dispatch, scope=scope))

    def answer(self, made, *, filename: str):
        # Made whole in memory already: answered whole, as its length is known.
        response = HttpResponse(made.getvalue(), content_type=self.content_type)
        response["Content-Disposition"] = f'attachment; filename="{filename}"'
        return response

    @extend_schema(
        parameters=QUERY,
        responses={(200, PDF): OpenApiResponse(OpenApiTypes.BINARY, description="月度通报")},
        summary="月度通报（PDF）",
    )
    def get(self, request):
        return super().get(request)


def _job_file(job, progress, view: type[DispatchFile]) -> jobs.Outcome:
    """The file a job was asked for, as its owner sees it."""
    params = QueryDict(job.params.get("query", ""))
    dispatch = dispatch_figures(user=job.owner, **_chosen(params))
    progress(0, len(dispatch.projects))
    scope = _scope_for(user=job.owner, params=params, dispatch=dispatch)
    outcome = view.write(dispatch, scope=scope)
    return jobs.Outcome(file=outcome, download_name=job.download_name, content_type=view.content_type)


def run_dispatch_export(job, progress) -> jobs.Outcome:
    return _job_file(job, progress, DispatchExport)


def run_dispatch_pdf(job, progress) -> jobs.Outcome:
    return _job_file(job, progress, DispatchBulletin)
