"""The daily reminders (manage.py remind): what each district user has to do, and the city's summary.

For a district user, from its own district's records only (every read goes through `.visible_to(user)`):
the reporting month's reports coming due within settings.REMIND_DUE_WITHIN_WORKING_DAYS working days, the
reports late, the problems overdue, and the reports and projects returned to it. For city staff: one
summary of the city. Finance and lenders get nothing. A reminder is made only when it has something to
say, and its key names its kind, its subject and the day, so that a second run the same day makes and
mails nothing and the next day reminds again. A fixed number of queries per user, whatever the number of
projects.
"""

import datetime
from collections import Counter
from dataclasses import dataclass, field

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db.models import Q
from django.urls import reverse
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from portfolio import access
from portfolio.models import Notification, NotificationKind
from portfolio.notifications import notify, send_emails
from portfolio.workdays import is_working_day, previous_month
from projects.choices import ProblemStatus, ReportStatus, ReviewStatus
from projects.deadlines import report_due
from projects.models import Problem, ProgressReport, Project
from projects.selectors.progress import monthly_todo, reporting_period

# A reminder names this many records and counts the rest.
NAMED = 3
# A report still missing is reminded of for this many months after its own: each month one reminder.
LOOKBACK_MONTHS = 6


def earlier_months(period: datetime.date) -> list[datetime.date]:
    """The months before `period` whose missing reports are still reminded of, the latest first."""
    months, month = [], period
    for _number in range(LOOKBACK_MONTHS):
        month = previous_month(month)
        months.append(month)
    return months


def still_missing(user, *, period: datetime.date, today: datetime.date) -> list[tuple[datetime.date, list]]:
    """The earlier months' reports that are late and still not submitted, month by month (3 queries a
    month, whatever the number of projects)."""
    months = []
    for month in earlier_months(period):
        rows = [r for r in monthly_todo(user=user, period=month, today=today) if not r["submitted"]]
        if rows:
            months.append((month, rows))
    return months


@dataclass(frozen=True)
class Reminder:
    user: object
    key: str
    kind: str
    title: str
    body: str
    link: str


@dataclass
class Outcome:
    """What a run made (or, dry, would make): the new reminders, and the emails sent."""

    today: datetime.date
    planned: list[Reminder]
    new: list[Reminder]
    created: list[Notification] = field(default_factory=list)
    emails: int = 0
    dry_run: bool = False

    @property
    def users(self) -> int:
        return len({reminder.user.pk for reminder in self.new})


def working_days_until(today: datetime.date, due: datetime.date) -> int:
    """The working days after `today` up to and including `due`: 0 on the due day itself."""
    count, day = 0, today
    while day < due:
        day += datetime.timedelta(days=1)
        if is_working_day(day)[0]:
            count += 1
    return count


def _named(names: list[str], total: int) -> str:
    """'A、B、C 等 7 个' for the first names of `total` records."""
    shown = "、".join(names[:NAMED])
    if total > NAMED:
        return _("%(names)s 等 %(total)d 个") % {"names": shown, "total": total}
    return shown


def _url(name: str, *args, **params) -> str:
    path = reverse(name, args=args)
    return f"{path}?{urlencode(params)}" if params else path


def _key(kind: str, subject: str, today: datetime.date, period: datetime.date | None = None) -> str:
    parts = [kind, subject, *([f"{period:%Y-%m}"] if period else []), today.isoformat()]
    return ":".join(parts)


def _overdue_problems(user, today: datetime.date):
    # As the dispatch counts them: the problems of library projects.
    return Problem.objects.visible_to(user).filter(
        status=ProblemStatus.OPEN, due_on__lt=today, project__review_status=ReviewStatus.ACCEPTED
    )


# -- a district user -------------------------------------------------------------------------------------


def district_reminders(user, *, code: str, today: datetime.date) -> list[Reminder]:
    period = reporting_period(today)
    due = report_due(period)
    label, due_label = f"{period:%Y-%m}", f"{due.day:%Y-%m-%d}"
    provisional = "" if due.official else _("（该年度法定节假日安排尚未公布，截止日期暂按周一至周五推算）")
    monthly = _url("projects:monthly", period=label)
    rows = monthly_todo(user=user, period=period, today=today)
    pending = [row for row in rows if not row["submitted"]]
    made = []

    def remind(kind, subject, title, body, link, with_period=None):
        made.append(Reminder(user, _key(kind, subject, today, with_period), kind, title, body, link))

    # (a) coming due: on or before the due day, within the window of working days.
    window = settings.REMIND_DUE_WITHIN_WORKING_DAYS
    if pending and today <= due.day and working_days_until(today, due.day) <= window:
        names = [row["project"].name for row in pending]
        remind(
            NotificationKind.REPORT_DUE,
            code,
            ngettext(
                "%(count)d 个项目的 %(period)s 月报将于 %(due)s 到期",
                "%(count)d 个项目的 %(period)s 月报将于 %(due)s 到期",
                len(pending),
            )
            % {"count": len(pending), "period": label, "due": due_label},
            _("尚未报送：%(names)s。请于 %(due)s 前报送。")
            % {"names": _named(names, len(pending)), "due": due_label}
            + provisional,
            monthly,
            period,
        )

    # (b) late: past the due day and not submitted.
    late = [row for row in pending if row["is_late"]]
    if late:
        names = [row["project"].name for row in late]
        remind(
            NotificationKind.REPORT_LATE,
            code,
            ngettext(
                "%(count)d 个项目的 %(period)s 月报逾期未报",
                "%(count)d 个项目的 %(period)s 月报逾期未报",
                len(late),
            )
            % {"count": len(late), "period": label},
            _("应于 %(due)s 前报送，至今未报：%(names)s。请尽快补报。")
            % {"due": due_label, "names": _named(names, len(late))},
            monthly,
            period,
        )

    # (b') the earlier months' reports still missing: one reminder for all of them.
    earlier = still_missing(user, period=period, today=today)
    if earlier:
        count = sum(len(rows) for _month, rows in earlier)
        remind(
            NotificationKind.REPORT_MISSING,
            code,
            ngettext(
                "此前月份仍有 %(count)d 份月报未报",
                "此前月份仍有 %(count)d 份月报未报",
                count,
            )
            % {"count": count},
            "\n".join(
                _("%(period)s：%(names)s")
                % {
                    "period": f"{month:%Y-%m}",
                    "names": _named([row["project"].name for row in rows], len(rows)),
                }
                for month, rows in earlier
            ),
            _url("projects:monthly", period=f"{earlier[0][0]:%Y-%m}"),
            period,
        )

    # (c) problems past their due date and still open.
    overdue = _overdue_problems(user, today)
    count = overdue.count()
    if count:
        first = overdue.select_related("project").order_by("due_on", "pk")[:NAMED]
        lines = [
            _("%(project)s：%(problem)s（要求 %(due)s 前解决）")
            % {"project": p.project.name, "problem": p.description[:40], "due": f"{p.due_on:%Y-%m-%d}"}
            for p in first
        ]
        if count > NAMED:
            lines.append(_("……共 %(count)d 个。") % {"count": count})
        remind(
            NotificationKind.PROBLEM_OVERDUE,
            code,
            ngettext("%(count)d 个问题逾期未解决", "%(count)d 个问题逾期未解决", count) % {"count": count},
            "\n".join(lines),
            _url("projects:problem_list", is_overdue="true"),
        )

    # (d) returned to the district: monthly reports and projects waiting for it.
    returned = ProgressReport.objects.visible_to(user).filter(status=ReportStatus.RETURNED)
    count = returned.count()
    if count:
        first = list(returned.select_related("project").order_by("period", "pk")[:NAMED])
        names = [
            _("%(project)s %(period)s 月报") % {"project": r.project.name, "period": r.period_label}
            for r in first
        ]
        link = (
            _url("projects:report_detail", first[0].pk)
            if count == 1
            else _url("projects:monthly", period=first[0].period_label)
        )
        remind(
            NotificationKind.RETURNED,
            f"reports:{code}",
            ngettext("%(count)d 份月报被退回待修改", "%(count)d 份月报被退回待修改", count)
            % {"count": count},
            _("被退回的月报：%(names)s。请按审核意见修改后重新报送。") % {"names": _named(names, count)},
            link,
        )
    returned = Project.objects.visible_to(user).filter(review_status=ReviewStatus.RETURNED)
    count = returned.count()
    if count:
        first = list(returned.order_by("code", "pk")[:NAMED])
        link = (
            _url("projects:project_detail", first[0].pk)
            if count == 1
            else _url("projects:project_list", review_status=ReviewStatus.RETURNED)
        )
        remind(
            NotificationKind.RETURNED,
            f"projects:{code}",
            ngettext("%(count)d 个项目入库申报被退回", "%(count)d 个项目入库申报被退回", count)
            % {"count": count},
            _("被退回的项目：%(names)s。请按审核意见修改后重新提交。")
            % {"names": _named([p.name for p in first], count)},
            link,
        )
    return made


# -- city staff ------------------------------------------------------------------------------------------


def city_summary(user, *, today: datetime.date) -> list[Reminder]:
    period = reporting_period(today)
    due = report_due(period)
    label = f"{period:%Y-%m}"
    rows = monthly_todo(user=user, period=period, today=today)
    missing = [row for row in rows if not row["submitted"]]
    late = [row for row in missing if row["is_late"]]
    overdue = _overdue_problems(user, today).count()
    reviews = ProgressReport.objects.visible_to(user).filter(status=ReportStatus.SUBMITTED).count()
    submissions = Project.objects.visible_to(user).filter(review_status=ReviewStatus.SUBMITTED).count()
    earlier = still_missing(user, period=period, today=today)
    if not (missing or overdue or reviews or submissions or earlier):
        return []
    by_district = Counter(row["project"].district.name for row in late)
    lines = [
        _(
            "%(period)s 月报（截止 %(due)s）：应报 %(total)d 个，"
            "未报 %(missing)d 个，其中逾期未报 %(late)d 个。"
        )
        % {
            "period": label,
            "due": f"{due.day:%Y-%m-%d}",
            "total": len(rows),
            "missing": len(missing),
            "late": len(late),
        }
    ]
    if by_district:
        districts = "、".join(f"{name} {n}" for name, n in by_district.most_common())
        lines.append(_("逾期未报的区：%(districts)s。") % {"districts": districts})
    if earlier:
        months = "、".join(f"{month:%Y-%m} {len(rows)} 个" for month, rows in earlier)
        lines.append(_("此前月份仍未报送的月报：%(months)s。") % {"months": months})
    lines += [
        _("逾期未解决的问题：%(count)d 个。") % {"count": overdue},
        _("待审核的月报：%(count)d 份。") % {"count": reviews},
        _("待入库审核的项目：%(count)d 个。") % {"count": submissions},
    ]
    title = _(
        "全市每日汇总：逾期未报 %(late)d · 逾期问题 %(overdue)d · "
        "待审月报 %(reviews)d · 待入库 %(submissions)d"
    ) % {
        "late": len(late) + sum(len(rows) for _month, rows in earlier),
        "overdue": overdue,
        "reviews": reviews,
        "submissions": submissions,
    }
    kind = NotificationKind.CITY_SUMMARY
    link = _url("dispatch", year=period.year, month=period.month)
    return [Reminder(user, _key(kind, "city", today, period), kind, title, "\n".join(lines), link)]


# -- the run ---------------------------------------------------------------------------------------------


def recipients():
    """The active users who may be reminded: city staff (superusers are) and district users."""
    return (
        get_user_model()
        .objects.filter(is_active=True)
        .filter(Q(is_superuser=True) | Q(groups__name__in=(access.CITY_STAFF, access.DISTRICT_USER)))
        .distinct()
        .order_by("pk")
    )


def reminders(*, today: datetime.date) -> list[Reminder]:
    """Every user's reminders of `today`, by their role (the stronger one when a user has two)."""
    made = []
    for user in recipients():
        role = access.role_of(user)
        if role == access.CITY_STAFF:
            made += city_summary(user, today=today)
        elif role == access.DISTRICT_USER:
            code = access.district_code_of(user)
            if code:
                made += district_reminders(user, code=code, today=today)
    return made


def remind(*, today: datetime.date, dry_run: bool = False) -> Outcome:
    """Make today's new notifications and mail them; `dry_run` only says what would be new."""
    planned = reminders(today=today)
    if dry_run:
        existing = set(
            Notification.objects.filter(key__in={r.key for r in planned}).values_list("user_id", "key")
        )
        new = [r for r in planned if (r.user.pk, r.key) not in existing]
        return Outcome(today=today, planned=planned, new=new, dry_run=True)
    new, created = [], []
    for reminder in planned:
        notification = notify(
            user=reminder.user,
            key=reminder.key,
            kind=reminder.kind,
            title=reminder.title,
            body=reminder.body,
            link=reminder.link,
            # The key ends with the day: the same reminder of an earlier day is superseded.
            supersedes=reminder.key.rsplit(":", 1)[0] + ":",
        )
        if notification is not None:
            new.append(reminder)
            created.append(notification)
    # Mail what is new, and what an earlier run of the day made but could not mail (it stopped, or the
    # server failed): each notification is mailed once, when its emailed_at is still empty.
    wanted = {(r.user.pk, r.key) for r in planned}
    unmailed = [
        n
        for n in Notification.objects.filter(key__in={key for _user, key in wanted}, emailed_at__isnull=True)
        .select_related("user")
        .order_by("pk")
        if (n.user_id, n.key) in wanted
    ]
    return Outcome(today=today, planned=planned, new=new, created=created, emails=send_emails(unmailed))


def run_reminders(job, progress):
    """The day's reminders as a background job (`manage.py remind --enqueue`), for the day it was queued."""
    from portfolio.jobs.services import Outcome as JobOutcome

    today = datetime.date.fromisoformat(job.params["date"])
    outcome = remind(today=today)
    progress(len(outcome.planned), len(outcome.planned))
    return JobOutcome(
        result={
            "date": today.isoformat(),
            "created": len(outcome.created),
            "users": outcome.users,
            "emails": outcome.emails,
        }
    )
