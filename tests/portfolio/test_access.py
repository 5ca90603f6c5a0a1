"""Scope is decided in portfolio.access and applied by every queryset's visible_to(user)."""

import pytest
from django.contrib.auth.models import AnonymousUser

from financing.choices import DemandStatus
from financing.models import (
    CreditIntention,
    Disbursement,
    FinancingDemand,
    FundingLine,
    Loan,
    Organization,
    Repayment,
)
from portfolio.models import AuditEntry
from projects import services
from projects.models import Milestone, Project, ReviewRecord, StageChange, Unit
from tests.factories import (
    DemandFactory,
    DisbursementFactory,
    FundingLineFactory,
    IntentionFactory,
    LoanFactory,
    MilestoneFactory,
    ProjectFactory,
    RepaymentFactory,
    UnitFactory,
    UserFactory,
    district,
)

pytestmark = pytest.mark.django_db

SCOPED_MODELS = [
    Project,
    Unit,
    Milestone,
    StageChange,
    ReviewRecord,
    FundingLine,
    Loan,
    Disbursement,
    Repayment,
    AuditEntry,
]


@pytest.fixture
def two_districts(city_user, city_reviewer, huangpu_user):
    """One project with every kind of record in 黄埔 and one in 越秀."""
    made = {}
    for code in ("440112", "440104"):
        unit = UnitFactory(district=district(code))
        project = ProjectFactory(district=district(code), unit=unit)
        submitter = huangpu_user if code == "440112" else city_user
        services.project_submit(project=project, acting_user=submitter)
        services.project_accept(project=project, acting_user=city_reviewer)
        services.project_transition(
            project=project, stage="mature", acting_user=city_user, override=True, reason="试点"
        )
        MilestoneFactory(project=project)
        FundingLineFactory(project=project)
        disbursement = DisbursementFactory(loan__project=project)
        RepaymentFactory(loan=disbursement.loan)
        made[code] = project
    return made


def test_district_user_sees_only_its_district_in_every_model(two_districts, huangpu_user):
    for model in SCOPED_MODELS:
        visible = model.objects.visible_to(huangpu_user)
        everything = model.objects.all()
        assert visible.count() >= 1, model
        assert visible.count() < everything.count(), model
        path = model.scope_path if hasattr(model, "scope_path") else "project__district"
        assert set(visible.values_list(path, flat=True)) == {"440112"}, model


@pytest.mark.parametrize("user", ["city_user", "finance_user"])
def test_city_staff_and_finance_see_everything(two_districts, user, request):
    viewer = request.getfixturevalue(user)
    for model in SCOPED_MODELS:
        assert model.objects.visible_to(viewer).count() == model.objects.count(), model


def test_users_without_a_role_see_nothing(two_districts, no_role_user):
    lender_without_bank = UserFactory(role="lender")
    district_user_without_district = UserFactory(role="district_user")
    inactive = UserFactory(role="city_staff", is_active=False)
    for viewer in (no_role_user, AnonymousUser(), district_user_without_district, inactive):
        for model in SCOPED_MODELS:
            assert not model.objects.visible_to(viewer).exists(), (viewer, model)
    # A lender account not yet tied to a bank sees the reference data (units) and nothing else.
    for model in SCOPED_MODELS:
        visible = model.objects.visible_to(lender_without_bank)
        assert visible.count() == (model.objects.count() if model is Unit else 0), model


@pytest.fixture
def two_banks(bank, other_bank):
    """黄埔's project financed by both banks (two loans of `bank`), 越秀's by `other_bank` only; a project
    with a published demand `other_bank` answered, one with a closed demand only `other_bank` answered, and a
    project with a draft demand."""
    shared = ProjectFactory(district=district("440112"), review_status="accepted")
    own_loans = [LoanFactory(project=shared, lender=bank) for _ in range(2)]
    others_loan_on_shared = LoanFactory(project=shared, lender=other_bank)
    others_project = ProjectFactory(district=district("440104"), review_status="accepted")
    others_loan = LoanFactory(project=others_project, lender=other_bank)
    for loan in (*own_loans, others_loan_on_shared, others_loan):
        RepaymentFactory(loan=DisbursementFactory(loan=loan).loan)
    MilestoneFactory(project=shared)
    FundingLineFactory(project=shared)
    published = DemandFactory()
    others_intention = IntentionFactory(demand=published, lender=other_bank)
    closed = DemandFactory(status=DemandStatus.CLOSED)
    IntentionFactory(demand=closed, lender=other_bank)
    draft = DemandFactory(status=DemandStatus.DRAFT)
    return {
        "shared": shared,
        "own_loans": own_loans,
        "others_loan_on_shared": others_loan_on_shared,
        "others_project": others_project,
        "others_loan": others_loan,
        "published": published,
        "others_intention": others_intention,
        "closed": closed,
        "draft": draft,
    }


def test_a_lender_sees_its_own_banks_loans_and_what_they_finance(two_banks, lender_user, bank):
    w = two_banks
    own = {loan.pk for loan in w["own_loans"]}
    assert set(Loan.objects.visible_to(lender_user).values_list("pk", flat=True)) == own
    assert set(Disbursement.objects.visible_to(lender_user).values_list("loan", flat=True)) == own
    assert set(Repayment.objects.visible_to(lender_user).values_list("loan", flat=True)) == own
    # The shared project once (two of its loans are the bank's), and the published demand's project.
    projects = list(Project.objects.visible_to(lender_user).values_list("pk", flat=True))
    assert sorted(projects) == sorted([w["shared"].pk, w["published"].project_id])
    for model in (Milestone, FundingLine, AuditEntry, StageChange, ReviewRecord):
        assert not model.objects.visible_to(lender_user).exists(), model
    organizations = set(Organization.objects.visible_to(lender_user))
    assert bank in organizations
    assert {loan.borrower for loan in w["own_loans"]} <= organizations
    assert w["others_loan"].lender not in organizations
    assert w["others_loan"].borrower not in organizations


def test_a_lender_sees_published_demands_and_only_its_own_intentions(two_banks, lender_user, bank):
    w = two_banks
    demands = set(FinancingDemand.objects.visible_to(lender_user))
    assert demands == {w["published"]}  # neither the draft nor the closed one it did not answer
    assert not CreditIntention.objects.visible_to(lender_user).exists()
    mine = IntentionFactory(demand=w["published"], lender=bank)
    assert list(CreditIntention.objects.visible_to(lender_user)) == [mine]
    # Once closed, the demand stays visible to the banks that answered it, and only to them.
    w["published"].status = DemandStatus.CLOSED
    w["published"].save()
    assert set(FinancingDemand.objects.visible_to(lender_user)) == {w["published"]}
    assert w["published"].project in Project.objects.visible_to(lender_user)


def test_the_other_bank_sees_its_side_only(two_banks, other_lender_user, lender_user):
    w = two_banks
    others = {w["others_loan_on_shared"].pk, w["others_loan"].pk}
    assert set(Loan.objects.visible_to(other_lender_user).values_list("pk", flat=True)) == others
    assert set(FinancingDemand.objects.visible_to(other_lender_user)) == {w["published"], w["closed"]}
    visible = Loan.objects.visible_to(lender_user)
    assert not visible.filter(pk__in=others).exists()


def test_districts_see_the_demands_and_intentions_of_their_projects(two_banks, huangpu_user, yuexiu_user):
    w = two_banks
    for user, code in ((huangpu_user, "440112"), (yuexiu_user, "440104")):
        demands = FinancingDemand.objects.visible_to(user)
        assert set(demands) == {
            d for d in (w["published"], w["closed"], w["draft"]) if d.project.district_id == code
        }
        intentions = CreditIntention.objects.visible_to(user)
        assert {i.demand.project.district_id for i in intentions} <= {code}
