"""Schedules against examples worked by hand (rate 3.6 % a year: 0.9 % a quarter, 0.3 % a month)."""

import datetime
import math
from decimal import Decimal
from fractions import Fraction

import pytest

from financing.schedule import Terms, add_months, build_schedule

D = Decimal
JAN1 = datetime.date(2025, 1, 1)


def terms(method, **overrides):
    values = {
        "signed_on": JAN1,
        "term_months": 12,
        "annual_rate": D("3.6"),
        "method": method,
        "interval_months": 3,
    }
    return Terms(**(values | overrides))


def rows(schedule):
    return [(i.due.isoformat(), i.principal, i.interest) for i in schedule.installments]


def test_bullet_pays_interest_each_quarter_and_principal_at_maturity():
    schedule = build_schedule(terms("bullet"), [(JAN1, D("1000000.00"))])
    # 1,000,000 × 0.9 % = 9,000.00 a quarter.
    assert rows(schedule) == [
        ("2025-04-01", D("0.00"), D("9000.00")),
        ("2025-07-01", D("0.00"), D("9000.00")),
        ("2025-10-01", D("0.00"), D("9000.00")),
        ("2026-01-01", D("1000000.00"), D("9000.00")),
    ]
    assert schedule.interest_total == D("36000.00")


def test_equal_principal_with_a_grace_period():
    schedule = build_schedule(terms("equal_principal", grace_months=6), [(JAN1, D("1200000.00"))])
    # Two quarters of interest only (10,800 = 1,200,000 × 0.9 %), then 600,000 twice.
    assert rows(schedule) == [
        ("2025-04-01", D("0.00"), D("10800.00")),
        ("2025-07-01", D("0.00"), D("10800.00")),
        ("2025-10-01", D("600000.00"), D("10800.00")),
        ("2026-01-01", D("600000.00"), D("5400.00")),
    ]
    assert [i.grace for i in schedule.installments] == [True, True, False, False]


def test_equal_installment_pays_the_annuity():
    schedule = build_schedule(terms("equal_installment"), [(JAN1, D("1000000.00"))])
    # Annuity = 1,000,000 × 0.009 / (1 − 1.009⁻⁴) = 255,650.1987 → 255,650.20 every quarter.
    assert rows(schedule) == [
        ("2025-04-01", D("246650.20"), D("9000.00")),
        ("2025-07-01", D("248870.05"), D("6780.15")),
        ("2025-10-01", D("251109.88"), D("4540.32")),
        ("2026-01-01", D("253369.87"), D("2280.33")),
    ]
    assert {i.total for i in schedule.installments} == {D("255650.20")}


def test_partial_disbursements_with_grace():
    drawn = [(JAN1, D("600000.00")), (datetime.date(2025, 2, 15), D("600000.00"))]
    schedule = build_schedule(terms("equal_principal", grace_months=3), drawn)
    # Quarter 1 has 90 days; the second 600,000 is out for 45 of them:
    # 600,000 × 0.9 % + 600,000 × 0.9 % × 45/90 = 5,400 + 2,700 = 8,100.
    # Then 1,200,000 over three quarters: 400,000 each, interest 10,800, 7,200, 3,600.
    assert rows(schedule) == [
        ("2025-04-01", D("0.00"), D("8100.00")),
        ("2025-07-01", D("400000.00"), D("10800.00")),
        ("2025-10-01", D("400000.00"), D("7200.00")),
        ("2026-01-01", D("400000.00"), D("3600.00")),
    ]


def test_a_drawing_after_repayments_began_is_spread_over_what_remains():
    drawn = [(JAN1, D("900000.00")), (datetime.date(2025, 7, 1), D("300000.00"))]
    schedule = build_schedule(terms("equal_principal"), drawn)
    # Q1: 900,000/4 = 225,000. Q2: 675,000/3 = 225,000. The 300,000 drawn on Q2's due date counts from Q3:
    # Q3: (450,000 + 300,000)/2 = 375,000, interest 750,000 × 0.9 % = 6,750. Q4: the remaining 375,000.
    assert rows(schedule) == [
        ("2025-04-01", D("225000.00"), D("8100.00")),
        ("2025-07-01", D("225000.00"), D("6075.00")),
        ("2025-10-01", D("375000.00"), D("6750.00")),
        ("2026-01-01", D("375000.00"), D("3375.00")),
    ]
    assert schedule.principal_total == D("1200000.00")


@pytest.mark.parametrize("method", ["equal_principal", "equal_installment", "bullet"])
def test_principal_adds_up_exactly_and_stays_decimal(method):
    drawn = [(JAN1, D("1000000.00")), (datetime.date(2025, 8, 19), D("333333.33"))]
    schedule = build_schedule(terms(method, term_months=36, interval_months=1, grace_months=5), drawn)
    assert schedule.principal_total == D("1333333.33")
    for installment in schedule.installments:
        for amount in (installment.principal, installment.interest):
            assert isinstance(amount, Decimal) and amount == amount.quantize(D("0.01"))


def test_rounding_is_spread_and_the_last_period_takes_the_rest():
    schedule = build_schedule(terms("equal_principal", term_months=9), [(JAN1, D("1000000.00"))])
    # 1,000,000 / 3 = 333,333.33; 666,666.67 / 2 = 333,333.335 → 333,333.34; the rest is 333,333.33.
    assert [i.principal for i in schedule.installments] == [D("333333.33"), D("333333.34"), D("333333.33")]


def test_a_term_that_is_not_a_whole_number_of_periods_ends_at_maturity():
    schedule = build_schedule(terms("bullet", term_months=7), [(JAN1, D("100.00"))])
    assert [i.due.isoformat() for i in schedule.installments] == ["2025-04-01", "2025-07-01", "2025-08-01"]


def test_month_ends_are_kept_in_range():
    assert add_months(datetime.date(2025, 1, 31), 1) == datetime.date(2025, 2, 28)
    assert add_months(datetime.date(2024, 11, 30), 3) == datetime.date(2025, 2, 28)


def test_due_soon_past_due_and_repayments():
    schedule = build_schedule(terms("equal_principal"), [(JAN1, D("1000000.00"))])
    schedule.apply_repayments([(datetime.date(2025, 4, 1), D("250000.00"), D("9000.00"))])
    today = datetime.date(2025, 8, 1)
    past = schedule.past_due(today)
    assert [(i.due.isoformat(), i.unpaid_principal, i.unpaid_interest) for i in past] == [
        ("2025-07-01", D("250000.00"), D("6750.00"))
    ]
    soon = schedule.due_between(today, today + datetime.timedelta(days=90))
    assert [i.due.isoformat() for i in soon] == ["2025-10-01"]


def test_subsidy_per_year():
    schedule = build_schedule(
        terms("bullet", term_months=24, signed_on=datetime.date(2025, 7, 1)),
        [(datetime.date(2025, 7, 1), D("1000000.00"))],
    )
    # 9,000 of interest a quarter; a 1-point subsidy pays 1/3.6 of it: 2,500 a quarter. Quarters fall due
    # once in 2025 (10-01), four times in 2026 and three times in 2027 (to maturity on 2027-07-01).
    assert schedule.subsidy_by_year(D("1.0")) == {2025: D("2500.00"), 2026: D("10000.00"), 2027: D("7500.00")}


def test_principal_by_year_from_a_date():
    schedule = build_schedule(terms("equal_principal", term_months=24), [(JAN1, D("800000.00"))])
    # Eight quarters of 100,000: three due in 2025, four in 2026, one on 2027-01-01.
    assert schedule.principal_by_year() == {2025: D("300000.00"), 2026: D("400000.00"), 2027: D("100000.00")}
    assert schedule.principal_by_year(since=datetime.date(2025, 6, 1)) == {
        2025: D("200000.00"),
        2026: D("400000.00"),
        2027: D("100000.00"),
    }


def test_a_short_last_period_is_charged_for_its_months():
    schedule = build_schedule(terms("bullet", term_months=13), [(JAN1, D("1000000.00"))])
    # Four quarters of 9,000, then one month at 0.3 %: 3,000.
    assert rows(schedule)[-1] == ("2026-02-01", D("1000000.00"), D("3000.00"))
    yearly = build_schedule(terms("bullet", term_months=6, interval_months=12), [(JAN1, D("1000000.00"))])
    assert rows(yearly) == [("2025-07-01", D("1000000.00"), D("18000.00"))]


def test_a_zero_rate_loan_repays_principal_only():
    schedule = build_schedule(terms("equal_installment", annual_rate=D("0")), [(JAN1, D("1000.00"))])
    assert [i.principal for i in schedule.installments] == [D("250.00")] * 4
    assert schedule.interest_total == D("0.00")


def test_rates_must_be_decimal():
    with pytest.raises(TypeError):
        terms("bullet", annual_rate=3.6)


# 等额本息 against an independent reference in exact fractions (no floats, no Decimal arithmetic).


def round_half_up_to_cent(value: Fraction) -> Decimal:
    return Decimal(math.floor(value * 100 + Fraction(1, 2))).scaleb(-2)


def reference_annuity(balance: Fraction, rate: Fraction, periods: int) -> Decimal:
    """B·r / (1 − (1 + r)⁻ⁿ), rounded half up to the 分."""
    return round_half_up_to_cent(balance * rate / (1 - (1 + rate) ** -periods))


def reference_rows(amount, annual_rate, term_months, interval_months, grace_months):
    """(principal, interest) of each period for one drawing at signing, a whole number of periods."""
    rate = Fraction(annual_rate) / 100 * interval_months / 12
    periods = term_months // interval_months
    grace_periods = sum(1 for k in range(1, periods + 1) if k * interval_months <= grace_months)
    balance = Fraction(amount)
    annuity = reference_annuity(balance, rate, periods - grace_periods)
    expected = []
    for number in range(1, periods + 1):
        interest = round_half_up_to_cent(balance * rate)
        if number <= grace_periods:
            principal = Decimal("0.00")
        elif number == periods:
            principal = round_half_up_to_cent(balance)  # exact: the balance is whole 分
        else:
            principal = annuity - interest
        balance -= Fraction(principal)
        expected.append((principal, interest))
    return annuity, grace_periods, expected


ANNUITY_CASES = [
    # amount, annual rate %, term months, interval months, grace months
    pytest.param("1000000.00", "4.9", 360, 1, 0, id="1m-4.9%-360-monthly"),
    pytest.param("123456.78", "6.15", 36, 1, 0, id="odd-amount-36-monthly"),
    pytest.param("3000000.00", "3.45", 240, 1, 6, id="monthly-6-months-grace"),
    pytest.param("5000000.00", "3.85", 60, 3, 0, id="quarterly"),
    pytest.param("2000000.00", "4.2", 96, 3, 9, id="quarterly-9-months-grace"),
    pytest.param("2345678.90", "4.35", 120, 6, 12, id="half-yearly-12-months-grace"),
    pytest.param("800000.00", "5.2", 84, 12, 0, id="yearly"),
    pytest.param("800000.00", "5.2", 84, 12, 24, id="yearly-24-months-grace"),
]


@pytest.mark.parametrize(("amount", "annual_rate", "term", "interval", "grace"), ANNUITY_CASES)
def test_equal_installment_matches_an_exact_reference(amount, annual_rate, term, interval, grace):
    loan = terms(
        "equal_installment",
        annual_rate=D(annual_rate),
        term_months=term,
        interval_months=interval,
        grace_months=grace,
    )
    schedule = build_schedule(loan, [(JAN1, D(amount))])
    annuity, grace_periods, expected = reference_rows(amount, annual_rate, term, interval, grace)
    installments = schedule.installments
    assert len(installments) == term // interval
    # Periods ending within the grace pay interest only, on the whole amount drawn.
    grace_interest = round_half_up_to_cent(Fraction(amount) * Fraction(annual_rate) / 100 * interval / 12)
    for installment in installments[:grace_periods]:
        assert installment.grace
        assert (installment.principal, installment.interest) == (D("0.00"), grace_interest)
    # Every repaying installment but the last is exactly the reference annuity.
    for installment in installments[grace_periods:-1]:
        assert not installment.grace
        assert installment.total == annuity
    # The last repays whatever is left, with its interest.
    last = installments[-1]
    assert last.principal == last.opening_balance + last.drawn
    assert last.closing_balance == D("0.00")
    assert [(i.principal, i.interest) for i in installments] == expected
    assert schedule.principal_total == D(amount)


def test_the_annuity_of_a_1m_30_year_mortgage_is_5307_27():
    loan = terms("equal_installment", annual_rate=D("4.9"), term_months=360, interval_months=1)
    schedule = build_schedule(loan, [(JAN1, D("1000000.00"))])
    # 1,000,000 × r / (1 − (1 + r)⁻³⁶⁰) with r = 0.049 / 12 = 5,307.2700... → 5,307.27.
    assert reference_annuity(Fraction(1000000), Fraction(49, 12000), 360) == D("5307.27")
    first = schedule.installments[0]
    assert (first.principal, first.interest, first.total) == (D("1223.94"), D("4083.33"), D("5307.27"))
    assert {i.total for i in schedule.installments[:-1]} == {D("5307.27")}


def test_equal_installment_re_spreads_a_drawing_made_after_repayments_began():
    drawn = [(JAN1, D("900000.00")), (datetime.date(2025, 7, 1), D("300000.00"))]
    schedule = build_schedule(terms("equal_installment", term_months=24), drawn)
    rate = Fraction(9, 1000)
    # Quarters 1-2: the annuity on 900,000 over 8 quarters.
    first = reference_annuity(Fraction(900000), rate, 8)
    assert [i.total for i in schedule.installments[:2]] == [first, first]
    # The 300,000 drawn on Q2's due date counts from Q3: a new annuity on the balance then, over 6 quarters.
    q3 = schedule.installments[2]
    assert q3.opening_balance == schedule.installments[1].closing_balance + D("300000.00")
    second = reference_annuity(Fraction(q3.opening_balance), rate, 6)
    assert [i.total for i in schedule.installments[2:-1]] == [second] * 5
    assert schedule.installments[-1].closing_balance == D("0.00")
    assert schedule.principal_total == D("1200000.00")
