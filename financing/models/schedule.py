"""The stored repayment schedule: one row per installment of a loan, as financing.schedule computes it from
the loan's terms, its drawings and its repayments (allocated oldest first).

The rows are rewritten by the services that change a loan, its drawings or its repayments, in the same
transaction (financing.installments), so that the dashboard, a bank's loan book, the loan page and the
exports read them with SQL rather than recomputing every loan on every request. Whether an installment is
overdue depends on the day it is read, so it is not stored: it is `due < today` with something unpaid, on
a running loan, worked out by the reading query.
"""

from django.db import models
from django.utils.translation import gettext_lazy as _

from portfolio.access import ScopedQuerySet
from portfolio.labels import ChoiceLabels
from portfolio.money import MONEY_FIELD

from .ledger import MONEY, Loan

# Sums of a loan's drawings or repayments: the digits of the database's sums.
MONEY_TOTAL = {**MONEY, "max_digits": MONEY_FIELD.max_digits}

# An installment still owes something: principal or interest not (all) paid.
UNSETTLED = models.Q(principal__gt=models.F("paid_principal")) | models.Q(
    interest__gt=models.F("paid_interest")
)


class Installment(ChoiceLabels, models.Model):
    loan = models.ForeignKey(Loan, models.CASCADE, related_name="installments", verbose_name=_("贷款"))
    number = models.PositiveSmallIntegerField(_("期次"))
    starts = models.DateField(_("起息日"))
    due = models.DateField(_("到期日"))
    opening_balance = models.DecimalField(_("期初本金（元）"), **MONEY)
    drawn = models.DecimalField(_("本期提款（元）"), **MONEY)
    principal = models.DecimalField(_("应还本金（元）"), **MONEY)
    interest = models.DecimalField(_("应付利息（元）"), **MONEY)
    closing_balance = models.DecimalField(_("期末本金（元）"), **MONEY)
    grace = models.BooleanField(_("宽限期"), default=False)
    paid_principal = models.DecimalField(_("已还本金（元）"), default=0, **MONEY)
    paid_interest = models.DecimalField(_("已付利息（元）"), default=0, **MONEY)

    objects = ScopedQuerySet.as_manager()
    scope_path = "loan__project__district"
    lender_paths = ("loan__lender",)

    class Meta:
        ordering = ["loan", "number"]
        verbose_name = _("还款计划期次")
        verbose_name_plural = _("还款计划期次")
        constraints = [
            # Also the index of the loan page and the schedule API: one loan's rows in number order.
            models.UniqueConstraint(fields=["loan", "number"], name="installment_unique_number"),
        ]
        indexes = [
            # A bank's loan book: per loan, the first installment due on or after today and the sum of
            # those due before it.
            models.Index(fields=["loan", "due"], name="installment_loan_due"),
            # The dashboard's maturity profile: what falls due before today (overdue) and after it, by year.
            models.Index(fields=["due"], name="installment_due"),
            # What installments due before today leave unpaid (a bank's 逾期 total, each loan's past due):
            # the few unsettled ones of the years behind, rather than every installment of those years
            # (at 100,000 demo projects: 3,809 of 262,653 past installments).
            models.Index(fields=["loan", "due"], condition=UNSETTLED, name="installment_unsettled"),
        ]

    def __str__(self):
        return f"{self.loan_id} 第 {self.number} 期（{self.due}）"

    @property
    def total(self):
        return self.principal + self.interest

    @property
    def unpaid_principal(self):
        return self.principal - self.paid_principal

    @property
    def unpaid_interest(self):
        return self.interest - self.paid_interest

    @property
    def settled(self) -> bool:
        return self.unpaid_principal <= 0 and self.unpaid_interest <= 0


class LoanBalance(ChoiceLabels, models.Model):
    """What a loan has drawn and repaid of its principal, as its drawings and repayments add up: written
    with its installments (financing.installments), in the same transaction, so that a bank's loan book
    adds up one row per loan rather than every drawing and repayment of the years behind. Every loan has
    one."""

    loan = models.OneToOneField(
        Loan, models.CASCADE, primary_key=True, related_name="balance", verbose_name=_("贷款")
    )
    disbursed = models.DecimalField(_("已提款（元）"), **MONEY_TOTAL)
    repaid = models.DecimalField(_("已还本金（元）"), **MONEY_TOTAL)

    objects = ScopedQuerySet.as_manager()
    scope_path = "loan__project__district"
    lender_paths = ("loan__lender",)

    class Meta:
        verbose_name = _("贷款余额")
        verbose_name_plural = _("贷款余额")

    def __str__(self):
        return f"{self.loan_id}：已提款 {self.disbursed}，已还本金 {self.repaid}"
