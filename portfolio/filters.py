import django_filters
from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

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


class ScopedFilterSet(django_filters.FilterSet):
    """A FilterSet that knows whose list it narrows (`user`), for choices that depend on the scope."""

    def __init__(self, data=None, queryset=None, *, request=None, prefix=None, user=None):
        self.user = user if user is not None else getattr(request, "user", None)
        super().__init__(data, queryset, request=request, prefix=prefix)


def filtered(filterset_class, params, queryset, *, user, strict: bool = True):
    """`queryset` narrowed and ordered by `params` through `filterset_class`: the one way a list is filtered.

    Without params, the queryset as it is. With `strict`, an invalid value is a ValidationError naming the
    parameter (a 400 in the API and the exports); without, it is left out, as a page does while its form
    shows the error."""
    if params is None:
        return queryset
    filterset = filterset_class(params, queryset=queryset, user=user)
    if strict and not filterset.is_valid():
        raise ValidationError({name: list(messages) for name, messages in filterset.errors.items()})
    return filterset.qs


class MonthField(forms.CharField):
    """A month written YYYY-MM, cleaned to its first day."""

    def to_python(self, value):
        from .workdays import parse_month

        text = super().to_python(value)
        if text in self.empty_values:
            return None
        period = parse_month(text)
        if period is None:
            raise forms.ValidationError(_("月份应为 YYYY-MM，如 2026-03。"), code="invalid")
        return period


class MonthFilter(django_filters.Filter):
    """A month (YYYY-MM) matched against a date field that holds months as their first day."""

    field_class = MonthField
