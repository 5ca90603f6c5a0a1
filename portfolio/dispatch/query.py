"""Which dispatch a request asks for: `year`, `month` (the last month by default) and, for city users,
optionally one `district`; the page, the API and the outputs read it the same way."""

import datetime

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from projects.models import District

from .selectors import default_month


class DispatchQuery(forms.Form):
    year = forms.IntegerField(
        label=_("年度"),
        required=False,
        min_value=2000,
        max_value=2100,
        error_messages={"invalid": _("年度应为四位数字，如 2026。")},
    )
    month = forms.IntegerField(
        label=_("月份"),
        required=False,
        min_value=1,
        max_value=12,
        error_messages={"invalid": _("月份应为 1 至 12 的数字。")},
    )
    district = forms.ModelChoiceField(
        label=_("区"),
        queryset=District.objects.order_by("code"),
        required=False,
        empty_label=_("全市"),
        error_messages={"invalid_choice": _("没有这个区划代码。")},
    )

    def __init__(self, data=None, *, today: datetime.date | None = None, **kwargs):
        self.today = today or timezone.localdate()
        super().__init__(data, **kwargs)

    def clean(self):
        data = super().clean()
        if self.errors:
            return data
        default_year, default_month_number = default_month(self.today)
        year = data.get("year") or default_year
        month = data.get("month")
        if month is None:
            month = default_month_number if year == default_year else 12
        if (year, month) > (self.today.year, self.today.month):
            raise forms.ValidationError(
                _("不能查看未来的月份（%(p)s）。"), params={"p": f"{year}-{month:02d}"}, code="future"
            )
        if (year, month) > (default_year, default_month_number):
            # This month's reports are due next month: counting it as elapsed would flag everyone.
            raise forms.ValidationError(
                _("%(p)s 的月报尚未到报送期，最近可查看 %(last)s。"),
                params={"p": f"{year}-{month:02d}", "last": f"{default_year}-{default_month_number:02d}"},
                code="not_yet",
            )
        data["year"], data["month"] = year, month
        return data

    @property
    def chosen(self) -> dict:
        """year, month and district (its code or None) of a valid query."""
        district = self.cleaned_data.get("district")
        return {
            "year": self.cleaned_data["year"],
            "month": self.cleaned_data["month"],
            "district": district.code if district else None,
        }
