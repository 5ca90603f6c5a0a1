"""The procedures API (`procedures`): the fields of DOMAIN.md, scope and roles, one row per kind (a second
create is a 400), ETags and If-Match, no delete, and a list whose queries do not grow with its rows."""

import pytest

from portfolio.models import AuditEntry
from projects.models import Procedure
from tests.factories import ProcedureFactory, ProjectFactory, district

pytestmark = pytest.mark.django_db

URL = "/api/v1/procedures/"


@pytest.fixture
def hp():
    return ProjectFactory(district=district("440112"))


@pytest.fixture
def yx():
    return ProjectFactory(district=district("440104"))


def test_a_procedure_reads_as_domain_says(api_client, city_user, hp):
    procedure = ProcedureFactory(
        project=hp, kind="feasibility", approval_no="穗发改〔2026〕2号", approved_on="2026-02-03", note="备注"
    )
    response = api_client(city_user).get(f"{URL}{procedure.pk}/")
    assert response.status_code == 200 and response["ETag"]
    assert response.json() == {
        "id": procedure.pk,
        "project": hp.pk,
        "kind": "feasibility",
        "status": "done",
        "approval_no": "穗发改〔2026〕2号",
        "approved_on": "2026-02-03",
        "authority": "广州市发展和改革委员会",
        "note": "备注",
    }


def test_a_district_user_creates_one_for_its_project(api_client, huangpu_user, hp, only_audit_entry):
    response = api_client(huangpu_user).post(
        URL, {"project": hp.pk, "kind": "land", "status": "in_progress"}, format="json"
    )
    assert response.status_code == 201, response.json()
    row = Procedure.objects.get()
    assert response.json()["id"] == row.pk and (row.kind, row.status, row.approval_no) == (
        "land",
        "in_progress",
        "",
    )
    assert only_audit_entry().action == "procedure_create"


def test_a_second_row_of_a_kind_is_a_400(api_client, city_user, hp):
    ProcedureFactory(project=hp, kind="land", status="in_progress", approval_no="")
    response = api_client(city_user).post(
        URL, {"project": hp.pk, "kind": "land", "status": "done"}, format="json"
    )
    assert response.status_code == 400
    assert response.json()["kind"] == ["该项目已有“用地”的记录，请修改该记录。"]
    assert Procedure.objects.count() == 1 and not AuditEntry.objects.exists()


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"kind": "land", "status": "done"}, "approval_no"),
        ({"kind": "land", "status": "done", "approval_no": "  "}, "approval_no"),
        ({"kind": "land", "status": "pending", "approved_on": "2026-01-01"}, "approved_on"),
        (
            {"kind": "land", "status": "done", "approval_no": "1号", "approved_on": "1800-01-01"},
            "approved_on",
        ),
        ({"kind": "fire_safety"}, "kind"),
        ({"kind": "land", "status": "finished"}, "status"),
        ({"status": "done"}, "kind"),
    ],
)
def test_bad_input_is_a_400_and_nothing_is_saved(api_client, city_user, hp, body, field):
    response = api_client(city_user).post(URL, {"project": hp.pk, **body}, format="json")
    assert response.status_code == 400 and field in response.json(), response.json()
    assert not Procedure.objects.exists()


def test_another_districts_project_cannot_be_named(api_client, huangpu_user, yx):
    response = api_client(huangpu_user).post(URL, {"project": yx.pk, "kind": "land"}, format="json")
    assert response.status_code == 400 and "project" in response.json()
    assert not Procedure.objects.exists()


def test_change_keeps_project_and_kind_and_checks_if_match(api_client, city_user, hp, yx):
    procedure = ProcedureFactory(project=hp, kind="eia", status="in_progress", approval_no="")
    client = api_client(city_user)
    etag = client.get(f"{URL}{procedure.pk}/")["ETag"]
    changed = client.patch(
        f"{URL}{procedure.pk}/",
        {"status": "done", "approval_no": "穗环评〔2026〕4号", "kind": "land", "project": yx.pk},
        format="json",
        HTTP_IF_MATCH=etag,
    )
    assert changed.status_code == 200 and changed["ETag"] != etag
    procedure.refresh_from_db()
    assert (procedure.project, procedure.kind, procedure.status) == (hp, "eia", "done")
    assert AuditEntry.objects.get().action == "procedure_update"
    stale = client.patch(f"{URL}{procedure.pk}/", {"note": "再改"}, format="json", HTTP_IF_MATCH=etag)
    assert stale.status_code == 412
    procedure.refresh_from_db()
    assert procedure.note == ""


def test_put_replaces_the_fields(api_client, huangpu_user, hp):
    procedure = ProcedureFactory(project=hp, kind="planning", authority="旧机关")
    response = api_client(huangpu_user).put(
        f"{URL}{procedure.pk}/",
        {"project": hp.pk, "kind": "planning", "status": "not_needed", "approval_no": "", "authority": ""},
        format="json",
    )
    assert response.status_code == 200, response.json()
    procedure.refresh_from_db()
    assert (procedure.status, procedure.approval_no, procedure.authority) == ("not_needed", "", "")


@pytest.mark.parametrize(
    ("user", "list_status", "read_own", "read_other", "create", "change", "delete"),
    [
        ("city_user", 200, 200, 200, 201, 200, 405),
        ("finance_user", 200, 200, 200, 403, 403, 405),
        ("huangpu_user", 200, 200, 404, 201, 200, 405),
        ("lender_user", 403, 403, 403, 403, 403, 403),
        ("no_role_user", 403, 403, 403, 403, 403, 403),
        (None, 401, 401, 401, 401, 401, 401),
    ],
)
def test_the_role_matrix(
    api_client, request, hp, yx, user, list_status, read_own, read_other, create, change, delete
):
    own = ProcedureFactory(project=hp, kind="land")
    other = ProcedureFactory(project=yx, kind="land")
    client = api_client(request.getfixturevalue(user) if user else None)
    assert client.get(URL).status_code == list_status
    assert client.get(f"{URL}{own.pk}/").status_code == read_own
    assert client.get(f"{URL}{other.pk}/").status_code == read_other
    created = client.post(URL, {"project": hp.pk, "kind": "eia", "status": "not_needed"}, format="json")
    assert created.status_code == create
    assert client.patch(f"{URL}{own.pk}/", {"note": "改"}, format="json").status_code == change
    assert client.delete(f"{URL}{own.pk}/").status_code == delete
    assert Procedure.objects.filter(pk=own.pk).exists()
    assert Procedure.objects.filter(kind="eia").exists() == (create == 201)


def test_a_district_user_lists_its_own_and_cannot_change_another(api_client, huangpu_user, hp, yx):
    own = ProcedureFactory(project=hp, kind="land")
    other = ProcedureFactory(project=yx, kind="land")
    client = api_client(huangpu_user)
    assert [row["id"] for row in client.get(URL).json()["results"]] == [own.pk]
    assert client.patch(f"{URL}{other.pk}/", {"note": "改"}, format="json").status_code == 404
    other.refresh_from_db()
    assert other.note == ""


def test_the_list_filters(api_client, city_user, hp, yx):
    land = ProcedureFactory(project=hp, kind="land")
    eia = ProcedureFactory(project=hp, kind="eia", status="not_needed", approval_no="")
    yx_land = ProcedureFactory(project=yx, kind="land")
    client = api_client(city_user)

    def ids(**params):
        response = client.get(URL, params)
        assert response.status_code == 200
        return [row["id"] for row in response.json()["results"]]

    assert ids(project=hp.pk) == [land.pk, eia.pk]
    assert ids(kind="land") == [yx_land.pk, land.pk]
    assert ids(status="not_needed") == [eia.pk]
    assert ids(district="440104") == [yx_land.pk]
    assert client.get(URL, {"kind": "fire"}).status_code == 400


def test_the_list_runs_the_same_queries_for_two_as_for_six(api_client, city_user, django_assert_num_queries):
    kinds = ["proposal", "feasibility", "land", "planning", "eia", "energy"]
    client = api_client(city_user)
    project = ProjectFactory()
    for kind in kinds[:2]:
        ProcedureFactory(project=project, kind=kind)
    client.get(URL)  # warm-up: the role is read once per user
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as two:
        assert client.get(URL).json()["count"] == 2
    for kind in kinds[2:]:
        ProcedureFactory(project=ProjectFactory(), kind=kind)
    with django_assert_num_queries(len(two)):
        assert client.get(URL).json()["count"] == 6


def test_the_schema_documents_procedures(api_client, city_user):
    schema = api_client(city_user).get("/api/schema/", {"format": "json"}).json()
    assert {"/api/v1/procedures/", "/api/v1/procedures/{id}/"} <= set(schema["paths"])
    assert "delete" not in schema["paths"]["/api/v1/procedures/{id}/"]
    parameters = {p["name"] for p in schema["paths"]["/api/v1/procedures/"]["get"]["parameters"]}
    assert {"project", "kind", "status", "district"} <= parameters
