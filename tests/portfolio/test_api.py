"""The kit of the API (portfolio.api: authentication, pagination, the viewset bases' ETags and writes, the
exception handler) and the roof's schema and docs: real requests, checked in the response and the database."""

import pytest

from tests.factories import FundingLineFactory, LoanFactory, MilestoneFactory, ProjectFactory, district

pytestmark = pytest.mark.django_db


def test_token_authentication(api_client, city_user):
    client = api_client()
    response = client.get("/api/v1/projects/")
    assert response.status_code == 401 and response["WWW-Authenticate"] == "Token"
    token = client.post("/api/v1/auth/token/", {"username": "city_a", "password": "Meili-test-2025"}).json()[
        "token"
    ]
    client.credentials(HTTP_AUTHORIZATION=f"Token {token}")
    assert client.get("/api/v1/projects/").status_code == 200
    assert (
        api_client().post("/api/v1/auth/token/", {"username": "city_a", "password": "wrong"}).status_code
        == 400
    )


def test_session_and_browsable_api(city_client):
    response = city_client.get("/api/v1/projects/", HTTP_ACCEPT="text/html")
    assert response.status_code == 200 and "<html" in response.content.decode()


def test_page_size_has_a_maximum(city_api):
    for _ in range(3):
        ProjectFactory()
    data = city_api.get("/api/v1/projects/", {"page_size": 1}).json()
    assert data["count"] == 3 and len(data["results"]) == 1 and data["next"]
    assert len(city_api.get("/api/v1/projects/", {"page_size": 100000}).json()["results"]) == 3


@pytest.mark.parametrize(
    ("endpoint", "params", "field"),
    [
        ("funding-lines", {"year": "2025.7"}, "year"),
        ("projects", {"page": "abc"}, "page"),
        ("loans", {"page": "0"}, "page"),
    ],
)
def test_more_invalid_parameters_answer_400(city_api, endpoint, params, field):
    response = city_api.get(f"/api/v1/{endpoint}/", params)
    assert response.status_code == 400 and field in response.json()


@pytest.mark.parametrize(
    ("endpoint", "factory", "change"),
    [
        ("loans", LoanFactory, {"contract_no": "HT-2"}),
        ("funding-lines", FundingLineFactory, {"status": "applied"}),
        ("milestones", MilestoneFactory, {"name": "改"}),
    ],
)
def test_if_match_protects_every_editable_record(city_api, endpoint, factory, change):
    record = factory()
    url = f"/api/v1/{endpoint}/{record.pk}/"
    etag = city_api.get(url)["ETag"]
    assert city_api.patch(url, change, format="json", HTTP_IF_MATCH=etag).status_code == 200
    assert city_api.patch(url, {"note": "晚到的修改"}, format="json", HTTP_IF_MATCH=etag).status_code == 412


def test_an_empty_change_writes_nothing(city_api):
    from portfolio.models import AuditEntry

    project, loan = ProjectFactory(), LoanFactory()
    assert city_api.patch(f"/api/v1/projects/{project.pk}/", {}, format="json").status_code == 200
    assert (
        city_api.patch(
            f"/api/v1/loans/{loan.pk}/", {"principal": str(loan.principal)}, format="json"
        ).status_code
        == 200
    )
    project.refresh_from_db()
    assert project.version == 1 and not AuditEntry.objects.exists()


def test_not_found_reads_the_same_in_or_out_of_scope(api_client, yuexiu_user):
    hidden = ProjectFactory(district=district("440112"))
    client = api_client(yuexiu_user)
    outside = client.get(f"/api/v1/projects/{hidden.pk}/")
    missing = client.get("/api/v1/projects/999999/")
    unrouted = client.get("/api/v1/projects/1.5/")
    assert outside.status_code == missing.status_code == unrouted.status_code == 404
    assert outside.json() == missing.json() == unrouted.json() == {"detail": "未找到。"}


def test_docs_are_served_without_a_cdn(city_client, api_client):
    page = city_client.get("/api/docs/").content.decode()
    assert "drf_spectacular_sidecar/swagger-ui-dist" in page
    assert "cdn" not in page.lower() and "unpkg" not in page.lower()
    schema = city_client.get("/api/schema/", HTTP_ACCEPT="application/json").json()
    assert {"/api/v1/projects/{id}/transition/", "/api/v1/loans/", "/api/v1/auth/token/"} <= set(
        schema["paths"]
    )
    assert api_client().get("/api/schema/").status_code == 401
