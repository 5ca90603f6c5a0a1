"""Composed reads of loans: where a loan stands, and its schedule against what was actually paid."""

import datetime
from decimal import Decimal

from django.db.models import Sum
from django.utils import timezone

from .choices import SourceType
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
    disbursements = list(loan.disbursements.all())
    repayments = list(loan.repayments.all())
    disbursed = sum((d.amount for d in disbursements), Decimal(0))
    repaid = sum((r.principal for r in repayments), Decimal(0))
    schedule = loan_schedule(loan=loan, disbursements=disbursements, repayments=repayments)
    subsidies = []
    for line in loan.subsidies.filter(source_type=SourceType.INTEREST_SUBSIDY).order_by("year", "pk"):
        by_year = schedule.subsidy_by_year(line.subsidy_rate) if schedule else {}
        subsidies.append({"line": line, "by_year": sorted(by_year.items())})
    return {
        "disbursements": disbursements,
        "repayments": repayments,
        "disbursed": disbursed,
        "undisbursed": loan.principal - disbursed,
        "repaid_principal": repaid,
        "outstanding": disbursed - repaid,
        "interest_paid": loan.repayments.aggregate(t=Sum("interest"))["t"] or Decimal(0),
        "schedule": schedule,
        "due_soon": schedule.due_between(today, today + datetime.timedelta(days=DUE_SOON_DAYS))
        if schedule
        else [],
        "past_due": schedule.past_due(today) if schedule else [],
        "subsidies": subsidies,
        "today": today,
    }
