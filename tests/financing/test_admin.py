"""The admin of financing's models: every write audited, the loan rules of the services enforced."""

from decimal import Decimal

import pytest
from django.urls import reverse

from financing.models import Disbursement, Organization
from portfolio.models import AuditEntry
from tests.factories import DisbursementFactory, LoanFactory, RepaymentFactory

pytestmark = pytest.mark.django_db


def test_admin_disbursement_beyond_principal_is_refused(city_client):
    loan = LoanFactory(principal=Decimal("100.00"))
    DisbursementFactory(loan=loan, amount=Decimal("90.00"))
    url = reverse("admin:financing_disbursement_add")
    response = city_client.post(url, {"loan": loan.pk, "date": "2025-03-01", "amount": "10.01", "note": ""})
    assert response.status_code == 200
    assert "提款金额 10.01 元超过未提款余额 10.00 元。" in response.content.decode()
    assert Disbursement.objects.count() == 1 and not AuditEntry.objects.exists()
    response = city_client.post(url, {"loan": loan.pk, "date": "2025-03-01", "amount": "10.00", "note": ""})
    assert response.status_code == 302
    assert AuditEntry.objects.get().changes["amount"] == [None, "10.00"]


def test_admin_disbursement_correction_keeps_repaid_covered(city_client, form_data):
    loan = LoanFactory(principal=Decimal("100.00"))
    disbursement = DisbursementFactory(loan=loan, amount=Decimal("50.00"))
    RepaymentFactory(loan=loan, principal=Decimal("30.00"))
    url = reverse("admin:financing_disbursement_change", args=[disbursement.pk])
    data = form_data(city_client, url) | {"amount": "20.00"}
    response = city_client.post(url, data)
    assert response.status_code == 200
    assert "修改后提款合计不能少于已偿还本金 30.00 元。" in response.content.decode()
    disbursement.refresh_from_db()
    assert disbursement.amount == Decimal("50.00")


def test_admin_repayment_beyond_outstanding_is_refused(city_client):
    loan = LoanFactory(principal=Decimal("100.00"))
    DisbursementFactory(loan=loan, amount=Decimal("40.00"))
    response = city_client.post(
        reverse("admin:financing_repayment_add"),
        {"loan": loan.pk, "date": "2025-06-01", "principal": "40.01", "interest": "0", "note": ""},
    )
    assert response.status_code == 200
    assert "偿还本金 40.01 元超过未偿还本金 40.00 元。" in response.content.decode()


def test_admin_loan_principal_below_disbursed_is_refused(city_client, form_data):
    loan = LoanFactory(principal=Decimal("100.00"))
    DisbursementFactory(loan=loan, amount=Decimal("80.00"))
    url = reverse("admin:financing_loan_change", args=[loan.pk])
    data = form_data(city_client, url) | {"principal": "70.00"}
    response = city_client.post(url, data)
    assert response.status_code == 200
    assert "贷款金额不能小于已提款金额 80.00 元。" in response.content.decode()
    loan.refresh_from_db()
    assert loan.principal == Decimal("100.00")


def test_admin_organization_check_character(city_client):
    url = reverse("admin:financing_organization_add")
    data = {"name": "某公司", "kind": "enterprise", "uscc": "91350100M000100Y44", "uscc_confirm_reason": ""}
    response = city_client.post(url, data)
    assert response.status_code == 200 and "校验位应为 3" in response.content.decode()
    assert not Organization.objects.exists()
    response = city_client.post(url, data | {"uscc_confirm_reason": "早期赋码，已核对营业执照"})
    assert response.status_code == 302
    assert Organization.objects.get().uscc_check_failed is True


def test_a_disbursement_cannot_be_moved_to_another_loan(city_client, form_data):
    first, second = LoanFactory(principal=Decimal("100.00")), LoanFactory(principal=Decimal("100.00"))
    disbursement = DisbursementFactory(loan=first, amount=Decimal("50.00"))
    RepaymentFactory(loan=first, principal=Decimal("40.00"))
    url = reverse("admin:financing_disbursement_change", args=[disbursement.pk])
    data = form_data(city_client, url)
    assert "loan" not in data
    assert city_client.post(url, data | {"loan": str(second.pk), "note": "改"}).status_code == 302
    disbursement.refresh_from_db()
    assert disbursement.loan == first and disbursement.note == "改"
