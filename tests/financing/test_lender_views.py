"""A bank's pages in the ledger: its home is 我的贷款 (its own bank's loans, what is drawn, outstanding, next
due and past due), each loan's page with the schedule, and the forms that record its loans' disbursements and
repayments; nothing of another bank reaches it. Real requests, checked in the response and the database."""

import datetime
import re
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from financing.models import Disbursement, Repayment
from financing.selectors import loan_position
from portfolio.models import AuditEntry
from portfolio.money import format_wan
from tests.factories import (
    BankFactory,
    DisbursementFactory,
    LoanFactory,
    ProjectFactory,
    RepaymentFactory,
    district,
)

pytestmark = pytest.mark.django_db
D = Decimal


def html_of(client, url, **params):
    response = client.get(url, params)
    assert response.status_code == 200, response.status_code
    return response.content.decode()


def running_loan(lender, **fields):
    """A loan signed 200 days ago, drawn in part, its first quarter repaid: one quarter past due, the next
    ones to come."""
    signed = timezone.localdate() - datetime.timedelta(days=200)
    loan = LoanFactory(
        lender=lender,
        principal=D("2000000.00"),
        signed_on=signed,
        term_months=24,
        annual_rate=D("3.6000"),
        repayment_method="equal_principal",
        payment_interval_months=3,
        **fields,
    )
    DisbursementFactory(loan=loan, date=signed, amount=D("1600000.00"))
    RepaymentFactory(
        loan=loan, date=signed + datetime.timedelta(days=95), principal=D("200000.00"), interest=D("14400.00")
    )
    return loan


def row_of(html: str, loan) -> str:
    match = re.search(rf'<tr id="loan-{loan.pk}">(.*?)</tr>', html, re.S)
    assert match, f"loan {loan.pk} not listed"
    return match.group(1)


def cell(row: str, name: str) -> str:
    match = re.search(rf'class="[^"]*\b{name}\b[^"]*">([^<]*)<', row)
    assert match, name
    return match.group(1).strip()


@pytest.fixture
def two_banks(bank, other_bank):
    """A loan of each bank, on projects of the same district, the other bank's with tell-tale names."""
    own = running_loan(bank, contract_no="甲行合同-001", project=ProjectFactory(name="甲行项目"))
    other = running_loan(other_bank, contract_no="乙行合同-999", project=ProjectFactory(name="乙行专属项目"))
    return {"own": own, "other": other}


# -- home and the list -----------------------------------------------------------------------------


def test_a_lender_lands_on_its_loans(client_for, lender_user):
    response = client_for(lender_user).get("/")
    assert response.status_code == 302 and response["Location"] == reverse("financing:my_loans")


def test_other_roles_keep_their_home(client_for, city_user, huangpu_user):
    for user in (city_user, huangpu_user):
        assert client_for(user).get("/").status_code == 200


def test_a_lender_sees_only_its_banks_loans(client_for, lender_user, two_banks):
    html = html_of(client_for(lender_user), reverse("financing:my_loans"))
    assert "甲行合同-001" in html and "甲行项目" in html and "测试甲银行广州分行" in html
    assert reverse("financing:loan_detail", args=[two_banks["own"].pk]) in html
    for leak in ("乙行合同-999", "乙行专属项目", "测试乙银行广州分行", f'id="loan-{two_banks["other"].pk}"'):
        assert leak not in html
    assert 'id="filters"' not in html  # a bank has no bank filter: it has one bank


def test_a_lenders_filters_cannot_reach_another_bank(client_for, lender_user, two_banks, other_bank):
    html = html_of(client_for(lender_user), reverse("financing:my_loans"), lender=other_bank.pk)
    assert "乙行合同-999" not in html and "甲行合同-001" not in html


def test_the_list_figures_are_the_loan_page_figures(client_for, lender_user, bank):
    loan = running_loan(bank)
    html = html_of(client_for(lender_user), reverse("financing:my_loans"))
    row = row_of(html, loan)
    position = loan_position(loan=loan)
    today = timezone.localdate()
    following = next(i for i in position["schedule"].installments if i.due >= today and not i.settled)
    past_due = sum((i.unpaid_principal + i.unpaid_interest for i in position["past_due"]), D(0))
    assert position["past_due"] and past_due > 0
    assert cell(row, "disbursed") == format_wan(position["disbursed"]) == "160.00 万元"
    assert cell(row, "outstanding") == format_wan(position["outstanding"]) == "140.00 万元"
    assert cell(row, "next-due-on") == following.due.isoformat()
    assert cell(row, "next-due-amount") == format_wan(following.unpaid_principal + following.unpaid_interest)
    assert cell(row, "past-due") == format_wan(past_due)
    assert cell(row, "principal") == "200.00 万元"
    assert format_wan(past_due) in html.split('id="total-past-due"')[1][:40]


def test_totals_leave_terminated_loans_out(client_for, lender_user, bank):
    LoanFactory(lender=bank, principal=D("1000000.00"))
    LoanFactory(lender=bank, principal=D("3000000.00"), status="terminated")
    html = html_of(client_for(lender_user), reverse("financing:my_loans"))
    assert "100.00 万元" in html.split('id="total-principal"')[1][:40]
    assert "合计（2 笔）" in html


def test_a_loan_without_terms_has_no_due_dates(client_for, lender_user, bank):
    loan = LoanFactory(lender=bank, signed_on=None, term_months=None, annual_rate=None)
    row = row_of(html_of(client_for(lender_user), reverse("financing:my_loans")), loan)
    assert "贷款条件未录入" in row and cell(row, "past-due") == "—"


def test_the_list_runs_the_same_queries_for_two_loans_as_for_eight(client_for, lender_user, bank):
    client = client_for(lender_user)
    counts = []
    for total in (2, 8):
        while bank.loans_lent.count() < total:
            running_loan(bank)
        client.get(reverse("financing:my_loans"))  # the same warm-up for both
        with CaptureQueriesContext(connection) as captured:
            response = client.get(reverse("financing:my_loans"))
        assert response.status_code == 200 and response.content.decode().count('<tr id="loan-') == total
        counts.append(len(captured))
    assert counts[0] == counts[1], counts


def test_the_book_is_read_a_page_at_a_time_and_its_totals_are_every_loans(client_for, lender_user, bank):
    loans = [LoanFactory(lender=bank, principal=D("1000000.00")) for _ in range(22)]
    client = client_for(lender_user)
    first = html_of(client, reverse("financing:my_loans"), per_page=20)
    second = html_of(client, reverse("financing:my_loans"), per_page=20, page=2)
    shown = [[loan.pk for loan in loans if f'id="loan-{loan.pk}"' in html] for html in (first, second)]
    assert len(shown[0]) == 20 and len(shown[1]) == 2 and not set(shown[0]) & set(shown[1])
    for html in (first, second):
        assert "合计（22 笔）" in html and "2,200.00 万元" in html.split('id="total-principal"')[1][:40]


def test_city_staff_see_every_bank_with_a_bank_filter(client_for, city_user, finance_user, two_banks, bank):
    for user in (city_user, finance_user):
        client = client_for(user)
        html = html_of(client, reverse("financing:my_loans"))
        assert "甲行合同-001" in html and "乙行合同-999" in html and 'id="id_lender"' in html
        assert "测试乙银行广州分行" in html
        html = html_of(client, reverse("financing:my_loans"), lender=bank.pk)
        assert "甲行合同-001" in html and "乙行合同-999" not in html


def test_a_bad_bank_filter_is_shown_not_a_500(city_client, two_banks):
    response = city_client.get(reverse("financing:my_loans"), {"lender": "abc"})
    assert response.status_code == 200 and "输入整数。" in response.content.decode()


def test_a_district_sees_its_own_districts_loans(client_for, huangpu_user, bank, other_bank):
    own = LoanFactory(
        lender=bank, contract_no="黄埔合同", project=ProjectFactory(district=district("440112"))
    )
    LoanFactory(
        lender=other_bank, contract_no="越秀合同", project=ProjectFactory(district=district("440104"))
    )
    html = html_of(client_for(huangpu_user), reverse("financing:my_loans"))
    assert "黄埔合同" in html and "越秀合同" not in html and f'id="loan-{own.pk}"' in html


# -- a loan's page ---------------------------------------------------------------------------------


def test_a_lenders_loan_page_shows_its_schedule_and_nothing_of_the_project_it_may_not_see(
    client_for, lender_user, bank, other_bank
):
    project = ProjectFactory(
        name="合作项目", remarks="内部备注勿外传", contact_name="联系人张三", contact_phone="13800000000"
    )
    loan = running_loan(bank, project=project)
    LoanFactory(project=project, lender=other_bank, contract_no="乙行同项目合同")
    html = html_of(client_for(lender_user), reverse("financing:loan_detail", args=[loan.pk]))
    assert 'id="schedule"' in html and 'id="past-due"' in html and "160.00 万元" in html
    assert 'id="add-disbursement"' in html and 'id="add-repayment"' in html
    assert reverse("financing:loan_edit", args=[loan.pk]) not in html
    for leak in ("内部备注勿外传", "联系人张三", "13800000000", "乙行同项目合同", "测试乙银行广州分行"):
        assert leak not in html
    # A bank reads the project's summary, never the library's record of it.
    link = re.search(r'<a href="([^"]*)" id="project-link">', html).group(1)
    assert link == reverse("financing:project_summary", args=[project.pk])


def test_city_staff_still_edit_and_record(city_client, two_banks):
    loan = two_banks["own"]
    html = html_of(city_client, reverse("financing:loan_detail", args=[loan.pk]))
    assert reverse("financing:loan_edit", args=[loan.pk]) in html and 'id="add-disbursement"' in html
    assert f'href="{loan.project.get_absolute_url()}" id="project-link"' in html


def test_finance_reads_a_loan_but_records_nothing(client_for, finance_user, two_banks):
    loan = two_banks["own"]
    client = client_for(finance_user)
    html = html_of(client, reverse("financing:loan_detail", args=[loan.pk]))
    assert 'id="add-disbursement"' not in html
    assert client.get(reverse("financing:disbursement_create", args=[loan.pk])).status_code == 403


# -- recording its loans' money --------------------------------------------------------------------


def test_a_lender_records_a_disbursement_and_a_repayment_on_its_loan(client_for, lender_user, bank):
    loan = LoanFactory(lender=bank, principal=D("1000.00"))
    client = client_for(lender_user)
    page = html_of(client, reverse("financing:disbursement_create", args=[loan.pk]))
    assert reverse("financing:project_summary", args=[loan.project_id]) in page
    response = client.post(
        reverse("financing:disbursement_create", args=[loan.pk]),
        {"date": "2025-03-01", "amount": "400.00", "note": "首笔提款"},
    )
    assert response.status_code == 302 and response["Location"] == loan.get_absolute_url()
    disbursement = Disbursement.objects.get(loan=loan)
    assert disbursement.amount == D("400.00") and disbursement.note == "首笔提款"
    entry = AuditEntry.objects.get(action="disbursement_record")
    assert entry.actor == lender_user and entry.project_id == loan.project_id
    response = client.post(
        reverse("financing:repayment_create", args=[loan.pk]),
        {"date": "2025-09-01", "principal": "100.00", "interest": "6.00"},
    )
    assert response.status_code == 302
    assert Repayment.objects.get(loan=loan).principal == D("100.00")
    assert AuditEntry.objects.get(action="repayment_record").actor == lender_user


def test_a_lenders_disbursement_over_the_undisbursed_amount_is_refused(client_for, lender_user, bank):
    loan = LoanFactory(lender=bank, principal=D("100.00"))
    DisbursementFactory(loan=loan, amount=D("10.00"))
    response = client_for(lender_user).post(
        reverse("financing:disbursement_create", args=[loan.pk]), {"date": "2025-03-01", "amount": "90.01"}
    )
    assert response.status_code == 200
    assert "提款金额 90.01 元超过未提款余额 90.00 元。" in response.content.decode()
    assert Disbursement.objects.count() == 1 and not AuditEntry.objects.exists()


def test_a_lenders_repayment_over_the_outstanding_principal_is_refused(client_for, lender_user, bank):
    loan = LoanFactory(lender=bank, principal=D("100.00"))
    DisbursementFactory(loan=loan, amount=D("10.00"))
    response = client_for(lender_user).post(
        reverse("financing:repayment_create", args=[loan.pk]),
        {"date": "2025-06-01", "principal": "10.01", "interest": "0"},
    )
    assert (
        response.status_code == 200
        and "偿还本金 10.01 元超过未偿还本金 10.00 元。" in response.content.decode()
    )
    assert not Repayment.objects.exists()


def test_another_banks_loan_is_not_found(client_for, lender_user, two_banks):
    client = client_for(lender_user)
    other = two_banks["other"]
    before = Disbursement.objects.count(), Repayment.objects.count()
    for name in ("loan_detail", "disbursement_create", "repayment_create"):
        url = reverse(f"financing:{name}", args=[other.pk])
        assert client.get(url).status_code == 404, name
    assert (
        client.post(
            reverse("financing:disbursement_create", args=[other.pk]), {"date": "2025-03-01", "amount": "1"}
        ).status_code
        == 404
    )
    assert (
        client.post(
            reverse("financing:repayment_create", args=[other.pk]),
            {"date": "2025-09-01", "principal": "1", "interest": "0"},
        ).status_code
        == 404
    )
    assert (Disbursement.objects.count(), Repayment.objects.count()) == before


def test_a_lender_changes_no_loan_terms_nor_funding(client_for, lender_user, two_banks):
    client = client_for(lender_user)
    own = two_banks["own"]
    for url in (
        reverse("financing:loan_edit", args=[own.pk]),
        reverse("financing:loan_create", args=[own.project_id]),
        reverse("financing:funding_line_create", args=[own.project_id]),
    ):
        assert client.get(url).status_code == 403, url
        assert client.post(url, {"principal": "1"}).status_code == 403, url


def test_a_lender_without_a_bank_sees_no_loans(client_for, two_banks):
    from tests.factories import UserFactory

    user = UserFactory(username="bank_none", role="lender")
    html = html_of(client_for(user), reverse("financing:my_loans"))
    assert "没有贷款。" in html and "甲行合同-001" not in html


def test_a_lender_reads_its_notifications(client_for, lender_user):
    client = client_for(lender_user)
    assert client.get(reverse("notifications:list")).status_code == 200
    assert client.post(reverse("notifications:read")).status_code == 302


def test_a_bank_of_its_own_is_not_another_banks(client_for, lender_user, bank):
    """Two banks of the same name stem stay apart: the scope is the bank's id, not its name."""
    twin = BankFactory(name="测试甲银行广州分行营业部")
    LoanFactory(lender=twin, contract_no="营业部合同")
    html = html_of(client_for(lender_user), reverse("financing:my_loans"))
    assert "营业部合同" not in html


def test_a_bank_is_told_of_a_published_demand_by_the_bell(client_for, lender_user, city_user):
    from financing import services
    from tests.factories import DemandFactory

    demand = DemandFactory(status="draft", published_on=None)
    services.demand_publish(acting_user=city_user, demand=demand)
    html = html_of(client_for(lender_user), reverse("financing:my_loans"))
    assert 'id="notification-bell"' in html and 'id="notification-count"' in html
    listing = html_of(client_for(lender_user), reverse("notifications:list"))
    assert demand.project.name in listing and demand.get_absolute_url() in listing
