"""Composed reads of loans: where a loan stands, and its schedule against what was actually paid."""

import datetime
from decimal import Decimal

from django.utils import timezone

from .choices import FundingStatus, LoanStatus
from .models import Loan
from .schedule import Schedule, build_schedule

DUE_SOON_DAYS = 90


def loan_schedule(*, loan: Loan, disbursements, repayments) -> Schedule | None:
    """The loan's schedule with the repayments allocated, or None while its terms are incomplete."""
    terms = loan.schedule_terms()
    if terms is None:
        return None
    schedule = build_schedule(terms, [(d.date, d.amount) for d in disbursements])
    schedule.apply_repayments([(r.date, r.principal, r.interest) for r in repayments])
    return schedule


def loan_position(*, loan: Loan, today: datetime.date | None = None) -> dict:
    today = today or timezone.localdate()
    disbursements = list(loan.disbursements.order_by("date", "pk"))
    repayments = list(loan.repayments.order_by("date", "pk"))
    disbursed = sum((d.amount for d in disbursements), Decimal(0))
    repaid = sum((r.principal for r in repayments), Decimal(0))
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
        "interest_paid": sum((r.interest for r in repayments), Decimal(0)),
        "schedule": schedule,
        "due_soon": [i for i in due_soon if not i.settled],
        "past_due": past_due,
        "subsidies": subsidies,
        "today": today,
    }
