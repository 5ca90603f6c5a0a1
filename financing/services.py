"""Every write to organisations, funding lines, loans, disbursements and repayments.

The two loan invariants (disbursed ≤ principal; principal repaid ≤ disbursed) are checked with the loan
row locked, so concurrent requests cannot both pass the check.
"""

import datetime
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Max, Min, Sum
from django.utils.translation import gettext as _

from portfolio import access
from portfolio.errors import reject_unknown_fields
from portfolio.records import record_create, record_update
from projects.models import Project

from .choices import LoanStatus
from .models import Disbursement, FundingLine, Loan, Organization, Repayment

FUNDING_LINE_FIELDS = (
    "source_type",
    "programme",
    "year",
    "planned_amount",
    "approved_amount",
    "received_amount",
    "status",
    "document_no",
    "note",
    "loan",
    "subsidy_rate",
)
LOAN_FIELDS = (
    "lender",
    "borrower",
    "contract_no",
    "signed_on",
    "principal",
    "term_months",
    "rate_type",
    "annual_rate",
    "lpr_spread_bp",
    "grace_months",
    "repayment_method",
    "payment_interval_months",
    "status",
    "note",
)


@transaction.atomic
def organization_create(
    *, acting_user, name: str, kind: str, uscc: str | None = None, uscc_confirm_reason: str = ""
) -> Organization:
    """A new organisation. A code that fails its check character needs `uscc_confirm_reason`."""
    access.require_role(acting_user, access.CITY_STAFF)
    organization = Organization(
        name=name, kind=kind, uscc=uscc or None, uscc_confirm_reason=uscc_confirm_reason
    )
    return record_create(organization, acting_user=acting_user, action="organization_create", project=None)


@transaction.atomic
def funding_line_record(
    *, acting_user, project: Project | None = None, funding_line: FundingLine | None = None, **fields
) -> FundingLine:
    """Add a funding line to `project`, or change `funding_line`."""
    access.require_role(acting_user, access.CITY_STAFF)
    reject_unknown_fields(fields, FUNDING_LINE_FIELDS)
    if funding_line is not None:
        funding_line = (
            FundingLine.objects.select_for_update().select_related("project").get(pk=funding_line.pk)
        )
        record_update(
            funding_line,
            fields=fields,
            acting_user=acting_user,
            action="funding_line_update",
            project=funding_line.project,
        )
        return funding_line
    if project is None:
        raise ValidationError(_("请指定资金来源所属的项目。"))
    funding_line = FundingLine(project=project, **fields)
    return record_create(funding_line, acting_user=acting_user, action="funding_line_create", project=project)


@transaction.atomic
def loan_create(*, acting_user, project: Project, **fields) -> Loan:
    access.require_role(acting_user, access.CITY_STAFF)
    reject_unknown_fields(fields, LOAN_FIELDS)
    loan = Loan(project=project, **fields)
    return record_create(loan, acting_user=acting_user, action="loan_create", project=project)


@transaction.atomic
def loan_update(*, acting_user, loan: Loan, **fields) -> Loan:
    """Change a loan's terms; the principal never drops below what has been disbursed."""
    access.require_role(acting_user, access.CITY_STAFF)
    reject_unknown_fields(fields, LOAN_FIELDS)
    loan = Loan.objects.select_for_update().select_related("project").get(pk=loan.pk)
    record_update(
        loan,
        fields=fields,
        acting_user=acting_user,
        action="loan_update",
        project=loan.project,
        check=lambda changed: loan_terms_check(loan=changed),
    )
    return loan


def _sum(queryset, field: str) -> Decimal:
    return queryset.aggregate(total=Sum(field))["total"] or Decimal(0)


def loan_terms_check(*, loan: Loan) -> None:
    """Rules between a loan and its entries, for changes to the loan itself (the service and the admin)."""
    if loan.pk is None:
        return
    drawn = Disbursement.objects.filter(loan=loan).aggregate(
        total=Sum("amount"), first=Min("date"), last=Max("date")
    )
    disbursed = drawn["total"] or Decimal(0)
    if loan.principal is not None and loan.principal < disbursed:
        raise ValidationError(
            {"principal": _("贷款金额不能小于已提款金额 %(d)s 元。") % {"d": f"{disbursed:,.2f}"}}
        )
    if loan.signed_on is not None and drawn["first"] is not None:
        if drawn["first"] < loan.signed_on:
            raise ValidationError(
                {"signed_on": _("签约日期不能晚于第一笔提款日期 %(d)s。") % {"d": drawn["first"]}}
            )
        if loan.maturity and drawn["last"] > loan.maturity:
            raise ValidationError(
                {
                    "term_months": _("到期日 %(m)s 不能早于最后一笔提款日期 %(d)s。")
                    % {"m": loan.maturity, "d": drawn["last"]}
                }
            )
    if loan.annual_rate is not None:
        subsidy = loan.subsidies.aggregate(highest=Max("subsidy_rate"))["highest"]
        if subsidy is not None and subsidy > loan.annual_rate:
            raise ValidationError(
                {"annual_rate": _("年利率不能低于所关联贴息的贴息率 %(r)s%%。") % {"r": subsidy.normalize()}}
            )


def disbursement_check(*, loan: Loan, amount: Decimal, on: datetime.date, exclude_pk=None) -> None:
    """A disbursement must be positive, dated on or after signing, and within the undisbursed amount."""
    errors = {}
    if amount is None or amount <= 0:
        errors["amount"] = _("提款金额必须大于零。")
    if loan.status != LoanStatus.SIGNED:
        errors["loan"] = _("贷款状态为“%(s)s”，不能再提款。") % {"s": loan.get_status_display()}
    if on is None:
        errors["date"] = _("请填写提款日期。")
    elif loan.signed_on and on < loan.signed_on:
        errors["date"] = _("提款日期不能早于签约日期 %(d)s。") % {"d": loan.signed_on}
    elif loan.maturity and on > loan.maturity:
        errors["date"] = _("提款日期不能晚于贷款到期日 %(d)s。") % {"d": loan.maturity}
    if errors:
        raise ValidationError(errors)
    others = _sum(Disbursement.objects.filter(loan=loan).exclude(pk=exclude_pk), "amount")
    undisbursed = loan.principal - others
    if amount > undisbursed:
        raise ValidationError(
            {
                "amount": _("提款金额 %(a)s 元超过未提款余额 %(u)s 元。")
                % {"a": f"{amount:,.2f}", "u": f"{undisbursed:,.2f}"}
            }
        )
    if exclude_pk is not None:
        # Correcting an existing disbursement must leave at least what has been repaid.
        repaid = _sum(Repayment.objects.filter(loan=loan), "principal")
        if others + amount < repaid:
            raise ValidationError(
                {"amount": _("修改后提款合计不能少于已偿还本金 %(r)s 元。") % {"r": f"{repaid:,.2f}"}}
            )


def repayment_check(*, loan: Loan, principal: Decimal, interest: Decimal, on: datetime.date, exclude_pk=None):
    """A repayment is dated on or after signing and repays no more principal than is outstanding."""
    errors = {}
    if principal is None or principal < 0:
        errors["principal"] = _("偿还本金不能为负数。")
    if interest is None or interest < 0:
        errors["interest"] = _("支付利息不能为负数。")
    if not errors and principal == 0 and interest == 0:
        errors["principal"] = _("本金和利息不能同时为零。")
    if on is None:
        errors["date"] = _("请填写还款日期。")
    elif loan.signed_on and on < loan.signed_on:
        errors["date"] = _("还款日期不能早于签约日期 %(d)s。") % {"d": loan.signed_on}
    if errors:
        raise ValidationError(errors)
    disbursed = _sum(Disbursement.objects.filter(loan=loan), "amount")
    repaid = _sum(Repayment.objects.filter(loan=loan).exclude(pk=exclude_pk), "principal")
    outstanding = disbursed - repaid
    if principal > outstanding:
        raise ValidationError(
            {
                "principal": _("偿还本金 %(p)s 元超过未偿还本金 %(o)s 元。")
                % {"p": f"{principal:,.2f}", "o": f"{outstanding:,.2f}"}
            }
        )


@transaction.atomic
def disbursement_record(
    *, loan: Loan, amount: Decimal, on: datetime.date, acting_user, note: str = ""
) -> Disbursement:
    access.require_role(acting_user, access.CITY_STAFF)
    loan = Loan.objects.select_for_update().get(pk=loan.pk)
    disbursement_check(loan=loan, amount=amount, on=on)
    disbursement = Disbursement(loan=loan, amount=amount, date=on, note=note)
    return record_create(
        disbursement, acting_user=acting_user, action="disbursement_record", project=loan.project
    )


@transaction.atomic
def repayment_record(
    *, loan: Loan, on: datetime.date, principal: Decimal, interest: Decimal, acting_user, note: str = ""
) -> Repayment:
    access.require_role(acting_user, access.CITY_STAFF)
    loan = Loan.objects.select_for_update().get(pk=loan.pk)
    repayment_check(loan=loan, principal=principal, interest=interest, on=on)
    repayment = Repayment(loan=loan, date=on, principal=principal, interest=interest, note=note)
    return record_create(repayment, acting_user=acting_user, action="repayment_record", project=loan.project)
