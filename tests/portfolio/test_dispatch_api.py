"""GET /api/v1/dispatch/ in DOMAIN.md's shape, on June 2026 computed by hand (tests/factories.py,
dispatch_world), with its scope, its 400s and a query count that does not grow with projects."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from portfolio.seed import seed_demo

pytestmark = pytest.mark.django_db

URL = "/api/v1/dispatch/"
JUNE = {"year": 2026, "month": 6}


def test_the_dispatch_in_domain_shape(dispatch_june, city_api):
    data = city_api.get(URL, JUNE).json()
    assert (data["year"], data["month"], data["time_progress"]) == (2026, 6, "50.0")
    assert data["rates"] == {
        "start_rate": "50.0",
        "completion_rate": "46.0",
        "funding_in_place_rate": "43.8",
        "on_time_completion_rate": "0.0",
    }
    ranked = [(d["district"], d["completion_rate"], d["flag"]) for d in data["districts"][:3]]
    assert ranked == [("440104", "60.0", "green"), ("440106", "50.0", "red"), ("440112", "38.0", "yellow")]
    yuexiu = data["districts"][0]
    assert {"district", "annual_plan", "year_to_date", "completion_rate", "flag", "reports_due"} <= set(
        yuexiu
    )
    assert (yuexiu["annual_plan"], yuexiu["year_to_date"], yuexiu["reports_due"], yuexiu["reports_late"]) == (
        "10000000.00",
        "6000000.00",
        1,
        0,
    )
    assert data["districts"][1]["reports_late"] == 1
    # The districts with nothing planned have no rate.
    assert data["districts"][3]["completion_rate"] is None
    projects = {p["code"]: p for p in data["projects"]}
    assert set(projects) == {"DISP-Y1", "DISP-H1", "DISP-T1"}
    h1 = projects["DISP-H1"]
    assert h1["project"] == dispatch_june["h1"].pk
    assert (h1["name"], h1["district"], h1["annual_plan"], h1["year_to_date"]) == (
        "黄埔调度测试项目",
        "440112",
        "20000000.00",
        "7600000.00",
    )
    assert (h1["completion_rate"], h1["flag"], h1["report_status"]) == ("38.0", "yellow", "submitted")
    assert (projects["DISP-T1"]["flag"], projects["DISP-T1"]["report_status"]) == ("red", "missing")
    assert projects["DISP-Y1"]["report_status"] == "accepted"
    assert data["total"]["completion_rate"] == "46.0"


def test_a_district_user_gets_its_own_district_only(dispatch_june, api_client, huangpu_user):
    data = api_client(huangpu_user).get(URL, JUNE).json()
    assert [d["district"] for d in data["districts"]] == ["440112"]
    assert [p["code"] for p in data["projects"]] == ["DISP-H1"]
    assert data["rates"]["completion_rate"] == "38.0"
    # Naming another district does not reach it.
    other = api_client(huangpu_user).get(URL, {**JUNE, "district": "440104"}).json()
    assert other["districts"] == [] and other["projects"] == []


def test_the_district_parameter_narrows_the_city_view(dispatch_june, city_api):
    data = city_api.get(URL, {**JUNE, "district": "440106"}).json()
    assert [p["code"] for p in data["projects"]] == ["DISP-T1"]
    assert data["rates"]["completion_rate"] == "50.0"


@pytest.mark.parametrize(
    ("params", "field", "text"),
    [
        ({"year": "abc", "month": 6}, "year", "年度"),
        ({"year": 2026, "month": 13}, "month", "12"),
        ({"year": 2026, "month": 0}, "month", "1"),
        ({"year": 2099, "month": 1}, "month", "未来"),
        ({"year": 2026, "month": 6, "district": "999999"}, "district", "区划代码"),
    ],
)
def test_a_bad_query_is_a_400_naming_the_parameter(city_api, params, field, text):
    response = city_api.get(URL, params)
    assert response.status_code == 400
    body = response.json()
    assert field in body, body
    assert text in " ".join(body[field])


def test_without_a_month_the_last_one_is_given(city_api):
    import datetime

    from django.utils import timezone

    last = timezone.localdate().replace(day=1) - datetime.timedelta(days=1)
    data = city_api.get(URL).json()
    assert (data["year"], data["month"]) == (last.year, last.month)


def test_who_may_read_it(api_client, lender_user, no_role_user, finance_user):
    assert api_client(None).get(URL).status_code == 401
    assert api_client(lender_user).get(URL).status_code == 403
    assert api_client(no_role_user).get(URL).status_code == 403
    assert api_client(finance_user).get(URL).status_code == 200
    assert api_client(finance_user).post(URL, {}).status_code == 403  # a read: no role writes it


def test_the_schema_documents_the_dispatch_and_its_outputs(city_api):
    paths = city_api.get("/api/schema/", {"format": "json"}).json()["paths"]
    assert {"/api/v1/dispatch/", "/api/v1/exports/dispatch.xlsx", "/api/v1/reports/dispatch.pdf"} <= set(
        paths
    )
    names = {p["name"] for p in paths["/api/v1/dispatch/"]["get"]["parameters"]}
    assert {"year", "month", "district"} <= names


def test_queries_do_not_grow_with_projects(dispatch_june, city_api):
    counts = []
    for total in (10, 150):
        seed_demo(total, rng_seed=total)
        city_api.get(URL, {"year": 2026, "month": 10})  # warm-up: the user's role is read once per user
        with CaptureQueriesContext(connection) as captured:
            response = city_api.get(URL, {"year": 2026, "month": 10})
        assert response.status_code == 200
        counts.append(len(captured))
    assert counts[0] == counts[1], counts


def test_the_month_under_way_is_not_yet_a_dispatch(city_api):
    from django.utils import timezone

    today = timezone.localdate()
    response = city_api.get(URL, {"year": today.year, "month": today.month})
    assert response.status_code == 400
    assert "尚未到报送期" in " ".join(response.json()["month"])
