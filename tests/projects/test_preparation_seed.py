"""The demo seed's procedures and financing-balance figures: advanced projects meet the 成熟 gate from their
checklist, with some kinds in progress and some not needed; the 专项债 coverage falls on both sides of the
city's 1.20; the real seed records none."""

from decimal import Decimal

import pytest
from django.db.models import Count

from portfolio.seed import seed_demo, seed_real
from projects.choices import Stage
from projects.models import Procedure, Project
from projects.selectors.preparation import mature_missing, procedures_by_kind

pytestmark = pytest.mark.django_db


def test_demo_projects_get_procedures_and_balance_figures():
    seed_demo(200, rng_seed=7)
    advanced = Project.objects.filter(stage__in=[Stage.MATURE, Stage.IMPLEMENTATION, Stage.COMPLETED])
    assert advanced.count() > 20
    for project in advanced:
        assert mature_missing(procedures_by_kind(project)) == [], project.code
    statuses = dict(
        Procedure.objects.filter(project__in=advanced).values_list("status").annotate(n=Count("pk"))
    )
    assert statuses.get("done", 0) > statuses.get("in_progress", 0) > 0 and statuses.get("not_needed", 0) > 0
    # Every done row has its number, date and authority; no kind twice (the constraint would say so).
    done = Procedure.objects.filter(status="done")
    assert not done.filter(approval_no="").exists() and not done.filter(approved_on=None).exists()
    assert not done.filter(authority="").exists()
    # Earlier projects: a few procedures at most, none of the gate's done.
    early = Procedure.objects.exclude(project__in=advanced)
    assert early.exists() and not early.filter(kind__in=["feasibility", "land"], status="done").exists()
    coverages = [
        p.expected_revenue / p.debt_service
        for p in Project.objects.exclude(debt_service=None).exclude(expected_revenue=None)
    ]
    assert any(c >= Decimal("1.20") for c in coverages) and any(c < Decimal("1.20") for c in coverages)


def test_the_same_seed_gives_the_same_procedures():
    def run() -> list:
        projects = seed_demo(30, rng_seed=3) and Project.objects.order_by("-code")[:30]
        codes = {code: index for index, code in enumerate(sorted(p.code for p in projects))}
        rows = Procedure.objects.filter(project__code__in=list(codes)).values_list(
            "project__code", "kind", "status"
        )
        return sorted((codes[code], kind, status) for code, kind, status in rows)

    first = run()
    assert first and run() == first  # the second run numbers its projects on: the same draws


def test_the_real_seed_records_no_procedures():
    seed_real()
    assert Project.objects.exists() and not Procedure.objects.exists()
