from decimal import Decimal

import pytest
from django.db import connection

from financing import selectors
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


# -- the drawings' and repayments' lists read an index in their order ------------------------------------


@pytest.mark.parametrize("selector", ["disbursement_list", "repayment_list"])
def test_the_entry_lists_read_their_order_from_an_index(selector, city_user):
    """A page of drawings or repayments (ordered by loan, date, id) walks the (loan, date, id) index
    instead of sorting every entry (the API's lists at 200 a page)."""
    page = getattr(selectors, selector)(user=city_user)[:200]
    sql, params = page.query.sql_with_params()
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            # With a handful of rows the planner rightly prefers a scan and a sort; forbid both to see
            # whether an index gives the order at all.
            cursor.execute("SET LOCAL enable_seqscan = off")
            cursor.execute("SET LOCAL enable_sort = off")
            cursor.execute(f"EXPLAIN {sql}", params)
            plan = "\n".join(row[0] for row in cursor.fetchall())
            assert "_loan_date" in plan and "Sort" not in plan, plan
        else:
            cursor.execute(f"EXPLAIN QUERY PLAN {sql}", params)
            plan = "\n".join(str(row[-1]) for row in cursor.fetchall())
            assert "_loan_date" in plan and "TEMP B-TREE" not in plan, plan
