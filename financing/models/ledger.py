import datetime
from decimal import Decimal

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q, Sum
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from portfolio.access import ScopedQuerySet
from portfolio.labels import ChoiceLabels
from portfolio.validators import plausible_date

from ..choices import (
    CREDIT_APPROVED,
    LIVE_INTENTIONS,
    DemandStatus,
    FundingStatus,
    IntentionStatus,
    LoanStatus,
    OrganizationKind,
    PaymentInterval,
    RateType,
    RepaymentMethod,
    SourceType,
)
from ..validators import USCC_PATTERN, uscc_check_character, uscc_check_passes, validate_uscc_shape

MONEY = {"max_digits": 16, "decimal_places": 2}


class Organization(ChoiceLabels, models.Model):
    """An organisation: a bank that lends, a borrower, an implementing organisation. Every district sees
    them all; a bank sees itself and the organisations of the loans and projects it sees."""

    name = models.CharField(_("名称"), max_length=200, unique=True)
    uscc = models.CharField(
        _("统一社会信用代码"), max_length=18, null=True, blank=True, validators=[validate_uscc_shape]
    )
    kind = models.CharField(_("类型"), max_length=16, choices=OrganizationKind.choices)
    # Some early registered codes fail the GB 32100-2015 check character; staff confirm them with a reason.
    uscc_check_failed = models.BooleanField(_("校验位不符"), default=False, editable=False)
    uscc_confirm_reason = models.CharField(
        _("校验位不符的确认理由"),
        max_length=200,
        blank=True,
        help_text=_("代码校验位不符但确认无误时填写，例如早期赋码的机构。"),
    )

    objects = ScopedQuerySet.as_manager()
    scope_path = None
    lender_paths = (
        "pk",
        "loans_borrowed__lender",
        "implemented_projects__loans__lender",
        "implemented_projects__financing_demands__intentions__lender",
    )
    lender_public = {"implemented_projects__financing_demands__status": "published"}

    class Meta:
        ordering = ["name"]
        verbose_name = _("机构")
        verbose_name_plural = _("机构")
        constraints = [
            models.UniqueConstraint(
                fields=["uscc"],
                condition=Q(uscc__isnull=False),
                name="organization_unique_uscc",
                violation_error_message=_("该统一社会信用代码已登记为其他机构。"),
            ),
            models.CheckConstraint(
                condition=Q(uscc__isnull=True) | Q(uscc__regex=USCC_PATTERN),
                name="organization_uscc_shape",
                violation_error_message=_("统一社会信用代码格式不正确。"),
            ),
            models.CheckConstraint(
                condition=Q(kind__in=OrganizationKind.values), name="organization_kind_valid"
            ),
            models.CheckConstraint(
                condition=Q(uscc_check_failed=False) | ~Q(uscc_confirm_reason=""),
                name="organization_uscc_failure_confirmed",
                violation_error_message=_("统一社会信用代码校验位不符，须填写确认理由。"),
            ),
        ]

    def __str__(self):
        return self.name

    def clean_fields(self, exclude=None):
        # Codes are often typed in lower case or pasted with spaces: normalise before the shape check.
        self.uscc = (self.uscc or "").strip().upper() or None
        super().clean_fields(exclude)

    def clean(self):
        super().clean()
        if self.uscc and Organization.objects.exclude(pk=self.pk).filter(uscc=self.uscc).exists():
            raise ValidationError({"uscc": _("该统一社会信用代码已登记为其他机构。")})
        self.uscc_check_failed = bool(self.uscc) and _shape_ok(self.uscc) and not uscc_check_passes(self.uscc)
        if self.uscc_check_failed and not self.uscc_confirm_reason.strip():
            raise ValidationError(
                {
                    "uscc_confirm_reason": ValidationError(
                        _(
                            "统一社会信用代码 %(uscc)s 的校验位应为 %(expected)s，与所填不符。"
                            "如确认代码无误（例如早期赋码），请填写确认理由。"
                        ),
                        code="uscc_check_character",
                        params={"uscc": self.uscc, "expected": uscc_check_character(self.uscc)},
                    )
                }
            )
        if not self.uscc_check_failed:
            self.uscc_confirm_reason = ""


def _shape_ok(value: str) -> bool:
    try:
        validate_uscc_shape(value)
    except ValidationError:
        return False
    return True


class FundingLine(ChoiceLabels, models.Model):
    """A project's planned, approved and received amounts from one source."""

    project = models.ForeignKey(
        "projects.Project", models.PROTECT, related_name="funding_lines", verbose_name=_("项目")
    )
    source_type = models.CharField(_("资金来源"), max_length=32, choices=SourceType.choices)
    programme = models.CharField(_("项目批次"), max_length=200, blank=True)
    year = models.PositiveSmallIntegerField(_("年度"))
    planned_amount = models.DecimalField(_("计划金额（元）"), default=0, **MONEY)
    approved_amount = models.DecimalField(_("批复金额（元）"), default=0, **MONEY)
    received_amount = models.DecimalField(_("到位金额（元）"), default=0, **MONEY)
    status = models.CharField(
        _("状态"), max_length=16, choices=FundingStatus.choices, default=FundingStatus.PLANNED
    )
    document_no = models.CharField(_("文号"), max_length=100, blank=True)
    note = models.TextField(_("备注"), blank=True)
    # A fiscal interest subsidy (财政贴息) pays part of one loan's interest: so many percentage points of it.
    loan = models.ForeignKey(
        "Loan", models.PROTECT, null=True, blank=True, related_name="subsidies", verbose_name=_("贴息贷款")
    )
    subsidy_rate = models.DecimalField(
        _("贴息率（%）"),
        max_digits=7,
        decimal_places=4,
        null=True,
        blank=True,
        help_text=_("财政承担的年利率百分点，如 1.0000 表示贴息 1 个百分点"),
    )

    objects = ScopedQuerySet.as_manager()
    scope_path = "project__district"

    class Meta:
        ordering = ["project", "year", "pk"]
        verbose_name = _("资金来源")
        verbose_name_plural = _("资金来源")
        constraints = [
            models.CheckConstraint(
                condition=Q(planned_amount__gte=0, approved_amount__gte=0, received_amount__gte=0),
                name="funding_amounts_not_negative",
                violation_error_message=_("金额不能为负数。"),
            ),
            models.CheckConstraint(
                condition=Q(year__gte=2000, year__lte=2100),
                name="funding_year_plausible",
                violation_error_message=_("年度应在 2000 至 2100 年之间。"),
            ),
            models.CheckConstraint(
                condition=Q(source_type__in=SourceType.values), name="funding_source_type_valid"
            ),
            models.CheckConstraint(condition=Q(status__in=FundingStatus.values), name="funding_status_valid"),
            models.CheckConstraint(
                condition=Q(loan__isnull=True, subsidy_rate__isnull=True)
                | Q(
                    source_type=SourceType.INTEREST_SUBSIDY,
                    loan__isnull=False,
                    subsidy_rate__gt=0,
                    subsidy_rate__lt=100,
                ),
                name="funding_subsidy_tied_to_a_loan",
                violation_error_message=_("只有财政贴息可以关联贷款，且须同时填写贷款和大于零的贴息率。"),
            ),
        ]

    def __str__(self):
        return f"{self.get_source_type_display()} {self.year}"

    def clean(self):
        super().clean()
        if self.loan_id is None:
            return
        if self.project_id and self.loan.project_id != self.project_id:
            raise ValidationError({"loan": _("贴息只能关联本项目的贷款。")})
        rate = self.loan.annual_rate
        if rate is not None and self.subsidy_rate is not None and self.subsidy_rate > rate:
            raise ValidationError(
                {"subsidy_rate": _("贴息率不能高于贷款年利率 %(rate)s%%。") % {"rate": rate.normalize()}}
            )


class Loan(ChoiceLabels, models.Model):
    project = models.ForeignKey(
        "projects.Project", models.PROTECT, related_name="loans", verbose_name=_("项目")
    )
    lender = models.ForeignKey(
        Organization, models.PROTECT, related_name="loans_lent", verbose_name=_("贷款银行")
    )
    borrower = models.ForeignKey(
        Organization, models.PROTECT, related_name="loans_borrowed", verbose_name=_("贷款主体")
    )
    contract_no = models.CharField(_("合同编号"), max_length=100, blank=True)
    signed_on = models.DateField(_("签约日期"), null=True, blank=True)
    principal = models.DecimalField(_("贷款金额（元）"), **MONEY)
    term_months = models.PositiveSmallIntegerField(_("期限（月）"), null=True, blank=True)
    rate_type = models.CharField(
        _("利率方式"), max_length=8, choices=RateType.choices, default=RateType.FIXED
    )
    annual_rate = models.DecimalField(
        _("年利率（%）"),
        max_digits=7,
        decimal_places=4,
        null=True,
        blank=True,
        help_text=_("执行年利率，百分数"),
    )
    lpr_spread_bp = models.IntegerField(
        _("LPR 加点（基点）"), null=True, blank=True, help_text=_("LPR 加点时填写，1 基点 = 0.01%")
    )
    grace_months = models.PositiveSmallIntegerField(_("宽限期（月）"), default=0)
    repayment_method = models.CharField(
        _("还款方式"), max_length=20, choices=RepaymentMethod.choices, default=RepaymentMethod.EQUAL_PRINCIPAL
    )
    payment_interval_months = models.PositiveSmallIntegerField(
        _("结息还款周期"), choices=PaymentInterval.choices, default=PaymentInterval.QUARTERLY
    )
    status = models.CharField(_("状态"), max_length=12, choices=LoanStatus.choices, default=LoanStatus.SIGNED)
    note = models.TextField(_("备注"), blank=True)
    created_at = models.DateTimeField(_("创建时间"), default=timezone.now)

    objects = ScopedQuerySet.as_manager()
    scope_path = "project__district"
    lender_paths = ("lender",)

    class Meta:
        ordering = ["project", "signed_on", "pk"]
        verbose_name = _("贷款")
        verbose_name_plural = _("贷款")
        constraints = [
            models.CheckConstraint(
                condition=Q(principal__gt=0),
                name="loan_principal_positive",
                violation_error_message=_("贷款金额必须大于零。"),
            ),
            models.CheckConstraint(
                condition=Q(term_months__isnull=True) | Q(term_months__gt=0, term_months__lte=600),
                name="loan_term_plausible",
                violation_error_message=_("贷款期限应在 1 至 600 个月之间。"),
            ),
            models.CheckConstraint(
                condition=Q(annual_rate__isnull=True) | Q(annual_rate__gte=0, annual_rate__lt=100),
                name="loan_rate_plausible",
                violation_error_message=_("年利率应在 0%% 至 100%% 之间。"),
            ),
            models.CheckConstraint(
                condition=Q(term_months__isnull=True) | Q(grace_months__lt=models.F("term_months")),
                name="loan_grace_within_term",
                violation_error_message=_("宽限期必须短于贷款期限。"),
            ),
            models.CheckConstraint(
                condition=~Q(rate_type=RateType.LPR) | Q(lpr_spread_bp__isnull=False),
                name="loan_lpr_has_spread",
                violation_error_message=_("LPR 加点的贷款须填写加点基点数。"),
            ),
            models.CheckConstraint(
                condition=~Q(lender=models.F("borrower")),
                name="loan_lender_not_borrower",
                violation_error_message=_("贷款银行与贷款主体不能是同一机构。"),
            ),
            models.CheckConstraint(condition=Q(rate_type__in=RateType.values), name="loan_rate_type_valid"),
            models.CheckConstraint(
                condition=Q(repayment_method__in=RepaymentMethod.values), name="loan_repayment_method_valid"
            ),
            models.CheckConstraint(condition=Q(status__in=LoanStatus.values), name="loan_status_valid"),
            models.CheckConstraint(
                condition=Q(payment_interval_months__in=PaymentInterval.values),
                name="loan_payment_interval_valid",
            ),
            models.CheckConstraint(
                condition=Q(signed_on__isnull=True)
                | Q(signed_on__gte=datetime.date(1990, 1, 1), signed_on__lte=datetime.date(2100, 12, 31)),
                name="loan_signed_on_plausible",
                violation_error_message=_("签约日期应在 1990 年至 2100 年之间。"),
            ),
        ]

    def __str__(self):
        return f"{self.lender} → {self.borrower}（{self.principal} 元）"

    def get_absolute_url(self):
        return reverse("financing:loan_detail", args=[self.pk])

    def clean(self):
        super().clean()
        errors = {}
        if self.lender_id and self.lender.kind != OrganizationKind.BANK:
            errors["lender"] = _("贷款银行必须是类型为“银行”的机构。")
        if self.borrower_id and self.borrower.kind == OrganizationKind.BANK:
            errors["borrower"] = _("贷款主体不能是银行。")
        if errors:
            raise ValidationError(errors)

    @property
    def maturity(self):
        from ..schedule import add_months

        if self.signed_on and self.term_months:
            return add_months(self.signed_on, self.term_months)
        return None

    def schedule_terms(self):
        """The terms a repayment schedule needs, or None while any of them is not recorded."""
        from ..schedule import Terms

        if not (self.signed_on and self.term_months and self.annual_rate is not None):
            return None
        return Terms(
            signed_on=self.signed_on,
            term_months=self.term_months,
            annual_rate=self.annual_rate,
            method=self.repayment_method,
            grace_months=self.grace_months,
            interval_months=self.payment_interval_months,
        )

    def disbursed_total(self) -> Decimal:
        return self.disbursements.aggregate(total=Sum("amount"))["total"] or Decimal(0)

    def repaid_principal_total(self) -> Decimal:
        return self.repayments.aggregate(total=Sum("principal"))["total"] or Decimal(0)


class Disbursement(ChoiceLabels, models.Model):
    """提款: money drawn under a loan."""

    loan = models.ForeignKey(Loan, models.PROTECT, related_name="disbursements", verbose_name=_("贷款"))
    date = models.DateField(_("提款日期"), validators=[plausible_date])
    amount = models.DecimalField(_("提款金额（元）"), **MONEY)
    note = models.CharField(_("备注"), max_length=200, blank=True)

    objects = ScopedQuerySet.as_manager()
    scope_path = "loan__project__district"
    lender_paths = ("loan__lender",)

    class Meta:
        ordering = ["loan_id", "date", "pk"]
        verbose_name = _("提款")
        verbose_name_plural = _("提款")
        indexes = [
            # The API's list in its order (loan, date, id): a page of 200 reads 200 index entries instead of
            # sorting every entry.
            models.Index(fields=["loan", "date", "id"], name="disbursement_loan_date"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(amount__gt=0),
                name="disbursement_amount_positive",
                violation_error_message=_("提款金额必须大于零。"),
            ),
        ]

    def __str__(self):
        return f"{self.date} 提款 {self.amount} 元"


class Repayment(ChoiceLabels, models.Model):
    """还款: principal and interest paid back under a loan."""

    loan = models.ForeignKey(Loan, models.PROTECT, related_name="repayments", verbose_name=_("贷款"))
    date = models.DateField(_("还款日期"), validators=[plausible_date])
    principal = models.DecimalField(_("偿还本金（元）"), default=0, **MONEY)
    interest = models.DecimalField(_("支付利息（元）"), default=0, **MONEY)
    note = models.CharField(_("备注"), max_length=200, blank=True)

    objects = ScopedQuerySet.as_manager()
    scope_path = "loan__project__district"
    lender_paths = ("loan__lender",)

    class Meta:
        ordering = ["loan_id", "date", "pk"]
        verbose_name = _("还款")
        verbose_name_plural = _("还款")
        indexes = [
            # The API's list in its order (loan, date, id): a page of 200 reads 200 index entries instead of
            # sorting every entry.
            models.Index(fields=["loan", "date", "id"], name="repayment_loan_date"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(principal__gte=0, interest__gte=0),
                name="repayment_amounts_not_negative",
                violation_error_message=_("还款金额不能为负数。"),
            ),
            models.CheckConstraint(
                condition=Q(principal__gt=0) | Q(interest__gt=0),
                name="repayment_not_empty",
                violation_error_message=_("本金和利息不能同时为零。"),
            ),
        ]

    def __str__(self):
        return f"{self.date} 还本 {self.principal} 元 付息 {self.interest} 元"


class FinancingDemand(ChoiceLabels, models.Model):
    """融资需求: a library project's request for credit, published by city staff to every bank."""

    project = models.ForeignKey(
        "projects.Project", models.PROTECT, related_name="financing_demands", verbose_name=_("项目")
    )
    amount = models.DecimalField(_("融资金额（元）"), **MONEY)
    term_months = models.PositiveSmallIntegerField(_("期限（月）"))
    purpose = models.TextField(_("资金用途"))
    contact_name = models.CharField(_("联系人"), max_length=50, blank=True)
    contact_phone = models.CharField(_("联系电话"), max_length=30, blank=True)
    status = models.CharField(
        _("状态"), max_length=12, choices=DemandStatus.choices, default=DemandStatus.DRAFT
    )
    published_on = models.DateField(_("发布日期"), null=True, blank=True)
    closed_on = models.DateField(_("关闭日期"), null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("填报人"),
    )
    created_at = models.DateTimeField(_("创建时间"), default=timezone.now)

    objects = ScopedQuerySet.as_manager()
    scope_path = "project__district"
    # Every bank sees a published demand; a closed one only the banks that answered it.
    lender_paths = ("intentions__lender",)
    lender_public = {"status": DemandStatus.PUBLISHED}

    class Meta:
        ordering = ["-published_on", "-pk"]
        verbose_name = _("融资需求")
        verbose_name_plural = _("融资需求")
        constraints = [
            models.CheckConstraint(
                condition=Q(amount__gt=0),
                name="demand_amount_positive",
                violation_error_message=_("融资金额必须大于零。"),
            ),
            models.CheckConstraint(
                condition=Q(term_months__gt=0, term_months__lte=600),
                name="demand_term_plausible",
                violation_error_message=_("期限应在 1 至 600 个月之间。"),
            ),
            models.CheckConstraint(condition=Q(status__in=DemandStatus.values), name="demand_status_valid"),
            models.CheckConstraint(
                condition=Q(status=DemandStatus.DRAFT) | Q(published_on__isnull=False),
                name="demand_published_has_date",
            ),
            # One open demand per project: a new one once the last is closed.
            models.UniqueConstraint(
                fields=["project"],
                condition=Q(status__in=[DemandStatus.DRAFT, DemandStatus.PUBLISHED]),
                name="demand_one_open_per_project",
                violation_error_message=_("该项目已有一项未关闭的融资需求。"),
            ),
        ]

    def __str__(self):
        return f"{self.project} 融资需求 {self.amount} 元"

    def get_absolute_url(self):
        return reverse("financing:demand_detail", args=[self.pk])


class CreditIntention(ChoiceLabels, models.Model):
    """授信意向: one bank's answer to a published financing demand."""

    demand = models.ForeignKey(
        FinancingDemand, models.PROTECT, related_name="intentions", verbose_name=_("融资需求")
    )
    lender = models.ForeignKey(
        Organization, models.PROTECT, related_name="credit_intentions", verbose_name=_("贷款银行")
    )
    amount = models.DecimalField(_("意向金额（元）"), **MONEY)
    term_months = models.PositiveSmallIntegerField(_("期限（月）"))
    indicative_rate = models.DecimalField(
        _("参考年利率（%）"), max_digits=7, decimal_places=4, help_text=_("百分数，如 3.2000")
    )
    note = models.TextField(_("说明"), blank=True)
    status = models.CharField(
        _("状态"), max_length=12, choices=IntentionStatus.choices, default=IntentionStatus.INTENDED
    )
    approval_no = models.CharField(_("授信批复编号"), max_length=100, blank=True)
    loan = models.OneToOneField(
        Loan,
        models.PROTECT,
        null=True,
        blank=True,
        related_name="credit_intention",
        verbose_name=_("签约贷款"),
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("填报人"),
    )
    created_at = models.DateTimeField(_("创建时间"), default=timezone.now)
    decided_at = models.DateTimeField(_("状态变更时间"), null=True, blank=True)

    objects = ScopedQuerySet.as_manager()
    scope_path = "demand__project__district"
    lender_paths = ("lender",)

    class Meta:
        ordering = ["demand", "created_at", "pk"]
        verbose_name = _("授信意向")
        verbose_name_plural = _("授信意向")
        constraints = [
            models.CheckConstraint(
                condition=Q(amount__gt=0),
                name="intention_amount_positive",
                violation_error_message=_("意向金额必须大于零。"),
            ),
            models.CheckConstraint(
                condition=Q(term_months__gt=0, term_months__lte=600),
                name="intention_term_plausible",
                violation_error_message=_("期限应在 1 至 600 个月之间。"),
            ),
            models.CheckConstraint(
                condition=Q(indicative_rate__gte=0, indicative_rate__lt=100),
                name="intention_rate_plausible",
                violation_error_message=_("参考年利率应在 0%% 至 100%% 之间。"),
            ),
            models.CheckConstraint(
                condition=Q(status__in=IntentionStatus.values), name="intention_status_valid"
            ),
            models.CheckConstraint(
                condition=~Q(status__in=CREDIT_APPROVED) | ~Q(approval_no=""),
                name="intention_approved_has_number",
                violation_error_message=_("已授信的意向须填写授信批复编号。"),
            ),
            models.CheckConstraint(
                condition=Q(status=IntentionStatus.SIGNED, loan__isnull=False)
                | (~Q(status=IntentionStatus.SIGNED) & Q(loan__isnull=True)),
                name="intention_signed_has_loan",
                violation_error_message=_("已签约的意向须关联所登记的贷款。"),
            ),
            models.UniqueConstraint(
                fields=["demand", "lender"],
                condition=Q(status__in=LIVE_INTENTIONS),
                name="intention_one_live_per_bank",
                violation_error_message=_("本行对该融资需求已有一项有效意向。"),
            ),
        ]

    def __str__(self):
        return f"{self.lender} 授信意向 {self.amount} 元"
