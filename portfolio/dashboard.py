"""The figures of the dashboard, one selector per section, computed in the database with a fixed number of
queries. Every section starts from the user's visible querysets, so a district user sees its own district's
figures; the money figures come from financing.selectors, which owns them.

The page reads its whole-library sections (headline, funnel, pivots, funding, loans, maturity, the
dispatch's sums) from the districts' tallies (portfolio.tallies), which hold these selectors' figures per
district: dashboard_figures adds up the tallies of the districts the user sees, computed_dashboard_figures
runs the selectors over the library, and the two are the same to the 分 (tests/portfolio/test_tallies.py).
"""

import datetime
from decimal import Decimal

from django.db.models import Count, F, Q
from django.utils import timezone

from financing.models import FundingLine, Loan, Organization
from financing.platform import platform_figures
from financing.selectors import (
    funding_by_source,
    funding_rows_of_fen,
    loan_totals_by,
    maturity_profile,
    sum_in_fen,
    yuan_of_fen,
)
from portfolio.dispatch.selectors import default_month
from portfolio.dispatch.summary import dispatch_summary, summary_of_sums
from portfolio.tallies import tallies_of
from projects.choices import Category, ReviewStatus, Stage
from projects.models import District, Milestone, Project

LOAN_FIGURES = ("principal", "disbursed", "outstanding")
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


def headline_figures(*, user, today: datetime.date, groups: list[dict] | None = None, dispatch=None) -> dict:
    """The row the leadership reads first: the library's size and investment, the funding gap, and the
    dispatch of the last month (this year's plan, year to date, completion rate against 序时进度, the four
    rates, the red and yellow projects), from the dispatch's own summary: sums, not a row per project."""
    groups = _library_groups(user=user) if groups is None else groups
    if dispatch is None:
        year, month = default_month(today)
        dispatch = dispatch_summary(user=user, year=year, month=month, today=today)
    return {
        "library_count": sum(group["n"] for group in groups),
        "library_investment": yuan_of_fen(sum(group["investment"] or 0 for group in groups)),
        "funding_gap": yuan_of_fen(sum(group["gap"] or 0 for group in groups)),
        "dispatch": dispatch,
    }


def platform_headline(*, user) -> dict:
    """The 政银企 platform's four totals (demands published, matched, credit approved, signed), from the
    platform's own selector; a district user's are its own district's demands and their intentions."""
    return {"platform": platform_figures(user=user)["total"]}


def computed_dashboard_figures(*, user, today: datetime.date | None = None) -> dict:
    """The dashboard's figures computed over the library as `user` sees it: the reference the districts'
    tallies follow."""
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


def _tallied_groups(tallies: dict) -> list[dict]:
    return [
        {"district": code, "category": category, "stage": stage, "n": n, "investment": fen, "gap": gap}
        for code, figures in tallies.items()
        for category, stage, n, fen, gap in figures["groups"]
    ]


def _tallied_funding(tallies: dict) -> dict:
    sums: dict = {}
    for figures in tallies.values():
        for source, amounts in figures["funding"].items():
            total = sums.get(source, (0, 0, 0))
            sums[source] = tuple(a + b for a, b in zip(total, amounts, strict=True))
    return {"funding": funding_rows_of_fen(sums, largest_first=True)}


def _tallied_loans(tallies: dict) -> dict:
    """loan_figures from the tallies: by lender, by district, in total, and the maturity profile."""
    lender_ids = {row[0] for figures in tallies.values() for row in figures["loans"]}
    # One query even when no district has a loan (an empty IN alone would run none): the page's count of
    # queries does not depend on the data.
    lenders_q = Q(pk__in=lender_ids) | Q(pk__isnull=True)
    lender_names = dict(Organization.objects.filter(lenders_q).values_list("pk", "name"))
    district_names = dict(District.objects.filter(code__in=list(tallies)).values_list("code", "name"))
    lenders, districts = {}, {}
    maturity, overdue, unscheduled = {}, 0, 0
    for code, figures in tallies.items():
        for lender, *amounts in figures["loans"]:
            for table, key in ((lenders, lender_names[lender]), (districts, district_names[code])):
                table[key] = [a + b for a, b in zip(table.get(key, [0, 0, 0]), amounts, strict=True)]
        for year, fen in figures["maturity"]:
            maturity[year] = maturity.get(year, 0) + fen
        overdue += figures["overdue_principal"]
        unscheduled += figures["unscheduled"]

    def rows(table):
        keyed = [
            {
                "label": key,
                **{name: yuan_of_fen(fen) for name, fen in zip(LOAN_FIGURES, amounts, strict=True)},
            }
            for key, amounts in table.items()
        ]
        return sorted(keyed, key=lambda r: -r["principal"])

    by_lender = rows(lenders)
    return {
        "loan_totals": {key: sum((row[key] for row in by_lender), ZERO) for key in LOAN_FIGURES},
        "by_lender": by_lender,
        "loans_by_district": rows(districts),
        "maturity": sorted((year, yuan_of_fen(fen)) for year, fen in maturity.items()),
        "overdue_principal": yuan_of_fen(overdue),
        "unscheduled": yuan_of_fen(unscheduled),
    }


def _tallied_dispatch(tallies: dict, *, user, today: datetime.date):
    year, month = default_month(today)
    sums = [
        [code, *row]
        for code, figures in tallies.items()
        if (figures["dispatch"]["year"], figures["dispatch"]["month"]) == (year, month)
        for row in figures["dispatch"]["sums"]
    ]
    return summary_of_sums(user=user, year=year, month=month, today=today, sums=sums)


def dashboard_figures(*, user, today: datetime.date | None = None) -> dict:
    """The dashboard's figures, its whole-library sections added up from the tallies of the districts
    `user` sees (the same as computed_dashboard_figures')."""
    today = today or timezone.localdate()
    tallies = tallies_of(user=user, day=today)
    groups = _tallied_groups(tallies)
    dispatch = _tallied_dispatch(tallies, user=user, today=today)
    return {
        "today": today,
        **headline_figures(user=user, today=today, groups=groups, dispatch=dispatch),
        **stage_figures(user=user, groups=groups),
        **_tallied_funding(tallies),
        **_tallied_loans(tallies),
        **attention_figures(user=user, today=today),
        **platform_headline(user=user),
    }
