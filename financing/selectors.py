"""Every figure about money, and the one read path of each financing list.

Pages, the API, the dashboard and the exports read funding totals, funding by source, loan balances and
loan positions here, so that no reader restates the arithmetic.

Terminated loans (已终止) finance nothing: every total leaves them out (a project's cover, gap and loan
total; the dashboard's loan figures and maturity profile; the totals of projects.xlsx and financing.xlsx),
while a terminated loan's own record keeps its own figures (its page, its API record, its rows in
financing.xlsx, marked 已终止).
"""

import datetime
from decimal import Decimal

from django.db.models import Case, Count, F, OuterRef, Prefetch, Q, QuerySet, Subquery, Sum, When
from django.db.models.functions import Coalesce, Greatest
from django.utils import timezone

from portfolio.filters import filtered
from portfolio.money import CENT, MONEY_FIELD, ZERO_YUAN
from projects.models import Project

from .choices import GRANTED_STATUSES, LOAN_SOURCE_TYPES, FundingStatus, LoanStatus, SourceType
from .filtersets import (
    DemandFilterSet,
    DisbursementFilterSet,
    FundingLineFilterSet,
    IntentionFilterSet,
    LoanFilterSet,
    OrganizationFilterSet,
    RepaymentFilterSet,
)
from .models import CreditIntention, Disbursement, FinancingDemand, FundingLine, Loan, Organization, Repayment
from .schedule import Schedule, build_schedule

DUE_SOON_DAYS = 90
ZERO = Decimal(0)


# Funding totals of projects


def live_loans(loans: QuerySet) -> QuerySet:
    """The loans that count in totals: all but terminated ones."""
    return loans.exclude(status=LoanStatus.TERMINATED)


def _summed(queryset: QuerySet, amount) -> Coalesce:
    summed = queryset.order_by().values("project").annotate(total=Sum(amount)).values("total")
    return Coalesce(Subquery(summed, output_field=MONEY_FIELD), ZERO_YUAN)


def with_financing_totals(projects: QuerySet) -> QuerySet:
    """Annotate what covers each project's investment, in one subquery per figure.

    - planned_cover: the funding plan (the condition of the move to 成熟). Each line that was not rejected
      counts with its approved amount once approved or received, else with its planned amount.
    - approved_cover: what is approved or contracted. Lines approved or received count with their
      approved amount.
    Loan-type lines and signed loans describe the same money, so the larger of the two counts. The
    interest subsidy pays interest rather than investment and covers nothing here.
    - funding_gap: what of the total investment approved_cover leaves uncovered, never negative;
      funding_surplus: what approved_cover exceeds it by, never negative. One of the two is zero.
    - loan_principal_total: the principal of the project's live loans.
    """
    lines = FundingLine.objects.filter(project=OuterRef("pk")).exclude(
        source_type=SourceType.INTEREST_SUBSIDY
    )
    plan_amount = Case(
        When(status__in=GRANTED_STATUSES, then=F("approved_amount")), default=F("planned_amount")
    )
    live = lines.exclude(status=FundingStatus.REJECTED)
    granted = lines.filter(status__in=GRANTED_STATUSES)
    signed = _summed(live_loans(Loan.objects.filter(project=OuterRef("pk"))), "principal")
    return projects.annotate(
        loan_principal_total=signed,
        planned_cover=_summed(live.exclude(source_type__in=LOAN_SOURCE_TYPES), plan_amount)
        + Greatest(_summed(live.filter(source_type__in=LOAN_SOURCE_TYPES), plan_amount), signed),
        approved_cover=_summed(granted.exclude(source_type__in=LOAN_SOURCE_TYPES), "approved_amount")
        + Greatest(_summed(granted.filter(source_type__in=LOAN_SOURCE_TYPES), "approved_amount"), signed),
    ).annotate(
        funding_gap=Greatest(F("total_investment") - F("approved_cover"), ZERO_YUAN),
        funding_surplus=Greatest(F("approved_cover") - F("total_investment"), ZERO_YUAN),
    )


def funding_gap_total(projects: QuerySet) -> Decimal:
    """The funding gap of `projects` added up (each project's never negative): one query."""
    total = with_financing_totals(projects.order_by()).aggregate(total=Sum("funding_gap"))["total"]
    return Decimal(total or 0).quantize(CENT)


def funding_in_place(project_ids) -> dict[int, tuple[Decimal, Decimal]]:
    """Per project, the funding approved and the funding received (到位), over its lines that were not
    rejected: what 资金到位率 divides. One query."""
    rows = (
        FundingLine.objects.filter(project__in=project_ids)
        .exclude(status=FundingStatus.REJECTED)
        .values("project")
        .annotate(approved=Sum("approved_amount"), received=Sum("received_amount"))
        .order_by()
    )
    return {row["project"]: (row["approved"] or ZERO, row["received"] or ZERO) for row in rows}


def funding_plan_total(*, project) -> Decimal:
    """What the project's funding plan covers (planned_cover of with_financing_totals)."""
    projects = with_financing_totals(type(project).objects.filter(pk=project.pk))
    return projects.values_list("planned_cover", flat=True).get()


def funding_by_source(lines: QuerySet, *, largest_first: bool = False) -> list[dict]:
    """Planned, approved and received amounts of `lines` per source type, summed in the database.

    As for the cover: a rejected line plans nothing, only approved or received lines count as approved."""
    rows = (
        lines.order_by()
        .values("source_type")
        .annotate(
            planned=Coalesce(Sum("planned_amount", filter=~Q(status=FundingStatus.REJECTED)), ZERO_YUAN),
            approved=Coalesce(Sum("approved_amount", filter=Q(status__in=GRANTED_STATUSES)), ZERO_YUAN),
            received=Coalesce(Sum("received_amount"), ZERO_YUAN),
        )
    )
    labels = dict(SourceType.choices)
    result = [
        {
            "label": labels.get(row["source_type"], row["source_type"]),
            "planned": row["planned"],
            "approved": row["approved"],
            "received": row["received"],
        }
        for row in sorted(rows, key=lambda row: row["source_type"])
    ]
    return sorted(result, key=lambda r: -r["planned"]) if largest_first else result


def approved_by_source(projects: QuerySet) -> dict[tuple[int, str], Decimal]:
    """Each project's approved amount per source type, (project id, source type) → 元."""
    ids = projects.order_by().values("pk")
    granted = FundingLine.objects.filter(project__in=ids, status__in=GRANTED_STATUSES)
    return {
        (project, source): total
        for project, source, total in granted.order_by()
        .values_list("project", "source_type")
        .annotate(total=Sum("approved_amount"))
    }


# Loan balances


def with_loan_balances(loans: QuerySet) -> QuerySet:
    """Annotate each loan's disbursed, principal repaid and outstanding principal, one subquery each."""

    def total(model, field):
        summed = model.objects.filter(loan=OuterRef("pk")).order_by().values("loan").annotate(t=Sum(field))
        return Coalesce(Subquery(summed.values("t"), output_field=MONEY_FIELD), ZERO_YUAN)

    return loans.annotate(
        disbursed=total(Disbursement, "amount"), repaid=total(Repayment, "principal")
    ).annotate(outstanding=F("disbursed") - F("repaid"))


def loan_totals_by(loans: QuerySet, key: str) -> dict:
    """Principal, disbursed and outstanding of the live loans among `loans`, grouped by `key` (a lookup
    from the loan: "lender__name", "project", …).

    One query over the loans with their balances (a correlated sum per loan, on the entries' loan index),
    added up here: grouping the entries themselves by a subquery of the loans made PostgreSQL re-run that
    subquery for every entry."""
    totals: dict = {}
    rows = (
        with_loan_balances(live_loans(loans))
        .order_by()
        .values_list(key, "principal", "disbursed", "outstanding")
    )
    for group, principal, disbursed, outstanding in rows:
        total = totals.setdefault(group, {"principal": ZERO, "disbursed": ZERO, "outstanding": ZERO})
        total["principal"] += principal
        total["disbursed"] += disbursed
        total["outstanding"] += outstanding
    return totals


# Schedules and positions


def loan_schedule(*, loan: Loan, disbursements, repayments) -> Schedule | None:
    """The loan's schedule with the repayments allocated, or None while its terms are incomplete."""
    terms = loan.schedule_terms()
    if terms is None:
        return None
    schedule = build_schedule(terms, [(d.date, d.amount) for d in disbursements])
    schedule.apply_repayments([(r.date, r.principal, r.interest) for r in repayments])
    return schedule


def with_entries(loans: QuerySet) -> QuerySet:
    """Loans with their disbursements and repayments in date order, for schedules (two prefetches)."""
    return loans.prefetch_related(
        Prefetch("disbursements", queryset=Disbursement.objects.order_by("date", "pk")),
        Prefetch("repayments", queryset=Repayment.objects.order_by("date", "pk")),
    )


def maturity_profile(loans: QuerySet, *, today: datetime.date) -> dict:
    """Of the live loans among `loans`: principal still to repay by the year it falls due, what is past
    due, and what is outstanding on loans whose terms are not recorded (no schedule)."""
    maturity, overdue_principal, unscheduled = {}, ZERO, ZERO
    for loan in with_entries(live_loans(loans)):
        drawn = list(loan.disbursements.all())
        paid = list(loan.repayments.all())
        schedule = loan_schedule(loan=loan, disbursements=drawn, repayments=paid)
        if schedule is None:
            unscheduled += sum((d.amount for d in drawn), ZERO) - sum((r.principal for r in paid), ZERO)
            continue
        for installment in schedule.installments:
            owed = installment.unpaid_principal
            if owed <= 0:
                continue
            if installment.due < today:
                overdue_principal += owed
            else:
                maturity[installment.due.year] = maturity.get(installment.due.year, ZERO) + owed
    return {
        "maturity": sorted(maturity.items()),
        "overdue_principal": overdue_principal,
        "unscheduled": unscheduled,
    }


def loan_position(*, loan: Loan, today: datetime.date | None = None) -> dict:
    """Where one loan stands: its entries, balances, schedule, what falls due soon or is past due, and the
    interest its subsidies pay by year."""
    today = today or timezone.localdate()
    disbursements = list(loan.disbursements.order_by("date", "pk"))
    repayments = list(loan.repayments.order_by("date", "pk"))
    disbursed = sum((d.amount for d in disbursements), ZERO)
    repaid = sum((r.principal for r in repayments), ZERO)
    schedule = loan_schedule(loan=loan, disbursements=disbursements, repayments=repayments)
    # Only a running loan has installments falling due; a settled or terminated one owes nothing more.
    running = schedule is not None and loan.status == LoanStatus.SIGNED
    past_due = schedule.past_due(today) if running else []
    for installment in past_due:
        installment.overdue = True
    subsidies = []
    for line in loan.subsidies.exclude(status=FundingStatus.REJECTED).order_by("year", "pk"):
        by_year = schedule.subsidy_by_year(line.subsidy_rate) if schedule else {}
        subsidies.append({"line": line, "by_year": sorted(by_year.items())})
    due_soon = schedule.due_between(today, today + datetime.timedelta(days=DUE_SOON_DAYS)) if running else []
    return {
        "disbursements": disbursements,
        "repayments": repayments,
        "disbursed": disbursed,
        "undisbursed": loan.principal - disbursed,
        "repaid_principal": repaid,
        "outstanding": disbursed - repaid,
        "interest_paid": sum((r.interest for r in repayments), ZERO),
        "schedule": schedule,
        "due_soon": [i for i in due_soon if not i.settled],
        "past_due": past_due,
        "subsidies": subsidies,
        "today": today,
    }


# The lists: one read path each, for the API, the pages and the exports


def organization_list(*, user, params=None, strict: bool = True) -> QuerySet:
    organizations = Organization.objects.visible_to(user).order_by("name")
    return filtered(OrganizationFilterSet, params, organizations, user=user, strict=strict)


def funding_line_list(*, user, params=None, strict: bool = True) -> QuerySet:
    lines = FundingLine.objects.visible_to(user).order_by("project", "year", "pk")
    return filtered(FundingLineFilterSet, params, lines, user=user, strict=strict)


def loan_list(*, user, params=None, strict: bool = True) -> QuerySet:
    loans = with_loan_balances(Loan.objects.visible_to(user)).order_by("project", "pk")
    return filtered(LoanFilterSet, params, loans, user=user, strict=strict)


def disbursement_list(*, user, params=None, strict: bool = True) -> QuerySet:
    entries = Disbursement.objects.visible_to(user).order_by("loan", "date", "pk")
    return filtered(DisbursementFilterSet, params, entries, user=user, strict=strict)


def repayment_list(*, user, params=None, strict: bool = True) -> QuerySet:
    entries = Repayment.objects.visible_to(user).order_by("loan", "date", "pk")
    return filtered(RepaymentFilterSet, params, entries, user=user, strict=strict)


def demand_list(*, user, params=None, strict: bool = True) -> QuerySet:
    """Financing demands in the user's scope, the newest published first, with their project."""
    demands = FinancingDemand.objects.visible_to(user).select_related(
        "project__district", "project__implementing_org"
    )
    return filtered(
        DemandFilterSet, params, demands.order_by("-published_on", "-pk"), user=user, strict=strict
    )


def intention_list(*, user, params=None, strict: bool = True) -> QuerySet:
    """Credit intentions in the user's scope: a bank's own, a district's on its projects, all for the city."""
    intentions = CreditIntention.objects.visible_to(user).select_related(
        "demand__project__district", "lender", "loan"
    )
    return filtered(
        IntentionFilterSet, params, intentions.order_by("-created_at", "-pk"), user=user, strict=strict
    )


# A loan book: the loans a bank (or the city) follows, each with where it stands today


def loan_standing(*, loan: Loan, disbursements, repayments, today: datetime.date) -> dict:
    """Where `loan` stands on `today`, from its entries (in date order): drawn, outstanding, the next
    installment still owed on or after today (its date and what of it is unpaid), and what installments
    due before today leave unpaid (principal and interest). As in loan_position, only a running loan has
    installments falling due; a loan without recorded terms has no schedule (next and past due None)."""
    disbursed = sum((d.amount for d in disbursements), ZERO)
    repaid = sum((r.principal for r in repayments), ZERO)
    schedule = loan_schedule(loan=loan, disbursements=disbursements, repayments=repayments)
    running = schedule is not None and loan.status == LoanStatus.SIGNED
    next_due, past_due = None, None
    if running:
        past_due = sum((i.unpaid_principal + i.unpaid_interest for i in schedule.past_due(today)), ZERO)
        next_due = next((i for i in schedule.installments if i.due >= today and not i.settled), None)
    elif schedule is not None:
        past_due = ZERO
    return {
        "loan": loan,
        "disbursed": disbursed,
        "outstanding": disbursed - repaid,
        "has_schedule": schedule is not None,
        "next_due_on": next_due.due if next_due else None,
        "next_due_amount": next_due.unpaid_principal + next_due.unpaid_interest if next_due else None,
        "past_due": past_due,
    }


def loan_book(loans: QuerySet, *, today: datetime.date | None = None) -> list[dict]:
    """Each of `loans` with its standing (loan_standing), in three queries whatever their number: the
    loans, their disbursements, their repayments."""
    today = today or timezone.localdate()
    return [
        loan_standing(
            loan=loan,
            disbursements=list(loan.disbursements.all()),
            repayments=list(loan.repayments.all()),
            today=today,
        )
        for loan in with_entries(loans)
    ]


def loan_book_totals(rows: list[dict]) -> dict:
    """The principal, drawn, outstanding and past due of the live loans of a loan book (terminated loans
    finance nothing: their own rows keep their figures, the totals leave them out)."""
    live = [row for row in rows if row["loan"].status != LoanStatus.TERMINATED]
    return {
        "count": len(rows),
        "principal": sum((row["loan"].principal for row in live), ZERO),
        "disbursed": sum((row["disbursed"] for row in live), ZERO),
        "outstanding": sum((row["outstanding"] for row in live), ZERO),
        "past_due": sum((row["past_due"] or ZERO for row in live), ZERO),
    }


# Financing demands with what a bank reads of them


def with_demand_figures(demands: QuerySet, *, intention_count: bool) -> QuerySet:
    """Annotate each demand with its project's funding in place, as with_financing_totals counts it
    (`approved_funding`: approved_cover; `funding_gap`), one subquery each; with `intention_count`, also
    how many intentions answered it (never for a lender: a bank does not learn how many others did)."""
    project = with_financing_totals(Project.objects.filter(pk=OuterRef("project")))
    demands = demands.annotate(
        approved_funding=Subquery(project.values("approved_cover")[:1], output_field=MONEY_FIELD),
        funding_gap=Subquery(project.values("funding_gap")[:1], output_field=MONEY_FIELD),
    )
    if not intention_count:
        return demands
    answered = (
        CreditIntention.objects.filter(demand=OuterRef("pk"))
        .order_by()
        .values("demand")
        .annotate(n=Count("pk"))
        .values("n")
    )
    return demands.annotate(intention_count=Coalesce(Subquery(answered), 0))
