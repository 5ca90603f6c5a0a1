"""The figures of the dashboard, computed in the database with a fixed number of queries.

Every query starts from the user's visible querysets, so a district user sees its own district's figures.
"""

import datetime
from decimal import Decimal

from django.db.models import Count, Prefetch, Q, Sum
from django.utils import timezone

from financing.choices import GRANTED_STATUSES, LoanStatus, SourceType
from financing.models import Disbursement, FundingLine, Loan, Repayment
from financing.selectors import loan_schedule
from projects.choices import Category, ReviewStatus, Stage
from projects.models import District, Milestone, Project

STALE_DAYS = 90
LISTED = 10
ZERO = Decimal(0)


def _pivot(rows, key, labels) -> list[dict]:
    """Rows of (key, stage, count, investment) into one row per key with a cell per stage."""
    table = {}
    for row in rows:
        entry = table.setdefault(row[key], {"label": labels.get(row[key], row[key]), "stages": {}})
        entry["stages"][row["stage"]] = (row["n"], row["investment"] or ZERO)
    result = []
    for entry in table.values():
        cells = [entry["stages"].get(stage, (0, ZERO)) for stage in Stage.values]
        result.append(
            {
                "label": entry["label"],
                "cells": cells,
                "count": sum(c[0] for c in cells),
                "investment": sum((c[1] for c in cells), ZERO),
            }
        )
    return sorted(result, key=lambda r: -r["investment"])


def _by(queryset, key, amount):
    return {
        row[key]: row["total"] or ZERO for row in queryset.values(key).annotate(total=Sum(amount)).order_by()
    }


def dashboard_figures(*, user, today: datetime.date | None = None) -> dict:
    today = today or timezone.localdate()
    projects = Project.objects.visible_to(user)
    library = projects.in_library()
    stage_rows = (
        library.values("stage").annotate(n=Count("pk"), investment=Sum("total_investment")).order_by()
    )
    stages = {row["stage"]: row for row in stage_rows}
    funnel = [
        {
            "stage": s.label,
            "count": stages.get(s.value, {}).get("n", 0),
            "investment": stages.get(s.value, {}).get("investment") or ZERO,
        }
        for s in Stage
    ]
    per_stage = {"n": Count("pk"), "investment": Sum("total_investment")}
    districts = dict(District.objects.values_list("code", "name"))
    by_district = _pivot(
        library.values("district", "stage").annotate(**per_stage).order_by(), "district", districts
    )
    by_category = _pivot(
        library.values("category", "stage").annotate(**per_stage).order_by(),
        "category",
        dict(Category.choices),
    )

    lines = FundingLine.objects.visible_to(user).filter(project__review_status=ReviewStatus.ACCEPTED)
    funding_rows = (
        lines.values("source_type")
        .annotate(
            planned=Sum("planned_amount", filter=~Q(status="rejected")),
            approved=Sum("approved_amount", filter=Q(status__in=GRANTED_STATUSES)),
            received=Sum("received_amount"),
        )
        .order_by()
    )
    labels = dict(SourceType.choices)
    funding = sorted(
        (
            {
                "label": labels.get(r["source_type"], r["source_type"]),
                "planned": r["planned"] or ZERO,
                "approved": r["approved"] or ZERO,
                "received": r["received"] or ZERO,
            }
            for r in funding_rows
        ),
        key=lambda r: -r["planned"],
    )

    # Loans of projects in the library, as for every other figure here; terminated loans count for nothing.
    loans = Loan.objects.visible_to(user).filter(project__review_status=ReviewStatus.ACCEPTED)
    loans = loans.exclude(status=LoanStatus.TERMINATED)
    entries = {"loan__project__review_status": ReviewStatus.ACCEPTED}
    disbursements = (
        Disbursement.objects.visible_to(user).filter(**entries).exclude(loan__status=LoanStatus.TERMINATED)
    )
    repayments = (
        Repayment.objects.visible_to(user).filter(**entries).exclude(loan__status=LoanStatus.TERMINATED)
    )

    def loan_table(key_loan, key_entry):
        principal = _by(loans, key_loan, "principal")
        drawn = _by(disbursements, key_entry, "amount")
        repaid = _by(repayments, key_entry, "principal")
        rows = [
            {
                "label": name,
                "principal": principal[name],
                "disbursed": drawn.get(name, ZERO),
                "outstanding": drawn.get(name, ZERO) - repaid.get(name, ZERO),
            }
            for name in principal
        ]
        return sorted(rows, key=lambda r: -r["principal"])

    by_lender = loan_table("lender__name", "loan__lender__name")
    loans_by_district = loan_table("project__district__name", "loan__project__district__name")
    loan_totals = {
        key: sum((row[key] for row in by_lender), ZERO) for key in ("principal", "disbursed", "outstanding")
    }

    maturity, overdue_principal, unscheduled = {}, ZERO, ZERO
    for loan in loans.prefetch_related(
        Prefetch("disbursements", queryset=Disbursement.objects.order_by("date")),
        Prefetch("repayments", queryset=Repayment.objects.order_by("date")),
    ):
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

    overdue = Milestone.objects.visible_to(user).overdue(today)
    waiting = projects.filter(review_status=ReviewStatus.SUBMITTED)
    stale = projects.filter(updated_at__lt=timezone.now() - datetime.timedelta(days=STALE_DAYS))
    return {
        "today": today,
        "funnel": funnel,
        "by_district": by_district,
        "by_category": by_category,
        "funding": funding,
        "loan_totals": loan_totals,
        "by_lender": by_lender,
        "loans_by_district": loans_by_district,
        "maturity": sorted(maturity.items()),
        "overdue_principal": overdue_principal,
        "unscheduled": unscheduled,
        "overdue_milestones": overdue.count(),
        "overdue_list": overdue.select_related("project").order_by("planned_date")[:LISTED],
        "waiting_count": waiting.count(),
        "waiting_list": waiting.select_related("district").order_by("submitted_at", "pk")[:LISTED],
        "stale_count": stale.count(),
        "stale_list": stale.select_related("district").order_by("updated_at", "pk")[:LISTED],
        "stale_days": STALE_DAYS,
        "stage_labels": Stage.labels,
    }
