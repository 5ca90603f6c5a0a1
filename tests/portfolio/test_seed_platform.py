"""The seed's 政银企 demo: financing demands of demo library projects, the three banks' intentions in every
status, the loans the signed ones were registered as; once only, and the two real loans left as they are."""

import pytest
from django.core.management import call_command
from django.db.models import Count

from financing.models import CreditIntention, Disbursement, FinancingDemand, Loan, Repayment
from financing.selectors import loan_position
from financing.services import disbursement_check
from portfolio import access
from portfolio.models import AuditEntry
from portfolio.seed import DEMO_BANKS, LENDER, REAL_PROJECTS, seed_demo
from projects.models import Project
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

REAL_CODES = [spec["code"] for spec in REAL_PROJECTS]


def platform_counts() -> dict:
    return {
        model.__name__: model.objects.count()
        for model in (FinancingDemand, CreditIntention, Loan, Disbursement, Repayment, AuditEntry, Project)
    }


def by_status(queryset) -> dict:
    return dict(queryset.values_list("status").annotate(n=Count("pk")).order_by())


def real_loans() -> list:
    return list(Loan.objects.filter(project__code__in=REAL_CODES).order_by("pk").values())


@pytest.fixture
def seeded():
    call_command("seed")
    real = real_loans()
    call_command("seed", "--demo", "60", "--random-seed", "7")
    return real


def test_demands_published_a_draft_and_a_closed_one_on_demo_library_projects(seeded):
    demands = FinancingDemand.objects.select_related("project")
    assert by_status(demands) == {"published": 4, "draft": 1, "closed": 1}
    for demand in demands:
        assert demand.project.is_demo and demand.project.review_status == "accepted"
        assert "演示" in demand.purpose and demand.contact_name.startswith("【演示】")
        assert (demand.published_on is None) == (demand.status == "draft")
        assert (demand.closed_on is not None) == (demand.status == "closed")
        demand.full_clean()


def test_intentions_in_every_status_from_the_three_banks(seeded):
    intentions = CreditIntention.objects.select_related("demand__project", "lender", "loan")
    assert by_status(intentions) == {"intended": 3, "approved": 3, "signed": 2, "declined": 2, "withdrawn": 3}
    banks = {i.lender.name for i in intentions}
    assert banks == {LENDER, DEMO_BANKS[0], DEMO_BANKS[1]}
    assert all(name.startswith("【演示】") for name in banks - {LENDER})
    for bank in banks:  # each bank has intentions in several statuses; each demo bank a signed loan
        statuses = {i.status for i in intentions if i.lender.name == bank}
        assert len(statuses) >= 3, bank
        # 国家开发银行广东省分行's lending stays the real seed's: its intentions go as far as approved.
        assert ("signed" in statuses) == (bank != LENDER), bank
    assert not intentions.filter(demand__status="draft").exists()
    for intention in intentions:
        intention.full_clean()
        assert intention.lender.kind == "bank" and intention.created_at >= intention.demand.created_at
        assert bool(intention.approval_no) == (intention.status in ("approved", "signed"))
        assert (intention.decided_at is None) == (intention.status == "intended")
        if intention.status == "signed":
            loan = intention.loan
            assert loan.project_id == intention.demand.project_id and loan.lender_id == intention.lender_id
            assert loan.status == "signed" and loan.principal == intention.amount
            assert loan.signed_on > intention.decided_at.date()
        else:
            assert intention.loan is None
    live = intentions.filter(status__in=["intended", "approved", "signed"])
    assert live.values("demand", "lender").distinct().count() == live.count()  # one live per bank and demand


def test_the_signed_loans_are_drawn_and_repaid_within_their_rules(seeded):
    loans = Loan.objects.filter(credit_intention__isnull=False).select_related("lender")
    assert loans.count() == 2
    for loan in loans:
        loan.full_clean()
        position = loan_position(loan=loan)
        assert position["disbursements"] and position["repayments"]
        assert 0 < position["disbursed"] <= loan.principal
        assert 0 <= position["repaid_principal"] <= position["disbursed"]
        assert all(e.date >= loan.signed_on for e in position["disbursements"] + position["repayments"])
        disbursement_check(loan=loan, amount=position["undisbursed"], on=loan.signed_on)  # room is left
        behind = loan.lender.name == DEMO_BANKS[0]
        assert bool(position["past_due"]) == behind, loan.lender.name


def test_every_demo_loan_keeps_the_ledger_invariants(seeded):
    for loan in Loan.objects.all():
        assert loan.repaid_principal_total() <= loan.disbursed_total() <= loan.principal


def test_the_two_real_loans_are_untouched(seeded):
    assert real_loans() == seeded and len(seeded) == 2
    real = Loan.objects.filter(project__code__in=REAL_CODES)
    assert not Disbursement.objects.filter(loan__in=real).exists()
    assert not Repayment.objects.filter(loan__in=real).exists()
    assert not CreditIntention.objects.filter(loan__in=real).exists()
    assert not FinancingDemand.objects.filter(project__code__in=REAL_CODES).exists()


def test_running_again_adds_nothing_to_the_platform(seeded):
    before = platform_counts()
    demands = list(FinancingDemand.objects.values())
    call_command("seed", "--demo", "60", "--demo-once")
    assert platform_counts() == before
    call_command("seed", "--demo", "5")  # more demo projects, the platform's demo stays the one it was
    after = platform_counts()
    assert after["Project"] == before["Project"] + 5
    assert (after["FinancingDemand"], after["CreditIntention"]) == (
        before["FinancingDemand"],
        before["CreditIntention"],
    )
    assert list(FinancingDemand.objects.values()) == demands


def test_one_audit_entry_for_the_platforms_demo():
    call_command("seed")
    seed_demo(40, rng_seed=5)
    entries = AuditEntry.objects.count()
    call_command("seed", "--demo", "40", "--demo-once")  # a library seeded before the platform gets it too
    assert FinancingDemand.objects.count() == 6 and Project.objects.filter(is_demo=True).count() == 40
    assert AuditEntry.objects.count() == entries + 1
    assert AuditEntry.objects.filter(action="seed_demo", note__startswith="生成政银企演示数据").count() == 1


def test_no_demo_projects_no_platform_demo():
    call_command("seed")
    assert not FinancingDemand.objects.exists() and not CreditIntention.objects.exists()


def test_each_bank_sees_its_own_demo(seeded):
    from financing.models import Organization

    seen = {}
    for name in (LENDER, DEMO_BANKS[0], DEMO_BANKS[1]):
        user = UserFactory(role="lender", bank=Organization.objects.get(name=name))
        seen[name] = set(CreditIntention.objects.visible_to(user).values_list("lender__name", flat=True))
        signed = Loan.objects.visible_to(user).filter(credit_intention__isnull=False).count()
        assert signed == (0 if name == LENDER else 1)
        assert access.role_of(user) == "lender"
    assert seen == {name: {name} for name in seen}
