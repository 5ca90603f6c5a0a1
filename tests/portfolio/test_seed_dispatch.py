"""The seed's monthly dispatch: demo plans, reports and problems for the library projects in 成熟/实施, and a
plan only for the two real projects."""

import datetime
from itertools import groupby

import pytest
from django.contrib.contenttypes.models import ContentType
from django.core.management import call_command
from django.utils import timezone

from portfolio.models import AuditEntry
from portfolio.seed import REAL_PROJECTS, seed_demo
from portfolio.workdays import month_of
from projects.deadlines import is_late, report_due
from projects.models import InvestmentPlan, Problem, ProgressReport, Project
from projects.services.progress import completed_before

pytestmark = pytest.mark.django_db

REAL_CODES = [spec["code"] for spec in REAL_PROJECTS]


@pytest.fixture
def seeded():
    call_command("seed")
    seed_demo(200, rng_seed=11)
    today = timezone.localdate()
    return today, month_of(month_of(today) - datetime.timedelta(days=1))


def dispatch_counts() -> dict:
    return {
        model.__name__: model.objects.count()
        for model in (InvestmentPlan, ProgressReport, Problem, AuditEntry, Project)
    }


def test_plans_for_the_previous_and_current_year_only_of_library_projects_in_mature_or_implementation(
    seeded,
):
    today, _last = seeded
    years = (today.year - 1, today.year)
    plans = {}
    for plan in InvestmentPlan.objects.filter(project__is_demo=True):
        plans.setdefault(plan.project_id, {})[plan.year] = plan
    assert plans
    for project in Project.objects.filter(is_demo=True):
        reporting = project.review_status == "accepted" and project.stage in ("mature", "implementation")
        expected = {year for year in years if project.start_year <= year} if reporting else set()
        assert set(plans.get(project.pk, {})) == expected, project.code
        for year, plan in plans.get(project.pk, {}).items():
            if project.stage == "mature":
                assert plan.kind == "preparatory"
            else:
                assert plan.kind == ("new_start" if year == project.start_year else "continuing")
            assert plan.completes_this_year == (project.end_year == year)
            assert "演示" in plan.target
            assert plan.created_at <= timezone.now()
    statuses = {(p.year, p.status) for by_year in plans.values() for p in by_year.values()}
    assert {s for y, s in statuses if y == years[0]} == {"confirmed"}
    assert {s for y, s in statuses if y == years[1]} == {"draft", "confirmed"}


def test_each_plan_within_what_the_earlier_years_left(seeded):
    plans = InvestmentPlan.objects.select_related("project")
    assert plans.filter(project__is_demo=True).count() > 20
    for plan in plans:
        remaining = plan.project.total_investment - completed_before(plan.project, plan.year)
        assert 0 <= plan.planned_amount <= remaining, (plan.project.code, plan.year)
    # Some are a share of the total, not the whole of it.
    assert any(p.planned_amount < p.project.total_investment / 2 for p in plans)


def test_reports_from_the_start_year_up_to_last_month_with_progress_never_going_down(seeded):
    today, last = seeded
    first_allowed = datetime.date(today.year - 1, 1, 1)
    planned = set(InvestmentPlan.objects.values_list("project_id", "year"))
    reports = list(ProgressReport.objects.select_related("project").order_by("project", "period"))
    assert len(reports) > 200
    now = timezone.now()
    for _project, rows in groupby(reports, key=lambda r: r.project_id):
        rows = list(rows)
        percents = [r.progress_percent for r in rows]
        assert percents == sorted(percents) and percents[-1] <= 100
        for report in rows:
            assert report.project.is_demo
            assert first_allowed <= report.period <= last
            assert report.period >= datetime.date(report.project.start_year, 1, 1)
            assert (report.project_id, report.period.year) in planned
            assert "演示" in report.physical_progress
            assert report.created_at <= now and report.updated_at <= now
            if report.period < last:
                assert report.status == "accepted"
            for moment in (report.first_submitted_at, report.submitted_at, report.reviewed_at):
                assert moment is None or (timezone.is_aware(moment) and moment <= now)
            if report.first_submitted_at is not None:
                assert report.first_submitted_at > report.created_at
                assert timezone.localdate(report.first_submitted_at) > report.period
            if report.reviewed_at is not None:
                assert report.reviewed_at >= report.submitted_at
    last_statuses = {r.status for r in reports if r.period == last}
    assert last_statuses == {"submitted", "draft", "returned"}
    returned = [r for r in reports if r.status == "returned"]
    assert returned and all(r.review_comment and r.reviewed_at for r in returned)
    assert all(r.first_submitted_at is None for r in reports if r.status == "draft")


def test_some_reports_late_and_some_last_months_missing(seeded):
    today, last = seeded
    reports = list(ProgressReport.objects.all())
    late = [r for r in reports if r.first_submitted_at is not None and is_late(r, today)]
    assert late
    assert all(timezone.localdate(r.first_submitted_at) > report_due(r.period).day for r in late)
    assert len(late) < len(reports) / 5  # a few
    reporting = {r.project_id for r in reports}
    reported_last = {r.project_id for r in reports if r.period == last}
    assert reporting - reported_last  # some have not (yet) written last month's report


def test_problems_open_overdue_resolved_and_raised_in_reports(seeded):
    today, _last = seeded
    problems = list(Problem.objects.select_related("report", "project"))
    assert len({p.category for p in problems}) >= 4
    overdue = [p for p in problems if p.is_overdue]
    resolved = [p for p in problems if p.status == "resolved"]
    assert overdue and resolved
    assert all(p.resolution and p.raised_on <= p.resolved_on <= today for p in resolved)
    assert all(p.status == "open" and not p.resolution and p.resolved_on is None for p in overdue)
    for problem in problems:
        assert problem.project.is_demo and problem.responsible_unit and "演示" in problem.description
        assert today - datetime.timedelta(days=220) <= problem.raised_on <= today
        assert problem.due_on >= problem.raised_on
    linked = [p for p in problems if p.report is not None]
    assert linked and len(linked) < len(problems)
    for problem in linked:
        assert problem.report.project_id == problem.project_id
        assert problem.report.problems_note == problem.description


def test_the_real_projects_get_a_plan_for_this_year_only_audited_and_no_reports(seeded):
    today, _last = seeded
    plan_type = ContentType.objects.get_for_model(InvestmentPlan)
    for project in Project.objects.filter(code__in=REAL_CODES):
        plans = list(project.investment_plans.all())
        assert [p.year for p in plans] == [today.year]
        plan = plans[0]
        assert 0 < plan.planned_amount <= project.total_investment
        assert plan.status == "draft" and plan.kind == "continuing" and plan.target
        assert not project.progress_reports.exists() and not project.problems.exists()
        entry = AuditEntry.objects.get(content_type=plan_type, object_id=str(plan.pk))
        assert entry.action == "seed" and entry.project_id == project.pk


def test_seed_again_adds_nothing(seeded):
    before = dispatch_counts()
    plans = list(InvestmentPlan.objects.values())
    call_command("seed")
    assert dispatch_counts() == before
    assert list(InvestmentPlan.objects.values()) == plans


def test_the_demo_batch_writes_one_audit_entry():
    call_command("seed")
    entries = AuditEntry.objects.count()
    seed_demo(50, rng_seed=3)
    assert AuditEntry.objects.count() == entries + 1
    assert ProgressReport.objects.exists()
