"""When a month's progress report is due, and whether a report is late (逾期未报)."""

import datetime
from functools import cache

from django.conf import settings
from django.db.models import Q
from django.utils import timezone

from portfolio.workdays import WorkingDay, first_of_next_month, nth_working_day


@cache
def _due(period: datetime.date, working_day: int) -> WorkingDay:
    following = first_of_next_month(period)
    return nth_working_day(following.year, following.month, working_day)


def report_due(period: datetime.date) -> WorkingDay:
    """When the report of `period` is due: the Nth working day of the next month (N a setting), and
    whether the official calendar of that month is known (else weekdays are assumed)."""
    return _due(period, settings.PROGRESS_REPORT_DUE_WORKING_DAY)


def is_late(report, today: datetime.date | None = None) -> bool:
    """Not submitted by its due date: submitted after it, or not yet submitted and the date has passed."""
    due = report_due(report.period).day
    if report.first_submitted_at is not None:
        return timezone.localdate(report.first_submitted_at) > due
    return (today or timezone.localdate()) > due


def late_q(periods, today: datetime.date) -> Q:
    """The reports among `periods` that are late, as a filter: one condition per month."""
    condition = Q(pk__in=[])
    for period in periods:
        due = report_due(period).day
        late = Q(first_submitted_at__date__gt=due)
        if today > due:
            late |= Q(first_submitted_at__isnull=True)
        condition |= Q(period=period) & late
    return condition
