from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from portfolio.access import LENDER_SEES_ALL, ScopedQuerySet
from portfolio.labels import ChoiceLabels
from portfolio.validators import plausible_date

from ..choices import Category, ReviewAction, ReviewStatus, Stage
from ..querysets import MilestoneQuerySet, ProjectQuerySet
from ..validators import NATIONAL_CODE_PATTERN, validate_national_code

NATIONAL_CODE_TAKEN = _("该全国投资项目代码已被其他项目使用。")


class District(ChoiceLabels, models.Model):
    code = models.CharField(_("区划代码"), max_length=6, primary_key=True)
    name = models.CharField(_("名称"), max_length=20, unique=True)

    class Meta:
        ordering = ["code"]
        verbose_name = _("区")
        verbose_name_plural = _("区")

    def __str__(self):
        return self.name


class Unit(ChoiceLabels, models.Model):
    """美丽单元: a named area inside one district."""

    name = models.CharField(_("名称"), max_length=100)
    district = models.ForeignKey(District, models.PROTECT, related_name="units", verbose_name=_("区"))
    description = models.TextField(_("说明"), blank=True)

    objects = ScopedQuerySet.as_manager()
    scope_path = "district"
    lender_paths = LENDER_SEES_ALL

    class Meta:
        ordering = ["district", "name"]
        verbose_name = _("美丽单元")
        verbose_name_plural = _("美丽单元")
        constraints = [
            models.UniqueConstraint(fields=["district", "name"], name="unit_unique_name_in_district"),
        ]

    def __str__(self):
        return self.name


class Project(ChoiceLabels, models.Model):
    code = models.CharField(_("项目编号"), max_length=32, unique=True)
    national_code = models.CharField(
        _("全国投资项目代码"),
        max_length=24,
        null=True,
        blank=True,
        validators=[validate_national_code],
        help_text=_("投资项目在线审批监管平台赋予的 24 位代码，如 2020-440112-77-01-123456"),
    )
    name = models.CharField(_("项目名称"), max_length=200)
    district = models.ForeignKey(District, models.PROTECT, related_name="projects", verbose_name=_("区"))
    unit = models.ForeignKey(
        Unit, models.PROTECT, null=True, blank=True, related_name="projects", verbose_name=_("美丽单元")
    )
    category = models.CharField(_("类别"), max_length=24, choices=Category.choices)
    implementing_org = models.ForeignKey(
        "financing.Organization",
        models.PROTECT,
        null=True,
        blank=True,
        related_name="implemented_projects",
        verbose_name=_("实施主体"),
    )
    content = models.TextField(_("建设内容"), blank=True)
    total_investment = models.DecimalField(_("总投资（元）"), max_digits=16, decimal_places=2)
    start_year = models.PositiveSmallIntegerField(_("计划开工年份"))
    end_year = models.PositiveSmallIntegerField(_("计划完工年份"))
    stage = models.CharField(_("阶段"), max_length=16, choices=Stage.choices, default=Stage.PLANNING)
    review_status = models.CharField(
        _("入库状态"), max_length=16, choices=ReviewStatus.choices, default=ReviewStatus.DRAFT
    )
    remarks = models.TextField(_("备注"), blank=True)
    contact_name = models.CharField(_("联系人"), max_length=50, blank=True)
    contact_phone = models.CharField(_("联系电话"), max_length=30, blank=True)
    # 收益与融资自求平衡: the figures of the financing-balance plan that a special bond (专项债) asks for; the
    # coverage is the revenue over the debt service. The preparatory approvals are the project's procedures.
    expected_revenue = models.DecimalField(
        _("预期收益（元）"),
        max_digits=16,
        decimal_places=2,
        null=True,
        blank=True,
        help_text=_("融资期内项目可用于还本付息的收益合计（元），见收益与融资自求平衡方案"),
    )
    debt_service = models.DecimalField(
        _("融资本息（元）"),
        max_digits=16,
        decimal_places=2,
        null=True,
        blank=True,
        help_text=_("融资期内应还本金与利息合计（元）"),
    )
    # The condition of the move to 实施.
    construction_started_on = models.DateField(
        _("开工日期"), null=True, blank=True, validators=[plausible_date]
    )
    submitted_at = models.DateTimeField(_("最近提交时间"), null=True, blank=True)
    is_demo = models.BooleanField(_("演示数据"), default=False)
    # Raised by every service that changes the project; a stale form or API client is refused.
    version = models.PositiveIntegerField(_("版本"), default=1)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("创建人"),
    )
    created_at = models.DateTimeField(_("创建时间"), default=timezone.now)
    updated_at = models.DateTimeField(_("更新时间"), default=timezone.now)

    objects = ProjectQuerySet.as_manager()
    scope_path = "district"
    # A bank sees the projects its loans finance, those whose financing demand it answered, and those
    # with a demand published to every bank (the pages show it their summary, never contacts or notes).
    lender_paths = ("loans__lender", "financing_demands__intentions__lender")
    lender_public = {"financing_demands__status": "published"}

    class Meta:
        ordering = ["district", "code"]
        verbose_name = _("项目")
        verbose_name_plural = _("项目")
        indexes = [
            models.Index(fields=["stage"]),
            models.Index(fields=["review_status", "submitted_at"]),
            models.Index(fields=["category"]),
            models.Index(fields=["updated_at"]),
            # The library list's order (district, code): its pages and text search read it in order.
            models.Index(fields=["district", "code"], name="project_district_code"),
            # A district's dashboard: its projects left unchanged (count, and the oldest first) and those
            # waiting for review (count, and the first submitted), read from the index alone. At 100,000
            # demo projects the four queries took 62 ms without them, 1 ms with them.
            models.Index(fields=["district", "updated_at"], name="project_district_updated"),
            models.Index(
                fields=["district", "review_status", "submitted_at"], name="project_district_review"
            ),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["national_code"],
                condition=Q(national_code__isnull=False),
                name="project_unique_national_code",
                violation_error_message=NATIONAL_CODE_TAKEN,
            ),
            models.CheckConstraint(
                condition=Q(national_code__isnull=True) | Q(national_code__regex=NATIONAL_CODE_PATTERN),
                name="project_national_code_shape",
                violation_error_message=_("项目代码格式应为 YYYY-4401XX-NN-NN-NNNNNN。"),
            ),
            models.CheckConstraint(
                condition=Q(total_investment__gte=0),
                name="project_investment_not_negative",
                violation_error_message=_("总投资不能为负数。"),
            ),
            models.CheckConstraint(
                condition=Q(start_year__gte=2000, start_year__lte=2100, end_year__lte=2100),
                name="project_years_plausible",
                violation_error_message=_("年份应在 2000 至 2100 年之间。"),
            ),
            models.CheckConstraint(
                condition=Q(end_year__gte=models.F("start_year")),
                name="project_end_after_start",
                violation_error_message=_("计划完工年份不能早于计划开工年份。"),
            ),
            models.CheckConstraint(condition=Q(stage__in=Stage.values), name="project_stage_valid"),
            models.CheckConstraint(
                condition=Q(review_status__in=ReviewStatus.values), name="project_review_status_valid"
            ),
            models.CheckConstraint(condition=Q(category__in=Category.values), name="project_category_valid"),
            models.CheckConstraint(
                condition=(Q(expected_revenue__isnull=True) | Q(expected_revenue__gte=0))
                & (Q(debt_service__isnull=True) | Q(debt_service__gt=0)),
                name="project_balance_figures_plausible",
                violation_error_message=_("预期收益不能为负数，融资本息必须大于零。"),
            ),
        ]

    def __str__(self):
        return f"{self.code} {self.name}"

    def get_absolute_url(self):
        return reverse("projects:project_detail", args=[self.pk])

    def clean(self):
        super().clean()
        self.clean_row()
        taken = Project.objects.exclude(pk=self.pk).filter(national_code=self.national_code)
        if self.national_code and taken.exists():
            raise ValidationError({"national_code": NATIONAL_CODE_TAKEN})

    def clean_row(self):
        """The checks that need only this row and its unit: batch imports run them without a query."""
        if self.national_code == "":
            self.national_code = None
        if self.unit_id and self.district_id and self.unit.district_id != self.district_id:
            raise ValidationError({"unit": _("所选美丽单元不属于该项目所在的区。")})

    @property
    def in_library(self) -> bool:
        return self.review_status == ReviewStatus.ACCEPTED


class StageChange(ChoiceLabels, models.Model):
    """One move of a project through the cycle 谋划 → 成熟 → 实施 → 完工."""

    project = models.ForeignKey(Project, models.CASCADE, related_name="stage_changes", verbose_name=_("项目"))
    from_stage = models.CharField(_("原阶段"), max_length=16, choices=Stage.choices)
    to_stage = models.CharField(_("新阶段"), max_length=16, choices=Stage.choices)
    on = models.DateField(_("日期"), validators=[plausible_date])
    by = models.ForeignKey(
        settings.AUTH_USER_MODEL, models.SET_NULL, null=True, related_name="+", verbose_name=_("操作人")
    )
    reason = models.TextField(_("理由"), blank=True)
    overridden = models.BooleanField(_("越过条件"), default=False)
    missing = models.JSONField(_("当时未满足的条件"), default=list, blank=True)
    at = models.DateTimeField(_("记录时间"), default=timezone.now)

    objects = ScopedQuerySet.as_manager()
    scope_path = "project__district"

    class Meta:
        ordering = ["project", "at"]
        verbose_name = _("阶段变更")
        verbose_name_plural = _("阶段变更")
        constraints = [
            models.CheckConstraint(
                condition=~Q(overridden=True, reason=""),
                name="stage_change_override_has_reason",
                violation_error_message=_("越过条件推进阶段必须填写理由。"),
            ),
        ]

    def __str__(self):
        return f"{self.get_from_stage_display()} → {self.get_to_stage_display()}"


class ReviewRecord(ChoiceLabels, models.Model):
    """Submissions, returns (with the reviewer's comment) and acceptance of one project."""

    project = models.ForeignKey(
        Project, models.CASCADE, related_name="review_records", verbose_name=_("项目")
    )
    action = models.CharField(_("操作"), max_length=16, choices=ReviewAction.choices)
    from_status = models.CharField(_("原状态"), max_length=16, choices=ReviewStatus.choices)
    to_status = models.CharField(_("新状态"), max_length=16, choices=ReviewStatus.choices)
    comment = models.TextField(_("意见"), blank=True)
    by = models.ForeignKey(
        settings.AUTH_USER_MODEL, models.SET_NULL, null=True, related_name="+", verbose_name=_("操作人")
    )
    at = models.DateTimeField(_("时间"), default=timezone.now)

    objects = ScopedQuerySet.as_manager()
    scope_path = "project__district"

    class Meta:
        ordering = ["project", "at"]
        verbose_name = _("入库审核记录")
        verbose_name_plural = _("入库审核记录")
        constraints = [
            models.CheckConstraint(
                condition=~Q(action="return", comment=""),
                name="review_return_has_comment",
                violation_error_message=_("退回时必须填写意见。"),
            ),
        ]

    def __str__(self):
        return f"{self.get_action_display()} {self.at:%Y-%m-%d}"


class Milestone(ChoiceLabels, models.Model):
    project = models.ForeignKey(Project, models.CASCADE, related_name="milestones", verbose_name=_("项目"))
    name = models.CharField(_("节点名称"), max_length=100)
    planned_date = models.DateField(_("计划日期"), validators=[plausible_date])
    actual_date = models.DateField(_("实际日期"), null=True, blank=True, validators=[plausible_date])
    responsible = models.CharField(_("责任单位"), max_length=100, blank=True)
    note = models.TextField(_("备注"), blank=True)

    objects = MilestoneQuerySet.as_manager()
    scope_path = "project__district"

    class Meta:
        ordering = ["project", "planned_date", "pk"]
        verbose_name = _("节点")
        verbose_name_plural = _("节点")
        indexes = [
            models.Index(fields=["planned_date", "actual_date"]),
            # A district's overdue milestones (the dashboard's count and list): per project, the open ones
            # due before today, not every milestone met in the years behind. At 100,000 demo projects a
            # district's count took 12 ms with it, 34 without.
            models.Index(
                fields=["project", "planned_date"],
                condition=models.Q(actual_date__isnull=True),
                name="milestone_open",
            ),
        ]

    def __str__(self):
        return self.name

    @property
    def is_overdue(self) -> bool:
        return self.actual_date is None and self.planned_date < timezone.localdate()
