"""The financing API (organisations, funding lines, loans, disbursements, repayments): real requests,
checked in the response and the database."""

import datetime
from decimal import Decimal

import pytest
from django.core.management import call_command

from financing.models import Disbursement, Loan
from tests.factories import (
    BankFactory,
    DisbursementFactory,
    FundingLineFactory,
    LoanFactory,
    OrganizationFactory,
    RepaymentFactory,
)

pytestmark = pytest.mark.django_db
D = Decimal

# -- lists -------------------------------------------------------------------------------------------

LISTS = {
    "organizations": OrganizationFactory,
    "funding-lines": FundingLineFactory,
    "loans": LoanFactory,
    "disbursements": DisbursementFactory,
    "repayments": RepaymentFactory,
}


@pytest.mark.parametrize("endpoint", list(LISTS))
def test_every_list_runs_the_same_queries_for_1_and_50_items(assert_flat_list_queries, endpoint):
    assert_flat_list_queries(endpoint, LISTS[endpoint])


@pytest.mark.parametrize(
    ("endpoint", "params", "field"),
    [
        ("funding-lines", {"source_type": "lottery"}, "source_type"),
        ("loans", {"status": "lost"}, "status"),
        ("disbursements", {"before": "yesterday"}, "before"),
        ("organizations", {"kind": "club"}, "kind"),
    ],
)
def test_an_invalid_filter_value_answers_400(city_api, endpoint, params, field):
    response = city_api.get(f"/api/v1/{endpoint}/", params)
    assert response.status_code == 400 and field in response.json()


def test_seed_loans_come_out_right(city_api):
    call_command("seed")
    loans = city_api.get("/api/v1/loans/").json()["results"]
    assert sorted(loan["principal"] for loan in loans) == ["300000000.00", "437000000.00"]
    assert all(
        loan["disbursed_total"] == "0.00" and loan["outstanding_principal"] == "0.00" for loan in loans
    )
    projects = city_api.get("/api/v1/projects/", {"q": "迳下"}).json()["results"]
    assert projects[0]["district"] == "440112" and projects[0]["total_investment"] == "300000000.00"
    assert projects[0]["funding_gap"] == "0.00" and projects[0]["stage"] == "implementation"


# -- the ledger --------------------------------------------------------------------------------------


def test_ledger_rules_answer_400_and_save_nothing(city_api):
    loan = LoanFactory(principal=D("100.00"))
    DisbursementFactory(loan=loan, amount=D("90.00"))
    response = city_api.post(
        "/api/v1/disbursements/", {"loan": loan.pk, "date": "2025-03-01", "amount": "10.01"}, format="json"
    )
    assert response.status_code == 400
    assert response.json() == {"amount": ["提款金额 10.01 元超过未提款余额 10.00 元。"]}
    response = city_api.post(
        "/api/v1/repayments/", {"loan": loan.pk, "date": "2025-06-01", "principal": "90.01"}, format="json"
    )
    assert response.json() == {"principal": ["偿还本金 90.01 元超过未偿还本金 90.00 元。"]}
    response = city_api.post(
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


def test_loan_balances_in_the_api(city_api):
    loan = LoanFactory(principal=D("100.00"), signed_on=datetime.date(2025, 1, 10))
    DisbursementFactory(loan=loan, amount=D("60.00"))
    RepaymentFactory(loan=loan, principal=D("15.00"))
    data = city_api.get(f"/api/v1/loans/{loan.pk}/").json()
    assert (data["principal"], data["disbursed_total"], data["outstanding_principal"]) == (
        "100.00",
        "60.00",
        "45.00",
    )


def test_a_terminated_loan_counts_in_no_total_but_keeps_its_own_figures(city_api, terminated_loan):
    # The project's figures: the terminated loan covers nothing.
    record = city_api.get(f"/api/v1/projects/{terminated_loan['project'].pk}/").json()
    assert record["funding_gap"] == "600.00"
    # The loan's own record keeps its own figures.
    own = city_api.get(f"/api/v1/loans/{terminated_loan['ended'].pk}/").json()
    assert own["disbursed_total"] == "200.00" and own["outstanding_principal"] == "200.00"
