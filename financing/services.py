"""Every write to organisations, funding lines, loans, disbursements and repayments, financing demands and
credit intentions.

The two loan invariants (disbursed ≤ principal; principal repaid ≤ disbursed) are checked with the loan
row locked, so concurrent requests cannot both pass the check. City staff record any loan's money; a
lender its own bank's loans' (the bank is where the money moves), through the same checks and audit.

The 政银企 platform: a district drafts a financing demand for its own library project, city staff publish
and close it; a bank answers a published demand with a credit intention and moves its own intention to
approved, declined or withdrawn; city staff mark an approved one signed, tied to the loan registered.
"""

import datetime
from decimal import Decimal

from django.contrib.auth.models import User
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Max, Min, Q, Sum
from django.utils import timezone
from django.utils.translation import gettext as _

from portfolio import access
from portfolio.errors import reject_unknown_fields
from portfolio.models import NotificationKind
from portfolio.notifications import notify
from portfolio.records import record_create, record_update
from projects.choices import ReviewStatus
from projects.models import Project

from .choices import DemandStatus, IntentionStatus, LoanStatus
from .installments import schedule_rebuild
from .models import CreditIntention, Disbursement, FinancingDemand, FundingLine, Loan, Organization, Repayment
from .totals import financing_totals_refresh

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
        financing_totals_refresh(project_ids=[funding_line.project_id])
        return funding_line
    if project is None:
        raise ValidationError(_("请指定资金来源所属的项目。"))
    funding_line = FundingLine(project=project, **fields)
    record_create(funding_line, acting_user=acting_user, action="funding_line_create", project=project)
    financing_totals_refresh(project_ids=[project.pk])
    return funding_line


@transaction.atomic
def loan_create(*, acting_user, project: Project, **fields) -> Loan:
    access.require_role(acting_user, access.CITY_STAFF)
    reject_unknown_fields(fields, LOAN_FIELDS)
    loan = Loan(project=project, **fields)
    record_create(loan, acting_user=acting_user, action="loan_create", project=project)
    schedule_rebuild(loan=loan)
    financing_totals_refresh(project_ids=[project.pk])
    return loan


@transaction.atomic
def loan_update(*, acting_user, loan: Loan, **fields) -> Loan:
    """Change a loan's terms; the principal never drops below what has been disbursed."""
    access.require_role(acting_user, access.CITY_STAFF)
    reject_unknown_fields(fields, LOAN_FIELDS)
    loan = Loan.objects.select_for_update().select_related("project").get(pk=loan.pk)
    changed = record_update(
        loan,
        fields=fields,
        acting_user=acting_user,
        action="loan_update",
        project=loan.project,
        check=lambda changed: loan_terms_check(loan=changed),
    )
    if changed:
        schedule_rebuild(loan=loan)
    financing_totals_refresh(project_ids=[loan.project_id])
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
    signed = CreditIntention.objects.filter(loan=loan).select_related("demand").first()
    if signed is not None:
        # The loan a bank's intention was signed as stays that bank's, on that demand's project.
        if loan.lender_id != signed.lender_id:
            raise ValidationError({"lender": _("该贷款已关联本行授信意向的签约，不能更换贷款银行。")})
        if loan.project_id != signed.demand.project_id:
            raise ValidationError({"project": _("该贷款已关联授信意向的签约，不能改到其他项目。")})
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


def require_loan_recorder(user, loan: Loan) -> None:
    """City staff record any loan's disbursements and repayments; a lender its own bank's loans'."""
    if access.role_of(user) != access.CITY_STAFF and not access.is_lender_of(user, loan):
        access.require_role(user, access.CITY_STAFF)


@transaction.atomic
def disbursement_record(
    *, loan: Loan, amount: Decimal, on: datetime.date, acting_user, note: str = ""
) -> Disbursement:
    require_loan_recorder(acting_user, loan)
    loan = Loan.objects.select_for_update().get(pk=loan.pk)
    disbursement_check(loan=loan, amount=amount, on=on)
    disbursement = Disbursement(loan=loan, amount=amount, date=on, note=note)
    record_create(disbursement, acting_user=acting_user, action="disbursement_record", project=loan.project)
    schedule_rebuild(loan=loan)
    return disbursement


@transaction.atomic
def repayment_record(
    *, loan: Loan, on: datetime.date, principal: Decimal, interest: Decimal, acting_user, note: str = ""
) -> Repayment:
    require_loan_recorder(acting_user, loan)
    loan = Loan.objects.select_for_update().get(pk=loan.pk)
    repayment_check(loan=loan, principal=principal, interest=interest, on=on)
    repayment = Repayment(loan=loan, date=on, principal=principal, interest=interest, note=note)
    record_create(repayment, acting_user=acting_user, action="repayment_record", project=loan.project)
    schedule_rebuild(loan=loan)
    return repayment


# The 政银企 platform: financing demands and credit intentions

DEMAND_FIELDS = ("amount", "term_months", "purpose", "contact_name", "contact_phone")
INTENTION_FIELDS = ("amount", "term_months", "indicative_rate", "note")


def _locked_demand(demand: FinancingDemand) -> FinancingDemand:
    return FinancingDemand.objects.select_for_update().select_related("project").get(pk=demand.pk)


def _locked_intention(intention: CreditIntention) -> CreditIntention:
    return (
        CreditIntention.objects.select_for_update()
        .select_related("demand__project", "lender")
        .get(pk=intention.pk)
    )


@transaction.atomic
def demand_create(*, acting_user, project: Project, **fields) -> FinancingDemand:
    """A draft financing demand for a library project, by city staff or the project's own district."""
    access.require_project_editor(acting_user, project)
    reject_unknown_fields(fields, DEMAND_FIELDS)
    # The project locked: two drafts at once would both pass the one-open-demand check.
    project = Project.objects.select_for_update().get(pk=project.pk)
    if project.review_status != ReviewStatus.ACCEPTED:
        raise ValidationError({"project": _("只有已入库的项目可以发布融资需求。")})
    demand = FinancingDemand(project=project, created_by=acting_user, **fields)
    return record_create(demand, acting_user=acting_user, action="demand_create", project=project)


@transaction.atomic
def demand_update(*, acting_user, demand: FinancingDemand, **fields) -> FinancingDemand:
    """Change a draft demand; a published or closed one is what the banks saw and stays as it was."""
    reject_unknown_fields(fields, DEMAND_FIELDS)
    demand = _locked_demand(demand)
    access.require_project_editor(acting_user, demand.project)
    if demand.status != DemandStatus.DRAFT:
        raise ValidationError(_("融资需求已发布，不能再修改；如需变更请关闭后重新填报。"))
    record_update(
        demand, fields=fields, acting_user=acting_user, action="demand_update", project=demand.project
    )
    return demand


def _demand_step(demand, *, acting_user, action: str, allowed_from: tuple, **changes) -> FinancingDemand:
    access.require_role(acting_user, access.CITY_STAFF)
    demand = _locked_demand(demand)
    if demand.status not in allowed_from:
        raise ValidationError(
            {"status": _("融资需求当前状态为“%(s)s”，不能进行此操作。") % {"s": demand.get_status_display()}}
        )
    record_update(demand, fields=changes, acting_user=acting_user, action=action, project=demand.project)
    return demand


@transaction.atomic
def demand_publish(*, acting_user, demand: FinancingDemand) -> FinancingDemand:
    """City staff publish a draft demand to every bank, which each bank's users are told of."""
    demand = _demand_step(
        demand,
        acting_user=acting_user,
        action="demand_publish",
        allowed_from=(DemandStatus.DRAFT,),
        status=DemandStatus.PUBLISHED,
        published_on=timezone.localdate(),
    )
    link = demand.get_absolute_url()
    for user in User.objects.filter(groups__name=access.LENDER, is_active=True):
        notify(
            user=user,
            key=f"demand_published:{demand.pk}",
            kind=NotificationKind.DEMAND_PUBLISHED,
            title=_("新发布融资需求：%(p)s") % {"p": demand.project.name},
            body=_("融资金额 %(a)s 万元，期限 %(t)s 个月。")
            % {"a": f"{demand.amount / 10000:,.2f}", "t": demand.term_months},
            link=link,
        )
    return demand


@transaction.atomic
def demand_close(*, acting_user, demand: FinancingDemand) -> FinancingDemand:
    """City staff close a published demand: banks answer it no more; their intentions stay as they are."""
    return _demand_step(
        demand,
        acting_user=acting_user,
        action="demand_close",
        allowed_from=(DemandStatus.PUBLISHED,),
        status=DemandStatus.CLOSED,
        closed_on=timezone.localdate(),
    )


def _require_bank_user(user) -> int:
    access.require_role(user, access.LENDER)
    bank = access.bank_id_of(user)
    if bank is None:
        raise ValidationError(_("您的账户尚未关联贷款银行，请联系市项目办。"))
    return bank


@transaction.atomic
def intention_create(*, acting_user, demand: FinancingDemand, **fields) -> CreditIntention:
    """A bank's answer to a published demand; the bank is the acting user's own."""
    bank = _require_bank_user(acting_user)
    reject_unknown_fields(fields, INTENTION_FIELDS)
    demand = _locked_demand(demand)
    if demand.status != DemandStatus.PUBLISHED:
        raise ValidationError({"demand": _("只能对已发布的融资需求提出授信意向。")})
    intention = CreditIntention(demand=demand, lender_id=bank, created_by=acting_user, **fields)
    record_create(intention, acting_user=acting_user, action="intention_create", project=demand.project)
    link = demand.get_absolute_url()
    project = demand.project
    recipients = User.objects.filter(is_active=True).filter(
        Q(is_superuser=True)
        | Q(groups__name=access.CITY_STAFF)
        | Q(groups__name=access.DISTRICT_USER, profile__district=project.district_id)
    )
    for user in recipients.distinct():
        notify(
            user=user,
            key=f"intention_received:{intention.pk}",
            kind=NotificationKind.INTENTION_RECEIVED,
            title=_("%(b)s 对“%(p)s”提出授信意向") % {"b": intention.lender.name, "p": project.name},
            body=_("意向金额 %(a)s 万元。") % {"a": f"{intention.amount / 10000:,.2f}"},
            link=link,
        )
    return intention


def _own_intention(acting_user, intention: CreditIntention) -> CreditIntention:
    bank = _require_bank_user(acting_user)
    intention = _locked_intention(intention)
    if intention.lender_id != bank:
        raise PermissionDenied(_("只能处理本行的授信意向。"))
    return intention


def _intention_step(intention, *, acting_user, action, allowed_from, note="", **changes) -> CreditIntention:
    if intention.status not in allowed_from:
        raise ValidationError(
            {
                "status": _("授信意向当前状态为“%(s)s”，不能进行此操作。")
                % {"s": intention.get_status_display()}
            }
        )
    record_update(
        intention,
        fields={**changes, "decided_at": timezone.now()},
        acting_user=acting_user,
        action=action,
        project=intention.demand.project,
        note=note,
    )
    return intention


@transaction.atomic
def intention_update(*, acting_user, intention: CreditIntention, **fields) -> CreditIntention:
    """The bank changes its own intention while it is only an intention."""
    reject_unknown_fields(fields, INTENTION_FIELDS)
    intention = _own_intention(acting_user, intention)
    if intention.status != IntentionStatus.INTENDED:
        raise ValidationError(
            {"status": _("授信意向已%(s)s，不能再修改。") % {"s": intention.get_status_display()}}
        )
    record_update(
        intention,
        fields=fields,
        acting_user=acting_user,
        action="intention_update",
        project=intention.demand.project,
    )
    return intention


@transaction.atomic
def intention_approve(*, acting_user, intention: CreditIntention, approval_no: str) -> CreditIntention:
    """The bank approved the credit (授信), with its credit approval number."""
    intention = _own_intention(acting_user, intention)
    approval_no = (approval_no or "").strip()
    if not approval_no:
        raise ValidationError({"approval_no": _("请填写授信批复编号。")})
    return _intention_step(
        intention,
        acting_user=acting_user,
        action="intention_approve",
        allowed_from=(IntentionStatus.INTENDED,),
        status=IntentionStatus.APPROVED,
        approval_no=approval_no,
    )


@transaction.atomic
def intention_decline(*, acting_user, intention: CreditIntention, reason: str = "") -> CreditIntention:
    """The bank's credit review did not pass."""
    intention = _own_intention(acting_user, intention)
    return _intention_step(
        intention,
        acting_user=acting_user,
        action="intention_decline",
        allowed_from=(IntentionStatus.INTENDED,),
        status=IntentionStatus.DECLINED,
        note=reason,
    )


@transaction.atomic
def intention_withdraw(*, acting_user, intention: CreditIntention, reason: str = "") -> CreditIntention:
    """The bank withdraws its intention, before or after approving the credit, never once signed."""
    intention = _own_intention(acting_user, intention)
    return _intention_step(
        intention,
        acting_user=acting_user,
        action="intention_withdraw",
        allowed_from=(IntentionStatus.INTENDED, IntentionStatus.APPROVED),
        status=IntentionStatus.WITHDRAWN,
        note=reason,
    )


@transaction.atomic
def intention_sign(*, acting_user, intention: CreditIntention, loan: Loan) -> CreditIntention:
    """City staff mark an approved intention signed, tied to the loan registered for it: a loan of the
    demand's project, from the intention's bank, tied to no other intention."""
    access.require_role(acting_user, access.CITY_STAFF)
    intention = _locked_intention(intention)
    if intention.status != IntentionStatus.APPROVED:
        raise ValidationError(
            {
                "status": _("只有已授信的意向可以签约，当前状态为“%(s)s”。")
                % {"s": intention.get_status_display()}
            }
        )
    loan = Loan.objects.select_for_update().get(pk=loan.pk)
    errors = []
    if loan.project_id != intention.demand.project_id:
        errors.append(_("所选贷款不属于该融资需求的项目。"))
    if loan.lender_id != intention.lender_id:
        errors.append(_("所选贷款的贷款银行不是提出意向的银行。"))
    if loan.status == LoanStatus.TERMINATED:
        errors.append(_("所选贷款已终止。"))
    if CreditIntention.objects.filter(loan=loan).exclude(pk=intention.pk).exists():
        errors.append(_("所选贷款已关联其他授信意向。"))
    if errors:
        raise ValidationError({"loan": errors})
    return _intention_step(
        intention,
        acting_user=acting_user,
        action="intention_sign",
        allowed_from=(IntentionStatus.APPROVED,),
        status=IntentionStatus.SIGNED,
        loan=loan,
    )
