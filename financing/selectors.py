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

from django.db.models import (
    BigIntegerField,
    BooleanField,
    Case,
    Count,
    Exists,
    ExpressionWrapper,
    F,
    OuterRef,
    Prefetch,
    Q,
    QuerySet,
    Subquery,
    Sum,
    Value,
    When,
)
from django.db.models.functions import Cast, Coalesce, ExtractYear, Greatest, Round
from django.utils import timezone

from portfolio.filters import filtered
from portfolio.money import CENT, MONEY_FIELD, ZERO_YUAN

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
from .installments import computed_schedule
from .models import (
    CreditIntention,
    Disbursement,
    FinancingDemand,
    FundingLine,
    Installment,
    Loan,
    LoanBalance,
    Organization,
    Repayment,
)
from .models.schedule import UNSETTLED
from .models.totals import FIGURES as STORED_FIGURES
from .schedule import Schedule, cents

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


def with_stored_financing_totals(projects: QuerySet) -> QuerySet:
    """Annotate each project with its financing totals as stored (FinancingTotals, kept in step by the
    ledger's services), under the names with_financing_totals gives them: one join, no aggregate, so that a
    list sorted by 资金缺口 costs the same whatever the number of funding lines and loans.

    An inner join: every project has its row (written where a project is created, filled by
    financing/0009), and an inner join lets the database read the list sorted by 资金缺口 off the index on
    funding_gap instead of sorting every joined row. A project without its row would be missing here;
    `/healthz?deep=1` and `rebuild_financing_totals --check` count such projects, and the rebuild writes
    their rows."""
    return projects.filter(financing_totals__isnull=False).annotate(
        **{figure: F(f"financing_totals__{figure}") for figure in STORED_FIGURES}
    )


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


def funding_in_place_of(project: OuterRef) -> dict[str, Coalesce]:
    """funding_in_place as two annotations, approved and received, of a queryset whose rows point to
    `project`: the dispatch sums them over all its projects in the one statement that sums the rest."""
    lines = (
        FundingLine.objects.filter(project=project)
        .exclude(status=FundingStatus.REJECTED)
        .order_by()
        .values("project")
    )

    def summed(amount: str) -> Coalesce:
        rows = lines.annotate(total=Sum(amount)).values("total")
        return Coalesce(Subquery(rows, output_field=MONEY_FIELD), ZERO_YUAN, output_field=MONEY_FIELD)

    return {"approved": summed("approved_amount"), "received": summed("received_amount")}


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


def funding_by_source_in_fen(lines: QuerySet) -> dict[str, tuple[int, int, int]]:
    """funding_by_source's planned, approved and received per source type, in whole 分 (exact on every
    backend, and summable across the districts' tallies)."""
    rows = (
        lines.order_by()
        .values("source_type")
        .annotate(
            planned=sum_in_fen(F("planned_amount"), filter=~Q(status=FundingStatus.REJECTED)),
            approved=sum_in_fen(F("approved_amount"), filter=Q(status__in=GRANTED_STATUSES)),
            received=sum_in_fen(F("received_amount")),
        )
    )
    return {
        row["source_type"]: (row["planned"] or 0, row["approved"] or 0, row["received"] or 0) for row in rows
    }


def funding_rows_of_fen(sums: dict[str, tuple[int, int, int]], *, largest_first: bool = False) -> list[dict]:
    """funding_by_source's rows from sums in 分 by source type (funding_by_source_in_fen's, added up)."""
    labels = dict(SourceType.choices)
    result = [
        {
            "label": labels.get(source, source),
            "planned": yuan_of_fen(planned),
            "approved": yuan_of_fen(approved),
            "received": yuan_of_fen(received),
        }
        for source, (planned, approved, received) in sorted(sums.items())
    ]
    return sorted(result, key=lambda r: -r["planned"]) if largest_first else result


# Loan balances


def with_loan_balances(loans: QuerySet) -> QuerySet:
    """Annotate each loan's disbursed, principal repaid and outstanding principal, one subquery each."""

    def total(model, field):
        summed = model.objects.filter(loan=OuterRef("pk")).order_by().values("loan").annotate(t=Sum(field))
        return Coalesce(Subquery(summed.values("t"), output_field=MONEY_FIELD), ZERO_YUAN)

    return loans.annotate(
        disbursed=total(Disbursement, "amount"), repaid=total(Repayment, "principal")
    ).annotate(outstanding=F("disbursed") - F("repaid"))


def loan_totals_by(loans: QuerySet, *keys: str) -> dict:
    """Principal, disbursed and outstanding of the live loans among `loans`, grouped by `keys` (lookups
    from the loan: "lender__name", "project", …; a group is the key's value, or a tuple of the values of
    several keys).

    One query over the loans with their balances (a correlated sum per loan, on the entries' loan index),
    added up here: grouping the entries themselves by a subquery of the loans made PostgreSQL re-run that
    subquery for every entry."""
    totals: dict = {}
    rows = (
        with_loan_balances(live_loans(loans))
        .order_by()
        .values_list(*keys, "principal", "disbursed", "outstanding")
    )
    for *group, principal, disbursed, outstanding in rows:
        group = group[0] if len(keys) == 1 else tuple(group)
        total = totals.setdefault(group, {"principal": ZERO, "disbursed": ZERO, "outstanding": ZERO})
        total["principal"] += principal
        total["disbursed"] += disbursed
        total["outstanding"] += outstanding
    return totals


# Schedules and positions
#
# The schedules are read from the stored installments (financing.installments keeps them in step with the
# loans' terms, drawings and repayments); loan_schedule computes one from the records, as they are stored.


def loan_schedule(*, loan: Loan, disbursements, repayments) -> Schedule | None:
    """The loan's schedule computed from its records, with the repayments allocated, or None while its terms
    are incomplete: what its stored installments hold."""
    return computed_schedule(loan=loan, disbursements=disbursements, repayments=repayments)


def with_entries(loans: QuerySet) -> QuerySet:
    """Loans with their disbursements and repayments in date order, for schedules (two prefetches)."""
    return loans.prefetch_related(
        Prefetch("disbursements", queryset=Disbursement.objects.order_by("date", "pk")),
        Prefetch("repayments", queryset=Repayment.objects.order_by("date", "pk")),
    )


UNPAID = ExpressionWrapper(
    F("principal") - F("paid_principal") + F("interest") - F("paid_interest"), output_field=MONEY_FIELD
)
OWED_PRINCIPAL = ExpressionWrapper(F("principal") - F("paid_principal"), output_field=MONEY_FIELD)


def sum_in_fen(amount, **options) -> Sum:
    """The sum of an amount over many rows, in whole 分 as an integer (yuan_of_fen turns it back into 元).

    Exact on every backend: SQLite keeps decimals as floats, so its SUM of thousands of installments drifts
    off the 分 (measured: 4,020,290,831.58999 for …831.59 over the demo's 2,000 projects), while a sum of
    integers is exact."""
    return Sum(Cast(Round(amount * 100), BigIntegerField()), **options)


def yuan_of_fen(fen: int | None) -> Decimal:
    return (Decimal(fen or 0) / 100).quantize(CENT)


def installments_of(*, loan: Loan, today: datetime.date) -> QuerySet:
    """The loan's stored installments in order, each with `overdue`: due before `today` and not fully paid,
    on a running loan only (a settled or terminated loan owes nothing more). One query."""
    if loan.status == LoanStatus.SIGNED:
        overdue = ExpressionWrapper(Q(due__lt=today) & UNSETTLED, output_field=BooleanField())
    else:
        overdue = Value(False, output_field=BooleanField())
    return Installment.objects.filter(loan=loan).order_by("number").annotate(overdue=overdue)


def maturity_profile(loans: QuerySet, *, today: datetime.date) -> dict:
    """Of the live loans among `loans`: principal still to repay by the year it falls due, what is past
    due, and what is outstanding on loans whose terms are not recorded (no schedule). Two aggregate queries
    over the stored installments and the loans, whatever their number."""
    live = live_loans(loans).order_by().values("pk")
    # Summed by due date, then by year here: the installments fall on few distinct dates, and grouping by
    # the date itself needs no function per row (SQLite's year extraction is a Python call for each of
    # them, four times the cost of the sum at 10,000 projects).
    rows = (
        Installment.objects.filter(loan__in=live, principal__gt=F("paid_principal"))
        .values("due")
        .annotate(owed=sum_in_fen(OWED_PRINCIPAL))
        .order_by()
    )
    later, overdue_fen = {}, 0
    for row in rows:
        if row["due"] < today:
            overdue_fen += row["owed"] or 0
        elif row["owed"]:
            later[row["due"].year] = later.get(row["due"].year, 0) + row["owed"]
    maturity = {year: yuan_of_fen(fen) for year, fen in later.items()}
    unscheduled = (
        with_loan_balances(live_loans(loans).filter(~Exists(Installment.objects.filter(loan=OuterRef("pk")))))
        .order_by()
        .aggregate(total=sum_in_fen(F("outstanding")))["total"]
    )
    return {
        "maturity": sorted(maturity.items()),
        "overdue_principal": yuan_of_fen(overdue_fen),
        "unscheduled": yuan_of_fen(unscheduled),
    }


def interest_by_year(*, loan: Loan) -> dict[int, Decimal]:
    """The interest of the loan's stored installments by the year it falls due: one aggregate query."""
    rows = (
        Installment.objects.filter(loan=loan)
        .annotate(year=ExtractYear("due"))
        .values("year")
        .annotate(interest=sum_in_fen(F("interest")))
        .order_by()
    )
    return {row["year"]: yuan_of_fen(row["interest"]) for row in rows}


def subsidy_by_year(*, loan: Loan, subsidy_rate: Decimal, interest: dict[int, Decimal]) -> dict[int, Decimal]:
    """The interest that a subsidy of `subsidy_rate` percentage points pays, by the year it falls due, from
    the loan's interest by year (as Schedule.subsidy_by_year computes it from a schedule)."""
    rate = loan.annual_rate
    if not rate:
        return {}
    share = min(subsidy_rate, rate) / rate
    return {year: cents(amount * share) for year, amount in interest.items()}


def loan_position(*, loan: Loan, today: datetime.date | None = None) -> dict:
    """Where one loan stands: its entries, balances, schedule (its stored installments), what falls due soon
    or is past due, and the interest its subsidies pay by year."""
    today = today or timezone.localdate()
    disbursements = list(loan.disbursements.order_by("date", "pk"))
    repayments = list(loan.repayments.order_by("date", "pk"))
    disbursed = sum((d.amount for d in disbursements), ZERO)
    repaid = sum((r.principal for r in repayments), ZERO)
    terms = loan.schedule_terms()
    schedule = None
    if terms is not None:
        schedule = Schedule(terms=terms, installments=list(installments_of(loan=loan, today=today)))
    # Only a running loan has installments falling due; a settled or terminated one owes nothing more.
    running = schedule is not None and loan.status == LoanStatus.SIGNED
    past_due = [i for i in schedule.installments if i.overdue] if schedule else []
    subsidies = []
    lines = list(loan.subsidies.exclude(status=FundingStatus.REJECTED).order_by("year", "pk"))
    interest = interest_by_year(loan=loan) if lines and schedule else {}
    for line in lines:
        by_year = subsidy_by_year(loan=loan, subsidy_rate=line.subsidy_rate, interest=interest)
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


# The entries in the order of their (loan, date, id) index: "loan_id", not "loan", which would sort by the
# loan's own ordering (project, signed_on), joining and sorting every entry.


def disbursement_list(*, user, params=None, strict: bool = True) -> QuerySet:
    entries = Disbursement.objects.visible_to(user).order_by("loan_id", "date", "pk")
    return filtered(DisbursementFilterSet, params, entries, user=user, strict=strict)


def repayment_list(*, user, params=None, strict: bool = True) -> QuerySet:
    entries = Repayment.objects.visible_to(user).order_by("loan_id", "date", "pk")
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


def with_dues(loans: QuerySet, *, today: datetime.date) -> QuerySet:
    """Annotate each loan, from its stored installments, with whether it has a schedule, the next
    installment still owed on or after `today` (its date and what of it is unpaid), and what installments
    due before `today` leave unpaid (principal and interest); one subquery each, on the installments'
    (loan, due) index."""
    rows = Installment.objects.filter(loan=OuterRef("pk")).order_by()
    upcoming = rows.filter(UNSETTLED, due__gte=today).order_by("due", "number")
    # A settled installment leaves nothing unpaid: only the unsettled ones are summed (a partial index).
    past = rows.filter(UNSETTLED, due__lt=today).values("loan").annotate(total=Sum(UNPAID)).values("total")
    return loans.annotate(
        has_schedule=Exists(rows),
        next_due_on=Subquery(upcoming.values("due")[:1]),
        next_due_amount=Subquery(
            upcoming.annotate(unpaid=UNPAID).values("unpaid")[:1], output_field=MONEY_FIELD
        ),
        past_due_total=Coalesce(Subquery(past, output_field=MONEY_FIELD), ZERO_YUAN),
    )


def loan_standing(loan: Loan) -> dict:
    """Where `loan` (annotated by with_loan_balances and with_dues) stands: drawn, outstanding, the next
    installment still owed and what is past due. As in loan_position, only a running loan has installments
    falling due; a loan without recorded terms has no schedule (next and past due None)."""
    running = loan.has_schedule and loan.status == LoanStatus.SIGNED
    past_due = None
    if running:
        past_due = loan.past_due_total.quantize(CENT)
    elif loan.has_schedule:
        past_due = ZERO
    return {
        "loan": loan,
        "disbursed": loan.disbursed,
        "outstanding": loan.outstanding,
        "has_schedule": loan.has_schedule,
        "next_due_on": loan.next_due_on if running else None,
        "next_due_amount": loan.next_due_amount.quantize(CENT) if running and loan.next_due_on else None,
        "past_due": past_due,
    }


def loan_book(loans: QuerySet, *, today: datetime.date | None = None) -> list[dict]:
    """Each of `loans` with its standing (loan_standing), in one query whatever their number."""
    today = today or timezone.localdate()
    if "outstanding" not in loans.query.annotations:
        loans = with_loan_balances(loans)
    return [loan_standing(loan) for loan in with_dues(loans, today=today)]


def loan_book_totals(loans: QuerySet, *, today: datetime.date | None = None) -> dict:
    """The number of `loans`, and the principal, drawn, outstanding and past due of the live ones among
    them (terminated loans finance nothing: their own rows keep their figures, the totals leave them out),
    as loan_book's rows add up. Three aggregate queries, in whole 分, whatever the number of loans: a page
    of the book reads its own rows only."""
    today = today or timezone.localdate()
    loans = loans.order_by()
    live = live_loans(loans).values("pk")
    head = loans.aggregate(
        count=Count("pk"), principal=sum_in_fen(F("principal"), filter=~Q(status=LoanStatus.TERMINATED))
    )
    # From the loans' stored balances (one row a loan), not from every drawing and repayment.
    balances = LoanBalance.objects.filter(loan__in=live).aggregate(
        drawn=sum_in_fen(F("disbursed")), repaid=sum_in_fen(F("repaid"))
    )
    drawn, repaid = balances["drawn"], balances["repaid"]
    # Only a running loan has installments falling due (loan_standing): a settled one owes nothing more.
    running = loans.filter(status=LoanStatus.SIGNED).values("pk")
    past_due = Installment.objects.filter(UNSETTLED, loan__in=running, due__lt=today).aggregate(
        fen=sum_in_fen(UNPAID)
    )
    return {
        "count": head["count"],
        "principal": yuan_of_fen(head["principal"]),
        "disbursed": yuan_of_fen(drawn),
        "outstanding": yuan_of_fen((drawn or 0) - (repaid or 0)),
        "past_due": yuan_of_fen(past_due["fen"]),
    }


# Financing demands with what a bank reads of them


def with_demand_figures(demands: QuerySet, *, intention_count: bool) -> QuerySet:
    """Annotate each demand with its project's funding in place, as with_financing_totals counts it
    (`approved_funding`: approved_cover; `funding_gap`), read from the project's stored totals; with
    `intention_count`, also how many intentions answered it (never for a lender: a bank does not learn how
    many others did)."""
    demands = demands.annotate(
        approved_funding=F("project__financing_totals__approved_cover"),
        funding_gap=F("project__financing_totals__funding_gap"),
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
