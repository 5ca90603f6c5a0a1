"""The 政银企 platform's services (financing.services): a financing demand's life and a credit intention's
status moves, who may make each, and the audit entry naming who did. Real database, no mocks."""

from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from financing import services
from financing.models import CreditIntention, FinancingDemand, Loan
from portfolio.models import AuditEntry, Notification
from tests.factories import (
    DemandFactory,
    IntentionFactory,
    LoanFactory,
    ProjectFactory,
    district,
)

pytestmark = pytest.mark.django_db
D = Decimal
DEMAND = {"amount": D("50000000.00"), "term_months": 180, "purpose": "碧道建设"}
INTENTION = {"amount": D("30000000.00"), "term_months": 120, "indicative_rate": D("3.1000")}


def library_project(code="440112", **values):
    return ProjectFactory(district=district(code), review_status="accepted", **values)


def messages(error) -> dict:
    return error.value.message_dict


# -- a demand's life ---------------------------------------------------------------------------------


def test_a_district_drafts_a_demand_for_its_own_library_project(huangpu_user, only_audit_entry):
    project = library_project()
    demand = services.demand_create(acting_user=huangpu_user, project=project, **DEMAND, contact_name="王工")
    demand.refresh_from_db()
    assert (demand.status, demand.published_on, demand.created_by) == ("draft", None, huangpu_user)
    assert demand.contact_name == "王工"
    entry = only_audit_entry(action="demand_create")
    assert entry.actor == huangpu_user and entry.project == project


def test_a_district_drafts_no_demand_for_another_districts_project(huangpu_user):
    with pytest.raises(PermissionDenied):
        services.demand_create(acting_user=huangpu_user, project=library_project("440104"), **DEMAND)
    assert not FinancingDemand.objects.exists() and not AuditEntry.objects.exists()


@pytest.mark.parametrize("review_status", ["draft", "submitted", "returned"])
def test_only_a_library_project_has_a_demand(huangpu_user, review_status):
    project = ProjectFactory(district=district("440112"), review_status=review_status)
    with pytest.raises(ValidationError) as error:
        services.demand_create(acting_user=huangpu_user, project=project, **DEMAND)
    assert messages(error) == {"project": ["只有已入库的项目可以发布融资需求。"]}
    assert not FinancingDemand.objects.exists()


@pytest.mark.parametrize("user", ["finance_user", "lender_user"])
def test_neither_finance_nor_a_bank_drafts_a_demand(request, user):
    with pytest.raises(PermissionDenied):
        services.demand_create(acting_user=request.getfixturevalue(user), project=library_project(), **DEMAND)


def test_city_staff_publish_and_close_a_demand(city_user, huangpu_user, lender_user, only_audit_entry):
    demand = services.demand_create(acting_user=huangpu_user, project=library_project(), **DEMAND)
    services.demand_publish(acting_user=city_user, demand=demand)
    demand.refresh_from_db()
    assert demand.status == "published" and demand.published_on == timezone.localdate()
    assert only_audit_entry(action="demand_publish").actor == city_user
    # Every bank's user is told of it.
    told = Notification.objects.get(user=lender_user)
    assert told.kind == "demand_published" and told.link == demand.get_absolute_url()
    services.demand_close(acting_user=city_user, demand=demand)
    demand.refresh_from_db()
    assert demand.status == "closed" and demand.closed_on == timezone.localdate()
    assert only_audit_entry(action="demand_close").actor == city_user


def test_a_district_neither_publishes_nor_closes(huangpu_user):
    draft = DemandFactory(project=library_project(), status="draft")
    published = DemandFactory(project=library_project())
    with pytest.raises(PermissionDenied):
        services.demand_publish(acting_user=huangpu_user, demand=draft)
    with pytest.raises(PermissionDenied):
        services.demand_close(acting_user=huangpu_user, demand=published)
    draft.refresh_from_db()
    published.refresh_from_db()
    assert (draft.status, published.status) == ("draft", "published")


def test_each_step_from_its_own_state_only(city_user):
    published = DemandFactory()
    draft = DemandFactory(status="draft")
    with pytest.raises(ValidationError) as error:
        services.demand_publish(acting_user=city_user, demand=published)
    assert messages(error) == {"status": ["融资需求当前状态为“已发布”，不能进行此操作。"]}
    with pytest.raises(ValidationError):
        services.demand_close(acting_user=city_user, demand=draft)
    services.demand_close(acting_user=city_user, demand=published)
    with pytest.raises(ValidationError):
        services.demand_publish(acting_user=city_user, demand=published)
    assert not AuditEntry.objects.exclude(action="demand_close").exists()


def test_a_demand_changes_only_while_a_draft(huangpu_user, city_user):
    demand = services.demand_create(acting_user=huangpu_user, project=library_project(), **DEMAND)
    services.demand_update(acting_user=huangpu_user, demand=demand, amount=D("60000000.00"))
    demand.refresh_from_db()
    assert demand.amount == D("60000000.00")
    services.demand_publish(acting_user=city_user, demand=demand)
    for user in (huangpu_user, city_user):
        with pytest.raises(ValidationError):
            services.demand_update(acting_user=user, demand=demand, purpose="改")
    demand.refresh_from_db()
    assert demand.purpose == DEMAND["purpose"] and demand.amount == D("60000000.00")


def test_another_district_changes_no_draft(yuexiu_user):
    demand = DemandFactory(project=library_project(), status="draft")
    with pytest.raises(PermissionDenied):
        services.demand_update(acting_user=yuexiu_user, demand=demand, purpose="改")


def test_one_open_demand_per_project(huangpu_user, city_user):
    project = library_project()
    first = services.demand_create(acting_user=huangpu_user, project=project, **DEMAND)
    with pytest.raises(ValidationError) as error:
        services.demand_create(acting_user=huangpu_user, project=project, **DEMAND)
    assert "该项目已有一项未关闭的融资需求。" in str(error.value)
    services.demand_publish(acting_user=city_user, demand=first)
    with pytest.raises(ValidationError):
        services.demand_create(acting_user=huangpu_user, project=project, **DEMAND)
    services.demand_close(acting_user=city_user, demand=first)
    # Once the last is closed, a new one.
    services.demand_create(acting_user=huangpu_user, project=project, **DEMAND)
    assert FinancingDemand.objects.filter(project=project).count() == 2


# -- a credit intention's status moves ---------------------------------------------------------------


def test_a_bank_answers_a_published_demand(lender_user, bank, city_user, huangpu_user, only_audit_entry):
    demand = DemandFactory(project=library_project())
    intention = services.intention_create(acting_user=lender_user, demand=demand, **INTENTION, note="可授信")
    intention.refresh_from_db()
    assert (intention.lender, intention.status, intention.created_by) == (bank, "intended", lender_user)
    entry = only_audit_entry(action="intention_create")
    assert entry.actor == lender_user and entry.project == demand.project
    # City staff and the project's district are told.
    assert set(Notification.objects.values_list("user", flat=True)) == {city_user.pk, huangpu_user.pk}


@pytest.mark.parametrize("status", ["draft", "closed"])
def test_a_bank_answers_only_a_published_demand(lender_user, status):
    demand = DemandFactory(status=status, published_on=None if status == "draft" else "2026-03-01")
    with pytest.raises(ValidationError) as error:
        services.intention_create(acting_user=lender_user, demand=demand, **INTENTION)
    assert messages(error) == {"demand": ["只能对已发布的融资需求提出授信意向。"]}
    assert not CreditIntention.objects.exists()


@pytest.mark.parametrize("user", ["city_user", "huangpu_user", "finance_user"])
def test_only_a_bank_answers(request, user):
    with pytest.raises(PermissionDenied):
        services.intention_create(
            acting_user=request.getfixturevalue(user), demand=DemandFactory(), **INTENTION
        )


def test_a_lender_without_a_bank_answers_nothing():
    from tests.factories import UserFactory

    with pytest.raises(ValidationError):
        services.intention_create(acting_user=UserFactory(role="lender"), demand=DemandFactory(), **INTENTION)


def test_one_live_intention_per_bank(lender_user, other_lender_user):
    demand = DemandFactory()
    first = services.intention_create(acting_user=lender_user, demand=demand, **INTENTION)
    with pytest.raises(ValidationError) as error:
        services.intention_create(acting_user=lender_user, demand=demand, **INTENTION)
    assert "本行对该融资需求已有一项有效意向。" in str(error.value)
    # Another bank answers the same demand; once withdrawn, the first bank may answer anew.
    services.intention_create(acting_user=other_lender_user, demand=demand, **INTENTION)
    services.intention_withdraw(acting_user=lender_user, intention=first)
    services.intention_create(acting_user=lender_user, demand=demand, **INTENTION)
    assert demand.intentions.count() == 3


def test_a_bank_changes_its_intention_while_only_intended(lender_user, bank):
    intention = IntentionFactory(lender=bank)
    services.intention_update(acting_user=lender_user, intention=intention, amount=D("1000.00"))
    intention.refresh_from_db()
    assert intention.amount == D("1000.00")
    services.intention_approve(acting_user=lender_user, intention=intention, approval_no="SX-1")
    with pytest.raises(ValidationError):
        services.intention_update(acting_user=lender_user, intention=intention, amount=D("2000.00"))


def test_approving_needs_the_credit_approval_number(lender_user, bank, only_audit_entry):
    intention = IntentionFactory(lender=bank)
    for blank in ("", "   "):
        with pytest.raises(ValidationError) as error:
            services.intention_approve(acting_user=lender_user, intention=intention, approval_no=blank)
        assert messages(error) == {"approval_no": ["请填写授信批复编号。"]}
    services.intention_approve(acting_user=lender_user, intention=intention, approval_no=" SX-2026-01 ")
    intention.refresh_from_db()
    assert (intention.status, intention.approval_no) == ("approved", "SX-2026-01")
    assert intention.decided_at is not None
    assert only_audit_entry(action="intention_approve").actor == lender_user
    with pytest.raises(ValidationError):  # approved once
        services.intention_approve(acting_user=lender_user, intention=intention, approval_no="SX-2")


def test_a_bank_declines_only_an_intention_not_yet_approved(lender_user, bank, only_audit_entry):
    intended = IntentionFactory(lender=bank)
    approved = IntentionFactory(lender=bank, status="approved", approval_no="SX-1")
    services.intention_decline(acting_user=lender_user, intention=intended, reason="风险评级不足")
    intended.refresh_from_db()
    assert intended.status == "declined"
    entry = only_audit_entry(action="intention_decline")
    assert entry.actor == lender_user and entry.note == "风险评级不足"
    with pytest.raises(ValidationError):
        services.intention_decline(acting_user=lender_user, intention=approved)
    with pytest.raises(ValidationError):  # declined is final
        services.intention_withdraw(acting_user=lender_user, intention=intended)


def test_a_bank_withdraws_before_or_after_approving_never_once_signed(lender_user, bank, city_user):
    intended = IntentionFactory(lender=bank)
    approved = IntentionFactory(lender=bank, status="approved", approval_no="SX-1")
    services.intention_withdraw(acting_user=lender_user, intention=intended, reason="项目调整")
    services.intention_withdraw(acting_user=lender_user, intention=approved)
    assert set(CreditIntention.objects.values_list("status", flat=True)) == {"withdrawn"}
    signed = IntentionFactory(lender=bank, status="approved", approval_no="SX-2")
    loan = LoanFactory(project=signed.demand.project, lender=bank)
    services.intention_sign(acting_user=city_user, intention=signed, loan=loan)
    with pytest.raises(ValidationError):
        services.intention_withdraw(acting_user=lender_user, intention=signed)


@pytest.mark.parametrize("step", ["approve", "decline", "withdraw", "update"])
def test_another_bank_moves_no_intention(other_lender_user, bank, step):
    intention = IntentionFactory(lender=bank)
    arguments = {"approve": {"approval_no": "SX-1"}, "update": {"note": "改"}}.get(step, {})
    with pytest.raises(PermissionDenied):
        getattr(services, f"intention_{step}")(
            acting_user=other_lender_user, intention=intention, **arguments
        )
    intention.refresh_from_db()
    assert intention.status == "intended" and not AuditEntry.objects.exists()


@pytest.mark.parametrize("user", ["city_user", "huangpu_user"])
def test_neither_city_nor_district_moves_a_banks_intention(request, bank, user):
    intention = IntentionFactory(lender=bank, demand__project=library_project())
    with pytest.raises(PermissionDenied):
        services.intention_approve(
            acting_user=request.getfixturevalue(user), intention=intention, approval_no="SX-1"
        )


def test_city_staff_sign_with_a_loan_of_the_same_project_and_bank(
    city_user, bank, other_bank, only_audit_entry
):
    intention = IntentionFactory(lender=bank, status="approved", approval_no="SX-1")
    project = intention.demand.project
    refused = {
        "another project": LoanFactory(lender=bank),
        "another bank": LoanFactory(project=project, lender=other_bank),
        "terminated": LoanFactory(project=project, lender=bank, status="terminated"),
    }
    for name, loan in refused.items():
        with pytest.raises(ValidationError) as error:
            services.intention_sign(acting_user=city_user, intention=intention, loan=loan)
        assert list(messages(error)) == ["loan"], name
    loan = LoanFactory(project=project, lender=bank)
    services.intention_sign(acting_user=city_user, intention=intention, loan=loan)
    intention.refresh_from_db()
    assert (intention.status, intention.loan) == ("signed", loan)
    assert only_audit_entry(action="intention_sign").actor == city_user
    # The loan is tied to that intention: another approved intention of the bank cannot take it.
    again = IntentionFactory(
        demand=DemandFactory(project=project, status="closed"),
        lender=bank,
        status="approved",
        approval_no="SX-2",
    )
    with pytest.raises(ValidationError) as error:
        services.intention_sign(acting_user=city_user, intention=again, loan=loan)
    assert messages(error) == {"loan": ["所选贷款已关联其他授信意向。"]}


def test_only_an_approved_intention_is_signed(city_user, bank):
    intention = IntentionFactory(lender=bank)
    loan = LoanFactory(project=intention.demand.project, lender=bank)
    with pytest.raises(ValidationError) as error:
        services.intention_sign(acting_user=city_user, intention=intention, loan=loan)
    assert messages(error) == {"status": ["只有已授信的意向可以签约，当前状态为“有意向”。"]}


@pytest.mark.parametrize("user", ["lender_user", "huangpu_user", "finance_user"])
def test_only_city_staff_sign(request, bank, user):
    intention = IntentionFactory(
        lender=bank, status="approved", approval_no="SX-1", demand__project=library_project()
    )
    loan = LoanFactory(project=intention.demand.project, lender=bank)
    with pytest.raises(PermissionDenied):
        services.intention_sign(acting_user=request.getfixturevalue(user), intention=intention, loan=loan)
    intention.refresh_from_db()
    assert intention.status == "approved" and intention.loan is None


def test_a_signed_loan_stays_the_banks_on_the_demands_project(city_user, bank, other_bank):
    """Once an intention is signed as a loan, the loan changes neither its bank nor its project, through
    the service or the admin's check: the bank would otherwise read another bank's loan on its intention."""
    loan = LoanFactory(lender=bank)
    IntentionFactory(
        demand=DemandFactory(project=loan.project),
        lender=bank,
        status="signed",
        approval_no="SX-1",
        loan=loan,
    )
    with pytest.raises(ValidationError) as error:
        services.loan_update(acting_user=city_user, loan=loan, lender=other_bank)
    assert list(messages(error)) == ["lender"]
    loan.refresh_from_db()
    moved = Loan.objects.get(pk=loan.pk)
    moved.project = library_project()  # as the admin's form would set it
    with pytest.raises(ValidationError) as error:
        services.loan_terms_check(loan=moved)
    assert list(messages(error)) == ["project"]
    assert loan.lender == bank
    services.loan_update(acting_user=city_user, loan=loan, contract_no="HT-2026-01")  # other terms change


def test_a_superuser_is_told_of_an_intention_too(lender_user):
    from tests.factories import UserFactory

    admin = UserFactory(username="root", is_superuser=True)
    demand = DemandFactory(project=library_project())
    services.intention_create(acting_user=lender_user, demand=demand, **INTENTION)
    assert Notification.objects.filter(user=admin, kind="intention_received").count() == 1
