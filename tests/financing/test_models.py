from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from financing.models import Organization
from financing.validators import uscc_check_character, uscc_check_passes, validate_uscc_shape
from tests.factories import (
    BankFactory,
    DisbursementFactory,
    FundingLineFactory,
    LoanFactory,
    OrganizationFactory,
    RepaymentFactory,
)

# The worked example of GB 32100-2015 (an independent reference for the algorithm), and two bodies
# completed with the check character the standard's weights imply.
VALID_USCC = ["91350100M000100Y43", "91440101190428327W", "12440000455858165B"]


@pytest.mark.parametrize("value", VALID_USCC)
def test_uscc_check_character_passes(value):
    validate_uscc_shape(value)
    assert uscc_check_passes(value)
    assert uscc_check_character(value) == value[-1]


@pytest.mark.parametrize("value", VALID_USCC)
def test_uscc_check_character_fails_for_any_other_last_character(value):
    from financing.validators import USCC_ALPHABET

    for other in USCC_ALPHABET.replace(value[-1], ""):
        assert not uscc_check_passes(value[:17] + other)


@pytest.mark.parametrize(
    "value",
    [
        "91350100M000100Y4",  # 17 characters
        "91350100M000100Y43X",  # 19
        "91350100M000100Y4I",  # I is not in the alphabet
        "91350100M000100YO3",  # O neither
        "9135010AM000100Y43",  # division code must be digits
        "91350100m000100y43",  # lower case
        "",
    ],
)
def test_uscc_shape_is_strict(value):
    with pytest.raises(ValidationError) as error:
        validate_uscc_shape(value)
    assert "统一社会信用代码应为 18 位" in error.value.messages[0]


@pytest.mark.django_db
def test_failed_check_character_needs_a_confirmation_reason():
    wrong = "91350100M000100Y44"
    organization = OrganizationFactory.build(uscc=wrong)
    with pytest.raises(ValidationError) as error:
        organization.full_clean()
    message = error.value.message_dict["uscc_confirm_reason"][0]
    assert "校验位应为 3" in message and "确认理由" in message

    organization.uscc_confirm_reason = "2015 年前赋码，工商登记核实无误"
    organization.full_clean()
    organization.save()
    organization.refresh_from_db()
    assert organization.uscc_check_failed is True
    assert organization.uscc_confirm_reason == "2015 年前赋码，工商登记核实无误"


@pytest.mark.django_db
def test_database_refuses_unconfirmed_failed_check_and_bad_shape():
    with pytest.raises(IntegrityError), transaction.atomic():
        Organization.objects.create(
            name="甲", kind="enterprise", uscc="91350100M000100Y44", uscc_check_failed=True
        )
    with pytest.raises(IntegrityError), transaction.atomic():
        Organization.objects.create(name="乙", kind="enterprise", uscc="NOT-A-CODE")
    with pytest.raises(IntegrityError), transaction.atomic():
        Organization.objects.create(name="丙", kind="charity")


@pytest.mark.django_db
def test_uscc_unique_when_present():
    OrganizationFactory(uscc=VALID_USCC[0])
    OrganizationFactory(uscc=None)
    OrganizationFactory(uscc=None)
    duplicate = OrganizationFactory.build(uscc=VALID_USCC[0])
    with pytest.raises(ValidationError) as error:
        duplicate.full_clean()
    assert "该统一社会信用代码已登记为其他机构" in " ".join(error.value.messages)


BAD_FUNDING = [
    ({"planned_amount": Decimal("-1")}, "金额不能为负数"),
    ({"approved_amount": Decimal("-0.01")}, "金额不能为负数"),
    ({"received_amount": Decimal("-5")}, "金额不能为负数"),
    ({"year": 1999}, "年度应在 2000 至 2100 年之间"),
    ({"source_type": "lottery"}, "lottery"),
    ({"status": "lost"}, "lost"),
]


@pytest.mark.django_db
@pytest.mark.parametrize(("values", "message"), BAD_FUNDING)
def test_funding_line_rules(values, message):
    line = FundingLineFactory.build(project=FundingLineFactory().project, **values)
    with pytest.raises(ValidationError) as error:
        line.full_clean()
    assert message in " ".join(error.value.messages)
    with pytest.raises(IntegrityError), transaction.atomic():
        line.save()


BAD_LOANS = [
    ({"principal": Decimal("0")}, "贷款金额必须大于零"),
    ({"term_months": 0}, "贷款期限应在 1 至 600 个月之间"),
    ({"annual_rate": Decimal("-0.5")}, "年利率应在 0% 至 100% 之间"),
    ({"term_months": 12, "grace_months": 12}, "宽限期必须短于贷款期限"),
    ({"rate_type": "lpr", "lpr_spread_bp": None}, "LPR 加点的贷款须填写加点基点数"),
    ({"repayment_method": "balloon"}, "balloon"),
    ({"status": "lost"}, "lost"),
]


@pytest.mark.django_db
@pytest.mark.parametrize(("values", "message"), BAD_LOANS)
def test_loan_rules(values, message):
    base = LoanFactory()
    loan = LoanFactory.build(project=base.project, lender=base.lender, borrower=base.borrower, **values)
    with pytest.raises(ValidationError) as error:
        loan.full_clean()
    assert message in " ".join(error.value.messages)
    with pytest.raises(IntegrityError), transaction.atomic():
        loan.save()


@pytest.mark.django_db
def test_loan_lender_must_be_a_bank_and_borrower_not():
    base = LoanFactory()
    loan = LoanFactory.build(project=base.project, lender=base.borrower, borrower=BankFactory())
    with pytest.raises(ValidationError) as error:
        loan.full_clean()
    assert error.value.message_dict == {
        "lender": ["贷款银行必须是类型为“银行”的机构。"],
        "borrower": ["贷款主体不能是银行。"],
    }


@pytest.mark.django_db
def test_disbursement_and_repayment_amount_rules():
    loan = LoanFactory()
    for factory, values, message in [
        (DisbursementFactory, {"amount": Decimal("0")}, "提款金额必须大于零"),
        (DisbursementFactory, {"amount": Decimal("-3")}, "提款金额必须大于零"),
        (RepaymentFactory, {"principal": Decimal("-1")}, "还款金额不能为负数"),
        (RepaymentFactory, {"principal": Decimal("0"), "interest": Decimal("0")}, "本金和利息不能同时为零"),
    ]:
        row = factory.build(loan=loan, **values)
        with pytest.raises(ValidationError) as error:
            row.full_clean()
        assert message in " ".join(error.value.messages)
        with pytest.raises(IntegrityError), transaction.atomic():
            row.save()


@pytest.mark.django_db
def test_lender_and_borrower_differ():
    bank = BankFactory()
    loan = LoanFactory.build(project=LoanFactory().project, lender=bank, borrower=bank)
    # In forms the "borrower is not a bank" rule already says what is wrong; the database guards the rest.
    with pytest.raises(ValidationError) as error:
        loan.full_clean()
    assert error.value.message_dict == {"borrower": ["贷款主体不能是银行。"]}
    with pytest.raises(IntegrityError), transaction.atomic():
        loan.save()
