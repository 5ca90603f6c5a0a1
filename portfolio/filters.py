import django_filters
from django import forms

# The largest id a database integer column holds.
MAX_ID = 2**63 - 1


class IntegerFilter(django_filters.NumberFilter):
    """A whole number, or a 400 (a plain NumberFilter would take 2025.7 for 2025)."""

    field_class = forms.IntegerField


class IdFilter(IntegerFilter):
    """A record's id: a whole number in a database integer's range."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("min_value", 1)
        kwargs.setdefault("max_value", MAX_ID)
        super().__init__(*args, **kwargs)


class AmountFilter(django_filters.NumberFilter):
    """An amount in 元 that fits a money column (16 digits, 2 after the point)."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("max_digits", 16)
        kwargs.setdefault("decimal_places", 2)
        kwargs.setdefault("min_value", 0)
        super().__init__(*args, **kwargs)
