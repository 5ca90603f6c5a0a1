"""申报: each funding programme's conditions (the city's data, edited in the admin), and the batches in which
the city puts ready projects forward for a programme and records what each was granted."""

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from portfolio.access import ScopedQuerySet
from portfolio.labels import ChoiceLabels
from portfolio.validators import plausible_date
from projects.choices import Category, ProcedureKind, Stage

from ..choices import BatchStatus, EntryOutcome, SourceType
from .ledger import MONEY, FundingLine


class ProgrammeRule(ChoiceLabels, models.Model):
    """申报条件 of one funding programme: a project is ready for it when it meets every one of these."""

    programme = models.CharField(_("资金渠道"), max_length=32, choices=SourceType.choices, unique=True)
    active = models.BooleanField(_("启用"), default=True, help_text=_("停用的渠道不做申报条件检查"))
    required_procedures = models.JSONField(
        _("须办结的前期手续"), default=list, blank=True, help_text=_("已办结或无需办理即满足")
    )
    requires_national_code = models.BooleanField(_("须有全国投资项目代码"), default=True)
    stages = models.JSONField(_("支持的阶段"), default=list, blank=True, help_text=_("不选即不限阶段"))
    categories = models.JSONField(_("支持的类别"), default=list, blank=True, help_text=_("不选即不限类别"))
    min_revenue_coverage = models.DecimalField(
        _("本息覆盖倍数下限"),
        max_digits=5,
        decimal_places=2,
        null=True,
        blank=True,
        help_text=_("项目预期收益 ÷ 融资本息不得低于此倍数，如 1.20；不填即不要求收益与融资自求平衡"),
    )
    note = models.TextField(_("说明"), blank=True)
    updated_at = models.DateTimeField(_("更新时间"), default=timezone.now)

    objects = ScopedQuerySet.as_manager()
    scope_path = None  # the city's rules, read by every member
    lender_paths = ()

    class Meta:
        ordering = ["programme"]
        verbose_name = _("申报条件")
        verbose_name_plural = _("申报条件")
        constraints = [
            models.CheckConstraint(
                condition=Q(programme__in=SourceType.values), name="programme_rule_programme_valid"
            ),
            models.CheckConstraint(
                condition=Q(min_revenue_coverage__isnull=True) | Q(min_revenue_coverage__gt=0),
                name="programme_rule_coverage_positive",
                violation_error_message=_("本息覆盖倍数下限必须大于零。"),
            ),
        ]

    def __str__(self):
        return str(self.get_programme_display())

    def clean(self):
        super().clean()
        for field, codes in (
            ("required_procedures", ProcedureKind.values),
            ("stages", Stage.values),
            ("categories", Category.values),
        ):
            value = getattr(self, field)
            if not isinstance(value, list) or any(code not in codes for code in value):
                raise ValidationError(
                    {field: _("包含无效的代码：应为 %(codes)s 之一。") % {"codes": "、".join(codes)}}
                )


class ApplicationBatch(ChoiceLabels, models.Model):
    """申报批次: one round of applications to a programme, e.g. 2026年第二批专项债券."""

    programme = models.CharField(_("资金渠道"), max_length=32, choices=SourceType.choices)
    year = models.PositiveSmallIntegerField(_("年度"))
    name = models.CharField(_("批次名称"), max_length=100)
    status = models.CharField(_("状态"), max_length=12, choices=BatchStatus.choices, default=BatchStatus.OPEN)
    deadline = models.DateField(_("申报截止日期"), null=True, blank=True, validators=[plausible_date])
    note = models.TextField(_("说明"), blank=True)
    opened_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("创建人"),
    )
    opened_at = models.DateTimeField(_("创建时间"), default=timezone.now)

    objects = ScopedQuerySet.as_manager()
    scope_path = None  # every member sees the batches; a district user only its own projects' entries
    lender_paths = ()

    class Meta:
        ordering = ["-year", "programme", "name"]
        verbose_name = _("申报批次")
        verbose_name_plural = _("申报批次")
        constraints = [
            models.UniqueConstraint(
                fields=["programme", "year", "name"],
                name="batch_unique_name",
                violation_error_message=_("该资金渠道当年已有同名批次。"),
            ),
            models.CheckConstraint(
                condition=Q(programme__in=SourceType.values), name="batch_programme_valid"
            ),
            models.CheckConstraint(condition=Q(status__in=BatchStatus.values), name="batch_status_valid"),
            models.CheckConstraint(
                condition=Q(year__gte=2000, year__lte=2100),
                name="batch_year_plausible",
                violation_error_message=_("年度应在 2000 至 2100 年之间。"),
            ),
        ]

    def __str__(self):
        return self.name

    def get_absolute_url(self):
        return reverse("financing:batch_detail", args=[self.pk])


class BatchEntry(ChoiceLabels, models.Model):
    """One project put forward in a batch, and what it was granted. A project that was not ready is in
    only by override, with the reason and what it lacked then."""

    batch = models.ForeignKey(
        ApplicationBatch, models.PROTECT, related_name="entries", verbose_name=_("申报批次")
    )
    project = models.ForeignKey(
        "projects.Project", models.PROTECT, related_name="batch_entries", verbose_name=_("项目")
    )
    requested_amount = models.DecimalField(_("申报金额（元）"), **MONEY)
    overridden = models.BooleanField(_("越过条件"), default=False)
    override_reason = models.TextField(_("越过理由"), blank=True)
    missing = models.JSONField(_("加入时未满足的条件"), default=list, blank=True)
    outcome = models.CharField(
        _("批复结果"), max_length=12, choices=EntryOutcome.choices, default=EntryOutcome.PENDING
    )
    approved_amount = models.DecimalField(_("获批金额（元）"), null=True, blank=True, **MONEY)
    document_no = models.CharField(_("批复文号"), max_length=100, blank=True)
    decided_on = models.DateField(_("批复日期"), null=True, blank=True, validators=[plausible_date])
    # The project's funding line this outcome wrote (created at the first outcome, updated after).
    funding_line = models.OneToOneField(
        FundingLine,
        models.PROTECT,
        null=True,
        blank=True,
        related_name="batch_entry",
        verbose_name=_("资金来源"),
    )
    added_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("加入人"),
    )
    added_at = models.DateTimeField(_("加入时间"), default=timezone.now)

    objects = ScopedQuerySet.as_manager()
    scope_path = "project__district"
    lender_paths = ()

    class Meta:
        ordering = ["batch", "project__district", "project__code"]
        verbose_name = _("申报项目")
        verbose_name_plural = _("申报项目")
        constraints = [
            models.UniqueConstraint(
                fields=["batch", "project"],
                name="batch_entry_once",
                violation_error_message=_("该项目已在本批次中。"),
            ),
            models.CheckConstraint(
                condition=Q(requested_amount__gt=0),
                name="batch_entry_amount_positive",
                violation_error_message=_("申报金额必须大于零。"),
            ),
            models.CheckConstraint(
                condition=~Q(overridden=True, override_reason=""),
                name="batch_entry_override_has_reason",
                violation_error_message=_("越过条件加入批次必须填写理由。"),
            ),
            models.CheckConstraint(
                condition=Q(outcome__in=EntryOutcome.values), name="batch_entry_outcome_valid"
            ),
            models.CheckConstraint(
                condition=~Q(outcome=EntryOutcome.APPROVED)
                | Q(approved_amount__gt=0, decided_on__isnull=False) & ~Q(document_no=""),
                name="batch_entry_approved_complete",
                violation_error_message=_("获批须填写大于零的获批金额、批复文号和批复日期。"),
            ),
        ]

    def __str__(self):
        return f"{self.batch} · {self.project}"
