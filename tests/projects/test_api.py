"""The projects API (districts, units, projects with their workflow, milestones): real requests, checked
in the response and the database."""

from decimal import Decimal

import pytest

from projects.models import Project, StageChange
from tests.factories import SPREAD_FILTERS, MilestoneFactory, ProjectFactory, UnitFactory, district

pytestmark = pytest.mark.django_db
D = Decimal

# -- lists -------------------------------------------------------------------------------------------

LISTS = {
    "districts": lambda: None,
    "units": UnitFactory,
    "projects": ProjectFactory,
    "milestones": MilestoneFactory,
}


@pytest.mark.parametrize("endpoint", list(LISTS))
def test_every_list_runs_the_same_queries_for_1_and_50_items(assert_flat_list_queries, endpoint):
    assert_flat_list_queries(endpoint, LISTS[endpoint])


@pytest.mark.parametrize(
    ("endpoint", "params", "field"),
    [
        ("projects", {"stage": "done"}, "stage"),
        ("projects", {"min_investment": "many"}, "min_investment"),
        ("projects", {"district": "999999"}, "district"),
        ("milestones", {"overdue": "perhaps"}, "overdue"),
        ("milestones", {"planned_after": "2025-13-01"}, "planned_after"),
        ("units", {"district": "1"}, "district"),
    ],
)
def test_an_invalid_filter_value_answers_400(city_api, endpoint, params, field):
    response = city_api.get(f"/api/v1/{endpoint}/", params)
    assert response.status_code == 400 and field in response.json()


@pytest.mark.parametrize(("params", "expected"), list(SPREAD_FILTERS.values()), ids=list(SPREAD_FILTERS))
def test_project_filters_are_the_pages_filters(city_api, spread, params, expected):
    names = {row["name"] for row in city_api.get("/api/v1/projects/", params).json()["results"]}
    assert {key for key, project in spread.items() if project.name in names} == expected


def test_funding_beyond_the_investment_is_a_surplus_not_a_negative_gap(city_api, ordered_projects):
    over = ordered_projects[4]  # 5,000 万元 invested, 5,306.73 万元 approved
    record = city_api.get(f"/api/v1/projects/{over.pk}/").json()
    assert record["funding_gap"] == "0.00" and record["funding_surplus"] == "3067300.00"
    listed = {row["code"]: row for row in city_api.get("/api/v1/projects/").json()["results"]}
    assert all(
        Decimal(row["funding_gap"]) >= 0 and Decimal(row["funding_surplus"]) >= 0 for row in listed.values()
    )
    assert listed[ordered_projects[1].code]["funding_gap"] == "290000000.00"
    assert listed[ordered_projects[1].code]["funding_surplus"] == "0.00"


# -- projects and the workflow -----------------------------------------------------------------------


def test_district_user_creates_in_its_own_district_only(api_client, huangpu_user):
    client = api_client(huangpu_user)
    body = {
        "name": "区里的项目",
        "category": "park",
        "total_investment": "100.00",
        "start_year": 2025,
        "end_year": 2026,
    }
    created = client.post("/api/v1/projects/", body, format="json")
    assert created.status_code == 201 and created.json()["district"] == "440112"
    refused = client.post("/api/v1/projects/", body | {"district": "440104"}, format="json")
    assert refused.status_code == 400 and refused.json() == {"district": ["区用户只能为本区新建项目。"]}
    assert Project.objects.count() == 1


def test_bad_project_input_is_400_with_field_and_rule_errors(city_api):
    response = city_api.post("/api/v1/projects/", {"name": "", "category": "forest"}, format="json")
    assert response.status_code == 400
    assert set(response.json()) >= {"name", "category", "total_investment", "start_year", "end_year"}
    response = city_api.post(
        "/api/v1/projects/",
        {
            "name": "x",
            "district": "440112",
            "category": "park",
            "total_investment": "1",
            "start_year": 2026,
            "end_year": 2025,
        },
        format="json",
    )
    assert response.status_code == 400 and response.json() == {
        "non_field_errors": ["计划完工年份不能早于计划开工年份。"]
    }
    assert not Project.objects.exists()


def test_versions_etag_409_and_412(city_api):
    project = ProjectFactory(name="原名")
    url = f"/api/v1/projects/{project.pk}/"
    read = city_api.get(url)
    first_etag = read["ETag"]
    assert read.json()["version"] == 1 and first_etag.startswith('"')
    changed = city_api.patch(url, {"name": "第一次", "version": 1}, format="json", HTTP_IF_MATCH=first_etag)
    assert changed.status_code == 200 and changed["ETag"] != first_etag
    stale_body = city_api.patch(url, {"name": "旧版本", "version": 1}, format="json")
    assert stale_body.status_code == 409 and stale_body.json()["code"] == "stale"
    stale_header = city_api.patch(url, {"name": "旧版本"}, format="json", HTTP_IF_MATCH=first_etag)
    assert stale_header.status_code == 412
    project.refresh_from_db()
    assert project.name == "第一次" and project.version == 2
    assert city_api.patch(url, {"name": "星号"}, format="json", HTTP_IF_MATCH="*").status_code == 200
    weak = "W/" + city_api.get(url)["ETag"]
    assert (
        city_api.patch(url, {"name": "弱"}, format="json", HTTP_IF_MATCH=f'"nope", {weak}').status_code == 200
    )


def test_a_stale_stage_move_is_409(api_client, city_reviewer):
    project = ProjectFactory(review_status="accepted")
    response = api_client(city_reviewer).post(
        f"/api/v1/projects/{project.pk}/transition/",
        {"stage": "mature", "override": True, "reason": "先行", "version": 9},
        format="json",
    )
    assert response.status_code == 409 and not StageChange.objects.exists()


def test_a_taken_national_code_is_a_field_error(city_api):
    ProjectFactory(national_code="2020-440112-77-01-123456")
    other = ProjectFactory()
    response = city_api.patch(
        f"/api/v1/projects/{other.pk}/", {"national_code": "2020-440112-77-01-123456"}, format="json"
    )
    assert response.status_code == 400
    assert response.json() == {"national_code": ["该全国投资项目代码已被其他项目使用。"]}


def test_the_workflow_through_the_api(api_client, city_user, city_reviewer, huangpu_user):
    district_client, staff = api_client(huangpu_user), api_client(city_reviewer)
    project = ProjectFactory(total_investment=D("100.00"))
    base = f"/api/v1/projects/{project.pk}"
    assert district_client.post(f"{base}/submit/", {}, format="json").json()["review_status"] == "submitted"
    assert district_client.post(f"{base}/accept/", {}, format="json").status_code == 403
    assert staff.post(f"{base}/return/", {}, format="json").json() == {"comment": ["该字段是必填项。"]}
    assert (
        staff.post(f"{base}/return/", {"comment": "补充"}, format="json").json()["review_status"]
        == "returned"
    )
    district_client.post(f"{base}/submit/", {"version": 3}, format="json")
    stale = staff.post(f"{base}/accept/", {"version": 3}, format="json")
    assert stale.status_code == 409
    assert staff.post(f"{base}/accept/", {"version": 4}, format="json").json()["review_status"] == "accepted"
    refused = staff.post(f"{base}/transition/", {"stage": "mature"}, format="json")
    assert refused.status_code == 400 and "可研批复（未办结，当前为未办理）" in refused.json()["stage"]
    moved = staff.post(
        f"{base}/transition/", {"stage": "mature", "override": True, "reason": "先行"}, format="json"
    )
    assert moved.status_code == 200 and moved.json()["stage"] == "mature"
    assert StageChange.objects.get().reason == "先行"


def test_workflow_on_another_district_is_404(api_client, yuexiu_user):
    project = ProjectFactory(district=district("440112"))
    client = api_client(yuexiu_user)
    for step in ("submit", "return", "accept", "transition"):
        assert client.post(f"/api/v1/projects/{project.pk}/{step}/", {}, format="json").status_code == 404


def test_code_cannot_change(city_api):
    project = ProjectFactory(code="C-1")
    response = city_api.patch(f"/api/v1/projects/{project.pk}/", {"code": "C-2"}, format="json")
    assert response.status_code == 400 and response.json() == {"code": ["项目编号创建后不能修改。"]}


# -- milestones --------------------------------------------------------------------------------------


def test_implausible_dates_are_refused_and_dates_are_iso(city_api):
    project = ProjectFactory()
    response = city_api.post(
        "/api/v1/milestones/",
        {"project": project.pk, "name": "开工", "planned_date": "0926-03-18"},
        format="json",
    )
    assert response.status_code == 400 and response.json() == {
        "planned_date": ["日期应在 1990 年至 2100 年之间。"]
    }
    created = city_api.post(
        "/api/v1/milestones/",
        {"project": project.pk, "name": "开工", "planned_date": "2025-03-08"},
        format="json",
    )
    assert created.json()["planned_date"] == "2025-03-08"
