"""Scope is decided in portfolio.access and applied by every queryset's visible_to(user)."""

import pytest
from django.contrib.auth.models import AnonymousUser

from financing.models import Disbursement, FundingLine, Loan, Repayment
from portfolio.models import AuditEntry
from projects import services
from projects.models import Milestone, Project, ReviewRecord, StageChange, Unit
from tests.factories import (
    DisbursementFactory,
    FundingLineFactory,
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
    lender = UserFactory(role="lender")  # a lender's scope comes with the lender pages
    district_user_without_district = UserFactory(role="district_user")
    inactive = UserFactory(role="city_staff", is_active=False)
    for viewer in (no_role_user, AnonymousUser(), lender, district_user_without_district, inactive):
        for model in SCOPED_MODELS:
            assert not model.objects.visible_to(viewer).exists(), (viewer, model)
