"""The figures of the dashboard, one selector per section, computed in the database with a fixed number of
queries. Every section starts from the user's visible querysets, so a district user sees its own district's
figures; the money figures come from financing.selectors, which owns them.
"""

import datetime
from decimal import Decimal

from django.db.models import Count, Sum
from django.utils import timezone

from financing.models import FundingLine, Loan
from financing.platform import platform_figures
from financing.selectors import funding_by_source, funding_gap_total, loan_totals_by, maturity_profile
from portfolio.dispatch.selectors import default_month
from portfolio.dispatch.summary import dispatch_summary
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


def stage_figures(*, user) -> dict:
    """The library's stage funnel (count and investment), and the same by district and by category."""
    library = Project.objects.visible_to(user).in_library()
    per_stage = {"n": Count("pk"), "investment": Sum("total_investment")}
    stages = {row["stage"]: row for row in library.values("stage").annotate(**per_stage).order_by()}
    funnel = [
        {
            "stage": s.label,
            "count": stages.get(s.value, {}).get("n", 0),
            "investment": stages.get(s.value, {}).get("investment") or ZERO,
        }
        for s in Stage
    ]
    districts = dict(District.objects.values_list("code", "name"))
    by_district = library.values("district", "stage").annotate(**per_stage).order_by()
    by_category = library.values("category", "stage").annotate(**per_stage).order_by()
    return {
        "funnel": funnel,
        "by_district": _pivot(by_district, "district", districts),
        "by_category": _pivot(by_category, "category", dict(Category.choices)),
        "stage_labels": Stage.labels,
    }


def funding_figures(*, user) -> dict:
    """Funding of the library's projects by source type, largest plan first."""
    lines = FundingLine.objects.visible_to(user).filter(project__review_status=ReviewStatus.ACCEPTED)
    return {"funding": funding_by_source(lines, largest_first=True)}


def _loan_rows(totals: dict) -> list[dict]:
    return sorted(({"label": label, **row} for label, row in totals.items()), key=lambda r: -r["principal"])


def loan_figures(*, user, today: datetime.date) -> dict:
    """Loans of the library's projects: in total, by lender, by district, and the maturity profile."""
    loans = Loan.objects.visible_to(user).filter(project__review_status=ReviewStatus.ACCEPTED)
    by_lender = _loan_rows(loan_totals_by(loans, "lender__name"))
    loan_totals = {
        key: sum((row[key] for row in by_lender), ZERO) for key in ("principal", "disbursed", "outstanding")
    }
    return {
        "loan_totals": loan_totals,
        "by_lender": by_lender,
        "loans_by_district": _loan_rows(loan_totals_by(loans, "project__district__name")),
        **maturity_profile(loans, today=today),
    }


def attention_figures(*, user, today: datetime.date) -> dict:
    """What needs someone's attention: overdue milestones, submissions waiting, projects left unchanged."""
    projects = Project.objects.visible_to(user)
    overdue = Milestone.objects.visible_to(user).overdue(today)
    waiting = projects.filter(review_status=ReviewStatus.SUBMITTED)
    stale = projects.filter(updated_at__lt=timezone.now() - datetime.timedelta(days=STALE_DAYS))
    return {
        "overdue_milestones": overdue.count(),
        "overdue_list": overdue.select_related("project").order_by("planned_date")[:LISTED],
        "waiting_count": waiting.count(),
        "waiting_list": waiting.select_related("district").order_by("submitted_at", "pk")[:LISTED],
        "stale_count": stale.count(),
        "stale_list": stale.select_related("district").order_by("updated_at", "pk")[:LISTED],
        "stale_days": STALE_DAYS,
    }


def headline_figures(*, user, today: datetime.date) -> dict:
    """The row the leadership reads first: the library's size and investment, the funding gap, and the
    dispatch of the last month (this year's plan, year to date, completion rate against 序时进度, the four
    rates, the red and yellow projects), from the dispatch's own summary: sums, not a row per project."""
    library = Project.objects.visible_to(user).in_library()
    size = library.aggregate(n=Count("pk"), investment=Sum("total_investment"))
    year, month = default_month(today)
    return {
        "library_count": size["n"],
        "library_investment": size["investment"] or ZERO,
        "funding_gap": funding_gap_total(library),
        "dispatch": dispatch_summary(user=user, year=year, month=month, today=today),
    }


def platform_headline(*, user) -> dict:
    """The 政银企 platform's four totals (demands published, matched, credit approved, signed), from the
    platform's own selector; a district user's are its own district's demands and their intentions."""
    return {"platform": platform_figures(user=user)["total"]}


def dashboard_figures(*, user, today: datetime.date | None = None) -> dict:
    today = today or timezone.localdate()
    return {
        "today": today,
        **headline_figures(user=user, today=today),
        **stage_figures(user=user),
        **funding_figures(user=user),
        **loan_figures(user=user, today=today),
        **attention_figures(user=user, today=today),
        **platform_headline(user=user),
    }
