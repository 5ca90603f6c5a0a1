"""Stored repayment schedules kept in step with the loans.

financing.schedule computes a loan's schedule from its terms and drawings; the repayments are allocated
to it oldest first. What it computes is stored as Installment rows, and the loan's drawn and repaid totals
as its LoanBalance row, both rewritten here whenever a loan's terms, drawings or repayments change:
`schedule_rebuild` by the services (and the admin), inside their transaction and with the loan row locked,
once per change; `schedules_sync` for many loans at once (the seed, `manage.py rebuild_schedules`, the deep
health check), which can also only report which loans' stored rows no longer match what their records give.

A loan whose terms are incomplete (no signing date, term or rate) has no schedule and so no installments;
every loan has its balance.
"""

from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal

from django.db import transaction
from django.db.models import QuerySet

from portfolio.db import insert_values

from .models import Disbursement, Installment, Loan, LoanBalance, Repayment
from .schedule import Schedule, build_schedule

# The stored columns, in the order rows are compared.
FIELDS = (
    "number",
    "starts",
    "due",
    "opening_balance",
    "drawn",
    "principal",
    "interest",
    "closing_balance",
    "grace",
    "paid_principal",
    "paid_interest",
)
CHUNK = 500
ZERO = Decimal("0.00")


def computed_schedule(*, loan: Loan, disbursements, repayments) -> Schedule | None:
    """The loan's schedule for `disbursements` with `repayments` allocated, or None while its terms are
    incomplete: what the stored rows must hold."""
    terms = loan.schedule_terms()
    if terms is None:
        return None
    schedule = build_schedule(terms, [(d.date, d.amount) for d in disbursements])
    schedule.apply_repayments([(r.date, r.principal, r.interest) for r in repayments])
    return schedule


@dataclass(frozen=True)
class _Entry:
    date: object
    amount: object = None
    principal: object = None
    interest: object = None


def _entries(loan_ids: list[int]) -> tuple[dict, dict]:
    """The drawings and repayments of `loan_ids`, per loan: two queries."""
    drawn: dict[int, list[_Entry]] = {}
    paid: dict[int, list[_Entry]] = {}
    for loan, day, amount in (
        Disbursement.objects.filter(loan__in=loan_ids).order_by().values_list("loan", "date", "amount")
    ):
        drawn.setdefault(loan, []).append(_Entry(date=day, amount=amount))
    for loan, day, principal, interest in (
        Repayment.objects.filter(loan__in=loan_ids)
        .order_by()
        .values_list("loan", "date", "principal", "interest")
    ):
        paid.setdefault(loan, []).append(_Entry(date=day, principal=principal, interest=interest))
    return drawn, paid


def _computed_rows(loan: Loan, drawn: list, paid: list) -> list[tuple]:
    schedule = computed_schedule(loan=loan, disbursements=drawn, repayments=paid)
    if schedule is None:
        return []
    return [tuple(getattr(i, name) for name in FIELDS) for i in schedule.installments]


def _balance(drawn: list, paid: list) -> tuple[Decimal, Decimal]:
    """A loan's drawn and repaid principal: the sums of its entries, in Decimal (exact)."""
    return sum((d.amount for d in drawn), ZERO), sum((r.principal for r in paid), ZERO)


def _replace(loan_ids: Iterable[int], rows: dict[int, list[tuple]], balances: dict[int, tuple]) -> int:
    """Replace the stored rows and balances of `loan_ids` by `rows` and `balances` (loan id → computed):
    four statements."""
    loan_ids = list(loan_ids)
    if not loan_ids:
        return 0
    Installment.objects.filter(loan__in=loan_ids).delete()
    new = [(loan, *row) for loan in loan_ids for row in rows.get(loan, [])]
    insert_values(Installment, ["loan_id", *FIELDS], new)
    LoanBalance.objects.filter(loan__in=loan_ids).delete()
    insert_values(
        LoanBalance, ["loan_id", "disbursed", "repaid"], [(loan, *balances[loan]) for loan in loan_ids]
    )
    return len(new)


def schedule_rebuild(*, loan: Loan) -> int:
    """Rewrite `loan`'s stored installments from its terms (as on `loan`, just saved by the caller), its
    drawings and its repayments; the number of rows. The caller holds the loan row locked, in its
    transaction, so that the rows match the records they were computed from."""
    drawn, paid = _entries([loan.pk])
    drawn, paid = drawn.get(loan.pk, []), paid.get(loan.pk, [])
    return _replace([loan.pk], {loan.pk: _computed_rows(loan, drawn, paid)}, {loan.pk: _balance(drawn, paid)})


@dataclass
class SyncResult:
    loans: int = 0
    rows: int = 0  # the rows the loans' schedules have (as computed)
    differed: list[int] | None = None  # the ids of the loans whose stored rows or balance did not match

    def __post_init__(self):
        if self.differed is None:
            self.differed = []


def schedules_sync(loans: QuerySet | None = None, *, write: bool, chunk_size: int = CHUNK) -> SyncResult:
    """Compare the stored installments and balances of `loans` (all loans by default) with what their
    records give, a chunk of loans at a time (six queries a chunk, whatever its size), and with `write`
    rewrite those that differ, each chunk in a transaction with its loans locked."""
    loans = Loan.objects.all() if loans is None else loans
    ids = list(loans.order_by("pk").values_list("pk", flat=True))
    result = SyncResult()
    for start in range(0, len(ids), chunk_size):
        chunk = ids[start : start + chunk_size]
        with transaction.atomic():
            chunk_loans = Loan.objects.filter(pk__in=chunk).order_by("pk")
            if write:
                chunk_loans = chunk_loans.select_for_update()
            chunk_loans = list(chunk_loans)
            drawn, paid = _entries(chunk)
            stored: dict[int, list[tuple]] = {}
            for row in (
                Installment.objects.filter(loan__in=chunk)
                .order_by("loan", "number")
                .values_list("loan", *FIELDS)
            ):
                stored.setdefault(row[0], []).append(tuple(row[1:]))
            stored_balances = {
                loan: (disbursed, repaid)
                for loan, disbursed, repaid in LoanBalance.objects.filter(loan__in=chunk).values_list(
                    "loan", "disbursed", "repaid"
                )
            }
            computed, balances = {}, {}
            differed = []
            for loan in chunk_loans:
                entries = drawn.get(loan.pk, []), paid.get(loan.pk, [])
                computed[loan.pk] = _computed_rows(loan, *entries)
                balances[loan.pk] = _balance(*entries)
                result.rows += len(computed[loan.pk])
                if (
                    stored.get(loan.pk, []) != computed[loan.pk]
                    or stored_balances.get(loan.pk) != balances[loan.pk]
                ):
                    differed.append(loan.pk)
            result.loans += len(chunk_loans)
            result.differed += differed
            if write:
                _replace(differed, computed, balances)
    return result
