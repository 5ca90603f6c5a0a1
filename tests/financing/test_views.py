"""Financing pages: loans with their figures and schedules, and the forms that record funding lines, loans,
disbursements and repayments; real requests, checked in the response and the database."""

import datetime
from decimal import Decimal

import pytest
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone

from financing.models import Disbursement, FundingLine, Loan, Repayment
from portfolio.models import AuditEntry
from tests.factories import (
    BankFactory,
    DisbursementFactory,
    LoanFactory,
    OrganizationFactory,
    ProjectFactory,
    RepaymentFactory,
)

pytestmark = pytest.mark.django_db
D = Decimal


def html_of(client, url, **params):
    response = client.get(url, params)
    assert response.status_code == 200
    return response.content.decode()


def test_seed_loans_show_right_on_their_pages(city_client):
    call_command("seed")
    for name, principal, borrower in [
        ("广州知识城-迳下美丽单元建设项目", "3.00 亿元", "知识城（广州）现代农业发展集团有限公司"),
        ("黄埔区岭头片区全域土地综合整治暨“美丽广州”建设项目", "4.37 亿元", "广州市岭头投资有限公司"),
    ]:
        loan = Loan.objects.get(project__name=name)
        html = html_of(city_client, reverse("financing:loan_detail", args=[loan.pk]))
        assert principal in html and "国家开发银行广东省分行" in html and borrower in html
        assert "签约日期、期限或利率尚未录入" in html
        project_html = html_of(city_client, reverse("projects:project_detail", args=[loan.project_id]))
        assert principal in project_html and "国家开发银行广东省分行" in project_html


def test_loan_page_figures_schedule_due_soon_and_past_due(city_client):
    today = timezone.localdate()
    signed = today - datetime.timedelta(days=200)
    loan = LoanFactory(
        principal=D("2000000.00"),
        signed_on=signed,
        term_months=24,
        annual_rate=D("3.6000"),
        repayment_method="equal_principal",
        payment_interval_months=3,
    )
    DisbursementFactory(loan=loan, date=signed, amount=D("1600000.00"))
    RepaymentFactory(
        loan=loan, date=signed + datetime.timedelta(days=95), principal=D("200000.00"), interest=D("14400.00")
    )
    FundingLine.objects.create(
        project=loan.project,
        source_type="interest_subsidy",
        year=signed.year,
        loan=loan,
        subsidy_rate=D("1.2"),
        programme="美丽广州贴息",
    )
    html = html_of(city_client, reverse("financing:loan_detail", args=[loan.pk]))
    assert '"principal">200.00 万元</div><div class="small text-muted">（0.02 亿元）' in html
    assert "160.00 万元" in html.split('id="disbursed"')[1][:40]
    assert "40.00 万元" in html.split('id="undisbursed"')[1][:40]
    assert "140.00 万元" in html.split('id="outstanding"')[1][:40]
    assert "1.44 万元" in html.split('id="interest-paid"')[1][:40]
    # 1,600,000 over 8 quarters: 200,000 each; the first quarter was repaid, the second is past due.
    assert html.count('class="overdue"') >= 1 and 'id="past-due"' in html
    assert "160.00 万元" in html.split('id="schedule-principal"')[1][:40]
    assert "美丽广州贴息" in html and "贴息率 1.2%" in html


def test_staff_record_a_funding_line_a_loan_a_disbursement_and_a_repayment(city_client):
    project = ProjectFactory(total_investment=D("100000000"))
    response = city_client.post(
        reverse("financing:funding_line_create", args=[project.pk]),
        {
            "source_type": "special_bond",
            "year": "2025",
            "planned_amount": "30000000",
            "approved_amount": "0",
            "received_amount": "0",
            "status": "planned",
            "programme": "2025年第一批",
        },
    )
    assert response.status_code == 302 and FundingLine.objects.get().programme == "2025年第一批"
    bank, company = BankFactory(), OrganizationFactory()
    response = city_client.post(
        reverse("financing:loan_create", args=[project.pk]),
        {
            "lender": bank.pk,
            "borrower": company.pk,
            "principal": "50000000",
            "signed_on": "2025-03-01",
            "term_months": "120",
            "rate_type": "lpr",
            "annual_rate": "3.0500",
            "lpr_spread_bp": "-10",
            "grace_months": "24",
            "repayment_method": "equal_installment",
            "payment_interval_months": "6",
            "status": "signed",
        },
    )
    loan = Loan.objects.get()
    assert response.status_code == 302 and response["Location"] == reverse(
        "financing:loan_detail", args=[loan.pk]
    )
    assert (
        city_client.post(
            reverse("financing:disbursement_create", args=[loan.pk]),
            {"date": "2025-04-01", "amount": "20000000"},
        ).status_code
        == 302
    )
    assert (
        city_client.post(
            reverse("financing:repayment_create", args=[loan.pk]),
            {"date": "2025-10-01", "principal": "0", "interest": "305000"},
        ).status_code
        == 302
    )
    html = html_of(city_client, reverse("financing:loan_detail", args=[loan.pk]))
    assert "LPR -10 bp" in html and "按半年" in html and 'id="schedule"' in html
    assert (
        AuditEntry.objects.filter(
            action__in=["funding_line_create", "loan_create", "disbursement_record", "repayment_record"]
        ).count()
        == 4
    )


BAD_DISBURSEMENTS = [
    ({"date": "2025-03-01", "amount": "0"}, "提款金额必须大于零。"),
    ({"date": "2025-03-01", "amount": "-5"}, "提款金额必须大于零。"),
    ({"date": "2025-03-01", "amount": "90.01"}, "提款金额 90.01 元超过未提款余额 90.00 元。"),
    ({"date": "2025-01-09", "amount": "1"}, "提款日期不能早于签约日期 2025-01-10。"),
    ({"date": "2025-03-01", "amount": "abc"}, "输入一个数字。"),
]


@pytest.mark.parametrize(("data", "message"), BAD_DISBURSEMENTS)
def test_bad_disbursements_are_refused_on_the_page(city_client, data, message):
    loan = LoanFactory(principal=D("100.00"))
    DisbursementFactory(loan=loan, amount=D("10.00"))
    response = city_client.post(reverse("financing:disbursement_create", args=[loan.pk]), data)
    assert response.status_code == 200 and message in response.content.decode()
    assert Disbursement.objects.count() == 1


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (
            {"date": "2025-06-01", "principal": "10.01", "interest": "0"},
            "偿还本金 10.01 元超过未偿还本金 10.00 元。",
        ),
        ({"date": "2025-06-01", "principal": "-1", "interest": "0"}, "偿还本金不能为负数。"),
        ({"date": "2025-06-01", "principal": "0", "interest": "0"}, "本金和利息不能同时为零。"),
        ({"date": "2024-06-01", "principal": "1", "interest": "0"}, "还款日期不能早于签约日期 2025-01-10。"),
    ],
)
def test_bad_repayments_are_refused_on_the_page(city_client, data, message):
    loan = LoanFactory(principal=D("100.00"))
    DisbursementFactory(loan=loan, amount=D("10.00"))
    response = city_client.post(reverse("financing:repayment_create", args=[loan.pk]), data)
    assert response.status_code == 200 and message in response.content.decode()
    assert not Repayment.objects.exists()


@pytest.mark.parametrize(
    ("swap", "field_message"),
    [("lender", "贷款银行必须是类型为“银行”的机构。"), ("borrower", "贷款主体不能是银行。")],
)
def test_lender_must_be_a_bank_and_borrower_not_on_the_page(city_client, swap, field_message):
    project = ProjectFactory()
    bank, company = BankFactory(), OrganizationFactory()
    data = {
        "lender": bank.pk,
        "borrower": company.pk,
        "principal": "100",
        "rate_type": "fixed",
        "grace_months": "0",
        "repayment_method": "bullet",
        "payment_interval_months": "3",
        "status": "signed",
    }
    data[swap] = company.pk if swap == "lender" else BankFactory().pk
    response = city_client.post(reverse("financing:loan_create", args=[project.pk]), data)
    assert response.status_code == 200 and field_message in response.content.decode()
    assert not Loan.objects.exists()


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"planned_amount": "-1"}, "金额不能为负数。"),
        ({"approved_amount": "-0.01"}, "金额不能为负数。"),
        ({"year": "1999"}, "年度应在 2000 至 2100 年之间。"),
        ({"source_type": "interest_subsidy", "subsidy_rate": "1"}, "只有财政贴息可以关联贷款"),
    ],
)
def test_bad_funding_lines_are_refused_on_the_page(city_client, data, message):
    project = ProjectFactory()
    base = {
        "source_type": "fiscal",
        "year": "2025",
        "planned_amount": "1",
        "approved_amount": "0",
        "received_amount": "0",
        "status": "planned",
    }
    response = city_client.post(reverse("financing:funding_line_create", args=[project.pk]), base | data)
    assert response.status_code == 200 and message in response.content.decode()
    assert not FundingLine.objects.exists()


def test_a_subsidy_may_not_exceed_the_loan_rate(city_client):
    loan = LoanFactory(annual_rate=D("3.0000"))
    data = {
        "source_type": "interest_subsidy",
        "year": "2025",
        "planned_amount": "1",
        "approved_amount": "0",
        "received_amount": "0",
        "status": "planned",
        "loan": loan.pk,
        "subsidy_rate": "3.5",
    }
    response = city_client.post(reverse("financing:funding_line_create", args=[loan.project_id]), data)
    assert "贴息率不能高于贷款年利率 3%。" in response.content.decode()
    assert not FundingLine.objects.exists()


def test_loan_page_leaves_out_rejected_subsidies_paid_installments_and_ends_of_terminated_loans(city_client):
    today = timezone.localdate()
    signed = today - datetime.timedelta(days=200)
    loan = LoanFactory(
        principal=D("800.00"),
        signed_on=signed,
        term_months=24,
        annual_rate=D("3.6"),
        repayment_method="equal_principal",
    )
    DisbursementFactory(loan=loan, date=signed, amount=D("800.00"))
    # Everything up to and including the next installment is paid in advance.
    RepaymentFactory(loan=loan, date=today, principal=D("300.00"), interest=D("30.00"))
    FundingLine.objects.create(
        project=loan.project,
        source_type="interest_subsidy",
        year=2025,
        loan=loan,
        subsidy_rate=D("1"),
        status="rejected",
        programme="未获批的贴息",
    )
    html = html_of(city_client, reverse("financing:loan_detail", args=[loan.pk]))
    assert "未获批的贴息" not in html
    due_soon = html.split('id="due-soon"')[1].split("</table>")[0]
    assert "没有即将到期的还款。" in due_soon
    past_due = html.split('id="past-due"')[1].split("</table>")[0]
    assert "没有逾期未还的期次。" in past_due
    Repayment.objects.all().delete()
    Loan.objects.filter(pk=loan.pk).update(status="terminated")
    html = html_of(city_client, reverse("financing:loan_detail", args=[loan.pk]))
    assert "没有逾期未还的期次。" in html.split('id="past-due"')[1].split("</table>")[0]
