"""A project's preparatory procedures (前期手续) and the documents kept with it (附件)."""

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from portfolio.access import ScopedQuerySet
from portfolio.labels import ChoiceLabels
from portfolio.validators import plausible_date

from ..choices import DocumentKind, ProcedureKind, ProcedureStatus
from .project import Project

# A document is at most this large; its type is decided from its content (projects.documents).
DOCUMENT_MAX_BYTES = 20 * 1024 * 1024


class Procedure(ChoiceLabels, models.Model):
    """One preparatory procedure of a project. A kind without a row is 未办理: rows are written when a
    procedure is recorded, so a new project has none."""

    project = models.ForeignKey(Project, models.PROTECT, related_name="procedures", verbose_name=_("项目"))
    kind = models.CharField(_("手续"), max_length=24, choices=ProcedureKind.choices)
    status = models.CharField(
        _("办理状态"), max_length=12, choices=ProcedureStatus.choices, default=ProcedureStatus.PENDING
    )
    approval_no = models.CharField(_("批复文号"), max_length=100, blank=True)
    approved_on = models.DateField(_("批复日期"), null=True, blank=True, validators=[plausible_date])
    authority = models.CharField(_("审批机关"), max_length=100, blank=True)
    note = models.TextField(_("备注"), blank=True)
    updated_at = models.DateTimeField(_("更新时间"), default=timezone.now)

    objects = ScopedQuerySet.as_manager()
    scope_path = "project__district"

    class Meta:
        ordering = ["project", "kind"]
        verbose_name = _("前期手续")
        verbose_name_plural = _("前期手续")
        constraints = [
            models.UniqueConstraint(
                fields=["project", "kind"],
                name="procedure_one_per_kind",
                violation_error_message=_("该项目已有这项前期手续的记录。"),
            ),
            models.CheckConstraint(condition=Q(kind__in=ProcedureKind.values), name="procedure_kind_valid"),
            models.CheckConstraint(
                condition=Q(status__in=ProcedureStatus.values), name="procedure_status_valid"
            ),
            models.CheckConstraint(
                condition=~Q(status=ProcedureStatus.DONE, approval_no=""),
                name="procedure_done_has_number",
                violation_error_message=_("已办结的手续须填写批复文号。"),
            ),
        ]

    def __str__(self):
        return f"{self.get_kind_display()}：{self.get_status_display()}"

    def clean(self):
        super().clean()
        if self.status == ProcedureStatus.DONE and not self.approval_no.strip():
            raise ValidationError({"approval_no": _("已办结的手续须填写批复文号。")})
        if self.approved_on and self.status not in (ProcedureStatus.DONE, ProcedureStatus.NOT_NEEDED):
            raise ValidationError({"approved_on": _("只有已办结的手续才有批复日期。")})


def document_path(document: "Document", filename: str) -> str:
    """Where a document lies in storage: under its project, by a random name; the name the user gave is
    kept on the row, never used as a path."""
    return f"documents/{document.project_id}/{document.stored_name}"


class Document(ChoiceLabels, models.Model):
    """A file kept with a project, optionally with one of its procedures, funding lines or loans."""

    project = models.ForeignKey(Project, models.PROTECT, related_name="documents", verbose_name=_("项目"))
    procedure = models.ForeignKey(
        Procedure, models.PROTECT, null=True, blank=True, related_name="documents", verbose_name=_("前期手续")
    )
    funding_line = models.ForeignKey(
        "financing.FundingLine",
        models.PROTECT,
        null=True,
        blank=True,
        related_name="documents",
        verbose_name=_("资金来源"),
    )
    loan = models.ForeignKey(
        "financing.Loan",
        models.PROTECT,
        null=True,
        blank=True,
        related_name="documents",
        verbose_name=_("贷款"),
    )
    kind = models.CharField(_("类型"), max_length=12, choices=DocumentKind.choices)
    title = models.CharField(_("标题"), max_length=200)
    file = models.FileField(_("文件"), upload_to=document_path, max_length=300)
    # The random name the file is stored under (with the extension of its detected type).
    stored_name = models.CharField(_("存储名"), max_length=80, unique=True)
    original_name = models.CharField(_("原文件名"), max_length=200)
    size = models.PositiveBigIntegerField(_("大小（字节）"))
    content_type = models.CharField(_("文件类型"), max_length=100)
    sha256 = models.CharField(_("SHA-256"), max_length=64)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("上传人"),
    )
    uploaded_at = models.DateTimeField(_("上传时间"), default=timezone.now)

    objects = ScopedQuerySet.as_manager()
    scope_path = "project__district"
    # No bank sees a project's documents (lender_paths left empty).

    class Meta:
        ordering = ["project", "-uploaded_at", "-pk"]
        verbose_name = _("附件")
        verbose_name_plural = _("附件")
        indexes = [models.Index(fields=["project", "kind"])]
        constraints = [
            models.CheckConstraint(condition=Q(kind__in=DocumentKind.values), name="document_kind_valid"),
            models.CheckConstraint(
                condition=Q(size__gt=0, size__lte=DOCUMENT_MAX_BYTES),
                name="document_size_bounded",
                violation_error_message=_("文件大小应在 1 字节至 20 MB 之间。"),
            ),
            models.CheckConstraint(
                condition=Q(sha256__regex=r"^[0-9a-f]{64}$"), name="document_sha256_shape"
            ),
            # At most one of a procedure, a funding line and a loan.
            models.CheckConstraint(
                condition=Q(procedure__isnull=True, funding_line__isnull=True)
                | Q(procedure__isnull=True, loan__isnull=True)
                | Q(funding_line__isnull=True, loan__isnull=True),
                name="document_one_attachment",
                violation_error_message=_("附件最多关联一项前期手续、资金来源或贷款。"),
            ),
        ]

    def __str__(self):
        return self.title

    def clean(self):
        super().clean()
        for field in ("procedure", "funding_line", "loan"):
            related = getattr(self, field) if getattr(self, f"{field}_id") else None
            if related is not None and self.project_id and related.project_id != self.project_id:
                raise ValidationError({field: _("所选记录不属于该项目。")})
