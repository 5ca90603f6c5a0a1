"""The API's behaviour: real requests, checked in the response and the database."""

import datetime
from decimal import Decimal

import pytest
from django.core.management import call_command
from rest_framework.test import APIClient

from financing.models import Disbursement, Loan
from projects.models import Project, StageChange
from tests.factories import (
    BankFactory,
    DisbursementFactory,
    FundingLineFactory,
    LoanFactory,
    MilestoneFactory,
    OrganizationFactory,
    ProjectFactory,
    RepaymentFactory,
    UnitFactory,
    district,
)

pytestmark = pytest.mark.django_db
D = Decimal


def client_for(user):
    client = APIClient()
    client.force_authenticate(user)
    return client


@pytest.fixture
def city(city_user):
    return client_for(city_user)


def test_token_authentication(city_user):
    client = APIClient()
    response = client.get("/api/v1/projects/")
    assert response.status_code == 401 and response["WWW-Authenticate"] == "Token"
    token = client.post("/api/v1/auth/token/", {"username": "city_a", "password": "Meili-test-2025"}).json()[
        "token"
    ]
    client.credentials(HTTP_AUTHORIZATION=f"Token {token}")
    assert client.get("/api/v1/projects/").status_code == 200
    assert (
        APIClient().post("/api/v1/auth/token/", {"username": "city_a", "password": "wrong"}).status_code
        == 400
    )


def test_session_and_browsable_api(client, city_user):
    client.force_login(city_user)
    response = client.get("/api/v1/projects/", HTTP_ACCEPT="text/html")
    assert response.status_code == 200 and "<html" in response.content.decode()


def test_seed_loans_come_out_right(city):
    call_command("seed")
    loans = city.get("/api/v1/loans/").json()["results"]
    assert sorted(loan["principal"] for loan in loans) == ["300000000.00", "437000000.00"]
    assert all(
        loan["disbursed_total"] == "0.00" and loan["outstanding_principal"] == "0.00" for loan in loans
    )
    projects = city.get("/api/v1/projects/", {"q": "迳下"}).json()["results"]
    assert projects[0]["district"] == "440112" and projects[0]["total_investment"] == "300000000.00"
    assert projects[0]["funding_gap"] == "0.00" and projects[0]["stage"] == "implementation"


# -- lists -------------------------------------------------------------------------------------------

LISTS = {
    "districts": lambda: None,
    "units": UnitFactory,
    "organizations": OrganizationFactory,
    "projects": ProjectFactory,
    "milestones": MilestoneFactory,
    "funding-lines": FundingLineFactory,
    "loans": LoanFactory,
    "disbursements": DisbursementFactory,
    "repayments": RepaymentFactory,
}


@pytest.mark.parametrize("endpoint", list(LISTS))
def test_every_list_runs_the_same_queries_for_1_and_50_items(city, endpoint):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    make = LISTS[endpoint]
    counts = []
    for total in (1, 50):
        while make() is not None and _count(city, endpoint) < total:
            pass
        city.get(f"/api/v1/{endpoint}/")  # the same warm-up for both: the user's role is read once per user
        with CaptureQueriesContext(connection) as captured:
            response = city.get(f"/api/v1/{endpoint}/", {"page_size": 50})
        assert response.status_code == 200
        counts.append(len(captured))
    assert counts[0] == counts[1], counts


def _count(client, endpoint):
    data = client.get(f"/api/v1/{endpoint}/").json()
    return data["count"] if isinstance(data, dict) else len(data)


@pytest.mark.parametrize(
    ("endpoint", "params", "field"),
    [
        ("projects", {"stage": "done"}, "stage"),
        ("projects", {"min_investment": "many"}, "min_investment"),
        ("projects", {"district": "999999"}, "district"),
        ("milestones", {"overdue": "perhaps"}, "overdue"),
        ("milestones", {"planned_after": "2025-13-01"}, "planned_after"),
        ("funding-lines", {"source_type": "lottery"}, "source_type"),
        ("loans", {"status": "lost"}, "status"),
        ("disbursements", {"before": "yesterday"}, "before"),
        ("organizations", {"kind": "club"}, "kind"),
        ("units", {"district": "1"}, "district"),
    ],
)
def test_an_invalid_filter_value_answers_400(city, endpoint, params, field):
    response = city.get(f"/api/v1/{endpoint}/", params)
    assert response.status_code == 400 and field in response.json()


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        ({"district": "440104"}, {"越秀"}),
        ({"stage": "implementation"}, {"实施"}),
        ({"review_status": "submitted"}, {"已提交"}),
        ({"category": "park"}, {"园区"}),
        ({"source_type": "central_budget"}, {"基准"}),
        ({"min_investment": "800000000"}, {"巨额"}),
        ({"max_investment": "10"}, {"小额"}),
        ({"q": "碧道"}, {"碧道"}),
    ],
)
def test_project_filters_are_the_pages_filters(city, params, expected):
    base = {"district": district("440112"), "total_investment": D("50000000")}
    made = {
        "基准": ProjectFactory(name="基准", **base),
        "越秀": ProjectFactory(name="越秀", **base | {"district": district("440104")}),
        "实施": ProjectFactory(name="实施", stage="implementation", review_status="accepted", **base),
        "已提交": ProjectFactory(name="已提交", review_status="submitted", **base),
        "园区": ProjectFactory(name="园区", category="park", **base),
        "巨额": ProjectFactory(name="巨额", **base | {"total_investment": D("900000000")}),
        "小额": ProjectFactory(name="小额", **base | {"total_investment": D("5")}),
        "碧道": ProjectFactory(name="增江", content="碧道", **base),
    }
    FundingLineFactory(project=made["基准"], source_type="central_budget")
    names = {row["name"] for row in city.get("/api/v1/projects/", params).json()["results"]}
    assert {key for key, project in made.items() if project.name in names} == expected


def test_page_size_has_a_maximum(city):
    for _ in range(3):
        ProjectFactory()
    data = city.get("/api/v1/projects/", {"page_size": 1}).json()
    assert data["count"] == 3 and len(data["results"]) == 1 and data["next"]
    assert len(city.get("/api/v1/projects/", {"page_size": 100000}).json()["results"]) == 3


# -- projects and the workflow -----------------------------------------------------------------------


def test_district_user_creates_in_its_own_district_only(huangpu_user):
    client = client_for(huangpu_user)
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


def test_bad_project_input_is_400_with_field_and_rule_errors(city):
    response = city.post("/api/v1/projects/", {"name": "", "category": "forest"}, format="json")
    assert response.status_code == 400
    assert set(response.json()) >= {"name", "category", "total_investment", "start_year", "end_year"}
    response = city.post(
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


def test_versions_etag_409_and_412(city):
    project = ProjectFactory(name="原名")
    url = f"/api/v1/projects/{project.pk}/"
    read = city.get(url)
    first_etag = read["ETag"]
    assert read.json()["version"] == 1 and first_etag.startswith('"')
    changed = city.patch(url, {"name": "第一次", "version": 1}, format="json", HTTP_IF_MATCH=first_etag)
    assert changed.status_code == 200 and changed["ETag"] != first_etag
    stale_body = city.patch(url, {"name": "旧版本", "version": 1}, format="json")
    assert stale_body.status_code == 409 and stale_body.json()["code"] == "stale"
    stale_header = city.patch(url, {"name": "旧版本"}, format="json", HTTP_IF_MATCH=first_etag)
    assert stale_header.status_code == 412
    project.refresh_from_db()
    assert project.name == "第一次" and project.version == 2
    assert city.patch(url, {"name": "星号"}, format="json", HTTP_IF_MATCH="*").status_code == 200
    weak = "W/" + city.get(url)["ETag"]
    assert city.patch(url, {"name": "弱"}, format="json", HTTP_IF_MATCH=f'"nope", {weak}').status_code == 200


@pytest.mark.parametrize(
    ("endpoint", "factory", "change"),
    [
        ("loans", LoanFactory, {"contract_no": "HT-2"}),
        ("funding-lines", FundingLineFactory, {"status": "applied"}),
        ("milestones", MilestoneFactory, {"name": "改"}),
    ],
)
def test_if_match_protects_every_editable_record(city, endpoint, factory, change):
    record = factory()
    url = f"/api/v1/{endpoint}/{record.pk}/"
    etag = city.get(url)["ETag"]
    assert city.patch(url, change, format="json", HTTP_IF_MATCH=etag).status_code == 200
    assert city.patch(url, {"note": "晚到的修改"}, format="json", HTTP_IF_MATCH=etag).status_code == 412


def test_an_empty_change_writes_nothing(city):
    from portfolio.models import AuditEntry

    project, loan = ProjectFactory(), LoanFactory()
    assert city.patch(f"/api/v1/projects/{project.pk}/", {}, format="json").status_code == 200
    assert (
        city.patch(f"/api/v1/loans/{loan.pk}/", {"principal": str(loan.principal)}, format="json").status_code
        == 200
    )
    project.refresh_from_db()
    assert project.version == 1 and not AuditEntry.objects.exists()


def test_a_stale_stage_move_is_409(city_reviewer):
    project = ProjectFactory(review_status="accepted")
    response = client_for(city_reviewer).post(
        f"/api/v1/projects/{project.pk}/transition/",
        {"stage": "mature", "override": True, "reason": "先行", "version": 9},
        format="json",
    )
    assert response.status_code == 409 and not StageChange.objects.exists()


@pytest.mark.parametrize(
    ("endpoint", "params", "field"),
    [
        ("funding-lines", {"year": "2025.7"}, "year"),
        ("projects", {"page": "abc"}, "page"),
        ("loans", {"page": "0"}, "page"),
    ],
)
def test_more_invalid_parameters_answer_400(city, endpoint, params, field):
    response = city.get(f"/api/v1/{endpoint}/", params)
    assert response.status_code == 400 and field in response.json()


def test_not_found_reads_the_same_in_or_out_of_scope(yuexiu_user):
    hidden = ProjectFactory(district=district("440112"))
    client = client_for(yuexiu_user)
    outside = client.get(f"/api/v1/projects/{hidden.pk}/")
    missing = client.get("/api/v1/projects/999999/")
    unrouted = client.get("/api/v1/projects/1.5/")
    assert outside.status_code == missing.status_code == unrouted.status_code == 404
    assert outside.json() == missing.json() == unrouted.json() == {"detail": "未找到。"}


def test_a_taken_national_code_is_a_field_error(city):
    ProjectFactory(national_code="2020-440112-77-01-123456")
    other = ProjectFactory()
    response = city.patch(
        f"/api/v1/projects/{other.pk}/", {"national_code": "2020-440112-77-01-123456"}, format="json"
    )
    assert response.status_code == 400
    assert response.json() == {"national_code": ["该全国投资项目代码已被其他项目使用。"]}


def test_the_workflow_through_the_api(city_user, city_reviewer, huangpu_user):
    district_client, staff = client_for(huangpu_user), client_for(city_reviewer)
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
    assert refused.status_code == 400 and "可研批复（未填写可研批复文号）" in refused.json()["stage"]
    moved = staff.post(
        f"{base}/transition/", {"stage": "mature", "override": True, "reason": "先行"}, format="json"
    )
    assert moved.status_code == 200 and moved.json()["stage"] == "mature"
    assert StageChange.objects.get().reason == "先行"


def test_workflow_on_another_district_is_404(yuexiu_user):
    project = ProjectFactory(district=district("440112"))
    client = client_for(yuexiu_user)
    for step in ("submit", "return", "accept", "transition"):
        assert client.post(f"/api/v1/projects/{project.pk}/{step}/", {}, format="json").status_code == 404


def test_code_cannot_change(city):
    project = ProjectFactory(code="C-1")
    response = city.patch(f"/api/v1/projects/{project.pk}/", {"code": "C-2"}, format="json")
    assert response.status_code == 400 and response.json() == {"code": ["项目编号创建后不能修改。"]}


# -- the ledger --------------------------------------------------------------------------------------


def test_ledger_rules_answer_400_and_save_nothing(city):
    loan = LoanFactory(principal=D("100.00"))
    DisbursementFactory(loan=loan, amount=D("90.00"))
    response = city.post(
        "/api/v1/disbursements/", {"loan": loan.pk, "date": "2025-03-01", "amount": "10.01"}, format="json"
    )
    assert response.status_code == 400
    assert response.json() == {"amount": ["提款金额 10.01 元超过未提款余额 10.00 元。"]}
    response = city.post(
        "/api/v1/repayments/", {"loan": loan.pk, "date": "2025-06-01", "principal": "90.01"}, format="json"
    )
    assert response.json() == {"principal": ["偿还本金 90.01 元超过未偿还本金 90.00 元。"]}
    response = city.post(
        "/api/v1/loans/",
        {
            "project": loan.project_id,
            "lender": loan.borrower_id,
            "borrower": BankFactory().pk,
            "principal": "5",
        },
        format="json",
    )
    assert response.json() == {
        "lender": ["贷款银行必须是类型为“银行”的机构。"],
        "borrower": ["贷款主体不能是银行。"],
    }
    assert Disbursement.objects.count() == 1 and Loan.objects.count() == 1


def test_loan_balances_in_the_api(city):
    loan = LoanFactory(principal=D("100.00"), signed_on=datetime.date(2025, 1, 10))
    DisbursementFactory(loan=loan, amount=D("60.00"))
    RepaymentFactory(loan=loan, principal=D("15.00"))
    data = city.get(f"/api/v1/loans/{loan.pk}/").json()
    assert (data["principal"], data["disbursed_total"], data["outstanding_principal"]) == (
        "100.00",
        "60.00",
        "45.00",
    )


def test_docs_are_served_without_a_cdn(client, city_user):
    client.force_login(city_user)
    page = client.get("/api/docs/").content.decode()
    assert "drf_spectacular_sidecar/swagger-ui-dist" in page
    assert "cdn" not in page.lower() and "unpkg" not in page.lower()
    schema = client.get("/api/schema/", HTTP_ACCEPT="application/json").json()
    assert {"/api/v1/projects/{id}/transition/", "/api/v1/loans/", "/api/v1/auth/token/"} <= set(
        schema["paths"]
    )
    assert APIClient().get("/api/schema/").status_code == 401


def test_implausible_dates_are_refused_and_dates_are_iso(city):
    project = ProjectFactory()
    response = city.post(
        "/api/v1/milestones/",
        {"project": project.pk, "name": "开工", "planned_date": "0926-03-18"},
        format="json",
    )
    assert response.status_code == 400 and response.json() == {
        "planned_date": ["日期应在 1990 年至 2100 年之间。"]
    }
    created = city.post(
        "/api/v1/milestones/",
        {"project": project.pk, "name": "开工", "planned_date": "2025-03-08"},
        format="json",
    )
    assert created.json()["planned_date"] == "2025-03-08"
