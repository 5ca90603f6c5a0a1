"""Financing services: the loan invariants (also under concurrency), bad input, and one audit entry each."""

import datetime
import threading
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection

from financing import services
from financing.choices import LoanStatus
from financing.models import Disbursement, FundingLine, Loan, Organization, Repayment
from portfolio.models import AuditEntry
from tests.factories import BankFactory, DisbursementFactory, LoanFactory, OrganizationFactory, ProjectFactory

D = Decimal
ON = datetime.date(2025, 3, 1)


@pytest.mark.django_db
class TestOrganizations:
    def test_create_writes_one_audit_entry(self, city_user, only_audit_entry):
        org = services.organization_create(
            acting_user=city_user, name="国家开发银行广东省分行", kind="bank", uscc="91350100M000100Y43"
        )
        entry = only_audit_entry()
        assert entry.action == "organization_create" and entry.object_id == str(org.pk)
        assert entry.changes["name"] == [None, "国家开发银行广东省分行"]
        assert entry.changes["uscc"] == [None, "91350100M000100Y43"]

    def test_failed_check_character_needs_confirmation(self, city_user, only_audit_entry):
        with pytest.raises(ValidationError) as error:
            services.organization_create(
                acting_user=city_user, name="某公司", kind="enterprise", uscc="91350100M000100Y44"
            )
        assert "uscc_confirm_reason" in error.value.message_dict
        assert not Organization.objects.exists()
        org = services.organization_create(
            acting_user=city_user,
            name="某公司",
            kind="enterprise",
            uscc="91350100M000100Y44",
            uscc_confirm_reason="营业执照原件核对无误",
        )
        assert org.uscc_check_failed
        assert only_audit_entry().changes["uscc_confirm_reason"] == [None, "营业执照原件核对无误"]

    def test_bad_shape_is_refused(self, city_user):
        with pytest.raises(ValidationError) as error:
            services.organization_create(acting_user=city_user, name="某公司", kind="enterprise", uscc="123")
        assert "统一社会信用代码应为 18 位" in error.value.message_dict["uscc"][0]

    def test_only_city_staff(self, finance_user, huangpu_user):
        for user in (finance_user, huangpu_user):
            with pytest.raises(PermissionDenied):
                services.organization_create(acting_user=user, name="某公司", kind="enterprise")


@pytest.mark.django_db
class TestFundingLines:
    def test_create_and_update(self, city_user, only_audit_entry):
        project = ProjectFactory()
        line = services.funding_line_record(
            acting_user=city_user,
            project=project,
            source_type="special_bond",
            year=2025,
            planned_amount=D("50000000.00"),
            programme="2025年第一批专项债券",
        )
        assert only_audit_entry(action="funding_line_create").changes["planned_amount"] == [
            None,
            "50000000.00",
        ]
        services.funding_line_record(
            acting_user=city_user, funding_line=line, status="approved", approved_amount=D("40000000.00")
        )
        entry = only_audit_entry(action="funding_line_update")
        assert entry.changes == {
            "status": ["planned", "approved"],
            "approved_amount": ["0.00", "40000000.00"],
        }
        assert entry.project == project

    def test_negative_amount_saves_nothing(self, city_user):
        with pytest.raises(ValidationError) as error:
            services.funding_line_record(
                acting_user=city_user,
                project=ProjectFactory(),
                source_type="fiscal",
                year=2025,
                planned_amount=D("-1"),
            )
        assert "金额不能为负数。" in error.value.messages
        assert not FundingLine.objects.exists() and not AuditEntry.objects.exists()

    def test_district_user_may_not(self, huangpu_user):
        with pytest.raises(PermissionDenied):
            services.funding_line_record(
                acting_user=huangpu_user, project=ProjectFactory(), source_type="fiscal", year=2025
            )


@pytest.mark.django_db
class TestLoans:
    def test_create(self, city_user, only_audit_entry):
        project = ProjectFactory()
        loan = services.loan_create(
            acting_user=city_user,
            project=project,
            lender=BankFactory(),
            borrower=OrganizationFactory(),
            principal=D("300000000.00"),
            signed_on=ON,
            term_months=240,
            annual_rate=D("2.9500"),
        )
        entry = only_audit_entry()
        assert entry.action == "loan_create" and entry.project == project
        assert entry.changes["principal"] == [None, "300000000.00"]
        assert loan.status == LoanStatus.SIGNED

    def test_lender_must_be_a_bank_and_borrower_not(self, city_user):
        bank, company = BankFactory(), OrganizationFactory()
        with pytest.raises(ValidationError) as error:
            services.loan_create(
                acting_user=city_user,
                project=ProjectFactory(),
                lender=company,
                borrower=bank,
                principal=D("1"),
            )
        assert error.value.message_dict == {
            "lender": ["贷款银行必须是类型为“银行”的机构。"],
            "borrower": ["贷款主体不能是银行。"],
        }
        assert not Loan.objects.exists()

    def test_principal_cannot_drop_below_disbursed(self, city_user, only_audit_entry):
        loan = LoanFactory(principal=D("100.00"))
        DisbursementFactory(loan=loan, amount=D("80.00"))
        with pytest.raises(ValidationError) as error:
            services.loan_update(acting_user=city_user, loan=loan, principal=D("50.00"))
        assert error.value.message_dict == {"principal": ["贷款金额不能小于已提款金额 80.00 元。"]}
        services.loan_update(acting_user=city_user, loan=loan, principal=D("80.00"))
        assert only_audit_entry().changes == {"principal": ["100.00", "80.00"]}


@pytest.mark.django_db
class TestDisbursementsAndRepayments:
    def test_disbursement_writes_one_audit_entry(self, city_user, only_audit_entry):
        loan = LoanFactory(principal=D("100.00"))
        disbursement = services.disbursement_record(
            loan=loan, amount=D("60.00"), on=ON, acting_user=city_user
        )
        entry = only_audit_entry()
        assert entry.action == "disbursement_record" and entry.object_id == str(disbursement.pk)
        assert entry.changes["amount"] == [None, "60.00"] and entry.changes["date"] == [None, "2025-03-01"]
        assert entry.project == loan.project

    @pytest.mark.parametrize(
        ("amount", "on", "field", "message"),
        [
            (D("0"), ON, "amount", "提款金额必须大于零。"),
            (D("-5"), ON, "amount", "提款金额必须大于零。"),
            (D("100.01"), ON, "amount", "提款金额 100.01 元超过未提款余额 100.00 元。"),
            (D("10"), datetime.date(2025, 1, 9), "date", "提款日期不能早于签约日期 2025-01-10。"),
        ],
    )
    def test_bad_disbursements_are_refused(self, city_user, amount, on, field, message):
        loan = LoanFactory(principal=D("100.00"))
        with pytest.raises(ValidationError) as error:
            services.disbursement_record(loan=loan, amount=amount, on=on, acting_user=city_user)
        assert error.value.message_dict[field] == [message]
        assert not Disbursement.objects.exists() and not AuditEntry.objects.exists()

    def test_disbursed_never_exceeds_principal(self, city_user):
        loan = LoanFactory(principal=D("100.00"))
        services.disbursement_record(loan=loan, amount=D("70.00"), on=ON, acting_user=city_user)
        with pytest.raises(ValidationError) as error:
            services.disbursement_record(loan=loan, amount=D("30.01"), on=ON, acting_user=city_user)
        assert error.value.message_dict["amount"] == ["提款金额 30.01 元超过未提款余额 30.00 元。"]
        services.disbursement_record(loan=loan, amount=D("30.00"), on=ON, acting_user=city_user)
        assert loan.disbursed_total() == D("100.00")

    def test_no_disbursement_on_a_settled_loan(self, city_user):
        loan = LoanFactory(status=LoanStatus.SETTLED)
        with pytest.raises(ValidationError) as error:
            services.disbursement_record(loan=loan, amount=D("1"), on=ON, acting_user=city_user)
        assert error.value.message_dict["loan"] == ["贷款状态为“已结清”，不能再提款。"]

    def test_repaid_principal_never_exceeds_disbursed(self, city_user, only_audit_entry):
        loan = LoanFactory(principal=D("100.00"))
        services.disbursement_record(loan=loan, amount=D("40.00"), on=ON, acting_user=city_user)
        repayment = services.repayment_record(
            loan=loan, on=ON, principal=D("25.00"), interest=D("1.20"), acting_user=city_user
        )
        entry = only_audit_entry(action="repayment_record")
        assert entry.changes["principal"] == [None, "25.00"] and entry.changes["interest"] == [None, "1.20"]
        assert entry.object_id == str(repayment.pk)
        with pytest.raises(ValidationError) as error:
            services.repayment_record(
                loan=loan, on=ON, principal=D("15.01"), interest=D("0"), acting_user=city_user
            )
        assert error.value.message_dict["principal"] == ["偿还本金 15.01 元超过未偿还本金 15.00 元。"]
        assert Repayment.objects.count() == 1

    @pytest.mark.parametrize(
        ("principal", "interest", "on", "field", "message"),
        [
            (D("-1"), D("0"), ON, "principal", "偿还本金不能为负数。"),
            (D("0"), D("-1"), ON, "interest", "支付利息不能为负数。"),
            (D("0"), D("0"), ON, "principal", "本金和利息不能同时为零。"),
            (D("1"), D("0"), datetime.date(2024, 12, 31), "date", "还款日期不能早于签约日期 2025-01-10。"),
        ],
    )
    def test_bad_repayments_are_refused(self, city_user, principal, interest, on, field, message):
        loan = LoanFactory(principal=D("100.00"))
        DisbursementFactory(loan=loan, amount=D("50.00"))
        with pytest.raises(ValidationError) as error:
            services.repayment_record(
                loan=loan, on=on, principal=principal, interest=interest, acting_user=city_user
            )
        assert error.value.message_dict[field] == [message]
        assert not Repayment.objects.exists()

    def test_only_city_staff_log_money(self, finance_user, huangpu_user):
        loan = LoanFactory()
        for user in (finance_user, huangpu_user):
            with pytest.raises(PermissionDenied):
                services.disbursement_record(loan=loan, amount=D("1"), on=ON, acting_user=user)
            with pytest.raises(PermissionDenied):
                services.repayment_record(
                    loan=loan, on=ON, principal=D("1"), interest=D("0"), acting_user=user
                )


def _race(count: int, work) -> list:
    """Run `work` in `count` threads released together; each uses and closes its own connection."""
    barrier = threading.Barrier(count)
    outcomes = []
    lock = threading.Lock()

    def run():
        try:
            barrier.wait()
            result = work()
        except ValidationError as error:
            result = error
        finally:
            connection.close()
        with lock:
            outcomes.append(result)

    threads = [threading.Thread(target=run) for _ in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    return outcomes


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
@pytest.mark.skipif(connection.vendor != "postgresql", reason="row locks need PostgreSQL; CI runs this there")
def test_concurrent_disbursements_never_exceed_principal(city_user):
    loan = LoanFactory(principal=D("100.00"))
    outcomes = _race(
        10, lambda: services.disbursement_record(loan=loan, amount=D("30.00"), on=ON, acting_user=city_user)
    )
    succeeded = [o for o in outcomes if isinstance(o, Disbursement)]
    refused = [o for o in outcomes if isinstance(o, ValidationError)]
    assert len(succeeded) == 3 and len(refused) == 7
    assert loan.disbursed_total() == D("90.00")
    assert AuditEntry.objects.filter(action="disbursement_record").count() == 3


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
@pytest.mark.skipif(connection.vendor != "postgresql", reason="row locks need PostgreSQL; CI runs this there")
def test_concurrent_repayments_never_exceed_disbursed(city_user):
    loan = LoanFactory(principal=D("100.00"))
    DisbursementFactory(loan=loan, amount=D("50.00"))
    outcomes = _race(
        10,
        lambda: services.repayment_record(
            loan=loan, on=ON, principal=D("20.00"), interest=D("0"), acting_user=city_user
        ),
    )
    assert sum(isinstance(o, Repayment) for o in outcomes) == 2
    assert sum(isinstance(o, ValidationError) for o in outcomes) == 8
    assert loan.repaid_principal_total() == D("40.00")


@pytest.mark.django_db
def test_uscc_is_normalised_before_it_is_checked(city_user):
    org = services.organization_create(
        acting_user=city_user, name="某银行", kind="bank", uscc=" 91350100m000100y43 "
    )
    assert org.uscc == "91350100M000100Y43" and org.uscc_check_failed is False


@pytest.mark.django_db
def test_no_disbursement_after_maturity(city_user):
    loan = LoanFactory(principal=D("100.00"), signed_on=datetime.date(2025, 1, 10), term_months=12)
    with pytest.raises(ValidationError) as error:
        services.disbursement_record(
            loan=loan, amount=D("1"), on=datetime.date(2026, 1, 11), acting_user=city_user
        )
    assert error.value.message_dict["date"] == ["提款日期不能晚于贷款到期日 2026-01-10。"]
    services.disbursement_record(
        loan=loan, amount=D("1"), on=datetime.date(2026, 1, 10), acting_user=city_user
    )


@pytest.mark.django_db
def test_a_signing_date_far_off_is_refused(city_user):
    with pytest.raises(ValidationError) as error:
        services.loan_create(
            acting_user=city_user,
            project=ProjectFactory(),
            lender=BankFactory(),
            borrower=OrganizationFactory(),
            principal=D("100"),
            signed_on=datetime.date(9999, 6, 1),
            term_months=24,
        )
    assert "签约日期应在 1990 年至 2100 年之间。" in error.value.messages
    assert not Loan.objects.exists()


@pytest.mark.django_db
def test_loan_edits_keep_drawings_within_the_term_and_subsidies_within_the_rate(city_user):
    from financing.models import FundingLine

    loan = LoanFactory(
        principal=D("100.00"), signed_on=datetime.date(2025, 1, 10), term_months=36, annual_rate=D("3.0")
    )
    DisbursementFactory(loan=loan, date=datetime.date(2026, 6, 1), amount=D("10.00"))
    FundingLine.objects.create(
        project=loan.project, source_type="interest_subsidy", year=2025, loan=loan, subsidy_rate=D("1.5")
    )
    with pytest.raises(ValidationError) as error:
        services.loan_update(acting_user=city_user, loan=loan, term_months=12)
    assert error.value.message_dict == {
        "term_months": ["到期日 2026-01-10 不能早于最后一笔提款日期 2026-06-01。"]
    }
    with pytest.raises(ValidationError) as error:
        services.loan_update(acting_user=city_user, loan=loan, annual_rate=D("1.2"))
    assert error.value.message_dict == {"annual_rate": ["年利率不能低于所关联贴息的贴息率 1.5%。"]}
    loan.refresh_from_db()
    assert (loan.term_months, loan.annual_rate) == (36, D("3.0000"))
