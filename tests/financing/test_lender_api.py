"""A bank's account manager on the API: it records its own loans' money, reads its loans' schedules, and
finds nothing of another bank on any list endpoint or export. Real requests, checked in the response and
the database."""

import datetime
from decimal import Decimal

import pytest

from financing import selectors
from financing.models import Disbursement, Loan, Repayment
from portfolio.api_urls import router
from portfolio.models import AuditEntry
from tests.factories import (
    DemandFactory,
    DisbursementFactory,
    FundingLineFactory,
    IntentionFactory,
    LoanFactory,
    MilestoneFactory,
    OrganizationFactory,
    ProjectFactory,
    RepaymentFactory,
    district,
)

pytestmark = pytest.mark.django_db
D = Decimal
NOT_FOUND = {"detail": "未找到。"}


@pytest.fixture
def own_loan(bank):
    return LoanFactory(
        lender=bank,
        principal=D("1000.00"),
        signed_on=datetime.date(2025, 1, 10),
        term_months=120,
        project__review_status="accepted",
    )


@pytest.fixture
def their_loan(other_bank):
    return LoanFactory(lender=other_bank, principal=D("1000.00"), signed_on=datetime.date(2025, 1, 10))


# -- the bank records its own loan's money -----------------------------------------------------------


def test_a_bank_records_a_disbursement_and_a_repayment_on_its_own_loan(api_client, lender_user, own_loan):
    client = api_client(lender_user)
    drawn = client.post(
        "/api/v1/disbursements/",
        {"loan": own_loan.pk, "date": "2025-02-01", "amount": "600.00", "note": "首笔提款"},
        format="json",
    )
    assert drawn.status_code == 201, drawn.content
    disbursement = Disbursement.objects.get()
    assert (disbursement.loan, disbursement.amount) == (own_loan, D("600.00"))
    entry = AuditEntry.objects.get(action="disbursement_record")
    assert entry.actor == lender_user and entry.project == own_loan.project
    repaid = client.post(
        "/api/v1/repayments/",
        {"loan": own_loan.pk, "date": "2025-04-10", "principal": "100.00", "interest": "4.50"},
        format="json",
    )
    assert repaid.status_code == 201, repaid.content
    assert Repayment.objects.get().principal == D("100.00")
    assert AuditEntry.objects.get(action="repayment_record").actor == lender_user
    record = client.get(f"/api/v1/loans/{own_loan.pk}/").json()
    assert (record["disbursed_total"], record["outstanding_principal"]) == ("600.00", "500.00")


def test_the_loan_invariants_hold_for_a_bank(api_client, lender_user, own_loan):
    DisbursementFactory(loan=own_loan, amount=D("900.00"))
    client = api_client(lender_user)
    over = client.post(
        "/api/v1/disbursements/",
        {"loan": own_loan.pk, "date": "2025-03-01", "amount": "100.01"},
        format="json",
    )
    assert over.status_code == 400
    assert over.json() == {"amount": ["提款金额 100.01 元超过未提款余额 100.00 元。"]}
    too_much = client.post(
        "/api/v1/repayments/",
        {"loan": own_loan.pk, "date": "2025-06-01", "principal": "900.01"},
        format="json",
    )
    assert too_much.json() == {"principal": ["偿还本金 900.01 元超过未偿还本金 900.00 元。"]}
    assert Disbursement.objects.count() == 1 and not Repayment.objects.exists()
    assert not AuditEntry.objects.exists()


def test_money_on_another_banks_loan_is_refused_and_nothing_saved(api_client, lender_user, their_loan):
    client = api_client(lender_user)
    drawn = client.post(
        "/api/v1/disbursements/",
        {"loan": their_loan.pk, "date": "2025-03-01", "amount": "10.00"},
        format="json",
    )
    assert drawn.status_code == 400 and list(drawn.json()) == ["loan"]
    DisbursementFactory(loan=their_loan, amount=D("100.00"))
    repaid = client.post(
        "/api/v1/repayments/",
        {"loan": their_loan.pk, "date": "2025-06-01", "principal": "1.00"},
        format="json",
    )
    assert repaid.status_code == 400 and list(repaid.json()) == ["loan"]
    assert Disbursement.objects.count() == 1 and not Repayment.objects.exists()
    assert not AuditEntry.objects.exists()


def test_another_banks_loan_and_its_entries_are_404(api_client, lender_user, their_loan):
    disbursement = DisbursementFactory(loan=their_loan)
    repayment = RepaymentFactory(loan=their_loan)
    client = api_client(lender_user)
    for url in (
        f"/api/v1/loans/{their_loan.pk}/",
        f"/api/v1/loans/{their_loan.pk}/schedule/",
        f"/api/v1/disbursements/{disbursement.pk}/",
        f"/api/v1/repayments/{repayment.pk}/",
        f"/api/v1/projects/{their_loan.project_id}/",
    ):
        assert client.get(url).json() == NOT_FOUND, url
    assert client.get("/api/v1/disbursements/", {"loan": their_loan.pk}).json()["results"] == []


def test_a_bank_changes_no_loan_and_reads_no_funding_line(api_client, lender_user, own_loan, bank):
    client = api_client(lender_user)
    assert (
        client.patch(f"/api/v1/loans/{own_loan.pk}/", {"contract_no": "改"}, format="json").status_code == 403
    )
    body = {
        "project": own_loan.project_id,
        "lender": bank.pk,
        "borrower": own_loan.borrower_id,
        "principal": "5",
    }
    assert client.post("/api/v1/loans/", body, format="json").status_code == 403
    project = client.patch(f"/api/v1/projects/{own_loan.project_id}/", {"name": "改"}, format="json")
    assert project.status_code == 403
    assert Loan.objects.count() == 1 and not AuditEntry.objects.exists()
    for endpoint in ("funding-lines", "milestones", "investment-plans", "progress-reports", "problems"):
        response = client.get(f"/api/v1/{endpoint}/")
        assert response.status_code == 403 and response.json() == {"detail": "贷款银行账户无权访问此接口。"}


def test_a_bank_reads_its_projects_without_contacts_or_remarks(api_client, lender_user, city_user, own_loan):
    project = own_loan.project
    project.contact_name, project.contact_phone, project.remarks = "李工", "13800000000", "内部备注"
    project.save()
    url = f"/api/v1/projects/{project.pk}/"
    seen = api_client(lender_user).get(url)
    assert seen.status_code == 200 and seen.json()["code"] == project.code
    assert not {"contact_name", "contact_phone", "remarks"} & set(seen.json())
    for text in ("李工", "13800000000", "内部备注"):
        assert text.encode() not in seen.content
        assert text.encode() not in api_client(lender_user).get("/api/v1/projects/").content
    assert api_client(city_user).get(url).json()["contact_name"] == "李工"


# -- the schedule ------------------------------------------------------------------------------------


@pytest.fixture
def drawn_loan(bank):
    """1,200,000 元 at 3.6% over 20 years, repaid in equal principal each quarter from 2025-01-01: 1,000,000
    drawn at signing and 200,000 on 2025-02-15; the first quarter paid in full on its due date.

    By hand, installment 1 (2025-01-01 → 2025-04-01, 90 days, period rate 0.9%): interest 1,000,000 × 0.9%
    = 9,000 plus 200,000 × 0.9% × 45/90 = 900, so 9,900.00; principal 1,200,000 / 80 = 15,000.00;
    closing 1,185,000.00. Installment 2 (due 2025-07-01): interest 1,185,000 × 0.9% = 10,665.00, unpaid:
    overdue. The last ones fall due in 2044: not overdue."""
    loan = LoanFactory(
        lender=bank,
        principal=D("1200000.00"),
        signed_on=datetime.date(2025, 1, 1),
        term_months=240,
        annual_rate=D("3.6000"),
        repayment_method="equal_principal",
        payment_interval_months=3,
    )
    DisbursementFactory(loan=loan, date=datetime.date(2025, 1, 1), amount=D("1000000.00"))
    DisbursementFactory(loan=loan, date=datetime.date(2025, 2, 15), amount=D("200000.00"))
    RepaymentFactory(
        loan=loan, date=datetime.date(2025, 4, 1), principal=D("15000.00"), interest=D("9900.00")
    )
    return loan


def test_the_schedule_is_the_loan_pages(api_client, lender_user, drawn_loan):
    response = api_client(lender_user).get(f"/api/v1/loans/{drawn_loan.pk}/schedule/")
    assert response.status_code == 200
    installments = response.json()["installments"]
    position = selectors.loan_position(loan=drawn_loan)
    expected = position["schedule"].installments
    assert len(installments) == len(expected) == 80
    money = ("opening_balance", "drawn", "principal", "interest", "closing_balance", "paid_principal")
    for got, want in zip(installments, expected, strict=True):
        assert got["number"] == want.number and got["due"] == want.due.isoformat()
        assert all(got[name] == f"{getattr(want, name):.2f}" for name in (*money, "paid_interest"))
        assert (got["grace"], got["overdue"]) == (want.grace, want.overdue)
    assert installments[0] == {
        "number": 1,
        "due": "2025-04-01",
        "opening_balance": "1000000.00",
        "drawn": "200000.00",
        "principal": "15000.00",
        "interest": "9900.00",
        "closing_balance": "1185000.00",
        "grace": False,
        "paid_principal": "15000.00",
        "paid_interest": "9900.00",
        "overdue": False,
    }
    second = installments[1]
    assert (second["due"], second["interest"], second["paid_principal"], second["overdue"]) == (
        "2025-07-01",
        "10665.00",
        "0.00",
        True,
    )
    assert installments[-1]["due"] == "2045-01-01" and installments[-1]["overdue"] is False
    assert {i.number for i in position["past_due"]} == {i["number"] for i in installments if i["overdue"]}


def test_a_settled_loan_has_nothing_overdue(api_client, city_user, drawn_loan):
    Loan.objects.filter(pk=drawn_loan.pk).update(status="settled")
    installments = (
        api_client(city_user).get(f"/api/v1/loans/{drawn_loan.pk}/schedule/").json()["installments"]
    )
    assert len(installments) == 80 and not any(i["overdue"] for i in installments)


def test_a_loan_without_its_terms_has_no_installments(api_client, city_user):
    loan = LoanFactory(signed_on=None, term_months=None)
    response = api_client(city_user).get(f"/api/v1/loans/{loan.pk}/schedule/")
    assert response.status_code == 200 and response.json() == {"installments": []}


@pytest.mark.parametrize(
    ("who", "status"),
    [("city_user", 200), ("finance_user", 200), ("huangpu_user", 200), ("yuexiu_user", 404)],
)
def test_every_role_that_sees_the_loan_reads_its_schedule(request, api_client, drawn_loan, who, status):
    response = api_client(request.getfixturevalue(who)).get(f"/api/v1/loans/{drawn_loan.pk}/schedule/")
    assert response.status_code == status  # the loan is a 黄埔 project's


def test_the_schedule_is_documented(city_client):
    schema = city_client.get("/api/schema/", HTTP_ACCEPT="application/json").json()
    operation = schema["paths"]["/api/v1/loans/{id}/schedule/"]["get"]
    ref = operation["responses"]["200"]["content"]["application/json"]["schema"]["$ref"]
    component = schema["components"]["schemas"][ref.rsplit("/", 1)[1]]
    item = component["properties"]["installments"]["items"]["$ref"].rsplit("/", 1)[1]
    assert set(schema["components"]["schemas"][item]["properties"]) == {
        "number",
        "due",
        "opening_balance",
        "drawn",
        "principal",
        "interest",
        "closing_balance",
        "grace",
        "paid_principal",
        "paid_interest",
        "overdue",
    }


# -- nothing of another bank, anywhere --------------------------------------------------------------


@pytest.fixture
def two_banks(bank, other_bank):
    """The lender's bank with a loan (and its entries) and an intention; the other bank with loans on a
    project only it finances and on the lender's project, their entries, a funding line, intentions on a
    demand both answered and on one only it answered, a signed one tied to its loan."""
    shared = ProjectFactory(
        code="SHARED-01", name="两行共贷项目", review_status="accepted", remarks="内部备注甲"
    )
    own_loan = LoanFactory(project=shared, lender=bank, contract_no="HT-A-0001", principal=D("1000"))
    DisbursementFactory(loan=own_loan, amount=D("100"))
    RepaymentFactory(loan=own_loan, principal=D("10"))
    theirs_only = ProjectFactory(
        code="SECRET-01",
        name="乙行独贷项目",
        district=district("440104"),
        review_status="accepted",
        implementing_org=OrganizationFactory(name="乙行项目实施公司"),
    )
    their_loans = [
        LoanFactory(
            project=theirs_only,
            lender=other_bank,
            borrower=OrganizationFactory(name="乙行借款公司"),
            contract_no="HT-B-SECRET",
            principal=D("5000"),
        ),
        LoanFactory(
            project=shared,
            lender=other_bank,
            borrower=OrganizationFactory(name="乙行共贷借款公司"),
            contract_no="HT-B-SHARED",
            principal=D("3000"),
        ),
    ]
    their_entries = []
    for loan in their_loans:
        their_entries += [DisbursementFactory(loan=loan, amount=D("100")), RepaymentFactory(loan=loan)]
    FundingLineFactory(project=shared, document_no="穗财-乙-001", approved_amount=D("50"), status="approved")
    MilestoneFactory(project=shared, name="乙行节点")
    published = DemandFactory(project=ProjectFactory(review_status="accepted", name="公开融资项目"))
    own_intention = IntentionFactory(demand=published, lender=bank)
    their_intentions = [
        IntentionFactory(demand=published, lender=other_bank, note="乙行意见一", approval_no=""),
        IntentionFactory(
            demand=DemandFactory(project=theirs_only, status="closed"),
            lender=other_bank,
            status="signed",
            approval_no="SX-B-777",
            loan=their_loans[0],
            note="乙行意见二",
        ),
    ]
    return {
        "own": {"loan": own_loan, "intention": own_intention, "project": shared, "demand": published},
        "theirs": {
            "loans": their_loans,
            "entries": their_entries,
            "intentions": their_intentions,
            "project": theirs_only,
            "demand": their_intentions[1].demand,
            "bank": other_bank,
        },
        # Text of the other bank's records that must reach the lender by no route.
        "secrets": [
            other_bank.name,
            "HT-B-SECRET",
            "HT-B-SHARED",
            "乙行独贷项目",
            "SECRET-01",
            "乙行借款公司",
            "乙行共贷借款公司",
            "乙行项目实施公司",
            "乙行意见一",
            "乙行意见二",
            "SX-B-777",
            "穗财-乙-001",
            "乙行节点",
            "内部备注甲",
        ],
    }


def forbidden_ids(world) -> dict[str, set[int]]:
    """Per endpoint, the ids of the other bank's records (and what only they lead to)."""
    theirs = world["theirs"]
    return {
        "loans": {loan.pk for loan in theirs["loans"]},
        "disbursements": {e.pk for e in theirs["entries"] if isinstance(e, Disbursement)},
        "repayments": {e.pk for e in theirs["entries"] if isinstance(e, Repayment)},
        "credit-intentions": {i.pk for i in theirs["intentions"]},
        "financing-demands": {theirs["demand"].pk},
        "projects": {theirs["project"].pk},
        "organizations": {theirs["bank"].pk, theirs["project"].implementing_org_id}
        | {loan.borrower_id for loan in theirs["loans"]},
    }


# Fields of a row that name another record, and the endpoint whose records they name.
REFERENCES = {
    "loan": "loans",
    "project": "projects",
    "demand": "financing-demands",
    "lender": "organizations",
    "borrower": "organizations",
    "implementing_org": "organizations",
}


def test_a_bank_finds_nothing_of_another_bank_on_any_list(api_client, lender_user, two_banks):
    client = api_client(lender_user)
    forbidden = forbidden_ids(two_banks)
    allowed, refused = set(), set()
    for prefix, viewset, _basename in router.registry:
        response = client.get(f"/api/v1/{prefix}/", {"page_size": 200})
        if not getattr(viewset, "lender_allowed", False):
            assert response.status_code == 403, prefix
            refused.add(prefix)
            continue
        assert response.status_code == 200, (prefix, response.content[:300])
        allowed.add(prefix)
        data = response.json()
        rows = data["results"] if isinstance(data, dict) else data
        assert not (isinstance(data, dict) and data["next"]), prefix  # every row was read
        text = response.content.decode()
        assert [secret for secret in two_banks["secrets"] if secret in text] == [], prefix
        assert not {row.get("id") for row in rows} & forbidden.get(prefix, set()), prefix
        for row in rows:
            for field, endpoint in REFERENCES.items():
                assert row.get(field) not in forbidden[endpoint], (prefix, field, row)
            assert "intention_count" not in row
            if prefix == "projects":
                assert not {"contact_name", "contact_phone", "remarks"} & set(row)
    assert allowed == {
        "districts",
        "units",
        "organizations",
        "projects",
        "loans",
        "disbursements",
        "repayments",
        "financing-demands",
        "credit-intentions",
    }
    assert refused == {
        "milestones",
        "investment-plans",
        "progress-reports",
        "problems",
        "funding-lines",
        "procedures",
        "documents",
        "batches",
        "batch-entries",
    }
    # Not vacuous: the lender's own records are there.
    own = two_banks["own"]
    assert {row["id"] for row in client.get("/api/v1/loans/").json()["results"]} == {own["loan"].pk}
    assert {row["id"] for row in client.get("/api/v1/credit-intentions/").json()["results"]} == {
        own["intention"].pk
    }
    projects = {row["id"] for row in client.get("/api/v1/projects/").json()["results"]}
    assert projects == {own["project"].pk, own["demand"].project_id}


def test_a_bank_reads_nothing_of_another_bank_by_id(api_client, lender_user, two_banks):
    client = api_client(lender_user)
    for endpoint, pks in forbidden_ids(two_banks).items():
        for pk in pks:
            assert client.get(f"/api/v1/{endpoint}/{pk}/").json() == NOT_FOUND, (endpoint, pk)


def test_the_dispatch_and_imports_stay_closed_to_a_bank(api_client, lender_user):
    client = api_client(lender_user)
    for url in (
        "/api/v1/dispatch/",
        "/api/v1/exports/dispatch.xlsx",
        "/api/v1/reports/dispatch.pdf",
        "/api/v1/imports/projects/template.xlsx",
        "/api/v1/imports/progress-reports/template.xlsx",
    ):
        assert client.get(url).status_code == 403, url


def cell_texts(workbook) -> str:
    return "\n".join(
        str(cell.value)
        for sheet in workbook.worksheets
        for row in sheet.iter_rows()
        for cell in row
        if cell.value
    )


def test_a_banks_exports_hold_its_own_records_only(lender_user, two_banks, bank, xlsx):
    own = two_banks["own"]
    financing = xlsx.export(lender_user, "financing")
    text = cell_texts(financing)
    assert [secret for secret in two_banks["secrets"] if secret in text] == []
    loans, totals = xlsx.records(financing["贷款"])
    assert [row["合同编号"] for row in loans] == ["HT-A-0001"] and {row["贷款银行"] for row in loans} == {
        bank.name
    }
    assert totals["贷款金额（万元）"] == pytest.approx(0.1)
    assert "资金来源" not in financing.sheetnames  # funding lines are none of a bank's: no sheet of them
    assert len(xlsx.table(financing["提款"])[1]) == len(xlsx.table(financing["还款"])[1]) == 1
    projects = xlsx.export(lender_user, "projects")
    text = cell_texts(projects)
    assert [secret for secret in two_banks["secrets"] if secret in text] == []
    rows, totals = xlsx.records(projects["项目"])
    assert sorted(row["项目编号"] for row in rows) == sorted(
        [own["project"].code, own["demand"].project.code]
    )
    shared = next(row for row in rows if row["项目编号"] == own["project"].code)
    # Its own bank's loan only: 1,000 元 lent, 100 drawn, 90 outstanding.
    assert (
        shared["贷款金额（万元）"],
        shared["已提款（万元）"],
        shared["未偿还本金（万元）"],
    ) == pytest.approx((0.1, 0.01, 0.009))
    header = xlsx.table(projects["项目"])[0]
    assert not [h for h in header if h and ("批复·" in h or "节点" in h or "联系" in h or "备注" in h)]


def test_other_roles_exports_are_as_they_were(city_user, two_banks, xlsx):
    """City staff still get every bank's loans, the funding lines and the milestone and source columns."""
    financing = xlsx.export(city_user, "financing")
    assert len(xlsx.table(financing["贷款"])[1]) == 3 and len(xlsx.table(financing["资金来源"])[1]) == 1
    header = xlsx.table(xlsx.export(city_user, "projects")["项目"])[0]
    assert "下一节点" in header and any(h and h.startswith("批复·") for h in header)
    rows, _totals = xlsx.records(xlsx.export(city_user, "projects")["项目"])
    shared = next(row for row in rows if row["项目编号"] == two_banks["own"]["project"].code)
    assert shared["贷款金额（万元）"] == pytest.approx(0.4)  # both banks' loans


def test_a_banks_export_queries_do_not_grow_with_its_loans(api_client, lender_user, bank):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    client = api_client(lender_user)
    counts = []
    for total in (1, 6):
        while Loan.objects.filter(lender=bank).count() < total:
            loan = LoanFactory(lender=bank, signed_on=datetime.date(2025, 1, 1), term_months=12)
            RepaymentFactory(loan=DisbursementFactory(loan=loan).loan)
        for name in ("projects", "financing"):
            client.get(f"/api/v1/exports/{name}.xlsx")  # warm-up
            with CaptureQueriesContext(connection) as captured:
                response = client.get(f"/api/v1/exports/{name}.xlsx")
                b"".join(response.streaming_content)
            counts.append((name, len(captured)))
    assert counts[:2] == counts[2:], counts


def test_the_source_type_filter_tells_a_bank_nothing_of_funding_lines(
    api_client, lender_user, bank, other_bank
):
    """A bank sees no funding lines: filtering its projects by a source type must not reveal, say, the
    interest subsidy tied to another bank's loan on a project both finance."""
    from tests.factories import FundingLineFactory

    own = LoanFactory(lender=bank)
    others = LoanFactory(project=own.project, lender=other_bank)
    FundingLineFactory(
        project=own.project, source_type="interest_subsidy", loan=others, subsidy_rate=Decimal("1.0")
    )
    client = api_client(lender_user)
    everything = client.get("/api/v1/projects/").json()["count"]
    assert everything == 1
    assert client.get("/api/v1/projects/", {"source_type": "interest_subsidy"}).json()["count"] == 0
    assert client.get("/api/v1/projects/", {"source_type": "special_bond"}).json()["count"] == 0
