"""Working days by China's official calendar: weekends, public holidays and the adjusted working days
(调休), from the `chinese-calendar` package, which publishes each year once the State Council does.

For a year the package does not know yet, Monday to Friday count as working days and the answer says so
(`official` is False), so that a page can tell its reader the date is provisional.
"""

import datetime
from dataclasses import dataclass

import chinese_calendar


@dataclass(frozen=True)
class WorkingDay:
    day: datetime.date
    official: bool  # False when the official calendar of that year is not known yet (weekdays assumed)


def is_working_day(day: datetime.date) -> tuple[bool, bool]:
    """(whether `day` is a working day, whether the official calendar said so)."""
    try:
        return chinese_calendar.is_workday(day), True
    except NotImplementedError:
        return day.weekday() < 5, False


def nth_working_day(year: int, month: int, n: int) -> WorkingDay:
    """The `n`-th working day of a month (n ≥ 1)."""
    day = datetime.date(year, month, 1)
    official, count = True, 0
    while True:
        working, known = is_working_day(day)
        official = official and known
        if working:
            count += 1
            if count == n:
                return WorkingDay(day, official)
        day += datetime.timedelta(days=1)


def first_of_next_month(period: datetime.date) -> datetime.date:
    return datetime.date(period.year + period.month // 12, period.month % 12 + 1, 1)


def parse_month(text) -> datetime.date | None:
    """The first day of the month written `YYYY-MM`, or None when it is not one."""
    text = str(text or "").strip()
    if len(text) != 7 or text[4] != "-" or not (text[:4].isdigit() and text[5:].isdigit()):
        return None
    year, month = int(text[:4]), int(text[5:])
    if not (1990 <= year <= 2100 and 1 <= month <= 12):
        return None
    return datetime.date(year, month, 1)


def month_of(day: datetime.date) -> datetime.date:
    return day.replace(day=1)


def previous_month(period: datetime.date) -> datetime.date:
    return (period - datetime.timedelta(days=1)).replace(day=1)
