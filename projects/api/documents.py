"""The `documents` API: a project's files (附件). Created by a multipart POST with `file`, read back at
`/api/v1/documents/{id}/download/` (scope-checked, as an attachment), deleted by city staff. No bank sees
any (lender_allowed is left off)."""

from django.core.files.storage import default_storage
from django.http import Http404
from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, extend_schema, extend_schema_view
from rest_framework import mixins, negotiation, parsers, serializers
from rest_framework.decorators import action
from rest_framework.exceptions import ParseError

from financing.models import FundingLine, Loan
from portfolio import access
from portfolio.api.fields import ScopedRelatedField
from portfolio.api.viewsets import RecordOnlyViewSet
from projects.documents import (
    FILE_TYPES,
    RawNameMultiPartParser,
    attachment_response,
    path_refusal,
    sent_name,
)
from projects.models import Project
from projects.models.preparation import Document, Procedure
from projects.selectors.documents import DocumentFilterSet, document_list
from projects.services import documents as services


class DocumentMultiPartParser(parsers.MultiPartParser):
    """DRF's multipart parser over RawNameMultiPartParser: the file names as sent are kept on the request
    (`raw_file_names`), so that a name with a path in it is refused rather than silently cut."""

    def parse(self, stream, media_type=None, parser_context=None):
        from django.http.multipartparser import MultiPartParserError
        from rest_framework.parsers import DataAndFiles

        parser_context = parser_context or {}
        request = parser_context["request"]
        meta = request.META.copy()
        meta["CONTENT_TYPE"] = media_type
        parser = RawNameMultiPartParser(
            meta, stream, request.upload_handlers, parser_context.get("encoding", "utf-8")
        )
        try:
            data, files = parser.parse()
        except MultiPartParserError as error:
            raise ParseError(_("multipart 请求体无法解析：%(e)s") % {"e": error}) from error
        finally:
            request._request.raw_file_names = parser.raw_file_names
        return DataAndFiles(data, files)


class FileNegotiation(negotiation.BaseContentNegotiation):
    """The download answers the file in its own type whatever the client accepts, and an error as JSON."""

    def select_parser(self, request, parsers):
        return parsers[0] if parsers else None

    def select_renderer(self, request, renderers, format_suffix=None):
        return renderers[0], renderers[0].media_type


class DocumentSerializer(serializers.ModelSerializer):
    project = ScopedRelatedField(queryset=Project.objects.all())
    procedure = ScopedRelatedField(queryset=Procedure.objects.all(), required=False, allow_null=True)
    funding_line = ScopedRelatedField(queryset=FundingLine.objects.all(), required=False, allow_null=True)
    loan = ScopedRelatedField(queryset=Loan.objects.all(), required=False, allow_null=True)
    file = serializers.FileField(write_only=True, help_text="PDF、OFD、JPEG、PNG、DOCX 或 XLSX，≤ 20 MB")
    title = serializers.CharField(max_length=200, required=False, allow_blank=True)
    uploaded_by = serializers.SlugRelatedField(slug_field="username", read_only=True, allow_null=True)

    class Meta:
        model = Document
        fields = [
            "id",
            "project",
            "procedure",
            "funding_line",
            "loan",
            "kind",
            "title",
            "file",
            "original_name",
            "size",
            "content_type",
            "sha256",
            "uploaded_by",
            "uploaded_at",
        ]
        read_only_fields = ["original_name", "size", "content_type", "sha256", "uploaded_at"]
        validators = []

    def create(self, validated_data):
        request = self.context["request"]
        upload = validated_data.pop("file")
        return services.document_upload(
            acting_user=request.user,
            original_name=sent_name(getattr(request._request, "raw_file_names", []), upload),
            file=upload,
            **validated_data,
        )


@extend_schema_view(
    create=extend_schema(
        summary="上传附件",
        description="multipart/form-data：`file` 与 `project`、`kind`，可选 `title` 及 `procedure`/"
        "`funding_line`/`loan` 之一。类型按文件内容判断。",
    ),
    destroy=extend_schema(summary="删除附件（市项目办）"),
)
class DocumentViewSet(mixins.DestroyModelMixin, RecordOnlyViewSet):
    serializer_class = DocumentSerializer
    filterset_class = DocumentFilterSet
    selector = staticmethod(document_list)
    parser_classes = [DocumentMultiPartParser]
    # The service decides who uploads to which project (city staff any, a district its own); finance and
    # banks get 403.
    write_roles = access.EDITORS

    def get_permissions(self):
        if self.action == "destroy":
            self.write_roles = (access.CITY_STAFF,)
        return super().get_permissions()

    def perform_destroy(self, instance):
        services.document_delete(acting_user=self.request.user, document=instance)

    @extend_schema(
        summary="下载附件",
        responses={
            (200, kind.content_type): OpenApiResponse(
                response=OpenApiTypes.BINARY, description="附件文件（Content-Disposition: attachment）"
            )
            for kind in FILE_TYPES
        },
    )
    @action(detail=True, methods=["get"], content_negotiation_class=FileNegotiation)
    def download(self, request, pk=None):
        document = self.get_object()
        try:
            handle = default_storage.open(document.file.name, "rb")
        except OSError as missing:
            raise Http404 from missing
        return attachment_response(handle, document)

    def create(self, request, *args, **kwargs):
        request.data  # noqa: B018 - parse the body: the names as sent are then known
        refused = path_refusal(getattr(request._request, "raw_file_names", []))
        if refused:
            raise serializers.ValidationError({"file": [refused]})
        return super().create(request, *args, **kwargs)
