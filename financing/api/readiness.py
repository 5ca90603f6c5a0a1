"""The 申报 API: batches (`batches`) with their close step, batch entries (`batch-entries`) with the outcome
step, a batch's application list as Excel, and the readiness read used by the projects API.

City staff write; finance and district users read (a district user only its own projects' entries);
lenders are refused (403, the default of HasRole)."""

from django.http import FileResponse
from django.shortcuts import get_object_or_404
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema
from rest_framework import mixins, serializers
from rest_framework.decorators import action
from rest_framework.generics import GenericAPIView
from rest_framework.response import Response

from financing import batches as services
from financing import readiness
from financing.batch_excel import batch_workbook
from financing.choices import EntryOutcome
from financing.models import ApplicationBatch, BatchEntry
from portfolio import access
from portfolio.api.exports import WORKBOOK
from portfolio.api.fields import ScopedRelatedField
from portfolio.api.viewsets import ServiceModelViewSet
from portfolio.excel import XLSX, save_to_temp, today_stamp
from portfolio.jobs import services as jobs
from portfolio.jobs.http import job_answer, over
from portfolio.jobs.models import JobKind
from projects.models import Project

STAFF = (access.CITY_STAFF,)


# Readiness


class ProgrammeReadinessSerializer(serializers.Serializer):
    programme = serializers.CharField(help_text=_("资金渠道代码（source type）"))
    label = serializers.CharField()
    ready = serializers.BooleanField()
    missing = serializers.ListField(child=serializers.CharField())


class ReadinessSerializer(serializers.Serializer):
    programmes = ProgrammeReadinessSerializer(many=True)


def readiness_data(*, project: Project) -> dict:
    """`{"programmes": [{"programme", "label", "ready", "missing"}…]}` for every active programme."""
    return {
        "programmes": [
            {"programme": v.programme, "label": v.label, "ready": v.ready, "missing": v.missing}
            for v in readiness.project_readiness(project=project)
        ]
    }


# Batches


class BatchSerializer(serializers.ModelSerializer):
    entry_count = serializers.IntegerField(read_only=True)
    opened_by = serializers.SlugRelatedField(slug_field="username", read_only=True, allow_null=True)

    class Meta:
        model = ApplicationBatch
        fields = [
            "id",
            "programme",
            "year",
            "name",
            "status",
            "deadline",
            "note",
            "opened_by",
            "opened_at",
            "entry_count",
        ]
        read_only_fields = ["status", "opened_by", "opened_at"]
        validators = []
        extra_kwargs = {"year": {"min_value": 2000, "max_value": 2100}}

    def create(self, validated_data):
        return services.batch_open(acting_user=self.context["request"].user, **validated_data)

    def update(self, instance, validated_data):
        return services.batch_update(
            acting_user=self.context["request"].user, batch=instance, **validated_data
        )


class BatchViewSet(ServiceModelViewSet):
    """申报批次. City staff open one for a programme and year, change its name, deadline or note (its
    programme and year only while empty), and close it."""

    serializer_class = BatchSerializer
    filterset_class = readiness.BatchFilterSet
    selector = staticmethod(readiness.batch_list)
    write_roles = STAFF
    reread_after_write = True  # the entry count is computed

    @extend_schema(request=None, responses=BatchSerializer)
    @action(detail=True, methods=["post"])
    def close(self, request, pk=None):
        batch = self.get_object()
        services.batch_close(acting_user=request.user, batch=batch)
        return Response(self.get_serializer(self.get_queryset().get(pk=batch.pk)).data)


class BatchEntrySerializer(serializers.ModelSerializer):
    batch = serializers.PrimaryKeyRelatedField(queryset=ApplicationBatch.objects.all())
    project = ScopedRelatedField(queryset=Project.objects.all())
    override = serializers.BooleanField(
        write_only=True, required=False, default=False, help_text=_("项目不满足申报条件时越过条件加入")
    )
    added_by = serializers.SlugRelatedField(slug_field="username", read_only=True, allow_null=True)
    missing = serializers.ListField(child=serializers.CharField(), read_only=True)

    class Meta:
        model = BatchEntry
        fields = [
            "id",
            "batch",
            "project",
            "requested_amount",
            "override",
            "overridden",
            "override_reason",
            "missing",
            "outcome",
            "approved_amount",
            "document_no",
            "decided_on",
            "funding_line",
            "added_by",
            "added_at",
        ]
        read_only_fields = [
            "overridden",
            "outcome",
            "approved_amount",
            "document_no",
            "decided_on",
            "funding_line",
            "added_at",
        ]
        validators = []
        extra_kwargs = {"requested_amount": {"min_value": 0}}

    def get_fields(self):
        fields = super().get_fields()
        if self.instance is not None and not isinstance(self.instance, list | tuple):
            for name in ("batch", "project", "override", "override_reason"):
                fields[name].read_only = True
        return fields

    def create(self, validated_data):
        return services.batch_entry_add(acting_user=self.context["request"].user, **validated_data)

    def update(self, instance, validated_data):
        if "requested_amount" not in validated_data:
            return instance
        return services.batch_entry_update(
            acting_user=self.context["request"].user,
            entry=instance,
            requested_amount=validated_data["requested_amount"],
        )


class OutcomeSerializer(serializers.Serializer):
    outcome = serializers.ChoiceField(
        choices=[(c, label) for c, label in EntryOutcome.choices if c != EntryOutcome.PENDING]
    )
    approved_amount = serializers.DecimalField(
        max_digits=16, decimal_places=2, min_value=0, required=False, allow_null=True
    )
    document_no = serializers.CharField(max_length=100, required=False, allow_blank=True, default="")
    decided_on = serializers.DateField(required=False, allow_null=True)


class BatchEntryViewSet(mixins.DestroyModelMixin, ServiceModelViewSet):
    """申报项目. City staff put a project forward in an open batch (an unready one refused with what it
    lacks, or added with `override` and `override_reason`), change the amount or take it out while pending,
    and record the outcome, which writes the project's funding line."""

    serializer_class = BatchEntrySerializer
    filterset_class = readiness.BatchEntryFilterSet
    selector = staticmethod(readiness.batch_entry_list)
    write_roles = STAFF

    def perform_destroy(self, instance):
        services.batch_entry_remove(acting_user=self.request.user, entry=instance)

    @extend_schema(request=OutcomeSerializer, responses=BatchEntrySerializer)
    @action(detail=True, methods=["post"])
    def outcome(self, request, pk=None):
        entry = self.get_object()
        body = OutcomeSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        services.batch_entry_outcome(acting_user=request.user, entry=entry, **body.validated_data)
        return Response(self.get_serializer(self.get_queryset().get(pk=entry.pk)).data)


@extend_schema(responses=WORKBOOK, summary="申报批次项目申报表（Excel）")
class BatchExport(GenericAPIView):
    """A batch's application list (项目申报表): the entries the user sees."""

    pagination_class = None
    filter_backends = ()

    def get_queryset(self):
        return ApplicationBatch.objects.visible_to(self.request.user)

    def get(self, request, pk):
        batch = get_object_or_404(self.get_queryset(), pk=pk)
        entries = readiness.batch_entries(user=request.user, batch=batch)
        filename = f"batch-{batch.pk}-{today_stamp()}.xlsx"
        size = len(entries)
        if over("EXPORT_JOB_THRESHOLD", size):
            job = jobs.job_submit(
                owner=request.user,
                kind=JobKind.BATCH_EXPORT,
                params={"batch": batch.pk},
                total=size,
                download_name=filename,
                content_type=XLSX,
            )
            return job_answer(request, job)
        workbook, _counts = batch_workbook(
            batch=batch, entries=entries, user=request.user, scope=access.scope_label(request.user)
        )
        return FileResponse(save_to_temp(workbook), as_attachment=True, filename=filename, content_type=XLSX)


def run_batch_export(job, progress) -> jobs.Outcome:
    """The batch's application list a job was asked for, as its owner sees it (a batch it no longer sees
    is a failure that says so)."""
    batch = ApplicationBatch.objects.visible_to(job.owner).filter(pk=job.params["batch"]).first()
    if batch is None:
        raise jobs.JobFailure(_("该申报批次已不存在或您已无权查看。"))
    entries = readiness.batch_entries(user=job.owner, batch=batch)
    total = len(entries)
    progress(0, total)
    workbook, _counts = batch_workbook(
        batch=batch, entries=entries, user=job.owner, scope=access.scope_label(job.owner)
    )
    return jobs.Outcome(file=save_to_temp(workbook), download_name=job.download_name, content_type=XLSX)
