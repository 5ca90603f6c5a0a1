"""The dispatch selector against June 2026 computed by hand (tests/factories.py, dispatch_world): flags,
rates, ranking, subtotals, scope, and a query count that does not grow with projects or months."""

import datetime
from decimal import Decimal as D

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from portfolio.dispatch.selectors import Flag, dispatch_figures, flag_of, percent, time_progress
from portfolio.seed import seed_demo
from projects.models import InvestmentPlan, Problem, ProgressReport
from tests.factories import ProjectFactory, district

pytestmark = pytest.mark.django_db


def june(user, world, **extra):
    return dispatch_figures(user=user, year=2026, month=6, today=world["today"], **extra)


def by_code(dispatch):
    return {row.district.code: row for row in dispatch.districts}


def test_time_progress_is_the_months_elapsed_over_twelve():
    assert time_progress(6) == D("50.0")
    assert time_progress(3) == D("25.0")
    assert time_progress(1) == D("8.3")
    assert time_progress(12) == D("100.0")


def test_flags_follow_the_thresholds(settings):
    assert flag_of(D("-19.9"), late=False) == Flag.YELLOW
    assert flag_of(D("-20.0"), late=False) == Flag.RED
    assert flag_of(D("-10.0"), late=False) == Flag.YELLOW
    assert flag_of(D("-9.9"), late=False) == Flag.GREEN
    assert flag_of(D("15"), late=True) == Flag.RED
    assert flag_of(None, late=False) == Flag.GREEN
    settings.DISPATCH_YELLOW_POINTS = D("5")
    settings.DISPATCH_RED_POINTS = D("9")
    assert flag_of(D("-6"), late=False) == Flag.YELLOW
    assert flag_of(D("-9"), late=False) == Flag.RED


def test_percent_rounds_half_up_to_one_decimal_and_is_none_without_a_base():
    assert percent(7, 16) == D("43.8")
    assert percent(1, 8) == D("12.5")
    assert percent(1, 0) is None


def test_projects_by_hand(dispatch_june, city_user):
    dispatch = june(city_user, dispatch_june)
    rows = {row.project.code: row for row in dispatch.projects}
    y1, h1, t1 = rows["DISP-Y1"], rows["DISP-H1"], rows["DISP-T1"]
    assert (y1.annual_plan, y1.year_to_date, y1.completion_rate, y1.gap, y1.flag) == (
        D("10000000"),
        D("6000000.00"),
        D("60.0"),
        D("10.0"),
        Flag.GREEN,
    )
    # Last December counts since start, not this year; July's draft counts nowhere.
    assert (y1.this_month, y1.since_start) == (D("1000000.00"), D("8000000.00"))
    assert (h1.year_to_date, h1.completion_rate, h1.gap, h1.flag) == (
        D("7600000.00"),
        D("38.0"),
        D("-12.0"),
        Flag.YELLOW,
    )
    assert h1.reasons == ["落后序时进度 12.0 个百分点", "1 个问题逾期未解决"]
    assert (t1.completion_rate, t1.gap, t1.report_status, t1.report_late, t1.flag) == (
        D("50.0"),
        D("0.0"),
        "missing",
        True,
        Flag.RED,
    )
    assert t1.reasons == ["2026-06 月报逾期未报"]
    assert [row.project.code for row in dispatch.flagged] == ["DISP-T1", "DISP-H1"]
    assert [row.project.code for row in dispatch.late_reports] == ["DISP-T1"]


def test_districts_are_ranked_by_completion_rate_with_their_flags(dispatch_june, city_user):
    dispatch = june(city_user, dispatch_june)
    ranked = [(row.district.name, row.completion_rate, row.flag) for row in dispatch.districts[:3]]
    assert ranked == [
        ("越秀区", D("60.0"), Flag.GREEN),
        ("天河区", D("50.0"), Flag.RED),  # on pace, but its report is late
        ("黄埔区", D("38.0"), Flag.YELLOW),
    ]
    # The districts with nothing planned come after, without a rate.
    assert len(dispatch.districts) == 11
    assert all(row.completion_rate is None and row.idle for row in dispatch.districts[3:])
    tianhe = by_code(dispatch)["440106"]
    assert (tianhe.reports_due, tianhe.reports_late, tianhe.reports_missing) == (1, 1, 1)
    huangpu = by_code(dispatch)["440112"]
    assert (huangpu.reports_due, huangpu.reports_late, huangpu.reports_missing) == (1, 0, 0)
    assert (huangpu.red, huangpu.yellow) == (0, 1)


def test_city_total_and_the_four_rates(dispatch_june, city_user):
    dispatch = june(city_user, dispatch_june)
    total = dispatch.total
    assert (total.annual_plan, total.year_to_date, total.completion_rate, total.gap) == (
        D("35000000"),
        D("16100000.00"),
        D("46.0"),
        D("-4.0"),
    )
    assert total.flag == Flag.GREEN  # the city's flag is its figures'
    assert (total.reports_due, total.reports_late, total.red, total.yellow) == (3, 1, 1, 1)
    assert dispatch.time_progress == D("50.0")
    assert dispatch.rates.as_dict() == {
        "start_rate": D("50.0"),
        "completion_rate": D("46.0"),
        "funding_in_place_rate": D("43.8"),
        "on_time_completion_rate": D("0.0"),
    }
    assert [p.description for p in dispatch.overdue_problems] == ["用地指标未落实"]


def test_a_completion_in_the_year_counts_on_time_and_a_start_after_the_month_does_not(
    dispatch_june, city_user
):
    from projects.models import StageChange

    y1 = dispatch_june["y1"]
    StageChange.objects.create(
        project=y1, from_stage="implementation", to_stage="completed", on=datetime.date(2026, 6, 20)
    )
    t1 = dispatch_june["t1"]
    t1.construction_started_on = datetime.date(2026, 7, 2)  # after June: not yet started in June
    t1.save()
    rates = june(city_user, dispatch_june).rates
    assert (rates.completed_on_time, rates.planned_completions) == (1, 1)
    assert rates.on_time_completion_rate == D("100.0")
    assert rates.start_rate == D("50.0")
    t1.construction_started_on = datetime.date(2026, 6, 30)
    t1.save()
    assert june(city_user, dispatch_june).rates.start_rate == D("100.0")


def test_a_late_submission_is_red_with_its_reason(dispatch_june, city_user):
    report = ProgressReport.objects.get(project=dispatch_june["h1"], period=datetime.date(2026, 6, 1))
    report.first_submitted_at = datetime.datetime(2026, 7, 9, 2, tzinfo=datetime.UTC)
    report.save()
    row = next(r for r in june(city_user, dispatch_june).projects if r.project.code == "DISP-H1")
    assert row.flag == Flag.RED
    assert "2026-06 月报逾期报送" in row.reasons


def test_before_the_due_date_a_missing_report_is_not_late(dispatch_june, city_user):
    dispatch = dispatch_figures(user=city_user, year=2026, month=6, today=datetime.date(2026, 7, 7))
    t1 = next(r for r in dispatch.projects if r.project.code == "DISP-T1")
    assert (t1.report_status, t1.report_late, t1.flag) == ("missing", False, Flag.GREEN)


def test_a_district_user_sees_its_own_district_only(dispatch_june, huangpu_user):
    dispatch = june(huangpu_user, dispatch_june)
    assert [row.district.code for row in dispatch.districts] == ["440112"]
    assert [row.project.code for row in dispatch.projects] == ["DISP-H1"]
    assert dispatch.total.annual_plan == D("20000000")
    assert dispatch.rates.funding_in_place_rate == D("50.0")
    assert [p.responsible_unit for p in dispatch.overdue_problems] == ["黄埔区自然资源局"]
    # Asking for another district gives nothing of it.
    other = june(huangpu_user, dispatch_june, district="440104")
    assert other.projects == [] and other.districts == []


def test_the_district_filter_narrows_the_city_view(dispatch_june, city_user):
    dispatch = june(city_user, dispatch_june, district="440104")
    assert [row.project.code for row in dispatch.projects] == ["DISP-Y1"]
    assert dispatch.total.completion_rate == D("60.0")


def test_a_lender_sees_nothing(dispatch_june, lender_user):
    dispatch = june(lender_user, dispatch_june)
    assert dispatch.projects == [] and dispatch.districts == []


def test_a_project_owing_a_report_without_a_plan_is_listed_without_a_rate(dispatch_june, city_user):
    ProjectFactory(
        code="DISP-N1", district=district("440112"), review_status="accepted", stage="implementation"
    )
    row = next(r for r in june(city_user, dispatch_june).projects if r.project.code == "DISP-N1")
    assert (row.plan, row.completion_rate, row.report_status, row.flag) == (None, None, "missing", Flag.RED)


def test_queries_do_not_grow_with_projects_or_months(dispatch_june, city_user):
    june(city_user, dispatch_june)  # warm-up: the user's role is read once per user
    counts, sizes = [], []
    for total in (20, 120):
        seed_demo(total, rng_seed=total)
        # More months of reports for the world's projects as well.
        for month in range(1, 13):
            ProgressReport.objects.get_or_create(
                project=dispatch_june["t1"],
                period=datetime.date(2024 + total // 100, month, 1),
                defaults={"completed_amount": D("1"), "status": "accepted"},
            )
        with CaptureQueriesContext(connection) as captured:
            dispatch = june(city_user, dispatch_june)
        counts.append(len(captured))
        sizes.append(len(dispatch.projects))
    assert counts[0] == counts[1], counts
    assert sizes[1] > sizes[0] + 30, sizes
    assert InvestmentPlan.objects.count() > 50 and Problem.objects.count() > 2


def test_a_districts_rate_reads_its_planned_projects_only(dispatch_june, city_user):
    """A 黄埔 project reporting 6,000,000 without a plan adds to what 黄埔 invested, not to its rate."""
    unplanned = ProjectFactory(
        code="DISP-U1", district=district("440112"), review_status="accepted", stage="implementation"
    )
    ProgressReport.objects.create(
        project=unplanned,
        period=datetime.date(2026, 6, 1),
        completed_amount=D("6000000"),
        status="accepted",
        first_submitted_at=datetime.datetime(2026, 7, 2, tzinfo=datetime.UTC),
    )
    dispatch = june(city_user, dispatch_june)
    huangpu = by_code(dispatch)["440112"]
    assert huangpu.year_to_date == D("13600000.00")
    assert (huangpu.completion_rate, huangpu.flag) == (D("38.0"), Flag.YELLOW)
    assert huangpu.rates.completion_rate == D("38.0")
    assert dispatch.total.completion_rate == dispatch.rates.completion_rate == D("46.0")


def test_a_planned_project_that_does_not_report_yet_is_not_flagged_behind(dispatch_june, city_user):
    """In 谋划 with a plan for the year: nothing to report, so nothing to be behind with."""
    planning = ProjectFactory(
        code="DISP-P1", district=district("440112"), review_status="accepted", stage="planning"
    )
    InvestmentPlan.objects.create(
        project=planning, year=2026, planned_amount=D("1000000"), kind="preparatory"
    )
    dispatch = june(city_user, dispatch_june)
    row = next(r for r in dispatch.projects if r.project.code == "DISP-P1")
    assert (row.completion_rate, row.gap, row.flag, row.reasons, row.report_status) == (
        D("0.0"),
        None,
        Flag.GREEN,
        [],
        "not_required",
    )
    # Its plan still counts in its district's: 7,600,000 / 21,000,000.
    assert by_code(dispatch)["440112"].completion_rate == D("36.2")


def test_the_flag_is_judged_on_the_exact_gap_not_the_rounded_one(dispatch_june, city_user):
    """序时进度 of July is 58.333…%: 38.34% is 19.99 points behind (yellow), though the rounded figures,
    38.3 − 58.3, would say 20.0; and 38.29% (20.04 behind) is red."""
    h1 = dispatch_june["h1"]
    ProgressReport.objects.create(
        project=h1,
        period=datetime.date(2026, 7, 1),
        completed_amount=D("68000"),  # 7,668,000 of 20,000,000: 38.34%
        status="accepted",
        first_submitted_at=datetime.datetime(2026, 8, 3, tzinfo=datetime.UTC),
    )
    today = datetime.date(2026, 8, 20)
    for plan, flag in ((D("20000000"), Flag.YELLOW), (D("20025000"), Flag.RED)):
        InvestmentPlan.objects.filter(project=h1).update(planned_amount=plan)
        dispatch = dispatch_figures(user=city_user, year=2026, month=7, today=today, district="440112")
        row = dispatch.projects[0]
        assert row.flag == flag, (plan, row.completion_rate, row.gap)


# -- the summary the dashboards and /dispatch/ read (issue 16, H6) ------------------------------------
from portfolio.dispatch.summary import dispatch_summary  # noqa: E402

FIGURES = ("total_investment", "annual_plan", "this_month", "year_to_date")  # since_start: the 调度表's
COUNTS = ("reports_due", "reports_late", "reports_missing", "red", "yellow", "completion_rate", "gap", "flag")
RATES = ("planned_starts", "started", "approved", "received", "planned_completions", "completed_on_time")


def assert_summary_is_the_dispatch(user, *, listed=1000, **query):
    """The summary's district rows, city row, rates and lists equal dispatch_figures' (which builds a row
    per project), field by field."""
    full = dispatch_figures(user=user, **query)
    summary = dispatch_summary(user=user, listed=listed, **query)
    assert [d.district.code for d in summary.districts] == [d.district.code for d in full.districts]
    for mine, theirs in zip(summary.districts, full.districts, strict=True):
        assert mine.idle == theirs.idle, mine.district.code
    for mine, theirs in zip([*summary.districts, summary.total], [*full.districts, full.total], strict=True):
        where = mine.district.code or "city"
        for name in (*FIGURES, *COUNTS):
            assert getattr(mine, name) == getattr(theirs, name), (where, name)
        for name in (*RATES, "annual_plan", "year_to_date"):
            assert getattr(mine.rates, name) == getattr(theirs.rates, name), (where, "rates", name)
        assert mine.rates.as_dict() == theirs.rates.as_dict(), where
    assert summary.total.count == len(full.projects)  # what decides whether a file is made by a job
    assert summary.flagged_count == len(full.flagged)
    assert summary.late_count == len(full.late_reports)
    assert summary.overdue_count == len(full.overdue_problems)

    def shown(rows):
        return [(r.project.code, r.flag, r.gap, r.completion_rate, r.report_status, r.reasons) for r in rows]

    assert shown(summary.flagged) == shown(full.flagged[:listed])
    assert shown(summary.late_reports) == shown(full.late_reports[:listed])
    assert summary.overdue_problems == full.overdue_problems[:listed]
    return summary


def test_the_summary_is_the_dispatch_of_june(dispatch_june, city_user, huangpu_user):
    query = {"year": 2026, "month": 6, "today": dispatch_june["today"]}
    summary = assert_summary_is_the_dispatch(city_user, **query)
    assert [(r.project.code, r.flag) for r in summary.flagged] == [("DISP-T1", "red"), ("DISP-H1", "yellow")]
    assert (summary.total.red, summary.total.yellow, summary.rates.funding_in_place_rate) == (1, 1, D("43.8"))
    assert_summary_is_the_dispatch(city_user, district="440112", **query)
    assert_summary_is_the_dispatch(huangpu_user, **query)
    assert_summary_is_the_dispatch(city_user, listed=1, **query)
    # Before June's due date nothing is late yet.
    assert_summary_is_the_dispatch(city_user, year=2026, month=6, today=datetime.date(2026, 7, 3))


def test_the_summary_flags_on_the_exact_gap(dispatch_june, city_user):
    """Exactly 10 points behind is yellow; 19.99 behind yellow, 20.04 red, as dispatch_figures says."""
    h1 = dispatch_june["h1"]
    InvestmentPlan.objects.filter(project=h1).update(planned_amount=D("19000000"))  # 40.0%: −10.0
    summary = assert_summary_is_the_dispatch(city_user, year=2026, month=6, today=dispatch_june["today"])
    assert [(r.project.code, r.flag) for r in summary.flagged] == [("DISP-T1", "red"), ("DISP-H1", "yellow")]
    ProgressReport.objects.create(
        project=h1,
        period=datetime.date(2026, 7, 1),
        completed_amount=D("68000"),
        status="accepted",
        first_submitted_at=datetime.datetime(2026, 8, 3, tzinfo=datetime.UTC),
    )
    for plan, flag in ((D("20000000"), Flag.YELLOW), (D("20025000"), Flag.RED)):
        InvestmentPlan.objects.filter(project=h1).update(planned_amount=plan)
        query = {"year": 2026, "month": 7, "today": datetime.date(2026, 8, 20), "district": "440112"}
        summary = assert_summary_is_the_dispatch(city_user, **query)
        assert [r.flag for r in summary.flagged] == [flag]


def test_the_summary_counts_unplanned_and_not_yet_reporting_projects(dispatch_june, city_user):
    unplanned = ProjectFactory(
        code="DISP-U1", district=district("440112"), review_status="accepted", stage="implementation"
    )
    ProgressReport.objects.create(
        project=unplanned,
        period=datetime.date(2026, 6, 1),
        completed_amount=D("6000000"),
        status="accepted",
        first_submitted_at=datetime.datetime(2026, 7, 9, tzinfo=datetime.UTC),
    )
    planning = ProjectFactory(
        code="DISP-P1", district=district("440112"), review_status="accepted", stage="planning"
    )
    InvestmentPlan.objects.create(project=planning, year=2026, planned_amount=D("1000000"), kind="new_start")
    ProjectFactory(code="DISP-N1", district=district("440106"), review_status="accepted", stage="mature")
    # Due on 2026-07-07 in Guangzhou: 23:30 that day is on time, 01:00 the next day late (UTC +8).
    for code, hour in (("DISP-E1", 15), ("DISP-E2", 17)):
        ProgressReport.objects.create(
            project=ProjectFactory(
                code=code, district=district("440104"), review_status="accepted", stage="implementation"
            ),
            period=datetime.date(2026, 6, 1),
            completed_amount=D("1000"),
            status="submitted",
            first_submitted_at=datetime.datetime(
                2026, 7, 7, hour, 30 if hour == 15 else 0, tzinfo=datetime.UTC
            ),
        )
    summary = assert_summary_is_the_dispatch(city_user, year=2026, month=6, today=dispatch_june["today"])
    assert summary.total.reports_late == 4
    assert "DISP-E2" in [r.project.code for r in summary.late_reports]
    assert "DISP-E1" not in [r.project.code for r in summary.late_reports]


def test_the_summary_is_the_dispatch_of_a_seeded_library(dispatch_june, city_user, huangpu_user):
    seed_demo(150, rng_seed=16)
    for month in (3, 6, 10):
        query = {"year": 2026, "month": month, "today": datetime.date(2026, 11, 20)}
        summary = assert_summary_is_the_dispatch(city_user, **query)
        assert_summary_is_the_dispatch(city_user, listed=5, **query)
        assert_summary_is_the_dispatch(huangpu_user, **query)
    assert summary.total.reports_due > 30 and summary.flagged_count > 3


def test_the_summary_runs_a_fixed_number_of_queries(dispatch_june, city_user):
    dispatch_summary(user=city_user, year=2026, month=10, listed=100)  # warm-up: the user's role
    counts = []
    for total in (20, 150):
        seed_demo(total, rng_seed=total)
        with CaptureQueriesContext(connection) as captured:
            summary = dispatch_summary(user=city_user, year=2026, month=10, listed=100)
        counts.append(len(captured))
    assert summary.flagged_count > 5
    assert counts[0] == counts[1], counts
