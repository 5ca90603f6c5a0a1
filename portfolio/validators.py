import datetime

from django.core.exceptions import ValidationError
from django.utils.deconstruct import deconstructible
from django.utils.translation import gettext_lazy as _

EARLIEST = datetime.date(1990, 1, 1)
LATEST = datetime.date(2100, 12, 31)


@deconstructible
class PlausibleDate:
    """A date within the years the library can concern: 1990 to 2100."""

    def __call__(self, value):
        if value is not None and not EARLIEST <= value <= LATEST:
            raise ValidationError(_("日期应在 1990 年至 2100 年之间。"), code="date_range")

    def __eq__(self, other):
        return isinstance(other, PlausibleDate)


plausible_date = PlausibleDate()
