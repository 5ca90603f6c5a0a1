"""GET /api/v1/jobs/{id}/ (what a job is at, and where its file is) and /api/v1/jobs/{id}/download/."""

from django.http import FileResponse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework.response import Response
from rest_framework.views import APIView

from . import selectors
from .http import job_document


class JobView(APIView):
    lender_allowed = True  # a bank's exports run as jobs too

    @extend_schema(
        responses={200: OpenApiResponse(OpenApiTypes.OBJECT, description="后台任务")},
        summary="后台任务的状态、进度与结果",
    )
    def get(self, request, pk):
        return Response(job_document(selectors.job_get(user=request.user, pk=pk), request))


class JobDownload(APIView):
    lender_allowed = True

    @extend_schema(
        responses={200: OpenApiResponse(OpenApiTypes.BINARY, description="任务生成的文件")},
        summary="下载后台任务生成的文件",
    )
    def get(self, request, pk):
        job, handle = selectors.job_file(user=request.user, pk=pk)
        return FileResponse(
            handle,
            as_attachment=True,
            filename=job.download_name or None,
            content_type=job.content_type or None,
        )
