"""The 前期手续 checklist on the project page and the page that records one procedure: what each role sees
and may do, real posts checked in the database, and constant query counts."""

import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from portfolio.models import AuditEntry
from projects.models import Procedure
from tests.factories import ProcedureFactory, ProjectFactory, district

pytestmark = pytest.mark.django_db


def edit_url(project, kind="feasibility"):
    return reverse("projects:procedure_edit", args=[project.pk, kind])


def detail_url(project):
    return reverse("projects:project_detail", args=[project.pk])


@pytest.fixture
def hp():
    return ProjectFactory(name="黄埔碧道项目", district=district("440112"), review_status="accepted")


@pytest.mark.parametrize(
    ("user", "status"),
    [
        ("city_user", 200),
        ("finance_user", 403),
        ("huangpu_user", 200),
        ("yuexiu_user", 404),
        ("lender_user", 403),
        ("no_role_user", 403),
    ],
)
def test_who_opens_the_procedure_page(client_for, hp, request, user, status):
    response = client_for(request.getfixturevalue(user)).get(edit_url(hp))
    assert response.status_code == status


def test_anonymous_goes_to_the_login_page(client_for, hp):
    response = client_for(None).get(edit_url(hp))
    assert response.status_code == 302 and response["Location"].startswith(reverse("login"))


def test_an_unknown_kind_or_project_is_not_found(client_for, city_user, hp):
    client = client_for(city_user)
    assert client.get(edit_url(hp, "fire_safety")).status_code == 404
    assert client.get(reverse("projects:procedure_edit", args=[999999, "land"])).status_code == 404


def test_a_district_user_records_a_procedure(client_for, huangpu_user, hp, only_audit_entry):
    client = client_for(huangpu_user)
    html = client.get(edit_url(hp, "land")).content.decode()
    assert "前期手续：用地" in html and "尚未登记，视为未办理" in html
    response = client.post(
        edit_url(hp, "land"),
        {
            "status": "done",
            "approval_no": " 穗规划资源〔2026〕9号 ",
            "approved_on": "2026-04-01",
            "authority": "广州市规划和自然资源局",
            "note": "",
        },
    )
    assert response.status_code == 302 and response["Location"] == detail_url(hp) + "#procedures"
    row = Procedure.objects.get()
    assert (row.project, row.kind, row.status, row.approval_no, str(row.approved_on)) == (
        hp,
        "land",
        "done",
        "穗规划资源〔2026〕9号",
        "2026-04-01",
    )
    assert only_audit_entry().action == "procedure_create"


def test_the_form_opens_with_the_recorded_row_and_changes_it(client_for, city_user, hp, form_data):
    ProcedureFactory(
        project=hp, kind="eia", status="in_progress", approval_no="", authority="广州市生态环境局"
    )
    client = client_for(city_user)
    data = form_data(client, edit_url(hp, "eia"))
    assert data["status"] == "in_progress" and data["authority"] == "广州市生态环境局"
    response = client.post(edit_url(hp, "eia"), data | {"status": "not_needed"})
    assert response.status_code == 302
    assert Procedure.objects.get().status == "not_needed"
    assert AuditEntry.objects.get().action == "procedure_update"


def test_a_done_procedure_without_number_is_refused_on_the_form(client_for, city_user, hp):
    response = client_for(city_user).post(
        edit_url(hp), {"status": "done", "approval_no": "", "approved_on": "", "authority": "", "note": ""}
    )
    assert response.status_code == 200
    assert "已办结的手续须填写批复文号。" in response.content.decode()
    assert not Procedure.objects.exists() and not AuditEntry.objects.exists()


@pytest.mark.parametrize("user", ["finance_user", "yuexiu_user", "lender_user"])
def test_a_post_of_who_may_not_records_nothing(client_for, hp, request, user):
    response = client_for(request.getfixturevalue(user)).post(
        edit_url(hp), {"status": "in_progress", "approval_no": "", "approved_on": "", "authority": ""}
    )
    assert response.status_code in (403, 404)
    assert not Procedure.objects.exists()


# -- the checklist on the project page --------------------------------------------------------------


def checklist(html: str) -> str:
    start = html.index('id="procedures"')
    return html[start : html.index("</table>", start)]


def row_of(card: str, kind: str) -> str:
    match = re.search(rf'<tr id="procedure-{kind}"[^>]*>.*?</tr>', card, re.S)
    assert match, kind
    return match.group(0)


def test_the_checklist_shows_every_kind_and_marks_what_mature_lacks(client_for, city_user, hp):
    ProcedureFactory(project=hp, kind="feasibility", approval_no="穗发改〔2026〕5号", authority="市发改委")
    ProcedureFactory(project=hp, kind="eia", status="in_progress", approval_no="")
    ProcedureFactory(project=hp, kind="forest", status="not_needed", approval_no="")
    card = checklist(client_for(city_user).get(detail_url(hp)).content.decode())
    assert "已办结 1/9" in card and "无需办理 1 项" in card
    assert "推进到“成熟”尚缺" in card and "用地（未办结，当前为未办理）" in card
    assert card.count('<tr id="procedure-') == 9
    feasibility = row_of(card, "feasibility")
    assert "穗发改〔2026〕5号" in feasibility and "市发改委" in feasibility and "已办结" in feasibility
    assert "table-warning" not in feasibility and "成熟所需" not in feasibility
    for kind in ("land", "eia"):  # needed for 成熟 and not satisfied
        row = row_of(card, kind)
        assert 'class="table-warning"' in row and "成熟所需" in row
    assert "未办理" in row_of(card, "land") and "办理中" in row_of(card, "eia")
    assert "table-warning" not in row_of(card, "planning")  # pending, but not one 成熟 asks for
    assert edit_url(hp, "land") in card and "登记" in row_of(card, "land")
    assert "修改" in feasibility


def test_the_checklist_has_no_edit_links_for_finance(client_for, finance_user, hp):
    card = checklist(client_for(finance_user).get(detail_url(hp)).content.decode())
    assert card.count('<tr id="procedure-') == 9 and "/procedures/" not in card


def test_the_project_page_runs_the_same_queries_for_two_procedures_as_for_six(client_for, city_user):
    kinds = ["proposal", "feasibility", "land", "planning", "eia", "energy"]
    client = client_for(city_user)
    counts = []
    for count in (2, 6):
        project = ProjectFactory(review_status="accepted")
        for kind in kinds[:count]:
            ProcedureFactory(project=project, kind=kind)
        client.get(detail_url(project))  # warm-up
        with CaptureQueriesContext(connection) as captured:
            response = client.get(detail_url(project))
        assert response.status_code == 200
        assert f"已办结 {count}/9" in response.content.decode()
        counts.append(len(captured))
    assert counts[0] == counts[1], counts
