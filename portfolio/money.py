"""Money is stored in 元 as Decimal.

Tables show 万元 with two decimals, dashboards 亿元; every figure carries its unit.
"""

from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

from django.db.models import DecimalField, Value

WAN = Decimal(10_000)
YI = Decimal(100_000_000)
CENT = Decimal("0.01")

# The output field of sums and differences of amounts in the database, and their zero.
MONEY_FIELD = DecimalField(max_digits=18, decimal_places=2)
ZERO_YUAN = Value(0, output_field=MONEY_FIELD)


def to_wan(yuan) -> Decimal:
    return (Decimal(yuan or 0) / WAN).quantize(CENT, rounding=ROUND_HALF_UP)


def to_yi(yuan) -> Decimal:
    return (Decimal(yuan or 0) / YI).quantize(CENT, rounding=ROUND_HALF_UP)


def format_wan(yuan) -> str:
    return f"{to_wan(yuan):,.2f} 万元"


def format_yi(yuan) -> str:
    return f"{to_yi(yuan):,.2f} 亿元"


# Rates are percentages with one decimal: 25.0 means 25.0%.
ONE_DECIMAL = Decimal("0.1")


def percent(part, whole) -> Decimal | None:
    """`part` as a percentage of `whole`, one decimal, half up; None when there is nothing to divide by."""
    if not whole:
        return None
    return (Decimal(part) * 100 / Decimal(whole)).quantize(ONE_DECIMAL, rounding=ROUND_HALF_UP)


def format_percent(rate) -> str:
    """A rate as shown: its one decimal and the sign (56 → 56.0%); — without one."""
    return "—" if rate is None else f"{rate:.1f}%"


# The largest amount a money column holds (16 digits, 2 after the point).
MAX_YUAN = Decimal("99999999999999.99")


def parse_yuan(value) -> Decimal | None:
    """An amount in 元 from text or a number; None when it is not a decimal that a money column holds."""
    try:
        amount = Decimal(str(value).replace(",", "").strip())
        if not amount.is_finite() or abs(amount) > MAX_YUAN:
            return None
        return amount.quantize(CENT, rounding=ROUND_HALF_UP)
    except (InvalidOperation, ValueError):
        return None
