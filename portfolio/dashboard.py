"""The figures of the dashboard, one selector per section, computed in the database with a fixed number of
queries. Every section starts from the user's visible querysets, so a district user sees its own district's
figures; the money figures come from financing.selectors, which owns them.
"""

import datetime
from decimal import Decimal

from django.db.models import Count, F
from django.utils import timezone

from financing.models import FundingLine, Loan
from financing.platform import platform_figures
from financing.selectors import funding_by_source, loan_totals_by, maturity_profile, sum_in_fen, yuan_of_fen
from portfolio.dispatch.selectors import default_month
from portfolio.dispatch.summary import dispatch_summary
from projects.choices import Category, ReviewStatus, Stage
from projects.models import District, Milestone, Project

STALE_DAYS = 90
LISTED = 10
ZERO = Decimal(0)


def _library_groups(*, user) -> list[dict]:
    """The library's projects as `user` sees them, counted by (district, category, stage), with their
    investment and funding gap in whole 分: one grouped query, from which the headline, the funnel and both
    pivots are added up (it had been five passes over the projects, each as long as the library)."""
    library = Project.objects.visible_to(user).in_library()
    return list(
        library.values("district", "category", "stage")
        .annotate(
            n=Count("pk"),
            investment=sum_in_fen(F("total_investment")),
            gap=sum_in_fen(F("financing_totals__funding_gap")),
        )
        .order_by()
    )


def _pivot(groups, key, labels) -> list[dict]:
    """The groups into one row per `key` with a (count, investment) cell per stage, largest first."""
    table: dict = {}
    for group in groups:
        stages = table.setdefault(group[key], {})
        n, fen = stages.get(group["stage"], (0, 0))
        stages[group["stage"]] = (n + group["n"], fen + (group["investment"] or 0))
    result = []
    for value, stages in table.items():
        cells = [stages.get(stage, (0, 0)) for stage in Stage.values]
        cells = [(n, yuan_of_fen(fen)) for n, fen in cells]
        result.append(
            {
                "label": labels.get(value, value),
                "cells": cells,
                "count": sum(c[0] for c in cells),
                "investment": sum((c[1] for c in cells), ZERO),
            }
        )
    return sorted(result, key=lambda r: -r["investment"])


def stage_figures(*, user, groups: list[dict] | None = None) -> dict:
    """The library's stage funnel (count and investment), and the same by district and by category."""
    groups = _library_groups(user=user) if groups is None else groups
    stages: dict = {}
    for group in groups:
        n, fen = stages.get(group["stage"], (0, 0))
        stages[group["stage"]] = (n + group["n"], fen + (group["investment"] or 0))
    funnel = [
        {
            "stage": s.label,
            "count": stages.get(s.value, (0, 0))[0],
            "investment": yuan_of_fen(stages.get(s.value, (0, 0))[1]),
        }
        for s in Stage
    ]
    districts = dict(District.objects.values_list("code", "name"))
    return {
        "funnel": funnel,
        "by_district": _pivot(groups, "district", districts),
        "by_category": _pivot(groups, "category", dict(Category.choices)),
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
    # One pass over the loans' balances, by (lender, district), folded both ways here.
    lenders, districts = {}, {}
    for (lender, district), row in loan_totals_by(loans, "lender__name", "project__district__name").items():
        for table, key in ((lenders, lender), (districts, district)):
            total = table.setdefault(key, dict.fromkeys(row, ZERO))
            for figure, amount in row.items():
                total[figure] += amount
    by_lender = _loan_rows(lenders)
    loan_totals = {
        key: sum((row[key] for row in by_lender), ZERO) for key in ("principal", "disbursed", "outstanding")
    }
    return {
        "loan_totals": loan_totals,
        "by_lender": by_lender,
        "loans_by_district": _loan_rows(districts),
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


def headline_figures(*, user, today: datetime.date, groups: list[dict] | None = None) -> dict:
    """The row the leadership reads first: the library's size and investment, the funding gap, and the
    dispatch of the last month (this year's plan, year to date, completion rate against 序时进度, the four
    rates, the red and yellow projects), from the dispatch's own summary: sums, not a row per project."""
    groups = _library_groups(user=user) if groups is None else groups
    year, month = default_month(today)
    return {
        "library_count": sum(group["n"] for group in groups),
        "library_investment": yuan_of_fen(sum(group["investment"] or 0 for group in groups)),
        "funding_gap": yuan_of_fen(sum(group["gap"] or 0 for group in groups)),
        "dispatch": dispatch_summary(user=user, year=year, month=month, today=today),
    }


def platform_headline(*, user) -> dict:
    """The 政银企 platform's four totals (demands published, matched, credit approved, signed), from the
    platform's own selector; a district user's are its own district's demands and their intentions."""
    return {"platform": platform_figures(user=user)["total"]}


def dashboard_figures(*, user, today: datetime.date | None = None) -> dict:
    today = today or timezone.localdate()
    groups = _library_groups(user=user)
    return {
        "today": today,
        **headline_figures(user=user, today=today, groups=groups),
        **stage_figures(user=user, groups=groups),
        **funding_figures(user=user),
        **loan_figures(user=user, today=today),
        **attention_figures(user=user, today=today),
        **platform_headline(user=user),
    }
