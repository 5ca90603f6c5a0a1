"""Repayment schedules computed from a loan's terms and its actual disbursements.

Pure functions over Decimal, rounded to the 分 (0.01 元), with no database access, so that the loan page,
the dashboard and the exports compute the same figures, and tests can check them against hand-computed
examples.

Conventions (stated on the loan page too):
- Periods run from the signing date in steps of the payment interval (按月/季/半年/年); the last period ends
  at maturity (signing date + term), so it may be shorter, and is charged for its own months.
- Interest for a period is the balance at its start times the period rate (annual rate × the period's months
  / 12), plus, for money drawn during the period, the period rate prorated by the days it was out. Money drawn
  on a due date counts from the next period.
- Periods that end within the grace period pay interest only.
- 等额本金 repays the balance due in equal parts over the remaining periods; 到期一次还本 repays it all at
  maturity. 等额本息 pays the same installment (principal + interest) every period: the annuity on the balance
  due when repayment starts, over the periods then remaining, at the regular period rate, rounded to the 分;
  each period's principal is that installment less the period's (rounded) interest. The last period repays
  whatever is left, so the principal parts add up exactly to what was disbursed. A drawing made after
  repayments began is spread over the periods that remain (for 等额本息, the annuity is recomputed on the new
  balance over those periods).
"""

import calendar
import datetime
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal

CENT = Decimal("0.01")
ZERO = Decimal("0.00")


def cents(value: Decimal) -> Decimal:
    return value.quantize(CENT, rounding=ROUND_HALF_UP)


def add_months(day: datetime.date, months: int) -> datetime.date:
    month = day.month - 1 + months
    year = day.year + month // 12
    month = month % 12 + 1
    return datetime.date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


@dataclass(frozen=True)
class Terms:
    signed_on: datetime.date
    term_months: int
    annual_rate: Decimal  # percent, e.g. Decimal("3.6")
    method: str  # equal_principal | equal_installment | bullet
    grace_months: int = 0
    interval_months: int = 3

    def __post_init__(self):
        if not isinstance(self.annual_rate, Decimal):
            raise TypeError("annual_rate must be a Decimal: money is never computed in floats")

    @property
    def maturity(self) -> datetime.date:
        return add_months(self.signed_on, self.term_months)


@dataclass
class Installment:
    number: int
    starts: datetime.date
    due: datetime.date
    opening_balance: Decimal
    drawn: Decimal
    principal: Decimal
    interest: Decimal
    closing_balance: Decimal
    grace: bool
    paid_principal: Decimal = ZERO
    paid_interest: Decimal = ZERO
    overdue: bool = False

    @property
    def total(self) -> Decimal:
        return self.principal + self.interest

    @property
    def unpaid_principal(self) -> Decimal:
        return self.principal - self.paid_principal

    @property
    def unpaid_interest(self) -> Decimal:
        return self.interest - self.paid_interest

    @property
    def settled(self) -> bool:
        return self.unpaid_principal <= 0 and self.unpaid_interest <= 0


@dataclass
class Schedule:
    terms: Terms
    installments: list[Installment] = field(default_factory=list)

    @property
    def principal_total(self) -> Decimal:
        return sum((i.principal for i in self.installments), ZERO)

    @property
    def interest_total(self) -> Decimal:
        return sum((i.interest for i in self.installments), ZERO)

    def due_between(self, first: datetime.date, last: datetime.date) -> list[Installment]:
        return [i for i in self.installments if first <= i.due <= last]

    def past_due(self, today: datetime.date) -> list[Installment]:
        """Installments due before `today` and not fully paid (after apply_repayments)."""
        return [i for i in self.installments if i.due < today and not i.settled]

    def principal_by_year(self, since: datetime.date | None = None) -> dict[int, Decimal]:
        years: dict[int, Decimal] = {}
        for installment in self.installments:
            if since is None or installment.due >= since:
                years[installment.due.year] = years.get(installment.due.year, ZERO) + installment.principal
        return years

    def subsidy_by_year(self, subsidy_rate: Decimal) -> dict[int, Decimal]:
        """The interest that a subsidy of `subsidy_rate` percentage points pays, by the year it falls due."""
        rate = self.terms.annual_rate
        years: dict[int, Decimal] = {}
        if not rate:
            return years
        share = min(subsidy_rate, rate) / rate
        for installment in self.installments:
            years[installment.due.year] = years.get(installment.due.year, ZERO) + installment.interest * share
        return {year: cents(amount) for year, amount in years.items()}

    def apply_repayments(self, repayments: list[tuple[datetime.date, Decimal, Decimal]]) -> None:
        """Allocate actual repayments (date, principal, interest) to installments, oldest first."""
        principal = sum((p for _d, p, _i in repayments), ZERO)
        interest = sum((i for _d, _p, i in repayments), ZERO)
        for installment in self.installments:
            installment.paid_principal = min(principal, installment.principal)
            principal -= installment.paid_principal
            installment.paid_interest = min(interest, installment.interest)
            interest -= installment.paid_interest


def build_schedule(terms: Terms, disbursements: list[tuple[datetime.date, Decimal]]) -> Schedule:
    """The schedule of a loan with `terms`, for the money actually drawn (`disbursements`: date, amount)."""
    interval = terms.interval_months
    periods = -(-terms.term_months // interval)  # the last period may be shorter
    yearly = terms.annual_rate / 100
    pending = sorted(disbursements)
    regular = yearly * interval / 12  # the rate of a full period
    schedule = Schedule(terms=terms)
    balance = ZERO
    annuity = None  # 等额本息: the installment, set when repayment starts and reset by later drawings
    starts = terms.signed_on
    # Principal is repaid from the first period that ends after the grace months, to the last.
    first_repaying = next(
        (k for k in range(1, periods + 1) if min(k * interval, terms.term_months) > terms.grace_months),
        periods + 1,
    )
    for number in range(1, periods + 1):
        due = terms.maturity if number == periods else add_months(terms.signed_on, number * interval)
        months = min(number * interval, terms.term_months) - (number - 1) * interval
        rate = yearly * months / 12
        opening = balance
        # Money drawn on or before the start counts from the start; within the period, for its days.
        while pending and pending[0][0] <= starts:
            opening += pending.pop(0)[1]
        drawn = ZERO
        prorated = ZERO
        span = (due - starts).days or 1
        while pending and (pending[0][0] < due or number == periods):
            day, amount = pending.pop(0)
            drawn += amount
            prorated += amount * rate * Decimal(max((due - day).days, 0)) / span
        interest = cents(opening * rate + prorated)
        owed = opening + drawn
        grace = number < first_repaying
        remaining = periods - max(number, first_repaying) + 1
        if grace or owed == 0:
            principal = ZERO
        elif number == periods or remaining <= 1:
            principal = owed
        elif terms.method == "bullet":
            principal = ZERO
        elif terms.method == "equal_installment" and regular > 0:
            if annuity is None or owed != balance:
                # Repayment starts, or money was drawn since the last period: the annuity on what is owed now,
                # over the remaining periods at the regular period rate.
                factor = (1 + regular) ** remaining
                annuity = cents(owed * regular * factor / (factor - 1))
            principal = min(annuity - interest, owed)
        else:
            principal = cents(owed / remaining)
        balance = owed - principal
        schedule.installments.append(
            Installment(
                number=number,
                starts=starts,
                due=due,
                opening_balance=opening,
                drawn=drawn,
                principal=principal,
                interest=interest,
                closing_balance=balance,
                grace=grace,
            )
        )
        starts = due
    return schedule
