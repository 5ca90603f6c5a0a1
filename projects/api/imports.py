"""GET /api/v1/imports/projects/template.xlsx and POST /api/v1/imports/projects/ (multipart `file`)."""

import io

from django.http import FileResponse
from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, extend_schema, inline_serializer
from rest_framework import serializers, status
from rest_framework.parsers import MultiPartParser
from rest_framework.response import Response
from rest_framework.views import APIView

from portfolio import access
from portfolio.excel import XLSX
from projects.excel import template_workbook
from projects.imports import ImportFileError, import_projects


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
        upload = request.FILES.get("file")
        if upload is None:
            return Response(
                {"file": [_("请上传 .xlsx 文件（字段名 file）。")]}, status=status.HTTP_400_BAD_REQUEST
            )
        dry_run = str(request.data.get("dry_run", "")).lower() in {"1", "true", "yes", "on"}
        try:
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
