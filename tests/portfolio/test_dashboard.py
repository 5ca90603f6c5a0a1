"""The dashboard (portfolio.dashboard): its figures by section, for the city and for a district, and the
page: access by role, the seed's loans, queries that do not grow with the library."""

import datetime
from decimal import Decimal

import pytest
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone

from financing.selectors import with_financing_totals
from portfolio.dashboard import dashboard_figures
from portfolio.models import TallyMark
from portfolio.seed import seed_demo
from projects.models import District, Project
from tests.factories import (
    DemandFactory,
    DisbursementFactory,
    FundingLineFactory,
    IntentionFactory,
    LoanFactory,
    MilestoneFactory,
    ProjectFactory,
    RepaymentFactory,
    district,
)

pytestmark = pytest.mark.django_db
D = Decimal


@pytest.fixture
def small_library(db):
    hp, yx = district("440112"), district("440104")
    a = ProjectFactory(
        district=hp, review_status="accepted", stage="planning", total_investment=D("100000000")
    )
    b = ProjectFactory(
        district=hp,
        review_status="accepted",
        stage="implementation",
        category="park",
        total_investment=D("300000000"),
    )
    c = ProjectFactory(
        district=yx, review_status="accepted", stage="implementation", total_investment=D("200000000")
    )
    ProjectFactory(
        district=yx, review_status="submitted", total_investment=D("999000000")
    )  # not in the library
    FundingLineFactory(
        project=a,
        source_type="special_bond",
        planned_amount=D("50000000"),
        approved_amount=D("40000000"),
        status="approved",
    )
    FundingLineFactory(project=c, source_type="special_bond", planned_amount=D("70000000"), status="rejected")
    today = timezone.localdate()
    loan = LoanFactory(
        project=b,
        principal=D("200000000"),
        signed_on=today - datetime.timedelta(days=30),
        term_months=36,
        annual_rate=D("3"),
        repayment_method="bullet",
    )
    DisbursementFactory(loan=loan, date=loan.signed_on, amount=D("150000000"))
    RepaymentFactory(loan=loan, date=today, principal=D("10000000"), interest=D("0"))
    other = LoanFactory(
        project=c, principal=D("50000000"), signed_on=None, term_months=None, annual_rate=None
    )
    DisbursementFactory(loan=other, date=today, amount=D("20000000"))
    MilestoneFactory(project=c, planned_date=datetime.date(2020, 1, 1))
    Project.objects.filter(pk=a.pk).update(updated_at=timezone.now() - datetime.timedelta(days=120))
    return {"loan": loan}


def test_figures(small_library, city_user):
    figures = dashboard_figures(user=city_user)
    assert [(row["stage"], row["count"], row["investment"]) for row in figures["funnel"]] == [
        ("谋划", 1, D("100000000")),
        ("成熟", 0, D("0")),
        ("实施", 2, D("500000000")),
        ("完工", 0, D("0")),
    ]
    assert {row["label"]: (row["count"], row["investment"]) for row in figures["by_district"]} == {
        "黄埔区": (2, D("400000000")),
        "越秀区": (1, D("200000000")),
    }
    assert {row["label"]: row["count"] for row in figures["by_category"]} == {"美丽河湖": 2, "美丽园区": 1}
    # The headline adds up the same groups; its funding gap is the computed gaps' sum.
    library = with_financing_totals(Project.objects.in_library())
    assert figures["library_count"] == 3 and figures["library_investment"] == D("600000000")
    assert figures["funding_gap"] == sum(library.values_list("funding_gap", flat=True), D(0)) > 0
    assert {row["label"]: row["principal"] for row in figures["loans_by_district"]} == {
        "黄埔区": D("200000000"),
        "越秀区": D("50000000"),
    }
    assert figures["funding"] == [
        {"label": "地方政府专项债券", "planned": D("50000000"), "approved": D("40000000"), "received": D("0")}
    ]
    assert figures["loan_totals"] == {
        "principal": D("250000000"),
        "disbursed": D("170000000"),
        "outstanding": D("160000000"),
    }
    # The bullet loan owes its 140,000,000 outstanding at maturity, three years on; the other has no terms.
    maturity_year = small_library["loan"].maturity.year
    assert figures["maturity"] == [(maturity_year, D("140000000.00"))]
    assert figures["unscheduled"] == D("20000000")
    assert figures["overdue_milestones"] == 1
    assert figures["waiting_count"] == 1
    assert figures["stale_count"] == 1


def test_a_district_user_sees_its_district(small_library, huangpu_user):
    figures = dashboard_figures(user=huangpu_user)
    assert sum(row["count"] for row in figures["funnel"]) == 2
    assert [row["label"] for row in figures["by_district"]] == ["黄埔区"]
    assert figures["loan_totals"]["principal"] == D("200000000")
    assert figures["overdue_milestones"] == 0 and figures["waiting_count"] == 0


def test_seed_loans_on_the_dashboard(city_client):
    call_command("seed")
    html = city_client.get(reverse("home")).content.decode()
    assert '国家开发银行广东省分行</td><td class="text-end">7.37 亿元' in html
    assert '黄埔区</td><td class="text-end">7.37 亿元' in html


def test_dashboard_queries_do_not_grow(city_client):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    # A loan with drawings and repayments, and a published demand a bank answered, from the start, so both
    # runs do the same kinds of work.
    RepaymentFactory(loan=DisbursementFactory(loan__project__review_status="accepted").loan)
    IntentionFactory(status="approved", approval_no="批-1")
    city_client.get(reverse("home"))  # every district's tally exists from here on

    def queries() -> int:
        with CaptureQueriesContext(connection) as captured:
            assert city_client.get(reverse("home")).status_code == 200
        return len(captured)

    fresh, refreshed = {}, {}
    for total in (10, 1000):
        seed_demo(total - Project.objects.count(), rng_seed=total)
        assert Project.objects.count() == total
        for _ in range(total // 100):  # the platform grows too: 10 more answered demands for the second run
            IntentionFactory(demand__project__review_status="accepted")
        # Every district changed: each tally is summed again, a fixed number of queries each.
        TallyMark.objects.bulk_create(
            [TallyMark(district=code) for code in District.objects.values_list("pk", flat=True)]
        )
        refreshed[total] = queries()
        fresh[total] = queries()
    # Read from fresh tallies: the tallies and their marks, the lenders' and districts' names, the
    # dispatch's district rows, the attention lists, the 政银企 platform's 2 and the navigation bar's unread
    # notifications; the same for 10 projects as for 1,000, and for every district summed again.
    assert fresh[10] == fresh[1000] <= 20, fresh
    assert refreshed[10] == refreshed[1000] <= fresh[10] + 11 * 20, refreshed


def test_dashboard_access_by_role(client, client_for, city_user, finance_user, huangpu_user, no_role_user):
    response = client.get(reverse("home"))
    assert response.status_code == 302 and response["Location"].startswith(reverse("login"))
    for user, status in (
        (city_user, 200),
        (finance_user, 200),
        (huangpu_user, 200),
        (no_role_user, 403),
    ):
        assert client_for(user).get(reverse("home")).status_code == status


def test_the_platform_figures_city_wide_and_for_a_district(city_user, huangpu_user, bank, client_for):
    hp = DemandFactory(project__district=district("440112"), amount=D("50000000"))
    yx = DemandFactory(project__district=district("440104"), amount=D("30000000"))
    DemandFactory(project__district=district("440104"), status="draft")  # never shown to a bank
    IntentionFactory(demand=hp, lender=bank, status="approved", approval_no="批-1", amount=D("20000000"))
    IntentionFactory(demand=yx, lender=bank, status="withdrawn")
    city = dashboard_figures(user=city_user)["platform"]
    assert (city.published.count, city.published.amount) == (2, D("80000000"))
    assert (city.matched.count, city.approved.count, city.approved.amount) == (2, 1, D("20000000"))
    district_figures = dashboard_figures(user=huangpu_user)["platform"]
    assert (district_figures.published.count, district_figures.matched.amount) == (1, D("50000000"))
    html = client_for(city_user).get(reverse("home")).content.decode()
    assert 'id="dashboard-published-count">2<' in html and "0.80 亿元" in html
    assert reverse("financing:platform") in html


def test_loans_of_projects_outside_the_library_are_left_out(small_library, city_user):
    draft_loan = LoanFactory(project=ProjectFactory(review_status="draft"), principal=D("999"))
    DisbursementFactory(loan=draft_loan, amount=D("500"))
    figures = dashboard_figures(user=city_user)
    assert figures["loan_totals"] == {
        "principal": D("250000000"),
        "disbursed": D("170000000"),
        "outstanding": D("160000000"),
    }


def test_a_terminated_loan_counts_in_no_dashboard_total(terminated_loan, city_user):
    figures = dashboard_figures(user=city_user)
    assert figures["loan_totals"] == {
        "principal": D("400.00"),
        "disbursed": D("100.00"),
        "outstanding": D("100.00"),
    }
