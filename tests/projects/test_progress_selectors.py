"""The monthly dispatch's reads (projects/selectors/progress.py, projects/deadlines.py): cumulative figures
computed from the reports, the completion rate, due dates by the official calendar, and lateness."""

import datetime
from decimal import Decimal

import pytest
from django.utils import timezone

from projects.deadlines import is_late, report_due
from projects.models import InvestmentPlan, ProgressReport
from projects.selectors import progress as selectors
from projects.services import progress as services
from tests.factories import district
from tests.projects.test_progress_services import library_project, month, report_of

pytestmark = pytest.mark.django_db
D = Decimal


def at(text: str) -> datetime.datetime:
    """A moment in the site's time zone (Asia/Shanghai), `YYYY-MM-DD HH:MM`."""
    return timezone.make_aware(datetime.datetime.fromisoformat(text))


# -- cumulative figures and the completion rate -------------------------------------------------------


def cumulative(user, project) -> dict:
    rows = selectors.attach_cumulative(selectors.report_list(user=user, params={"project": project.pk}))
    return {f"{r.period:%Y-%m}": (r.year_to_date, r.since_start) for r in rows}


def test_year_to_date_since_start_and_completion_rate_follow_a_correction(huangpu_user, city_user):
    project = library_project(start_year=2024)
    report_of(project, "2024-12", completed_amount=D("50.00"))
    january = services.report_create(
        acting_user=huangpu_user, project=project, period=month("2025-01"), completed_amount=D("100.00")
    )
    services.report_submit(acting_user=huangpu_user, report=january)
    services.report_accept(acting_user=city_user, report=january)
    report_of(project, "2025-02", completed_amount=D("200.00"))
    InvestmentPlan.objects.create(project=project, year=2025, planned_amount=D("1000.00"), kind="continuing")
    assert cumulative(city_user, project) == {
        "2024-12": (D("50.00"), D("50.00")),
        "2025-01": (D("100.00"), D("150.00")),
        "2025-02": (D("300.00"), D("350.00")),
    }
    assert selectors.project_progress(project=project, year=2025)["completion_rate"] == D("30.0")

    # A correction of January: reopened by the city, changed by the district.
    services.report_reopen(acting_user=city_user, report=january, reason="统计口径更正")
    services.report_update(acting_user=huangpu_user, report=january, completed_amount=D("150.00"))
    assert cumulative(city_user, project) == {
        "2024-12": (D("50.00"), D("50.00")),
        "2025-01": (D("150.00"), D("200.00")),
        "2025-02": (D("350.00"), D("400.00")),
    }
    year = selectors.project_progress(project=project, year=2025)
    assert year["year_to_date"] == D("350.00") and year["completion_rate"] == D("35.0")


def test_completion_rate_is_one_decimal_and_none_without_a_plan():
    assert selectors.completion_rate(D("350"), D("1000")) == D("35.0")
    assert selectors.completion_rate(D("1"), D("3")) == D("33.3")
    assert selectors.completion_rate(D("2"), D("3")) == D("66.7")
    assert selectors.completion_rate(D("1198"), D("1000")) == D("119.8")
    assert selectors.completion_rate(D("5"), None) is None
    assert selectors.completion_rate(D("5"), D("0")) is None


def test_report_list_is_the_users_scope_latest_month_first(huangpu_user, finance_user, lender_user):
    own = library_project()
    other = library_project(district=district("440104"))
    march, april = report_of(own, "2025-03"), report_of(own, "2025-04")
    elsewhere = report_of(other, "2025-03")
    assert list(selectors.report_list(user=huangpu_user)) == [april, march]
    assert set(selectors.report_list(user=finance_user)) == {march, april, elsewhere}
    assert not selectors.report_list(user=lender_user).exists()


# -- due dates by the official calendar ----------------------------------------------------------------


def test_the_january_2025_report_is_due_after_the_spring_festival():
    # 1–4 February are the holiday; 5, 6, 7 work; Saturday 8 February is an adjusted working day; then 10.
    assert report_due(month("2025-01")).day == datetime.date(2025, 2, 10)
    assert report_due(month("2025-01")).official is True


def test_the_september_2025_report_is_due_after_the_national_day_holiday():
    # 1–8 October are the holiday; 9, 10 work, Saturday 11 October is an adjusted working day; 13, 14.
    assert report_due(month("2025-09")).day == datetime.date(2025, 10, 14)
    assert report_due(month("2025-09")).official is True


def test_an_ordinary_month_is_due_on_its_fifth_working_day():
    # Monday 2 June is 端午: 3, 4, 5, 6 and Monday 9 June.
    assert report_due(month("2025-05")).day == datetime.date(2025, 6, 9)
    assert report_due(month("2025-06")).day == datetime.date(2025, 7, 7)  # no holiday: 1–4 and 7 July


def test_the_due_working_day_is_a_setting(settings):
    settings.PROGRESS_REPORT_DUE_WORKING_DAY = 1
    assert report_due(month("2025-01")).day == datetime.date(2025, 2, 5)
    assert report_due(month("2025-09")).day == datetime.date(2025, 10, 9)
    settings.PROGRESS_REPORT_DUE_WORKING_DAY = 8
    assert report_due(month("2025-01")).day == datetime.date(2025, 2, 13)


def test_a_year_the_calendar_does_not_know_falls_back_to_weekdays():
    due = report_due(month("2031-01"))  # 1 February 2031 is a Saturday
    assert due.day == datetime.date(2031, 2, 7) and due.official is False
    assert report_due(month("2030-12")).day == datetime.date(2031, 1, 7)  # New Year's Day is not known


# -- lateness ------------------------------------------------------------------------------------------


def test_a_report_submitted_after_its_due_date_is_late():
    project = library_project()
    late = report_of(project, "2025-01", first_submitted_at=at("2025-02-11 09:00"))
    on_time = report_of(project, "2025-02", first_submitted_at=at("2025-03-07 23:30"))  # due 7 March
    assert is_late(late, today=datetime.date(2025, 2, 12)) is True
    assert is_late(on_time, today=datetime.date(2026, 1, 1)) is False


def test_a_report_never_submitted_is_late_once_its_due_date_passed():
    report = report_of(library_project(), "2025-01")
    assert is_late(report, today=datetime.date(2025, 2, 10)) is False
    assert is_late(report, today=datetime.date(2025, 2, 11)) is True


def test_a_resubmission_after_a_return_keeps_the_first_submission(huangpu_user, city_user):
    report = services.report_create(
        acting_user=huangpu_user, project=library_project(), period=month("2025-01")
    )
    ProgressReport.objects.filter(pk=report.pk).update(first_submitted_at=at("2025-02-07 10:00"))
    report.refresh_from_db()
    services.report_submit(acting_user=huangpu_user, report=report)
    report.refresh_from_db()
    assert (
        report.first_submitted_at == at("2025-02-07 10:00")
        and report.submitted_at > report.first_submitted_at
    )
    assert is_late(report) is False


def test_monthly_todo_lists_each_reporting_project_with_its_report_and_lateness(huangpu_user):
    with_report = library_project()
    without = library_project()
    library_project(stage="planning")  # does not report
    report = report_of(with_report, "2025-01", first_submitted_at=at("2025-02-10 12:00"))
    rows = selectors.monthly_todo(
        user=huangpu_user, period=month("2025-01"), today=datetime.date(2025, 2, 11)
    )
    by_project = {row["project"]: row for row in rows}
    assert set(by_project) == {with_report, without}
    assert by_project[with_report]["report"] == report and by_project[with_report]["is_late"] is False
    assert by_project[without]["report"] is None and by_project[without]["is_late"] is True
