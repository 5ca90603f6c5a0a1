"""The 政银企 platform's figures (financing.platform.platform_figures) against a small world counted by hand.

对接 (matched) is a published demand that at least one bank answered, whatever became of the answer: a bank
that declined or withdrew did look at the project and talk to it, so a demand with only a withdrawn
intention counts as matched. Drafts were never shown to a bank and count nowhere.
"""

from decimal import Decimal

import pytest

from financing.platform import Figure, platform_figures
from portfolio import access
from tests.factories import (
    BankFactory,
    DemandFactory,
    IntentionFactory,
    LoanFactory,
    ProjectFactory,
    district,
)

pytestmark = pytest.mark.django_db
D = Decimal
M = D(1_000_000)  # amounts below are in millions of 元


def demand(code, amount, status="published"):
    project = ProjectFactory(district=district(code), review_status="accepted")
    return DemandFactory(project=project, amount=amount * M, status=status)


def intention(on, bank, amount, status, loan=None):
    return IntentionFactory(
        demand=on,
        lender=bank,
        amount=amount * M,
        status=status,
        approval_no="" if status in ("intended", "declined") else f"批-{on.pk}-{bank.pk}",
        loan=loan,
    )


@pytest.fixture
def world(bank, other_bank):
    """黄埔: D1 50 (published) and D2 20 (closed); 越秀: D3 30 (published, only a withdrawn answer), D4 40
    (published, unanswered) and a draft of 99. Bank A (`bank`) and bank B (`other_bank`), every status."""
    a, b = bank, other_bank
    d1, d2 = demand("440112", 50), demand("440112", 20, status="closed")
    d3 = demand("440104", 30)
    demand("440104", 40)
    demand("440104", 99, status="draft")
    signed_loan = LoanFactory(project=d1.project, lender=a, principal=28 * M)
    LoanFactory(project=d1.project, lender=a, principal=7 * M)  # tied to no intention: counts nowhere
    intention(d1, a, 30, "signed", loan=signed_loan)
    intention(d1, b, 15, "declined")
    intention(d2, a, 12, "withdrawn")
    intention(d2, a, 10, "approved")  # the same bank answered again after withdrawing
    intention(d2, b, 5, "intended")
    intention(d3, b, 8, "withdrawn")
    return {"a": a, "b": b}


def figures_of(row):
    return tuple(
        None if getattr(row, name) is None else (getattr(row, name).count, getattr(row, name).amount / M)
        for name in ("published", "matched", "approved", "signed")
    )


def test_totals_by_hand(world, city_user):
    total = platform_figures(user=city_user)["total"]
    assert total.published == Figure(4, 140 * M)  # D1 + D2 + D3 + D4; the draft of 99 is left out
    assert total.matched == Figure(3, 100 * M)  # D1, D2 and D3 (its only answer withdrawn); not D4
    assert total.approved == Figure(2, 40 * M)  # A's signed 30 on D1 and approved 10 on D2
    assert total.signed == Figure(1, 28 * M)  # the tied loan's principal, not the 30 intended


def test_by_district_by_hand(world, city_user):
    rows = {row.label: figures_of(row) for row in platform_figures(user=city_user)["by_district"]}
    assert rows == {
        "黄埔区": ((2, 70), (2, 70), (2, 40), (1, 28)),
        "越秀区": ((2, 70), (1, 30), (0, 0), (0, 0)),
    }


def test_by_bank_by_hand(world, city_user):
    rows = {row.label: figures_of(row) for row in platform_figures(user=city_user)["by_bank"]}
    # A answered D1 and D2 (twice: counted once); B answered D1, D2 and D3. A bank publishes nothing.
    assert rows == {
        world["a"].name: (None, (2, 70), (2, 40), (1, 28)),
        world["b"].name: (None, (3, 100), (0, 0), (0, 0)),
    }
    assert [row.label for row in platform_figures(user=city_user)["by_bank"]] == [
        world["a"].name,
        world["b"].name,
    ]


def test_the_rows_add_up_to_the_totals(world, finance_user):
    figures = platform_figures(user=finance_user)
    for name in ("published", "matched", "approved", "signed"):
        by_district = sum(getattr(row, name).count for row in figures["by_district"])
        assert by_district == getattr(figures["total"], name).count
    for name in ("approved", "signed"):
        assert (
            sum(getattr(row, name).amount for row in figures["by_bank"])
            == getattr(figures["total"], name).amount
        )


def test_a_district_user_reads_its_own_district(world, huangpu_user):
    figures = platform_figures(user=huangpu_user)
    assert figures_of(figures["total"]) == ((2, 70), (2, 70), (2, 40), (1, 28))
    assert [row.label for row in figures["by_district"]] == ["黄埔区"]
    # B's answer on 越秀's D3 is not 黄埔's: B matched D1 and D2 only.
    assert {row.label: row.matched.count for row in figures["by_bank"]} == {
        world["a"].name: 2,
        world["b"].name: 2,
    }


def test_a_lender_would_read_only_its_own_answers(world, lender_user):
    figures = platform_figures(user=lender_user)
    assert [row.label for row in figures["by_bank"]] == [world["a"].name]
    assert figures["total"].matched == Figure(2, 70 * M)


def test_drafts_count_nowhere(db, city_user):
    demand("440112", 10, status="draft")
    figures = platform_figures(user=city_user)
    assert figures["total"].published == Figure(0, 0) and figures["by_district"] == []


def test_a_fixed_number_of_queries(world, city_user, django_assert_num_queries):
    access.role_of(city_user)  # the role is read once per user
    with django_assert_num_queries(2):
        platform_figures(user=city_user)
    for _ in range(5):
        bank = BankFactory()
        intention(demand("440104", 5), bank, 1, "approved")
    with django_assert_num_queries(2):
        figures = platform_figures(user=city_user)
    assert figures["total"].approved.count == 7
