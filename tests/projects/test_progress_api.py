"""The monthly dispatch's API (investment-plans, progress-reports with their review, problems): real
requests, checked in the response and the database."""

import datetime
from decimal import Decimal

import pytest
from django.utils import timezone

from portfolio.models import AuditEntry
from projects.models import InvestmentPlan, Problem, ProgressReport
from tests.factories import district
from tests.projects.test_progress_services import library_project, month, report_of

pytestmark = pytest.mark.django_db
D = Decimal


def plan_of(project, year=2026, **values) -> InvestmentPlan:
    values = {"planned_amount": D("1000.00"), "kind": "continuing"} | values
    return InvestmentPlan.objects.create(project=project, year=year, **values)


def problem_of(project, **values) -> Problem:
    values = {
        "category": "land",
        "description": "用地指标不足",
        "raised_on": datetime.date(2025, 3, 1),
    } | values
    return Problem.objects.create(project=project, **values)


def ids(response) -> set[int]:
    assert response.status_code == 200, response.content[:300]
    return {row["id"] for row in response.json()["results"]}


# -- lists and their filters -------------------------------------------------------------------------

LISTS = {
    "investment-plans": lambda: plan_of(library_project()),
    "progress-reports": lambda: report_of(library_project(), "2025-03", completed_amount=D("1.00")),
    "problems": lambda: problem_of(library_project()),
}


@pytest.mark.parametrize("endpoint", list(LISTS))
def test_every_list_runs_the_same_queries_for_1_and_50_items(assert_flat_list_queries, endpoint):
    assert_flat_list_queries(endpoint, LISTS[endpoint])


@pytest.fixture
def reports(db):
    """Reports of a 黄埔 and a 越秀 project over two years, late and on time, in each status."""
    hp, yx = library_project(start_year=2024), library_project(district=district("440104"))
    on_time = timezone.make_aware(datetime.datetime(2025, 2, 7, 10))  # due 10 February 2025
    return {
        "hp-2024-12": report_of(
            hp,
            "2024-12",
            status="accepted",
            first_submitted_at=timezone.make_aware(datetime.datetime(2025, 1, 3, 10)),  # due 7 January
        ),
        "hp-2025-01": report_of(hp, "2025-01", status="submitted", first_submitted_at=on_time),
        "hp-2025-02": report_of(hp, "2025-02"),  # never submitted: late
        "yx-2025-01": report_of(yx, "2025-01", status="returned", first_submitted_at=on_time),
    }


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        ({"district": "440104"}, {"yx-2025-01"}),
        ({"year": "2024"}, {"hp-2024-12"}),
        ({"period": "2025-01"}, {"hp-2025-01", "yx-2025-01"}),
        ({"status": "returned"}, {"yx-2025-01"}),
        ({"is_late": "true"}, {"hp-2025-02"}),
        ({"is_late": "false"}, {"hp-2024-12", "hp-2025-01", "yx-2025-01"}),
    ],
    ids=["district", "year", "period", "status", "is_late", "not_late"],
)
def test_report_filters(city_api, reports, params, expected):
    listed = ids(city_api.get("/api/v1/progress-reports/", params))
    assert {name for name, r in reports.items() if r.pk in listed} == expected


def test_report_project_filter(city_api, reports):
    project = reports["hp-2025-01"].project_id
    listed = ids(city_api.get("/api/v1/progress-reports/", {"project": project}))
    assert listed == {r.pk for name, r in reports.items() if name.startswith("hp")}


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"period": "2025-13"}, "period"),
        ({"period": "2025/01"}, "period"),
        ({"year": "20x5"}, "year"),
        ({"status": "done"}, "status"),
        ({"is_late": "maybe"}, "is_late"),
        ({"project": "0"}, "project"),
    ],
)
def test_an_invalid_report_filter_answers_400_naming_it(city_api, params, field):
    response = city_api.get("/api/v1/progress-reports/", params)
    assert response.status_code == 400 and field in response.json()


def test_plan_filters(city_api):
    hp, yx = library_project(), library_project(district=district("440104"))
    made = {
        "hp-2025": plan_of(hp, 2025, status="confirmed"),
        "hp-2026": plan_of(hp, 2026),
        "yx-2026": plan_of(yx, 2026, kind="new_start"),
    }

    def listed(**params):
        found = ids(city_api.get("/api/v1/investment-plans/", params))
        return {name for name, plan in made.items() if plan.pk in found}

    assert listed(district="440104") == {"yx-2026"}
    assert listed(project=hp.pk) == {"hp-2025", "hp-2026"}
    assert listed(year="2025") == {"hp-2025"}
    assert listed(status="confirmed") == {"hp-2025"}
    assert listed(kind="new_start") == {"yx-2026"}
    assert city_api.get("/api/v1/investment-plans/", {"year": "1999"}).status_code == 400


def test_problem_filters(city_api):
    hp, yx = library_project(), library_project(district=district("440104"))
    made = {
        "overdue": problem_of(hp, due_on=datetime.date(2025, 4, 1)),
        "future": problem_of(hp, category="funding", due_on=datetime.date(2099, 1, 1)),
        "resolved": problem_of(
            yx,
            due_on=datetime.date(2025, 4, 1),
            status="resolved",
            resolved_on=datetime.date(2025, 3, 20),
            resolution="已协调",
        ),
    }

    def listed(**params):
        found = ids(city_api.get("/api/v1/problems/", params))
        return {name for name, problem in made.items() if problem.pk in found}

    assert listed(category="funding") == {"future"}
    assert listed(status="resolved") == {"resolved"}
    assert listed(is_overdue="true") == {"overdue"}
    assert listed(is_overdue="false") == {"future", "resolved"}
    assert listed(district="440104") == {"resolved"}
    assert listed(project=hp.pk) == {"overdue", "future"}
    row = city_api.get(f"/api/v1/problems/{made['overdue'].pk}/").json()
    assert row["is_overdue"] is True and row["due_on"] == "2025-04-01"
    assert city_api.get("/api/v1/problems/", {"category": "weather"}).status_code == 400


# -- the fields -----------------------------------------------------------------------------------------


def test_a_report_reads_its_period_due_date_lateness_and_cumulative_figures(city_api):
    project = library_project(start_year=2024)
    report_of(project, "2024-12", completed_amount=D("50.00"))
    report_of(project, "2025-01", completed_amount=D("100.00"))
    september = report_of(
        project,
        "2025-09",
        completed_amount=D("200.00"),
        first_submitted_at=timezone.make_aware(datetime.datetime(2025, 10, 15, 9)),
    )
    row = city_api.get(f"/api/v1/progress-reports/{september.pk}/").json()
    assert row["period"] == "2025-09" and row["due_on"] == "2025-10-14" and row["is_late"] is True
    assert row["year_to_date"] == "300.00" and row["since_start"] == "350.00"
    assert row["completed_amount"] == "200.00" and row["version"] == 1 and row["status"] == "draft"
    assert set(row) == {
        "id",
        "project",
        "period",
        "completed_amount",
        "progress_percent",
        "physical_progress",
        "problems_note",
        "status",
        "review_comment",
        "year_to_date",
        "since_start",
        "due_on",
        "is_late",
        "version",
    }
    january = city_api.get("/api/v1/progress-reports/", {"period": "2025-01"}).json()["results"][0]
    assert january["due_on"] == "2025-02-10" and january["is_late"] is True  # never submitted


def test_a_report_is_created_for_a_month_and_answers_its_cumulative_figures(api_client, huangpu_user):
    project = library_project()
    report_of(project, "2025-01", completed_amount=D("100.00"))
    client = api_client(huangpu_user)
    created = client.post(
        "/api/v1/progress-reports/",
        {"project": project.pk, "period": "2025-02", "completed_amount": "25.50", "progress_percent": "12.5"},
        format="json",
    )
    assert created.status_code == 201, created.content
    body = created.json()
    assert (
        body["period"] == "2025-02" and body["year_to_date"] == "125.50" and body["since_start"] == "125.50"
    )
    assert body["due_on"] == "2025-03-07"
    report = ProgressReport.objects.get(pk=body["id"])
    assert report.period == datetime.date(2025, 2, 1) and report.created_by == huangpu_user
    assert AuditEntry.objects.get(action="report_create").project_id == project.pk


@pytest.mark.parametrize("period", ["2025-13", "2025-1", "202501", "March", 202501, ""])
def test_an_invalid_period_is_400_naming_period(api_client, huangpu_user, period):
    project = library_project()
    response = api_client(huangpu_user).post(
        "/api/v1/progress-reports/", {"project": project.pk, "period": period}, format="json"
    )
    assert response.status_code == 400 and set(response.json()) == {"period"}
    assert not ProgressReport.objects.exists()


def test_a_refused_month_is_400_naming_period(api_client, huangpu_user):
    project = library_project(start_year=2025)
    response = api_client(huangpu_user).post(
        "/api/v1/progress-reports/", {"project": project.pk, "period": "2024-12"}, format="json"
    )
    assert response.status_code == 400
    assert response.json() == {"period": ["2024-12 早于项目计划开工年份 2025 年。"]}


def test_the_period_and_project_of_a_report_do_not_change(city_api):
    report = report_of(library_project(), "2025-03")
    other = library_project()
    response = city_api.patch(
        f"/api/v1/progress-reports/{report.pk}/",
        {"period": "2025-04", "project": other.pk, "physical_progress": "主体完工"},
        format="json",
    )
    assert response.status_code == 200 and response.json()["period"] == "2025-03"
    report.refresh_from_db()
    assert (report.period, report.project_id) == (month("2025-03"), report.project_id)
    assert report.physical_progress == "主体完工" and report.project_id != other.pk


# -- versions and ETags --------------------------------------------------------------------------------


def test_report_versions_etag_409_and_412(city_api):
    report = report_of(library_project(), "2025-03")
    url = f"/api/v1/progress-reports/{report.pk}/"
    read = city_api.get(url)
    etag = read["ETag"]
    assert read.json()["version"] == 1 and etag.startswith('"')
    changed = city_api.patch(
        url, {"physical_progress": "一", "version": 1}, format="json", HTTP_IF_MATCH=etag
    )
    assert changed.status_code == 200 and changed.json()["version"] == 2 and changed["ETag"] != etag
    stale = city_api.patch(url, {"physical_progress": "旧", "version": 1}, format="json")
    assert stale.status_code == 409 and stale.json()["code"] == "stale"
    stale_header = city_api.patch(url, {"physical_progress": "旧"}, format="json", HTTP_IF_MATCH=etag)
    assert stale_header.status_code == 412
    stale_step = city_api.post(f"{url}submit/", {"version": 1}, format="json")
    assert stale_step.status_code == 409
    report.refresh_from_db()
    assert report.physical_progress == "一" and report.version == 2 and report.status == "draft"


def test_plan_and_problem_changes_honour_if_match(city_api):
    for endpoint, record, field in (
        ("investment-plans", plan_of(library_project()), "target"),
        ("problems", problem_of(library_project()), "responsible_unit"),
    ):
        url = f"/api/v1/{endpoint}/{record.pk}/"
        etag = city_api.get(url)["ETag"]
        assert city_api.patch(url, {field: "一"}, format="json", HTTP_IF_MATCH=etag).status_code == 200
        assert city_api.patch(url, {field: "二"}, format="json", HTTP_IF_MATCH=etag).status_code == 412
        record.refresh_from_db()
        assert getattr(record, field) == "一"


# -- plans: create, confirm, adjust --------------------------------------------------------------------


def test_the_plan_workflow_through_the_api(api_client, huangpu_user, city_user):
    district_client, staff = api_client(huangpu_user), api_client(city_user)
    project = library_project(total_investment=D("1000.00"))
    body = {"project": project.pk, "year": 2026, "planned_amount": "400.00", "kind": "new_start"}
    over = district_client.post(
        "/api/v1/investment-plans/", body | {"planned_amount": "1000.01"}, format="json"
    )
    assert over.status_code == 400 and "超出剩余投资" in over.json()["planned_amount"][0]
    created = district_client.post("/api/v1/investment-plans/", body, format="json")
    assert created.status_code == 201 and created.json()["status"] == "draft"
    assert "reason" not in created.json()
    again = district_client.post("/api/v1/investment-plans/", body, format="json")
    assert again.status_code == 400 and again.json() == {"non_field_errors": ["该项目该年度已有投资计划。"]}
    url = f"/api/v1/investment-plans/{created.json()['id']}/"
    assert district_client.post(f"{url}confirm/", {}, format="json").status_code == 403
    confirmed = staff.post(f"{url}confirm/", {}, format="json")
    assert confirmed.status_code == 200 and confirmed.json()["status"] == "confirmed"
    assert district_client.patch(url, {"target": "区改"}, format="json").status_code == 403
    no_reason = staff.patch(url, {"planned_amount": "500.00"}, format="json")
    assert no_reason.status_code == 400 and set(no_reason.json()) == {"reason"}
    adjusted = staff.patch(url, {"planned_amount": "500.00", "reason": "调增"}, format="json")
    assert adjusted.status_code == 200 and adjusted.json()["planned_amount"] == "500.00"
    assert adjusted.json()["year"] == 2026
    assert AuditEntry.objects.get(action="plan_adjust").note == "调增"
    fixed = staff.patch(url, {"year": 2027, "status": "draft", "reason": "改年度"}, format="json")
    assert fixed.status_code == 200 and fixed.json()["year"] == 2026
    plan = InvestmentPlan.objects.get()
    assert (plan.year, plan.status) == (2026, "confirmed")


# -- reports: the review ---------------------------------------------------------------------------------


def test_the_report_workflow_through_the_api(api_client, huangpu_user, city_user):
    district_client, staff = api_client(huangpu_user), api_client(city_user)
    report = report_of(library_project(), "2025-03", problems_note="征拆未完成")
    url = f"/api/v1/progress-reports/{report.pk}/"
    submitted = district_client.post(f"{url}submit/", {}, format="json")
    assert submitted.status_code == 200 and submitted.json()["status"] == "submitted"
    for step, body in (("return", {"comment": "x"}), ("accept", {}), ("reopen", {"reason": "x"})):
        assert district_client.post(f"{url}{step}/", body, format="json").status_code == 403
        # Refused before the body is parsed: an empty or malformed body is still a 403, not a 400.
        assert district_client.post(f"{url}{step}/", "{", content_type="application/json").status_code == 403
    assert staff.post(f"{url}return/", {}, format="json").json() == {"comment": ["该字段是必填项。"]}
    returned = staff.post(f"{url}return/", {"comment": "补充照片"}, format="json").json()
    assert returned["status"] == "returned" and returned["review_comment"] == "补充照片"
    district_client.post(f"{url}submit/", {"version": returned["version"]}, format="json")
    accepted = staff.post(f"{url}accept/", {}, format="json")
    assert accepted.status_code == 200 and accepted.json()["status"] == "accepted"
    locked = district_client.patch(url, {"physical_progress": "改"}, format="json")
    assert locked.status_code == 400 and "锁定" in locked.json()["non_field_errors"][0]
    assert staff.post(f"{url}reopen/", {}, format="json").json() == {"reason": ["该字段是必填项。"]}
    reopened = staff.post(f"{url}reopen/", {"reason": "数据更正"}, format="json")
    assert reopened.status_code == 200 and reopened.json()["status"] == "returned"
    assert district_client.patch(url, {"physical_progress": "改"}, format="json").status_code == 200
    wrong_state = staff.post(f"{url}accept/", {}, format="json")
    assert wrong_state.status_code == 400 and "non_field_errors" in wrong_state.json()
    report.refresh_from_db()
    assert report.status == "returned" and report.physical_progress == "改"


def test_a_reports_problems_become_one_ledger_entry(api_client, huangpu_user):
    client = api_client(huangpu_user)
    report = report_of(library_project(), "2025-03", problems_note="征拆未完成")
    created = client.post(f"/api/v1/progress-reports/{report.pk}/problem/", {}, format="json")
    assert created.status_code == 201, created.content
    body = created.json()
    assert body["project"] == report.project_id and body["description"] == "征拆未完成"
    assert body["status"] == "open" and body["is_overdue"] is False
    again = client.post(f"/api/v1/progress-reports/{report.pk}/problem/", {}, format="json")
    assert again.status_code == 400 and again.json() == {
        "non_field_errors": ["该月报的问题已登记到问题台账。"]
    }
    assert Problem.objects.get().report == report


def test_a_problem_is_resolved_through_the_api(api_client, huangpu_user):
    client = api_client(huangpu_user)
    project = library_project()
    created = client.post(
        "/api/v1/problems/",
        {"project": project.pk, "category": "demolition", "description": "征拆", "raised_on": "2025-03-01"},
        format="json",
    )
    assert created.status_code == 201
    url = f"/api/v1/problems/{created.json()['id']}/"
    half = client.patch(url, {"status": "resolved"}, format="json")
    assert half.status_code == 400 and "non_field_errors" in half.json()
    done = client.patch(
        url, {"status": "resolved", "resolved_on": "2025-04-01", "resolution": "已完成征拆"}, format="json"
    )
    assert done.status_code == 200 and done.json()["status"] == "resolved"
    assert Problem.objects.get().resolution == "已完成征拆"


# -- scope -----------------------------------------------------------------------------------------------


def test_another_districts_records_are_404_for_reads_changes_and_steps(api_client, yuexiu_user):
    project = library_project()  # 黄埔
    report = report_of(project, "2025-03", status="submitted", problems_note="问题")
    plan, problem = plan_of(project), problem_of(project)
    client = api_client(yuexiu_user)
    urls = {
        f"/api/v1/investment-plans/{plan.pk}/": {"target": "改"},
        f"/api/v1/progress-reports/{report.pk}/": {"physical_progress": "改"},
        f"/api/v1/problems/{problem.pk}/": {"description": "改"},
    }
    for url, change in urls.items():
        assert client.get(url).status_code == 404
        assert client.patch(url, change, format="json").status_code == 404
    steps = [f"/api/v1/investment-plans/{plan.pk}/confirm/"] + [
        f"/api/v1/progress-reports/{report.pk}/{step}/"
        for step in ("submit", "return", "accept", "reopen", "problem")
    ]
    for url in steps:
        assert client.post(url, {"comment": "x", "reason": "x"}, format="json").status_code == 404
    created = client.post(
        "/api/v1/progress-reports/", {"project": project.pk, "period": "2025-04"}, format="json"
    )
    assert created.status_code == 400 and set(created.json()) == {"project"}
    assert not AuditEntry.objects.exists()
    assert not ids(client.get("/api/v1/progress-reports/"))


# -- the schema ------------------------------------------------------------------------------------------


def test_the_schema_documents_the_dispatchs_bodies_and_409(city_api):
    schema = city_api.get("/api/schema/", {"format": "json"}).json()
    paths, components = schema["paths"], schema["components"]["schemas"]

    def body_of(path):
        ref = paths[path]["post"]["requestBody"]["content"]["application/json"]["schema"]["$ref"]
        return components[ref.rsplit("/", 1)[1]]

    base = "/api/v1/progress-reports/{id}"
    assert body_of(f"{base}/return/")["required"] == ["comment"]
    assert body_of(f"{base}/reopen/")["required"] == ["reason"]
    assert set(body_of(f"{base}/accept/")["properties"]) == {"version", "comment"}
    assert "201" in paths[f"{base}/problem/"]["post"]["responses"]
    for path, method in (
        (f"{base}/", "patch"),
        (f"{base}/submit/", "post"),
        ("/api/v1/progress-reports/", "post"),
    ):
        assert "409" in paths[path][method]["responses"], path
    assert "409" not in paths["/api/v1/problems/{id}/"]["patch"]["responses"]
    assert "412" in paths["/api/v1/investment-plans/{id}/"]["patch"]["responses"]
    assert "/api/v1/investment-plans/{id}/confirm/" in paths
    period = components["ProgressReport"]["properties"]["period"]
    assert period["type"] == "string" and period["pattern"] == r"^\d{4}-\d{2}$"
    assert "reason" in components["PatchedInvestmentPlanRequest"]["properties"]
    assert "reason" not in components["InvestmentPlan"]["properties"]


# -- the list's cost (H7) ----------------------------------------------------------------------------------


def test_the_report_list_runs_the_same_queries_for_two_as_for_twelve_with_their_figures(
    api_client, city_user, django_assert_num_queries
):
    """The cumulative figures are computed for the page's rows in one query, not per row or per report of
    the whole scoped set."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    client = api_client(city_user)
    first = library_project(start_year=2025)
    report_of(first, "2025-01", completed_amount=D("100.00"))
    report_of(first, "2025-02", completed_amount=D("50.00"))
    client.get("/api/v1/progress-reports/")  # warm-up: the role is read once per user
    with CaptureQueriesContext(connection) as two:
        rows = client.get("/api/v1/progress-reports/").json()["results"]
    assert [(row["year_to_date"], row["since_start"]) for row in rows] == [
        ("150.00", "150.00"),
        ("100.00", "100.00"),
    ]
    for number in range(5):
        project = library_project(start_year=2024)
        report_of(project, "2024-12", completed_amount=D("10.00"))
        report_of(project, "2025-01", completed_amount=D(number))
    with django_assert_num_queries(len(two)):
        response = client.get("/api/v1/progress-reports/", {"page_size": 5})
    body = response.json()
    assert body["count"] == 12 and len(body["results"]) == 5
    with django_assert_num_queries(len(two)):
        rows = client.get("/api/v1/progress-reports/", {"page_size": 200}).json()["results"]
    figures = {(row["project"], row["period"]): (row["year_to_date"], row["since_start"]) for row in rows}
    assert figures[(first.pk, "2025-02")] == ("150.00", "150.00")
    assert {figures[(p, "2025-01")] for p, period in figures if period == "2024-12"} == {
        (f"{n}.00", f"{10 + n}.00") for n in range(5)
    }
