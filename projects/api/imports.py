"""GET /api/v1/imports/projects/template.xlsx and POST /api/v1/imports/projects/ (multipart `file`); the
monthly reports' batch entry: GET /api/v1/imports/progress-reports/template.xlsx?period=YYYY-MM and POST
/api/v1/imports/progress-reports/ (multipart `file`, `period`, `dry_run`).

A file of more than settings.IMPORT_JOB_THRESHOLD rows is written by a background job: 202 with the job,
whose document ends with what was written or every row's errors."""

import io
import secrets

from django.core.files import File
from django.core.files.storage import default_storage
from django.http import FileResponse
from django.utils import timezone
from django.utils.translation import gettext_lazy
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema, inline_serializer
from rest_framework import serializers, status
from rest_framework.parsers import MultiPartParser
from rest_framework.response import Response
from rest_framework.views import APIView

from portfolio import access
from portfolio.excel import XLSX
from portfolio.jobs import services as jobs
from portfolio.jobs.http import job_answer, over
from portfolio.jobs.models import JobKind
from portfolio.workdays import month_of, parse_month
from projects.excel import report_template_workbook, template_workbook
from projects.imports import ImportFileError, import_projects, read_rows
from projects.report_imports import count_rows, import_reports
from projects.selectors.progress import reporting_period

NO_FILE = gettext_lazy("请上传 .xlsx 文件（字段名 file）。")


def _as_job(request, upload, *, rows: int, kind: JobKind, params: dict | None = None):
    """The import handed to a background job: the file goes to storage, where any worker reads it."""
    upload.seek(0)
    name = default_storage.save(f"imports/job-{secrets.token_urlsafe(16)}.xlsx", File(upload))
    job = jobs.job_submit(owner=request.user, kind=kind, params={"file": name, **(params or {})}, total=rows)
    return job_answer(request, job)


def _dry_run(request) -> bool:
    """Whether the client asked only for a preview (`dry_run` true in the form)."""
    return str(request.data.get("dry_run", "")).lower() in {"1", "true", "yes", "on"}


class ImportTemplate(APIView):
    @extend_schema(responses={(200, XLSX): OpenApiResponse(OpenApiTypes.BINARY)}, summary="项目批量申报模板")
    def get(self, request):
        stream = io.BytesIO()
        template_workbook(request.user).save(stream)
        stream.seek(0)
        return FileResponse(stream, as_attachment=True, filename="projects-template.xlsx", content_type=XLSX)


class ProjectImport(APIView):
    """All rows become drafts in one transaction, or none: every row's errors come back by row and column.
    `dry_run=true` checks and answers 200 with what would be created."""

    parser_classes = [MultiPartParser]
    write_roles = access.EDITORS

    @extend_schema(
        request={
            "multipart/form-data": inline_serializer(
                "ProjectImportUpload",
                {"file": serializers.FileField(), "dry_run": serializers.BooleanField(required=False)},
            )
        },
        responses={
            201: inline_serializer(
                "ProjectImportCreated",
                {"created": serializers.IntegerField(), "projects": serializers.ListField()},
            ),
            200: inline_serializer(
                "ProjectImportPreview",
                {"would_create": serializers.IntegerField(), "projects": serializers.ListField()},
            ),
        },
        summary="批量导入项目",
    )
    def post(self, request):
        upload, dry_run = request.FILES.get("file"), _dry_run(request)
        if upload is None:
            return Response({"file": [str(NO_FILE)]}, status=status.HTTP_400_BAD_REQUEST)
        try:
            if not dry_run:
                rows = len(read_rows(upload))
                upload.seek(0)
                if over("IMPORT_JOB_THRESHOLD", rows):
                    return _as_job(request, upload, rows=rows, kind=JobKind.PROJECTS_IMPORT)
            result = import_projects(upload, user=request.user, commit=not dry_run)
        except ImportFileError as error:
            return Response({"file": [str(error)]}, status=status.HTTP_400_BAD_REQUEST)
        if not result.ok:
            return Response({"errors": result.errors}, status=status.HTTP_400_BAD_REQUEST)
        projects = [
            {"row": row["row"], "code": row["code"], "name": row["name"], "district": row["district"]}
            for row in result.rows
        ]
        if dry_run:
            return Response({"would_create": len(projects), "projects": projects})
        for project, row in zip(result.created, projects, strict=True):
            row["id"] = project.pk
        return Response({"created": len(projects), "projects": projects}, status=status.HTTP_201_CREATED)


def _period(value):
    """The month asked for (default: the one districts report now), or None when it is not a past or
    current month written YYYY-MM."""
    if value in (None, ""):
        return reporting_period()
    period = parse_month(value)
    if period is None or period > month_of(timezone.localdate()):
        return None
    return period


BAD_PERIOD = gettext_lazy("月份应为 YYYY-MM，且不能是未来的月份。")
PERIOD = OpenApiParameter("period", str, description="YYYY-MM；默认为当前填报月份（上月）", required=False)


class ReportImportTemplate(APIView):
    """The month's template: one row per project the user reports for, with last month's figures."""

    @extend_schema(
        parameters=[PERIOD],
        responses={(200, XLSX): OpenApiResponse(OpenApiTypes.BINARY), 400: OpenApiTypes.OBJECT},
        summary="月报批量填报模板",
    )
    def get(self, request):
        access.require_role(request.user, *access.EDITORS)
        period = _period(request.query_params.get("period"))
        if period is None:
            return Response({"period": [str(BAD_PERIOD)]}, status=status.HTTP_400_BAD_REQUEST)
        stream = io.BytesIO()
        report_template_workbook(user=request.user, period=period).save(stream)
        stream.seek(0)
        return FileResponse(
            stream, as_attachment=True, filename=f"progress-{period:%Y-%m}.xlsx", content_type=XLSX
        )


def _shown(rows: list[dict]) -> list[dict]:
    return [
        {
            "row": row["row"],
            "action": row["action"],
            "code": row["code"],
            "name": row["name"],
            "district": row["district"],
            "completed_amount": str(row["completed_amount"]),
            "progress_percent": str(row["progress_percent"]),
            **({"id": row["id"]} if row["id"] is not None else {}),
        }
        for row in rows
    ]


class ReportImport(APIView):
    """The month's rows for all the user's projects in one transaction, or none: new reports become drafts,
    drafts and returned ones are updated, submitted and accepted ones are refused; every error comes back by
    row and column. `dry_run=true` checks and answers 200 with what would be written."""

    parser_classes = [MultiPartParser]
    write_roles = access.EDITORS

    @extend_schema(
        request={
            "multipart/form-data": inline_serializer(
                "ReportImportUpload",
                {
                    "file": serializers.FileField(),
                    "period": serializers.CharField(required=False, help_text="YYYY-MM；默认为上月"),
                    "dry_run": serializers.BooleanField(required=False),
                },
            )
        },
        responses={
            201: inline_serializer(
                "ReportImportCreated",
                {
                    "period": serializers.CharField(),
                    "created": serializers.IntegerField(),
                    "updated": serializers.IntegerField(),
                    "unchanged": serializers.IntegerField(),
                    "reports": serializers.ListField(),
                },
            ),
            200: inline_serializer(
                "ReportImportPreview",
                {
                    "period": serializers.CharField(),
                    "would_create": serializers.IntegerField(),
                    "would_update": serializers.IntegerField(),
                    "unchanged": serializers.IntegerField(),
                    "reports": serializers.ListField(),
                },
            ),
            400: OpenApiTypes.OBJECT,
        },
        summary="批量导入月报",
    )
    def post(self, request):
        period = _period(request.data.get("period"))
        if period is None:
            return Response({"period": [str(BAD_PERIOD)]}, status=status.HTTP_400_BAD_REQUEST)
        upload, dry_run = request.FILES.get("file"), _dry_run(request)
        if upload is None:
            return Response({"file": [str(NO_FILE)]}, status=status.HTTP_400_BAD_REQUEST)
        try:
            if not dry_run:
                rows = count_rows(upload)
                if over("IMPORT_JOB_THRESHOLD", rows):
                    return _as_job(
                        request,
                        upload,
                        rows=rows,
                        kind=JobKind.REPORTS_IMPORT,
                        params={"period": period.isoformat()},
                    )
            result = import_reports(upload, user=request.user, period=period, commit=not dry_run)
        except ImportFileError as error:
            return Response({"file": [str(error)]}, status=status.HTTP_400_BAD_REQUEST)
        if not result.ok:
            return Response({"errors": result.errors}, status=status.HTTP_400_BAD_REQUEST)
        body = {
            "period": f"{period:%Y-%m}",
            "unchanged": result.count("unchanged"),
            "reports": _shown(result.rows),
        }
        if dry_run:
            return Response(
                {"would_create": result.count("create"), "would_update": result.count("update"), **body}
            )
        return Response(
            {"created": len(result.created), "updated": len(result.updated), **body},
            status=status.HTTP_201_CREATED,
        )
