from decimal import Decimal

import pytest

from financing.choices import FundingStatus, LoanStatus, SourceType
from financing.selectors import funding_plan_total, with_financing_totals
from projects.models import Project
from tests.factories import FundingLineFactory, LoanFactory, ProjectFactory

pytestmark = pytest.mark.django_db
D = Decimal


def totals(project):
    return with_financing_totals(Project.objects.all()).get(pk=project.pk)


def line(project, source=SourceType.SPECIAL_BOND, planned="0", approved="0", status=FundingStatus.PLANNED):
    return FundingLineFactory(
        project=project,
        source_type=source,
        planned_amount=D(planned),
        approved_amount=D(approved),
        status=status,
    )


def test_gap_is_investment_less_what_is_approved_or_contracted():
    project = ProjectFactory(total_investment=D("1000.00"))
    line(project, planned="300", approved="250", status=FundingStatus.APPROVED)
    line(project, planned="100", approved="100", status=FundingStatus.RECEIVED)
    line(project, planned="200", status=FundingStatus.APPLIED)  # not approved yet
    line(project, planned="500", status=FundingStatus.REJECTED)
    line(project, SourceType.INTEREST_SUBSIDY, planned="50", approved="50", status=FundingStatus.APPROVED)
    project = totals(project)
    assert project.approved_cover == D("350.00")
    assert project.funding_gap == D("650.00")
    # The plan: approved lines at their approved amount, pending ones at their planned amount.
    assert project.planned_cover == D("550.00") == funding_plan_total(project=project)


def test_an_approved_loan_line_counts_before_the_loan_is_signed():
    project = ProjectFactory(total_investment=D("1000.00"))
    line(project, SourceType.POLICY_LOAN, planned="400", approved="400", status=FundingStatus.APPROVED)
    assert totals(project).funding_gap == D("600.00")


def test_a_signed_loan_and_its_line_count_once():
    project = ProjectFactory(total_investment=D("1000.00"))
    line(project, SourceType.POLICY_LOAN, planned="400", approved="400", status=FundingStatus.APPROVED)
    LoanFactory(project=project, principal=D("450.00"))
    LoanFactory(project=project, principal=D("999.00"), status=LoanStatus.TERMINATED)
    project = totals(project)
    assert project.loan_principal_total == D("450.00")
    assert project.approved_cover == D("450.00") and project.funding_gap == D("550.00")
    assert project.planned_cover == D("450.00")


def test_a_project_without_financing():
    project = totals(ProjectFactory(total_investment=D("10.00")))
    assert (project.approved_cover, project.planned_cover, project.funding_gap) == (
        D("0"),
        D("0"),
        D("10.00"),
    )
