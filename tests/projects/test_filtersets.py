"""One test per filter parameter of ProjectFilterSet, UnitFilterSet, MilestoneFilterSet and the monthly
dispatch's InvestmentPlanFilterSet, ProgressReportFilterSet and ProblemFilterSet, through the lists'
selectors (the one read path): what the parameter keeps, and that a wrong value is refused."""

import datetime
from decimal import Decimal
from operator import attrgetter

import pytest
from django.utils import timezone

from projects.filtersets import SORTS
from projects.models import InvestmentPlan, Problem, ProgressReport
from projects.selectors import milestone_list, project_list, unit_list
from projects.selectors.progress import plan_list, problem_list, report_list
from tests.factories import (
    FundingLineFactory,
    MilestoneFactory,
    OrganizationFactory,
    ProjectFactory,
    UnitFactory,
    district,
)

pytestmark = pytest.mark.django_db
D = Decimal
TOO_LARGE_ID = str(2**63)


# -- ProjectFilterSet ------------------------------------------------------------------------------


def test_q_searches_name_code_national_code_content_and_implementing_org(city_user, found):
    made = {
        "name": ProjectFactory(name="增江画廊"),
        "code": ProjectFactory(code="HP-ZJ-01"),
        "national_code": ProjectFactory(national_code="2021-440112-77-01-000042"),
        "content": ProjectFactory(content="碧道建设"),
        "implementing_org": ProjectFactory(implementing_org=OrganizationFactory(name="广州碧水建设公司")),
        "other": ProjectFactory(name="无关项目"),
    }

    def searched(text):
        return found(made, project_list(user=city_user, params={"q": text}))

    assert searched(" 画廊 ") == {"name"}
    assert searched("zj-0") == {"code"}  # any case
    assert searched("000042") == {"national_code"}
    assert searched("碧道") == {"content"}
    assert searched("碧水建设") == {"implementing_org"}
    assert searched("  ") == set(made)  # blank: no search


def test_code_is_the_exact_code(city_user, spread, found):
    code = spread["big"].code
    assert found(spread, project_list(user=city_user, params={"code": code})) == {"big"}
    assert found(spread, project_list(user=city_user, params={"code": code[:-1]})) == set()


def test_district_is_the_districts_code(city_user, spread, found, refused):
    assert found(spread, project_list(user=city_user, params={"district": "440104"})) == {"district"}
    for wrong in ("999999", "黄埔区"):
        assert refused(project_list, city_user, district=wrong) == {"district"}


def test_unit_is_one_the_user_may_see(city_user, huangpu_user, spread, found, refused):
    unit = spread["unit"].unit_id
    assert found(spread, project_list(user=huangpu_user, params={"unit": unit})) == {"unit"}
    yuexiu_unit = UnitFactory(district=district("440104"))
    assert found(spread, project_list(user=city_user, params={"unit": yuexiu_unit.pk})) == set()
    # Another district's unit is not a choice for a district user.
    assert refused(project_list, huangpu_user, unit=yuexiu_unit.pk) == {"unit"}
    assert refused(project_list, city_user, unit="999999") == {"unit"}


def test_stage(city_user, spread, found, refused):
    assert found(spread, project_list(user=city_user, params={"stage": "implementation"})) == {"stage"}
    assert refused(project_list, city_user, stage="done") == {"stage"}


def test_review_status(city_user, spread, found, refused):
    assert found(spread, project_list(user=city_user, params={"review_status": "submitted"})) == {"review"}
    assert refused(project_list, city_user, review_status="approved") == {"review_status"}


def test_category(city_user, spread, found, refused):
    assert found(spread, project_list(user=city_user, params={"category": "park"})) == {"category"}
    assert refused(project_list, city_user, category="forest") == {"category"}


def test_source_type_lists_a_project_with_lines_of_the_type_once(city_user, spread, found, refused):
    listed = project_list(user=city_user, params={"source_type": "central_budget"})
    assert found(spread, listed) == {"plain"} and listed.count() == 1  # it has two such lines
    assert refused(project_list, city_user, source_type="lottery") == {"source_type"}


def test_min_investment_keeps_at_least_the_amount(city_user, spread, found, refused):
    assert found(spread, project_list(user=city_user, params={"min_investment": "800000000"})) == {"big"}
    at_least_the_plain = found(spread, project_list(user=city_user, params={"min_investment": "50000000"}))
    assert at_least_the_plain == set(spread) - {"small"}
    for wrong in ("many", "-1", "0.001", "1" * 17):
        assert refused(project_list, city_user, min_investment=wrong) == {"min_investment"}


def test_max_investment_keeps_at_most_the_amount(city_user, spread, found, refused):
    below_big = found(spread, project_list(user=city_user, params={"max_investment": "60000000"}))
    assert below_big == set(spread) - {"big"}
    assert found(spread, project_list(user=city_user, params={"max_investment": "49999999.99"})) == {"small"}
    for wrong in ("abc", "-1", "1" * 17):
        assert refused(project_list, city_user, max_investment=wrong) == {"max_investment"}


@pytest.fixture
def to_sort(db):
    """Six projects that every sort key orders differently, with a tie in each key but the code."""
    day = timezone.make_aware(datetime.datetime(2025, 3, 1, 9, 0))
    rows = [
        # code, name, district, stage, review status, investment, approved, submitted, updated (days on)
        ("S-4", "排序项目2", "440112", "implementation", "accepted", "300", "100", 3, 5),
        ("S-2", "排序项目1", "440104", "planning", "draft", "200", "0", 1, 2),
        ("S-6", "排序项目2", "440112", "mature", "accepted", "200", "0", 1, 4),
        ("S-1", "排序项目3", "440104", "planning", "submitted", "500", "600", 2, 2),
        ("S-5", "排序项目1", "440112", "completed", "returned", "100", "50", 3, 1),
        ("S-3", "排序项目3", "440112", "planning", "draft", "300", "100", 2, 3),
    ]
    for code, name, where, stage, review, investment, approved, submitted, updated in rows:
        project = ProjectFactory(
            code=code,
            name=name,
            district=district(where),
            stage=stage,
            review_status=review,
            total_investment=D(investment),
            submitted_at=day + datetime.timedelta(days=submitted),
            updated_at=day + datetime.timedelta(days=updated),
        )
        if D(approved):
            FundingLineFactory(project=project, approved_amount=D(approved), status="approved")


def test_sort_orders_by_every_key_both_ways_and_the_pk_breaks_ties(city_user, to_sort, refused):
    projects = sorted(project_list(user=city_user), key=attrgetter("pk"))  # with the funding gap
    for key, field in SORTS:
        sort_value = attrgetter("district_id" if field == "district" else field)
        for sort in (key, f"-{key}"):
            listed = project_list(user=city_user, params={"sort": sort})
            assert list(listed.query.order_by) == [sort, "pk"]
            # A stable sort of projects in pk order: ties stay in pk order, in either direction.
            expected = sorted(projects, key=sort_value, reverse=sort.startswith("-"))
            assert [p.pk for p in listed] == [p.pk for p in expected], sort
    assert refused(project_list, city_user, sort="secret_column") == {"sort"}


# -- UnitFilterSet ---------------------------------------------------------------------------------


def test_unit_district(city_user, found, refused):
    made = {
        "huangpu": UnitFactory(district=district("440112")),
        "yuexiu": UnitFactory(district=district("440104")),
    }
    assert found(made, unit_list(user=city_user, params={"district": "440104"})) == {"yuexiu"}
    assert refused(unit_list, city_user, district="1") == {"district"}


# -- MilestoneFilterSet ----------------------------------------------------------------------------


@pytest.fixture
def milestones(db):
    """An overdue and a done milestone of a 黄埔 project, two future ones of a 越秀 project."""
    huangpu = ProjectFactory(district=district("440112"))
    yuexiu = ProjectFactory(district=district("440104"))
    past = datetime.date(2020, 1, 1)
    return {
        "overdue": MilestoneFactory(project=huangpu, planned_date=past),
        "done": MilestoneFactory(project=huangpu, planned_date=past, actual_date=datetime.date(2020, 2, 1)),
        "june": MilestoneFactory(project=yuexiu, planned_date=datetime.date(2099, 6, 30)),
        "july": MilestoneFactory(project=yuexiu, planned_date=datetime.date(2099, 7, 1)),
    }


def test_milestone_project(city_user, milestones, found, refused):
    project = milestones["overdue"].project_id
    assert found(milestones, milestone_list(user=city_user, params={"project": project})) == {
        "overdue",
        "done",
    }
    for wrong in ("abc", "0", "1.5", TOO_LARGE_ID):
        assert refused(milestone_list, city_user, project=wrong) == {"project"}


def test_milestone_district(city_user, milestones, found, refused):
    assert found(milestones, milestone_list(user=city_user, params={"district": "440104"})) == {
        "june",
        "july",
    }
    assert refused(milestone_list, city_user, district="999999") == {"district"}


def test_milestone_overdue(city_user, milestones, found, refused):
    assert found(milestones, milestone_list(user=city_user, params={"overdue": "true"})) == {"overdue"}
    assert found(milestones, milestone_list(user=city_user, params={"overdue": "false"})) == {
        "done",
        "june",
        "july",
    }
    assert refused(milestone_list, city_user, overdue="perhaps") == {"overdue"}


def test_milestone_planned_after_is_inclusive(city_user, milestones, found, refused):
    after = found(milestones, milestone_list(user=city_user, params={"planned_after": "2099-06-30"}))
    assert after == {"june", "july"}
    assert found(milestones, milestone_list(user=city_user, params={"planned_after": "2099-07-01"})) == {
        "july"
    }
    assert refused(milestone_list, city_user, planned_after="2025-13-01") == {"planned_after"}


def test_milestone_planned_before_is_inclusive(city_user, milestones, found, refused):
    before = found(milestones, milestone_list(user=city_user, params={"planned_before": "2099-06-30"}))
    assert before == {"overdue", "done", "june"}
    assert found(milestones, milestone_list(user=city_user, params={"planned_before": "2019-12-31"})) == set()
    assert refused(milestone_list, city_user, planned_before="yesterday") == {"planned_before"}


# -- the monthly dispatch: InvestmentPlanFilterSet, ProgressReportFilterSet, ProblemFilterSet ---------


def _library(code="440112"):
    return ProjectFactory(district=district(code), review_status="accepted", stage="implementation")


@pytest.fixture
def plans(db):
    """Plans of a 黄埔 project in two years (one confirmed) and of a 越秀 project."""
    huangpu, yuexiu = _library(), _library("440104")

    def plan(project, year, **values):
        values = {"planned_amount": D("100"), "kind": "continuing"} | values
        return InvestmentPlan.objects.create(project=project, year=year, **values)

    return {
        "hp-2025": plan(huangpu, 2025, status="confirmed"),
        "hp-2026": plan(huangpu, 2026, kind="new_start"),
        "yx-2026": plan(yuexiu, 2026),
    }


def test_plan_project(city_user, plans, found, refused):
    project = plans["hp-2025"].project_id
    assert found(plans, plan_list(user=city_user, params={"project": project})) == {"hp-2025", "hp-2026"}
    assert refused(plan_list, city_user, project="abc") == {"project"}


def test_plan_district(city_user, plans, found, refused):
    assert found(plans, plan_list(user=city_user, params={"district": "440104"})) == {"yx-2026"}
    assert refused(plan_list, city_user, district="999999") == {"district"}


def test_plan_year(city_user, plans, found, refused):
    assert found(plans, plan_list(user=city_user, params={"year": "2026"})) == {"hp-2026", "yx-2026"}
    for wrong in ("2025.5", "1999", "next"):
        assert refused(plan_list, city_user, year=wrong) == {"year"}


def test_plan_status(city_user, plans, found, refused):
    assert found(plans, plan_list(user=city_user, params={"status": "confirmed"})) == {"hp-2025"}
    assert refused(plan_list, city_user, status="approved") == {"status"}


def test_plan_kind(city_user, plans, found, refused):
    assert found(plans, plan_list(user=city_user, params={"kind": "new_start"})) == {"hp-2026"}
    assert refused(plan_list, city_user, kind="finished") == {"kind"}


@pytest.fixture
def reports(db):
    """Reports of a 黄埔 project over two years, on time, late and never submitted, and of a 越秀 one."""
    huangpu, yuexiu = _library(), _library("440104")

    def report(project, period, submitted=None, **values):
        first = timezone.make_aware(datetime.datetime.fromisoformat(submitted)) if submitted else None
        return ProgressReport.objects.create(
            project=project, period=datetime.date.fromisoformat(period), first_submitted_at=first, **values
        )

    return {
        # due 8 January 2025, 10 February 2025 and 7 March 2025
        "hp-2024-12": report(huangpu, "2024-12-01", "2025-01-08 18:00", status="accepted"),
        "hp-2025-01": report(huangpu, "2025-01-01", "2025-02-11 09:00", status="submitted"),
        "hp-2025-02": report(huangpu, "2025-02-01"),
        "yx-2025-01": report(yuexiu, "2025-01-01", "2025-02-10 09:00", status="returned"),
    }


def test_report_project(city_user, reports, found, refused):
    project = reports["hp-2025-01"].project_id
    assert found(reports, report_list(user=city_user, params={"project": project})) == {
        "hp-2024-12",
        "hp-2025-01",
        "hp-2025-02",
    }
    assert refused(report_list, city_user, project=TOO_LARGE_ID) == {"project"}


def test_report_district(city_user, reports, found, refused):
    assert found(reports, report_list(user=city_user, params={"district": "440104"})) == {"yx-2025-01"}
    assert refused(report_list, city_user, district="黄埔区") == {"district"}


def test_report_year(city_user, reports, found, refused):
    assert found(reports, report_list(user=city_user, params={"year": "2024"})) == {"hp-2024-12"}
    assert refused(report_list, city_user, year="24") == {"year"}


def test_report_period(city_user, reports, found, refused):
    assert found(reports, report_list(user=city_user, params={"period": "2025-01"})) == {
        "hp-2025-01",
        "yx-2025-01",
    }
    for wrong in ("2025-13", "2025-1", "2025-01-01", "一月"):
        assert refused(report_list, city_user, period=wrong) == {"period"}


def test_report_status(city_user, reports, found, refused):
    assert found(reports, report_list(user=city_user, params={"status": "returned"})) == {"yx-2025-01"}
    assert refused(report_list, city_user, status="approved") == {"status"}


def test_report_is_late(city_user, reports, found, refused):
    # Submitted a day after the due date, or never submitted and the due date long past.
    assert found(reports, report_list(user=city_user, params={"is_late": "true"})) == {
        "hp-2025-01",
        "hp-2025-02",
    }
    assert found(reports, report_list(user=city_user, params={"is_late": "false"})) == {
        "hp-2024-12",
        "yx-2025-01",
    }
    assert refused(report_list, city_user, is_late="yes") == {"is_late"}


@pytest.fixture
def problems(db):
    huangpu, yuexiu = _library(), _library("440104")

    def problem(project, raised_on, **values):
        values = {"category": "land", "description": "问题"} | values
        return Problem.objects.create(
            project=project, raised_on=datetime.date.fromisoformat(raised_on), **values
        )

    return {
        "overdue": problem(huangpu, "2025-03-01", due_on=datetime.date(2025, 4, 1)),
        "future": problem(huangpu, "2025-05-01", category="funding", due_on=datetime.date(2099, 1, 1)),
        "resolved": problem(
            yuexiu,
            "2024-11-01",
            due_on=datetime.date(2025, 1, 1),
            status="resolved",
            resolved_on=datetime.date(2024, 12, 1),
            resolution="已协调",
        ),
    }


def test_problem_project(city_user, problems, found, refused):
    project = problems["overdue"].project_id
    assert found(problems, problem_list(user=city_user, params={"project": project})) == {"overdue", "future"}
    assert refused(problem_list, city_user, project="0") == {"project"}


def test_problem_district(city_user, problems, found, refused):
    assert found(problems, problem_list(user=city_user, params={"district": "440104"})) == {"resolved"}
    assert refused(problem_list, city_user, district="1") == {"district"}


def test_problem_year(city_user, problems, found, refused):
    assert found(problems, problem_list(user=city_user, params={"year": "2024"})) == {"resolved"}
    assert refused(problem_list, city_user, year="MMXXV") == {"year"}


def test_problem_category(city_user, problems, found, refused):
    assert found(problems, problem_list(user=city_user, params={"category": "funding"})) == {"future"}
    assert refused(problem_list, city_user, category="weather") == {"category"}


def test_problem_status(city_user, problems, found, refused):
    assert found(problems, problem_list(user=city_user, params={"status": "resolved"})) == {"resolved"}
    assert refused(problem_list, city_user, status="closed") == {"status"}


def test_problem_is_overdue(city_user, problems, found, refused):
    # Open and past its due date; a resolved problem past its due date is not overdue.
    assert found(problems, problem_list(user=city_user, params={"is_overdue": "true"})) == {"overdue"}
    assert found(problems, problem_list(user=city_user, params={"is_overdue": "false"})) == {
        "future",
        "resolved",
    }
    assert refused(problem_list, city_user, is_overdue="1") == {"is_overdue"}
