"""申报 batches: the services (open, add with the readiness check and the override, change, remove, the
outcome writing the funding line, close), who may do what, the pages, the API and the export."""

import io
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from openpyxl import load_workbook

from financing import batches
from financing.models import ApplicationBatch, BatchEntry, FundingLine
from portfolio.models import AuditEntry
from tests.factories import BatchEntryFactory, BatchFactory, FundingLineFactory, ProjectFactory, district
from tests.financing.test_readiness import ready_project

D = Decimal


@pytest.fixture
def batch(db):
    return BatchFactory(name="2026年第二批专项债券", programme="special_bond", year=2026)


# Services


@pytest.mark.django_db
def test_open_a_batch_audited(city_user):
    made = batches.batch_open(
        acting_user=city_user, programme="special_bond", year=2026, name=" 2026年第三批 "
    )
    assert made.name == "2026年第三批" and made.opened_by == city_user and made.status == "open"
    assert AuditEntry.objects.filter(action="batch_open", object_id=str(made.pk)).count() == 1
    with pytest.raises(ValidationError, match="同名批次"):
        batches.batch_open(acting_user=city_user, programme="special_bond", year=2026, name="2026年第三批")


@pytest.mark.django_db
@pytest.mark.parametrize("user", ["finance_user", "huangpu_user", "lender_user"])
def test_only_city_staff_write(request, user, batch):
    user = request.getfixturevalue(user)
    project = ready_project()
    with pytest.raises(PermissionDenied):
        batches.batch_open(acting_user=user, programme="special_bond", year=2026, name="x")
    with pytest.raises(PermissionDenied):
        batches.batch_entry_add(acting_user=user, batch=batch, project=project, requested_amount=D(1))
    entry = BatchEntryFactory(batch=batch)
    with pytest.raises(PermissionDenied):
        batches.batch_entry_outcome(acting_user=user, entry=entry, outcome="rejected")
    with pytest.raises(PermissionDenied):
        batches.batch_close(acting_user=user, batch=batch)


@pytest.mark.django_db
def test_add_a_ready_project(city_user, batch):
    project = ready_project()
    entry = batches.batch_entry_add(
        acting_user=city_user, batch=batch, project=project, requested_amount=D("30000000")
    )
    assert not entry.overridden and entry.missing == [] and entry.added_by == city_user
    assert AuditEntry.objects.filter(action="batch_entry_add", project=project).count() == 1
    with pytest.raises(ValidationError, match="已在本批次"):
        batches.batch_entry_add(acting_user=city_user, batch=batch, project=project, requested_amount=D(1))


@pytest.mark.django_db
def test_an_unready_project_is_refused_with_its_missing_list(city_user, batch):
    project = ready_project(expected_revenue=D("105000000"), national_code=None)
    with pytest.raises(ValidationError) as refused:
        batches.batch_entry_add(acting_user=city_user, batch=batch, project=project, requested_amount=D(1))
    text = " ".join(refused.value.messages)
    assert "缺少全国投资项目代码" in text and "本息覆盖倍数 1.05 倍，低于要求的 1.20 倍" in text
    assert not BatchEntry.objects.exists()
    with pytest.raises(ValidationError, match="必须填写理由"):
        batches.batch_entry_add(
            acting_user=city_user, batch=batch, project=project, requested_amount=D(1), override=True
        )
    entry = batches.batch_entry_add(
        acting_user=city_user,
        batch=batch,
        project=project,
        requested_amount=D("10000000"),
        override=True,
        override_reason="市政府专题会议研究同意",
    )
    entry.refresh_from_db()
    assert entry.overridden and entry.override_reason == "市政府专题会议研究同意"
    assert entry.missing == ["缺少全国投资项目代码", "本息覆盖倍数 1.05 倍，低于要求的 1.20 倍"]


@pytest.mark.django_db
def test_bad_amounts_and_closed_batches(city_user, batch):
    project = ready_project()
    with pytest.raises(ValidationError, match="大于零"):
        batches.batch_entry_add(acting_user=city_user, batch=batch, project=project, requested_amount=D(0))
    batches.batch_close(acting_user=city_user, batch=batch)
    with pytest.raises(ValidationError, match="已结束"):
        batches.batch_entry_add(acting_user=city_user, batch=batch, project=project, requested_amount=D(1))
    with pytest.raises(ValidationError, match="已结束"):
        batches.batch_close(acting_user=city_user, batch=batch)
    assert not BatchEntry.objects.exists()


@pytest.mark.django_db
def test_change_and_remove_only_while_pending(city_user, batch):
    entry = BatchEntryFactory(batch=batch)
    batches.batch_entry_update(acting_user=city_user, entry=entry, requested_amount=D("5000000"))
    entry.refresh_from_db()
    assert entry.requested_amount == D("5000000")
    other = BatchEntryFactory(batch=batch)
    batches.batch_entry_remove(acting_user=city_user, entry=other)
    assert not BatchEntry.objects.filter(pk=other.pk).exists()
    assert AuditEntry.objects.filter(action="batch_entry_remove", object_id=str(other.pk)).exists()
    batches.batch_entry_outcome(acting_user=city_user, entry=entry, outcome="rejected")
    with pytest.raises(ValidationError, match="不能再修改或移出"):
        batches.batch_entry_update(acting_user=city_user, entry=entry, requested_amount=D(1))
    with pytest.raises(ValidationError, match="不能再修改或移出"):
        batches.batch_entry_remove(acting_user=city_user, entry=entry)


@pytest.mark.django_db
def test_an_approval_creates_the_funding_line(city_user, batch):
    entry = BatchEntryFactory(batch=batch, requested_amount=D("20000000"))
    batches.batch_entry_outcome(
        acting_user=city_user,
        entry=entry,
        outcome="approved",
        approved_amount=D("15000000"),
        document_no="粤财债〔2026〕12号",
        decided_on="2026-06-30",
    )
    entry.refresh_from_db()
    line = entry.funding_line
    assert (line.project, line.source_type, line.programme, line.year) == (
        entry.project,
        "special_bond",
        "2026年第二批专项债券",
        2026,
    )
    assert (line.planned_amount, line.approved_amount, line.status, line.document_no) == (
        D("20000000"),
        D("15000000"),
        "approved",
        "粤财债〔2026〕12号",
    )
    assert entry.outcome == "approved" and entry.approved_amount == D("15000000")
    actions = set(AuditEntry.objects.filter(project=entry.project).values_list("action", flat=True))
    assert {"funding_line_create", "batch_entry_outcome"} <= actions
    # Corrected: the same line is updated, not a second one made.
    batches.batch_entry_outcome(acting_user=city_user, entry=entry, outcome="rejected")
    line.refresh_from_db()
    assert FundingLine.objects.filter(project=entry.project).count() == 1
    assert (line.status, line.approved_amount) == ("rejected", D(0))


@pytest.mark.django_db
def test_an_outcome_takes_over_the_projects_planned_line(city_user, batch):
    entry = BatchEntryFactory(batch=batch, requested_amount=D("20000000"))
    done = FundingLineFactory(project=entry.project, source_type="special_bond", year=2026, status="approved")
    other_year = FundingLineFactory(project=entry.project, source_type="special_bond", year=2025)
    planned = FundingLineFactory(
        project=entry.project, source_type="special_bond", year=2026, status="applied"
    )
    batches.batch_entry_outcome(
        acting_user=city_user,
        entry=entry,
        outcome="approved",
        approved_amount=D("20000000"),
        document_no="粤财债〔2026〕1号",
        decided_on="2026-06-30",
    )
    entry.refresh_from_db()
    assert entry.funding_line == planned
    planned.refresh_from_db()
    assert (planned.status, planned.approved_amount, planned.programme) == (
        "approved",
        D("20000000"),
        "2026年第二批专项债券",
    )
    assert FundingLine.objects.filter(project=entry.project).count() == 3
    assert AuditEntry.objects.filter(action="funding_line_update", object_id=str(planned.pk)).exists()
    for line in (done, other_year):
        line.refresh_from_db()
        assert line.programme == ""


@pytest.mark.django_db
def test_a_rejection_creates_a_rejected_line_and_approvals_need_their_papers(city_user, batch):
    entry = BatchEntryFactory(batch=batch)
    with pytest.raises(ValidationError) as refused:
        batches.batch_entry_outcome(acting_user=city_user, entry=entry, outcome="approved")
    assert set(refused.value.error_dict) == {"approved_amount", "document_no", "decided_on"}
    assert not FundingLine.objects.exists()
    batches.batch_entry_outcome(acting_user=city_user, entry=entry, outcome="rejected")
    entry.refresh_from_db()
    assert entry.funding_line.status == "rejected" and entry.outcome == "rejected"


@pytest.mark.django_db
def test_programme_and_year_are_fixed_once_a_batch_has_entries(city_user, batch):
    batches.batch_update(acting_user=city_user, batch=batch, year=2027, deadline="2027-03-31")
    batch.refresh_from_db()
    assert batch.year == 2027
    BatchEntryFactory(batch=batch)
    with pytest.raises(ValidationError, match="不能再更改"):
        batches.batch_update(acting_user=city_user, batch=batch, programme="policy_loan")
    batches.batch_update(acting_user=city_user, batch=batch, note="按省厅通知申报")


# Pages


def url(name, *args):
    return reverse(f"financing:{name}", args=args)


@pytest.mark.django_db
def test_batch_pages_by_role(client_for, city_user, finance_user, huangpu_user, lender_user, batch):
    own = BatchEntryFactory(batch=batch, project=ready_project(name="黄埔申报项目"))
    other = BatchEntryFactory(
        batch=batch, project=ready_project(name="越秀申报项目", district=district("440104"))
    )
    for user in (city_user, finance_user):
        html = client_for(user).get(url("batch_detail", batch.pk)).content.decode()
        assert own.project.name in html and other.project.name in html
    html = client_for(huangpu_user).get(url("batch_detail", batch.pk)).content.decode()
    assert own.project.name in html and other.project.name not in html
    assert "加入申报项目" not in html and "录入批复结果" not in html
    html = client_for(city_user).get(url("batch_detail", batch.pk)).content.decode()
    assert "加入申报项目" in html and "录入批复结果" in html
    for address in (url("batch_list"), url("batch_detail", batch.pk), url("ready_list")):
        assert client_for(lender_user).get(address).status_code == 403
        assert client_for(huangpu_user).get(address).status_code == 200
    for user in (finance_user, huangpu_user):
        assert client_for(user).get(url("batch_create")).status_code == 403
        assert client_for(user).post(url("batch_close", batch.pk)).status_code == 403
    assert client_for(city_user).get(url("batch_detail", 999999)).status_code == 404


@pytest.mark.django_db
def test_create_a_batch_on_its_page(client_for, city_user):
    client = client_for(city_user)
    assert client.get(url("batch_create")).status_code == 200
    response = client.post(
        url("batch_create"), {"programme": "special_bond", "year": "2026", "name": "2026年第二批专项债券"}
    )
    made = ApplicationBatch.objects.get()
    assert response.status_code == 302 and response["Location"] == url("batch_detail", made.pk)
    response = client.post(url("batch_create"), {"programme": "special_bond", "year": "2026", "name": ""})
    assert response.status_code == 200 and ApplicationBatch.objects.count() == 1


@pytest.mark.django_db
def test_add_refuse_override_outcome_and_close_on_the_page(client_for, city_user, batch):
    client = client_for(city_user)
    ready = ready_project(name="成熟项目")
    unready = ready_project(name="缺代码项目", national_code=None)
    response = client.post(
        url("batch_entry_add", batch.pk), {"project": ready.pk, "requested_amount": "30000000"}
    )
    assert response.status_code == 302
    response = client.post(
        url("batch_entry_add", batch.pk), {"project": unready.pk, "requested_amount": "1000"}
    )
    assert response.status_code == 200 and "缺少全国投资项目代码" in response.content.decode()
    assert BatchEntry.objects.count() == 1
    response = client.post(
        url("batch_entry_add", batch.pk),
        {"project": unready.pk, "requested_amount": "1000", "override": "on", "override_reason": "特事特办"},
    )
    assert response.status_code == 302
    entry = BatchEntry.objects.get(project=ready)
    prefix = f"e{entry.pk}"
    response = client.post(
        url("batch_entry_outcome", entry.pk),
        {f"{prefix}-outcome": "approved", f"{prefix}-approved_amount": "25000000"},
    )
    assert response.status_code == 200 and "获批须填写批复文号" in response.content.decode()
    response = client.post(
        url("batch_entry_outcome", entry.pk),
        {
            f"{prefix}-outcome": "approved",
            f"{prefix}-approved_amount": "25000000",
            f"{prefix}-document_no": "粤财债〔2026〕3号",
            f"{prefix}-decided_on": "2026-07-01",
        },
    )
    assert response.status_code == 302
    entry.refresh_from_db()
    assert entry.funding_line.approved_amount == D("25000000")
    html = client.get(reverse("projects:project_detail", args=[ready.pk])).content.decode()
    assert "粤财债〔2026〕3号" in html
    other = BatchEntry.objects.get(project=unready)
    assert client.post(url("batch_entry_remove", other.pk), {}).status_code == 302
    assert BatchEntry.objects.filter(pk=other.pk).exists()  # not confirmed
    client.post(url("batch_entry_remove", other.pk), {"confirm": "yes"})
    assert not BatchEntry.objects.filter(pk=other.pk).exists()
    assert client.post(url("batch_close", batch.pk)).status_code == 302
    batch.refresh_from_db()
    assert batch.status == "closed"


@pytest.mark.django_db
def test_another_districts_entry_is_not_found(client_for, city_user, huangpu_user, batch):
    entry = BatchEntryFactory(batch=batch, project=ready_project(district=district("440104")))
    assert client_for(huangpu_user).post(url("batch_entry_outcome", entry.pk), {}).status_code in (403, 404)
    from rest_framework.test import APIClient

    api = APIClient()
    api.force_authenticate(huangpu_user)
    assert api.get(f"/api/v1/batch-entries/{entry.pk}/").status_code == 404


def _queries(client, address):
    client.get(address)
    with CaptureQueriesContext(connection) as captured:
        assert client.get(address).status_code == 200
    return len(captured)


def _grow(batch, n):
    for _i in range(n):
        BatchEntryFactory(batch=batch, project=ready_project())
        BatchEntryFactory(batch=batch, project=ready_project(district=district("440104")), outcome="rejected")
        BatchFactory()


@pytest.mark.django_db
def test_pages_and_export_are_constant_queries(
    client_for, api_client, city_user, huangpu_user, finance_user, batch
):
    _grow(batch, 2)
    pages = [
        (client_for(city_user), url("batch_list")),
        (client_for(city_user), url("batch_detail", batch.pk)),
        (client_for(huangpu_user), url("batch_detail", batch.pk)),
        (client_for(finance_user), url("batch_detail", batch.pk)),
        (api_client(city_user), f"/api/v1/exports/batches/{batch.pk}.xlsx"),
        (api_client(city_user), "/api/v1/batches/"),
        (api_client(city_user), "/api/v1/batch-entries/"),
    ]
    before = [_queries(client, address) for client, address in pages]
    _grow(batch, 4)
    after = [_queries(client, address) for client, address in pages]
    assert before == after


# API


@pytest.mark.django_db
def test_api_batches_and_entries(api_client, city_user, huangpu_user, finance_user, lender_user):
    api = api_client(city_user)
    response = api.post(
        "/api/v1/batches/", {"programme": "special_bond", "year": 2026, "name": "2026年第二批"}
    )
    assert response.status_code == 201, response.json()
    batch_id = response.json()["id"]
    assert response.json()["status"] == "open" and response.json()["entry_count"] == 0
    ready, unready = ready_project(), ready_project(national_code=None)
    response = api.post(
        "/api/v1/batch-entries/", {"batch": batch_id, "project": unready.pk, "requested_amount": "1000"}
    )
    assert response.status_code == 400 and "缺少全国投资项目代码" in str(response.json())
    response = api.post(
        "/api/v1/batch-entries/",
        {
            "batch": batch_id,
            "project": unready.pk,
            "requested_amount": "1000",
            "override": True,
            "override_reason": "特事特办",
        },
        format="json",
    )
    assert response.status_code == 201 and response.json()["overridden"] is True
    assert response.json()["missing"] == ["缺少全国投资项目代码"]
    response = api.post(
        "/api/v1/batch-entries/", {"batch": batch_id, "project": ready.pk, "requested_amount": "20000000"}
    )
    assert response.status_code == 201
    entry_id = response.json()["id"]
    etag = api.get(f"/api/v1/batch-entries/{entry_id}/")["ETag"]
    response = api.patch(
        f"/api/v1/batch-entries/{entry_id}/", {"requested_amount": "18000000"}, HTTP_IF_MATCH=etag
    )
    assert response.status_code == 200 and response.json()["requested_amount"] == "18000000.00"
    response = api.post(
        f"/api/v1/batch-entries/{entry_id}/outcome/",
        {
            "outcome": "approved",
            "approved_amount": "15000000",
            "document_no": "粤财债〔2026〕9号",
            "decided_on": "2026-06-30",
        },
        format="json",
    )
    assert response.status_code == 200, response.json()
    line = FundingLine.objects.get(pk=response.json()["funding_line"])
    assert line.approved_amount == D("15000000") and line.status == "approved"
    assert api.delete(f"/api/v1/batch-entries/{entry_id}/").status_code == 400
    other = BatchEntry.objects.get(project=unready)
    assert api.delete(f"/api/v1/batch-entries/{other.pk}/").status_code == 204
    assert api.post(f"/api/v1/batches/{batch_id}/close/").json()["status"] == "closed"
    # Reads by role; writes only city staff's; lenders nothing.
    assert api_client(finance_user).get("/api/v1/batch-entries/").json()["count"] == 1
    assert api_client(huangpu_user).get(f"/api/v1/batches/{batch_id}/").status_code == 200
    assert api_client(finance_user).post(f"/api/v1/batches/{batch_id}/close/").status_code == 403
    assert (
        api_client(huangpu_user)
        .post("/api/v1/batches/", {"programme": "special_bond", "year": 2026, "name": "x"})
        .status_code
        == 403
    )
    for address in ("/api/v1/batches/", "/api/v1/batch-entries/", f"/api/v1/exports/batches/{batch_id}.xlsx"):
        assert api_client(lender_user).get(address).status_code == 403


@pytest.mark.django_db
def test_api_entries_are_scoped(api_client, huangpu_user, yuexiu_user, batch):
    own = BatchEntryFactory(batch=batch, project=ready_project())
    BatchEntryFactory(batch=batch, project=ready_project(district=district("440104")))
    response = api_client(huangpu_user).get("/api/v1/batch-entries/")
    assert [row["id"] for row in response.json()["results"]] == [own.pk]
    assert api_client(yuexiu_user).get(f"/api/v1/batch-entries/{own.pk}/").status_code == 404
    assert api_client(huangpu_user).get("/api/v1/batches/").json()["results"][0]["entry_count"] == 1
    assert api_client(huangpu_user).get("/api/v1/batch-entries/?outcome=bogus").status_code == 400


# Export


@pytest.mark.django_db
def test_the_export_is_the_application_list(api_client, city_user, huangpu_user, batch):
    hp = BatchEntryFactory(
        batch=batch,
        project=ready_project(name="黄埔河涌整治", total_investment=D("300000000")),
        requested_amount=D("50000000"),
        outcome="approved",
        approved_amount=D("40000000"),
        document_no="粤财债〔2026〕5号",
        decided_on="2026-06-01",
    )
    BatchEntryFactory(
        batch=batch,
        project=ready_project(name="越秀公园提升", district=district("440104")),
        requested_amount=D("10000000"),
        overridden=True,
        override_reason="急需",
    )
    response = api_client(city_user).get(f"/api/v1/exports/batches/{batch.pk}.xlsx")
    assert response.status_code == 200
    ws = load_workbook(io.BytesIO(b"".join(response.streaming_content))).active
    rows = [[cell.value for cell in row] for row in ws.iter_rows()]
    assert rows[0][0] == "2026年第二批专项债券 项目申报表"
    header = next(i for i, row in enumerate(rows) if row[0] == "序号")
    assert rows[header] == [
        "序号",
        "区",
        "项目编号",
        "项目名称",
        "全国投资项目代码",
        "建设内容",
        "总投资（万元）",
        "申报金额（万元）",
        "前期手续办理情况",
        "是否越过条件",
        "批复结果",
        "获批金额（万元）",
        "批复文号",
    ]
    data = rows[header + 1 : header + 3]
    names = {row[3]: row for row in data}
    assert names["黄埔河涌整治"][7] == 5000 and names["黄埔河涌整治"][11] == 4000
    assert names["黄埔河涌整治"][10] == "获批" and names["黄埔河涌整治"][12] == "粤财债〔2026〕5号"
    assert "可研批复已办结" in names["黄埔河涌整治"][8]
    # The procedures and the content are long: shown whole on wrapped lines, each row's cells at its top.
    first = ws.cell(row=header + 2, column=9)
    assert first.alignment.wrap_text and first.alignment.vertical == "top"
    assert ws.cell(row=header + 2, column=8).alignment.vertical == "top"
    assert names["越秀公园提升"][9] == "是"
    totals = rows[header + 3]
    assert totals[0].startswith("合计") and totals[6] == 40000 and totals[7] == 6000 and totals[11] == 4000
    assert ws.page_setup.orientation == "landscape"
    # A district user's file holds its own entries only.
    response = api_client(huangpu_user).get(f"/api/v1/exports/batches/{batch.pk}.xlsx")
    ws = load_workbook(io.BytesIO(b"".join(response.streaming_content))).active
    values = [cell.value for row in ws.iter_rows() for cell in row]
    assert hp.project.name in values and "越秀公园提升" not in values
    assert api_client(city_user).get("/api/v1/exports/batches/999999.xlsx").status_code == 404


@pytest.mark.django_db
def test_the_admin_edits_a_rule_with_checkboxes(client_for, city_user):
    from financing.models import ProgrammeRule

    rule = ProgrammeRule.objects.get(programme="policy_loan")
    address = reverse("admin:financing_programmerule_change", args=[rule.pk])
    client = client_for(city_user)
    assert (
        'type="checkbox" name="required_procedures" value="feasibility"'
        in client.get(address).content.decode()
    )
    response = client.post(
        address,
        {
            "programme": "policy_loan",
            "active": "on",
            "required_procedures": ["land", "feasibility"],
            "requires_national_code": "on",
            "stages": ["mature"],
            "categories": [],
            "min_revenue_coverage": "",
            "note": "",
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    rule.refresh_from_db()
    assert rule.required_procedures == ["feasibility", "land"] and rule.stages == ["mature"]
    assert rule.categories == []
    assert ProjectFactory  # the factories stay imported for the other tests


@pytest.mark.django_db
def test_the_demo_batch(city_user):
    from portfolio.seed_readiness import seed_demo_batches

    assert seed_demo_batches(year=2026) is None  # no demo project yet
    for _i in range(3):
        ready_project(is_demo=True)
    ready_project(is_demo=True, national_code=None)
    batch = seed_demo_batches(year=2026)
    entries = list(batch.entries.order_by("pk"))
    assert len(entries) == 4 and sum(e.overridden for e in entries) == 1
    approved = [e for e in entries if e.outcome == "approved"]
    assert len(approved) == 1 and approved[0].funding_line.status == "approved"
    assert approved[0].funding_line.approved_amount == approved[0].approved_amount
    assert seed_demo_batches(year=2026) == batch and BatchEntry.objects.count() == 4


@pytest.mark.django_db
def test_the_admin_pages_open(client_for, city_user, batch):
    BatchEntryFactory(batch=batch)
    client = client_for(city_user)
    for name in ("programmerule", "applicationbatch"):
        assert client.get(reverse(f"admin:financing_{name}_changelist"), {"q": "测试"}).status_code == 200
    assert client.get(reverse("admin:financing_programmerule_add")).status_code == 200
    assert client.get(reverse("admin:financing_applicationbatch_add")).status_code == 403
    assert client.get(reverse("admin:financing_applicationbatch_change", args=[batch.pk])).status_code == 200
    response = client.post(reverse("admin:financing_applicationbatch_change", args=[batch.pk]), {"name": "x"})
    assert response.status_code == 403
    batch.refresh_from_db()
    assert batch.name == "2026年第二批专项债券"
