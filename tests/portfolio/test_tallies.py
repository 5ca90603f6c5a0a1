"""The districts' tallies: the dashboard added up from them is the dashboard computed over the library,
after every kind of write (services, bulk updates, raw SQL, deletes, a project moved between districts),
for city staff and for a district user; a write marks its district only, and a read sums again only the
districts marked; the rebuild command and the deep health check find a tally that no mark covers. The same
for /dispatch/'s summary added up from the districts' dispatch tallies, its lists included."""

import datetime
from decimal import Decimal

import pytest
from django.core.management import CommandError, call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from financing import services as financing_services
from financing.models import Disbursement, Loan, Repayment
from portfolio.dashboard import computed_dashboard_figures, dashboard_figures
from portfolio.dispatch.selectors import default_month
from portfolio.dispatch.summary import dispatch_summary
from portfolio.models import DispatchTally, DistrictTally, TallyMark
from portfolio.seed import seed_demo, seed_demo_platform
from portfolio.tallies import tallied_dispatch_summary, tallies_of, tally_differences
from projects.models import District, ProgressReport, Project
from tests.factories import FundingLineFactory, ProjectFactory, district

pytestmark = pytest.mark.django_db
D7 = Decimal("7000000.00")

SECTIONS = (
    "library_count",
    "library_investment",
    "funding_gap",
    "funnel",
    "by_district",
    "by_category",
    "funding",
    "loan_totals",
    "by_lender",
    "loans_by_district",
    "maturity",
    "overdue_principal",
    "unscheduled",
    "dispatch",
)


def assert_tallied(user, today=None) -> dict:
    tallied = dashboard_figures(user=user, today=today)
    computed = computed_dashboard_figures(user=user, today=today)
    for key in SECTIONS:
        assert tallied[key] == computed[key], key
    return tallied


def months(today=None) -> list[tuple[int, int]]:
    """The dispatch's default month and one half a year before it."""
    year, month = default_month(today or timezone.localdate())
    return [(year, month), (year - (month <= 6), (month - 7) % 12 + 1)]


def assert_dispatch_tallied(user, *, listed=100, district=None, today=None):
    for year, month in months(today):
        chosen = {"year": year, "month": month, "district": district, "today": today, "listed": listed}
        tallied = tallied_dispatch_summary(user=user, **chosen)
        computed = dispatch_summary(user=user, **chosen)
        assert [row.project.pk for row in tallied.flagged] == [row.project.pk for row in computed.flagged]
        assert [row.project.pk for row in tallied.late_reports] == [
            row.project.pk for row in computed.late_reports
        ]
        assert tallied == computed, (year, month)


@pytest.fixture
def library(db):
    seed_demo(120, rng_seed=21, history_years=1)
    seed_demo_platform()


def marked() -> set[str]:
    return set(TallyMark.objects.values_list("district", flat=True))


def stamps() -> dict:
    return dict(DistrictTally.objects.values_list("district", "computed_at"))


def test_the_tallied_dashboard_is_the_computed_one_after_every_kind_of_write(
    library, city_user, huangpu_user
):
    figures = assert_tallied(city_user)
    assert figures["library_count"] > 50 and figures["loan_totals"]["principal"] > 0
    assert figures["dispatch"].total.reports_due > 0 and figures["maturity"]
    assert_tallied(huangpu_user)

    loan = Loan.objects.filter(project__district="440112", status="signed").exclude(repayments=None).first()
    assert loan is not None
    today = timezone.localdate()
    created = []
    writes = {
        "a funding line": lambda: FundingLineFactory(
            project=loan.project, planned_amount=Decimal("1234567.89"), status="approved"
        ),
        "a drawing": lambda: financing_services.disbursement_record(
            loan=loan, amount=Decimal("1000.00"), on=today, acting_user=city_user
        ),
        "a repayment dated before the last one": lambda: financing_services.repayment_record(
            loan=loan,
            on=loan.repayments.order_by("date").first().date + datetime.timedelta(days=1),
            principal=Decimal("10.00"),
            interest=Decimal("0.00"),
            acting_user=city_user,
        ),
        "a loan edit": lambda: financing_services.loan_update(
            acting_user=city_user, loan=Loan.objects.get(pk=loan.pk), principal=loan.principal + 500000
        ),
        "a stage set by a bulk update": lambda: Project.objects.filter(
            district="440112", review_status="accepted", stage="planning"
        ).update(stage="mature"),
        "a report changed by a bulk update": lambda: ProgressReport.objects.filter(
            project__district="440112"
        ).update(completed_amount=Decimal("99.99")),
        "a total investment set in SQL": lambda: _sql(
            "UPDATE projects_project SET total_investment = total_investment + 100 WHERE district_id = %s",
            ["440112"],
        ),
        "a project moved to another district": lambda: Project.objects.filter(pk=loan.project_id).update(
            district="440104"
        ),
        "a repayment deleted": lambda: Repayment.objects.filter(loan=loan).order_by("date").first().delete(),
        "a drawing deleted": lambda: (
            Disbursement.objects.filter(loan=loan).order_by("-date").first().delete()
        ),
        "a project created": lambda: created.append(
            ProjectFactory(district=district("440112"), review_status="accepted", total_investment=D7)
        ),
        "a project deleted": lambda: created.pop().delete(),
    }
    for name, write in writes.items():
        write()
        assert marked(), name
        assert_tallied(city_user)
        assert_tallied(huangpu_user)
        assert not TallyMark.objects.filter(district="440112").exists(), name
        assert_dispatch_tallied(city_user)
        assert_dispatch_tallied(huangpu_user)


def test_the_tallied_dispatch_is_the_computed_one_with_its_lists_merged_across_districts(
    library, city_user, huangpu_user
):
    year, month = months()[0]
    computed = dispatch_summary(user=city_user, year=year, month=month, listed=100)
    assert computed.flagged_count > 5 and len({row.project.district_id for row in computed.flagged}) > 1
    # Lists shorter than the districts' flagged: the first few of all of them, in one scan's order.
    for listed in (1, 5, 100):
        assert_dispatch_tallied(city_user, listed=listed)
    assert_dispatch_tallied(city_user, listed=5, district="440112")
    assert_dispatch_tallied(huangpu_user, listed=5)
    # More than a tally keeps: computed over the projects.
    assert_dispatch_tallied(city_user, listed=150)


def test_a_dispatch_tally_is_kept_until_a_write_in_its_district(library, city_user):
    year, month = months()[1]
    tallied_dispatch_summary(user=city_user, year=year, month=month, listed=100)
    assert DispatchTally.objects.filter(year=year, month=month).count() == District.objects.count()
    kept = dict(DispatchTally.objects.values_list("district", "computed_at"))
    with CaptureQueriesContext(connection) as captured:
        tallied_dispatch_summary(user=city_user, year=year, month=month, listed=100)
    assert dict(DispatchTally.objects.values_list("district", "computed_at")) == kept
    assert not [q for q in captured if "dispatchtally" in q["sql"].lower() and "insert" in q["sql"].lower()]

    report = ProgressReport.objects.filter(project__district="440112").first()
    ProgressReport.objects.filter(pk=report.pk).update(completed_amount=Decimal("1.00"))
    assert marked() == {"440112"}
    # The dashboard's read takes the mark: the district's dispatch tallies go with it.
    dashboard_figures(user=city_user)
    assert not DispatchTally.objects.filter(district="440112").exists()
    assert_dispatch_tallied(city_user)
    after = dict(DispatchTally.objects.filter(year=year, month=month).values_list("district", "computed_at"))
    assert after["440112"] > kept["440112"]
    assert {c: at for c, at in after.items() if c != "440112"} == {
        c: at for c, at in kept.items() if c != "440112"
    }


def _sql(statement, params):
    with connection.cursor() as cursor:
        cursor.execute(statement, params)


def test_a_write_marks_its_district_and_a_read_sums_only_that_one(library, city_user):
    dashboard_figures(user=city_user)
    assert not marked() and DistrictTally.objects.count() == District.objects.count()
    before = stamps()
    # A fresh read sums nothing: the tallies and their marks are read, no tally is written.
    with CaptureQueriesContext(connection) as captured:
        dashboard_figures(user=city_user)
    assert stamps() == before
    assert not [q for q in captured if "district_tally" in q["sql"].lower() and "update" in q["sql"].lower()]

    project = Project.objects.filter(district="440112", review_status="accepted").first()
    FundingLineFactory(project=project, planned_amount=Decimal("1000.00"))
    assert marked() == {"440112"}
    dashboard_figures(user=city_user)
    after = stamps()
    assert after["440112"] > before["440112"]
    assert {code: at for code, at in after.items() if code != "440112"} == {
        code: at for code, at in before.items() if code != "440112"
    }
    assert not marked()


def test_a_district_user_reads_its_own_districts_tally_only(library, huangpu_user):
    assert list(tallies_of(user=huangpu_user, day=timezone.localdate())) == ["440112"]
    figures = assert_tallied(huangpu_user)
    assert [row["label"] for row in figures["by_district"]] == ["黄埔区"]
    assert {row["label"] for row in figures["loans_by_district"]} <= {"黄埔区"}
    assert [row.district.code for row in figures["dispatch"].districts] == ["440112"]


def test_a_tally_of_another_day_is_summed_again(library, city_user):
    today = timezone.localdate()
    assert_tallied(city_user, today=today)
    # The maturity profile's past due and the dispatch's month move with the day.
    later = today + datetime.timedelta(days=40)
    figures = assert_tallied(city_user, today=later)
    assert set(DistrictTally.objects.values_list("day", flat=True)) == {later}
    assert figures["dispatch"].month == (later.replace(day=1) - datetime.timedelta(days=1)).month


def test_the_rebuild_and_the_deep_check_find_a_tally_no_mark_covers(library, city_user, client):
    dashboard_figures(user=city_user)
    assert tally_differences() == []
    call_command("rebuild_tallies", "--check")
    tally = DistrictTally.objects.get(district="440112")
    tally.figures["groups"][0][2] += 1  # one project more than there is, written past the triggers
    DistrictTally.objects.filter(pk=tally.pk).update(figures=tally.figures)
    assert tally_differences() == ["440112"]
    with pytest.raises(CommandError, match="440112"):
        call_command("rebuild_tallies", "--check")
    deep = client.get("/healthz?deep=1")
    assert deep.status_code == 503 and "tallies" in deep.json()["failed"]
    call_command("rebuild_tallies")
    assert tally_differences() == []
    assert client.get("/healthz?deep=1").status_code == 200
    assert_tallied(city_user)

    year, month = months()[0]
    tallied_dispatch_summary(user=city_user, year=year, month=month)
    tally = DispatchTally.objects.get(district="440112", year=year, month=month)
    tally.figures["sums"][0][0] += 1  # one project more
    DispatchTally.objects.filter(pk=tally.pk).update(figures=tally.figures)
    assert tally_differences() == [f"440112 {year}-{month:02d}"]
    call_command("rebuild_tallies")
    assert tally_differences() == [] and not DispatchTally.objects.exists()
    assert_dispatch_tallied(city_user)
