"""The monthly dispatch's records: annual investment plans, monthly progress reports, and problems."""

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from portfolio.access import ScopedQuerySet
from portfolio.labels import ChoiceLabels
from portfolio.validators import plausible_date

from ..choices import PlanKind, PlanStatus, ProblemCategory, ProblemStatus, ReportStatus
from .project import Project

MONEY = {"max_digits": 16, "decimal_places": 2}


class InvestmentPlan(ChoiceLabels, models.Model):
    """年度投资计划: what a project is to invest in a year, drafted by its district, confirmed by the city."""

    project = models.ForeignKey(
        Project, models.PROTECT, related_name="investment_plans", verbose_name=_("项目")
    )
    year = models.PositiveSmallIntegerField(_("年度"))
    planned_amount = models.DecimalField(_("年度计划投资（元）"), **MONEY)
    kind = models.CharField(_("计划类型"), max_length=16, choices=PlanKind.choices)
    completes_this_year = models.BooleanField(_("计划当年竣工"), default=False)
    target = models.TextField(_("年度建设目标"), blank=True)
    status = models.CharField(_("状态"), max_length=12, choices=PlanStatus.choices, default=PlanStatus.DRAFT)
    confirmed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("确认人"),
    )
    confirmed_at = models.DateTimeField(_("确认时间"), null=True, blank=True)
    created_at = models.DateTimeField(_("创建时间"), default=timezone.now)
    updated_at = models.DateTimeField(_("更新时间"), default=timezone.now)

    objects = ScopedQuerySet.as_manager()
    scope_path = "project__district"

    class Meta:
        ordering = ["project", "year"]
        verbose_name = _("年度投资计划")
        verbose_name_plural = _("年度投资计划")
        constraints = [
            models.UniqueConstraint(
                fields=["project", "year"],
                name="plan_one_per_project_and_year",
                violation_error_message=_("该项目该年度已有投资计划。"),
            ),
            models.CheckConstraint(
                condition=Q(planned_amount__gte=0),
                name="plan_amount_not_negative",
                violation_error_message=_("年度计划投资不能为负数。"),
            ),
            models.CheckConstraint(
                condition=Q(year__gte=2000, year__lte=2100),
                name="plan_year_plausible",
                violation_error_message=_("年度应在 2000 至 2100 年之间。"),
            ),
            models.CheckConstraint(condition=Q(kind__in=PlanKind.values), name="plan_kind_valid"),
            models.CheckConstraint(condition=Q(status__in=PlanStatus.values), name="plan_status_valid"),
        ]

    def __str__(self):
        return f"{self.year} 年度投资计划"


class ProgressReport(ChoiceLabels, models.Model):
    """月报: what a project invested in one month and how far it got. `period` is the month's first day."""

    project = models.ForeignKey(
        Project, models.PROTECT, related_name="progress_reports", verbose_name=_("项目")
    )
    period = models.DateField(_("月份"), validators=[plausible_date])
    completed_amount = models.DecimalField(_("本月完成投资（元）"), default=0, **MONEY)
    progress_percent = models.DecimalField(_("形象进度（%）"), max_digits=4, decimal_places=1, default=0)
    physical_progress = models.TextField(_("形象进度"), blank=True)
    problems_note = models.TextField(_("存在问题"), blank=True)
    status = models.CharField(
        _("状态"), max_length=12, choices=ReportStatus.choices, default=ReportStatus.DRAFT
    )
    review_comment = models.TextField(_("审核意见"), blank=True)
    first_submitted_at = models.DateTimeField(_("首次报送时间"), null=True, blank=True)
    submitted_at = models.DateTimeField(_("最近报送时间"), null=True, blank=True)
    reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("审核人"),
    )
    reviewed_at = models.DateTimeField(_("审核时间"), null=True, blank=True)
    # Raised by every service that changes the report; a stale form or API client is refused.
    version = models.PositiveIntegerField(_("版本"), default=1)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("填报人"),
    )
    created_at = models.DateTimeField(_("创建时间"), default=timezone.now)
    updated_at = models.DateTimeField(_("更新时间"), default=timezone.now)

    objects = ScopedQuerySet.as_manager()
    scope_path = "project__district"

    class Meta:
        ordering = ["project", "period"]
        verbose_name = _("月报")
        verbose_name_plural = _("月报")
        indexes = [
            models.Index(fields=["period", "status"]),
            models.Index(fields=["status", "submitted_at"]),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["project", "period"],
                name="report_one_per_project_and_month",
                violation_error_message=_("该项目该月已有月报。"),
            ),
            models.CheckConstraint(
                condition=Q(completed_amount__gte=0),
                name="report_amount_not_negative",
                violation_error_message=_("本月完成投资不能为负数。"),
            ),
            models.CheckConstraint(
                condition=Q(progress_percent__gte=0, progress_percent__lte=100),
                name="report_percent_within_0_100",
                violation_error_message=_("形象进度应在 0 至 100 之间。"),
            ),
            models.CheckConstraint(condition=Q(period__day=1), name="report_period_is_a_month"),
            models.CheckConstraint(condition=Q(status__in=ReportStatus.values), name="report_status_valid"),
        ]

    def __str__(self):
        return f"{self.period:%Y-%m} 月报"

    @property
    def period_label(self) -> str:
        return f"{self.period:%Y-%m}"


class Problem(ChoiceLabels, models.Model):
    """问题协调: something blocking a project, who is to solve it, by when, and how it was solved."""

    project = models.ForeignKey(Project, models.PROTECT, related_name="problems", verbose_name=_("项目"))
    report = models.ForeignKey(
        ProgressReport,
        models.SET_NULL,
        null=True,
        blank=True,
        related_name="raised_problems",
        verbose_name=_("来源月报"),
    )
    category = models.CharField(_("问题类别"), max_length=16, choices=ProblemCategory.choices)
    description = models.TextField(_("问题描述"))
    responsible_unit = models.CharField(_("责任单位"), max_length=100, blank=True)
    raised_on = models.DateField(_("提出日期"), default=timezone.localdate, validators=[plausible_date])
    due_on = models.DateField(_("要求解决日期"), null=True, blank=True, validators=[plausible_date])
    status = models.CharField(
        _("状态"), max_length=12, choices=ProblemStatus.choices, default=ProblemStatus.OPEN
    )
    resolved_on = models.DateField(_("解决日期"), null=True, blank=True, validators=[plausible_date])
    resolution = models.TextField(_("解决情况"), blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("提出人"),
    )
    created_at = models.DateTimeField(_("创建时间"), default=timezone.now)

    objects = ScopedQuerySet.as_manager()
    scope_path = "project__district"

    class Meta:
        ordering = ["project", "raised_on", "pk"]
        verbose_name = _("问题")
        verbose_name_plural = _("问题")
        indexes = [models.Index(fields=["status", "due_on"])]
        constraints = [
            models.CheckConstraint(
                condition=Q(category__in=ProblemCategory.values), name="problem_category_valid"
            ),
            models.CheckConstraint(condition=Q(status__in=ProblemStatus.values), name="problem_status_valid"),
            models.CheckConstraint(
                condition=~Q(status=ProblemStatus.RESOLVED)
                | (Q(resolved_on__isnull=False) & ~Q(resolution="")),
                name="problem_resolved_has_date_and_resolution",
                violation_error_message=_("标记为已解决时须填写解决日期和解决情况。"),
            ),
            models.CheckConstraint(
                condition=Q(due_on__isnull=True) | Q(due_on__gte=F("raised_on")),
                name="problem_due_after_raised",
                violation_error_message=_("要求解决日期不能早于提出日期。"),
            ),
        ]

    def __str__(self):
        return self.description[:40]

    def clean(self):
        super().clean()
        if self.status == ProblemStatus.OPEN and (self.resolved_on or self.resolution.strip()):
            raise ValidationError({"status": _("填写了解决情况的问题应标记为已解决。")})
        if self.resolved_on and self.raised_on and self.resolved_on < self.raised_on:
            raise ValidationError({"resolved_on": _("解决日期不能早于提出日期。")})

    @property
    def is_overdue(self) -> bool:
        return (
            self.status == ProblemStatus.OPEN
            and self.due_on is not None
            and self.due_on < timezone.localdate()
        )
