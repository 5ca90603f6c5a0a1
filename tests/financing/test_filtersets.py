"""One test per filter parameter of the financing FilterSets, through the lists' selectors (the one read
path): what the parameter keeps, and that a wrong value is refused."""

import datetime
from decimal import Decimal

import pytest

from financing.selectors import (
    disbursement_list,
    funding_line_list,
    loan_list,
    organization_list,
    repayment_list,
)
from tests.factories import (
    BankFactory,
    DisbursementFactory,
    FundingLineFactory,
    LoanFactory,
    OrganizationFactory,
    ProjectFactory,
    RepaymentFactory,
    district,
)

pytestmark = pytest.mark.django_db
D = Decimal
WRONG_IDS = ("abc", "0", "1.5", str(2**63))


@pytest.fixture
def projects(db):
    return {
        "huangpu": ProjectFactory(district=district("440112")),
        "yuexiu": ProjectFactory(district=district("440104")),
    }


# -- OrganizationFilterSet -------------------------------------------------------------------------


@pytest.fixture
def organizations(db):
    return {
        "bank": BankFactory(name="国家开发银行广东省分行"),
        "company": OrganizationFactory(name="广州市岭头投资有限公司", kind="enterprise"),
        "fund": OrganizationFactory(name="美丽广州产业基金", kind="fund"),
    }


def test_organization_kind(finance_user, organizations, found, refused):
    assert found(organizations, organization_list(user=finance_user, params={"kind": "bank"})) == {"bank"}
    assert found(organizations, organization_list(user=finance_user, params={"kind": "fund"})) == {"fund"}
    assert refused(organization_list, finance_user, kind="club") == {"kind"}


def test_organization_q_searches_the_name(finance_user, organizations, found):
    assert found(organizations, organization_list(user=finance_user, params={"q": "岭头"})) == {"company"}
    assert found(organizations, organization_list(user=finance_user, params={"q": "广"})) == set(
        organizations
    )


# -- FundingLineFilterSet --------------------------------------------------------------------------


@pytest.fixture
def lines(projects):
    huangpu, yuexiu = projects["huangpu"], projects["yuexiu"]
    return {
        "bond_2025": FundingLineFactory(project=huangpu, source_type="special_bond", year=2025),
        "fiscal_2026": FundingLineFactory(project=huangpu, source_type="fiscal", year=2026, status="applied"),
        "approved": FundingLineFactory(
            project=yuexiu, source_type="special_bond", year=2026, status="approved", approved_amount=D(5)
        ),
    }


def test_funding_line_project(finance_user, projects, lines, found, refused):
    listed = funding_line_list(user=finance_user, params={"project": projects["huangpu"].pk})
    assert found(lines, listed) == {"bond_2025", "fiscal_2026"}
    for wrong in WRONG_IDS:
        assert refused(funding_line_list, finance_user, project=wrong) == {"project"}


def test_funding_line_district(finance_user, lines, found, refused):
    assert found(lines, funding_line_list(user=finance_user, params={"district": "440104"})) == {"approved"}
    assert refused(funding_line_list, finance_user, district="999999") == {"district"}


def test_funding_line_source_type(finance_user, lines, found, refused):
    listed = funding_line_list(user=finance_user, params={"source_type": "special_bond"})
    assert found(lines, listed) == {"bond_2025", "approved"}
    assert refused(funding_line_list, finance_user, source_type="lottery") == {"source_type"}


def test_funding_line_status(finance_user, lines, found, refused):
    assert found(lines, funding_line_list(user=finance_user, params={"status": "applied"})) == {"fiscal_2026"}
    assert refused(funding_line_list, finance_user, status="lost") == {"status"}


def test_funding_line_year_is_a_whole_year_between_2000_and_2100(finance_user, lines, found, refused):
    assert found(lines, funding_line_list(user=finance_user, params={"year": "2026"})) == {
        "fiscal_2026",
        "approved",
    }
    for wrong in ("2025.7", "1999", "2101", "明年"):
        assert refused(funding_line_list, finance_user, year=wrong) == {"year"}


# -- LoanFilterSet ---------------------------------------------------------------------------------


@pytest.fixture
def loans(projects):
    bank = BankFactory()
    return {
        "huangpu": LoanFactory(project=projects["huangpu"], lender=bank),
        "settled": LoanFactory(project=projects["huangpu"], status="settled"),
        "yuexiu": LoanFactory(project=projects["yuexiu"], lender=bank, status="terminated"),
    }


def test_loan_project(finance_user, projects, loans, found, refused):
    listed = loan_list(user=finance_user, params={"project": projects["huangpu"].pk})
    assert found(loans, listed) == {"huangpu", "settled"}
    for wrong in WRONG_IDS:
        assert refused(loan_list, finance_user, project=wrong) == {"project"}


def test_loan_district(finance_user, loans, found, refused):
    assert found(loans, loan_list(user=finance_user, params={"district": "440104"})) == {"yuexiu"}
    assert refused(loan_list, finance_user, district="1") == {"district"}


def test_loan_lender(finance_user, loans, found, refused):
    listed = loan_list(user=finance_user, params={"lender": loans["huangpu"].lender_id})
    assert found(loans, listed) == {"huangpu", "yuexiu"}
    for wrong in WRONG_IDS:
        assert refused(loan_list, finance_user, lender=wrong) == {"lender"}


def test_loan_status(finance_user, loans, found, refused):
    assert found(loans, loan_list(user=finance_user, params={"status": "settled"})) == {"settled"}
    assert found(loans, loan_list(user=finance_user, params={"status": "terminated"})) == {"yuexiu"}
    assert refused(loan_list, finance_user, status="lost") == {"status"}


# -- DisbursementFilterSet and RepaymentFilterSet (LoanEntryFilterSet) -----------------------------

ENTRIES = {
    "disbursements": (DisbursementFactory, disbursement_list),
    "repayments": (RepaymentFactory, repayment_list),
}


@pytest.fixture(params=list(ENTRIES))
def entries(request, projects):
    """The disbursements, or the repayments, of a 黄埔 loan (February and June) and a 越秀 one (March)."""
    make, selector = ENTRIES[request.param]
    huangpu = LoanFactory(project=projects["huangpu"], principal=D("1000.00"))
    yuexiu = LoanFactory(project=projects["yuexiu"], principal=D("1000.00"))
    made = {
        "february": make(loan=huangpu, date=datetime.date(2025, 2, 1)),
        "june": make(loan=huangpu, date=datetime.date(2025, 6, 1)),
        "march": make(loan=yuexiu, date=datetime.date(2025, 3, 1)),
    }
    return selector, made


def test_entry_loan(finance_user, entries, found, refused):
    selector, made = entries
    listed = selector(user=finance_user, params={"loan": made["march"].loan_id})
    assert found(made, listed) == {"march"}
    for wrong in WRONG_IDS:
        assert refused(selector, finance_user, loan=wrong) == {"loan"}


def test_entry_project(finance_user, projects, entries, found, refused):
    selector, made = entries
    listed = selector(user=finance_user, params={"project": projects["huangpu"].pk})
    assert found(made, listed) == {"february", "june"}
    for wrong in WRONG_IDS:
        assert refused(selector, finance_user, project=wrong) == {"project"}


def test_entry_district(finance_user, entries, found, refused):
    selector, made = entries
    assert found(made, selector(user=finance_user, params={"district": "440104"})) == {"march"}
    assert refused(selector, finance_user, district="999999") == {"district"}


def test_entry_after_is_inclusive(finance_user, entries, found, refused):
    selector, made = entries
    assert found(made, selector(user=finance_user, params={"after": "2025-03-01"})) == {"march", "june"}
    assert refused(selector, finance_user, after="2025-02-30") == {"after"}


def test_entry_before_is_inclusive(finance_user, entries, found, refused):
    selector, made = entries
    assert found(made, selector(user=finance_user, params={"before": "2025-03-01"})) == {"february", "march"}
    assert refused(selector, finance_user, before="yesterday") == {"before"}
