"""The dispatch in the API: `GET /api/v1/dispatch/` in DOMAIN.md's shape, the 调度表 as a workbook and the
通报 as a PDF; each reads `dispatch_figures` for the user's scope."""

from django.http import FileResponse, HttpResponse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import serializers
from rest_framework.response import Response
from rest_framework.views import APIView

from portfolio import access
from portfolio.api.exports import WORKBOOK
from portfolio.excel import XLSX, save_to_temp

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
    """Reads the query (a 400 naming the parameter when it is wrong) and the user's dispatch."""

    def dispatch_of(self, request):
        query = DispatchQuery(request.query_params)
        if not query.is_valid():
            raise serializers.ValidationError(
                {
                    (key if key != "__all__" else "month"): [str(m) for m in messages]
                    for key, messages in query.errors.items()
                }
            )
        return dispatch_figures(user=request.user, **query.chosen)

    def scope_of(self, request, dispatch) -> str:
        """What the output covers: the district asked for (when the user sees it), else the user's scope."""
        if request.query_params.get("district") and len(dispatch.districts) == 1:
            return dispatch.districts[0].district.name
        return access.scope_label(request.user)


class DispatchView(DispatchReadView):
    @extend_schema(
        parameters=QUERY,
        responses={200: OpenApiResponse(OpenApiTypes.OBJECT, description="月度调度")},
        summary="月度调度：序时进度、四率、各区与各项目的完成率和旗色",
    )
    def get(self, request):
        return Response(dispatch_document(self.dispatch_of(request)))


class DispatchExport(DispatchReadView):
    @extend_schema(
        parameters=QUERY,
        responses=WORKBOOK,
        summary="调度表（重点项目投资完成情况表）",
    )
    def get(self, request):
        dispatch = self.dispatch_of(request)
        workbook = dispatch_workbook(dispatch, scope=self.scope_of(request, dispatch))
        filename = f"dispatch-{dispatch.year}-{dispatch.month:02d}.xlsx"
        return FileResponse(save_to_temp(workbook), as_attachment=True, filename=filename, content_type=XLSX)


PDF = "application/pdf"


class DispatchBulletin(DispatchReadView):
    @extend_schema(
        parameters=QUERY,
        responses={(200, PDF): OpenApiResponse(OpenApiTypes.BINARY, description="月度通报")},
        summary="月度通报（PDF）",
    )
    def get(self, request):
        dispatch = self.dispatch_of(request)
        content = bulletin_pdf(dispatch, scope=self.scope_of(request, dispatch))
        response = HttpResponse(content, content_type=PDF)
        filename = f"dispatch-{dispatch.year}-{dispatch.month:02d}.pdf"
        response["Content-Disposition"] = f'attachment; filename="{filename}"'
        return response
