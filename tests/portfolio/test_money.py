from decimal import Decimal

import pytest

from portfolio.money import format_wan, format_yi, parse_yuan, to_wan, to_yi


def test_units():
    assert format_yi(Decimal("437000000.00")) == "4.37 亿元"
    assert format_wan(Decimal("300000000.00")) == "30,000.00 万元"
    assert to_wan(Decimal("12345")) == Decimal("1.23") and to_yi(Decimal("150000000")) == Decimal("1.50")
    assert format_wan(None) == "0.00 万元"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("1,234.567", Decimal("1234.57")),
        (" 8 ", Decimal("8.00")),
        (12.5, Decimal("12.50")),
        ("-3", Decimal("-3.00")),
    ],
)
def test_parse_yuan(text, expected):
    assert parse_yuan(text) == expected


@pytest.mark.parametrize("text", ["", "abc", "1e30", "NaN", "Infinity", None, "100000000000000"])
def test_parse_yuan_refuses_without_raising(text):
    assert parse_yuan(text) is None
