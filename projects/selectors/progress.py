"""Reads of the monthly dispatch: the lists of plans, reports and problems, the due date of a month's
report, what a district must report this month, the review queue, and a project's year of progress."""

import datetime
from decimal import Decimal

from django.db.models import OuterRef, Q, QuerySet, Subquery, Sum
from django.db.models.functions import Coalesce, ExtractYear
from django.utils import timezone
from django.utils.translation import gettext as _

from portfolio.filters import filtered
from portfolio.money import MONEY_FIELD, ZERO_YUAN, percent
from portfolio.workdays import first_of_next_month, month_of, previous_month

from ..choices import PlanStatus, ProblemStatus, ReportStatus, Stage
from ..deadlines import is_late, report_due
from ..filtersets import InvestmentPlanFilterSet, ProblemFilterSet, ProgressReportFilterSet
from ..models import InvestmentPlan, Problem, ProgressReport, Project, StageChange

ZERO = Decimal(0)


# Which months a project reports

REPORTING_STAGES = (Stage.MATURE, Stage.IMPLEMENTATION)


def completed_on(project: Project) -> datetime.date | None:
    """The day the project moved to 完工, if it did."""
    return (
        StageChange.objects.filter(project=project, to_stage=Stage.COMPLETED)
        .order_by("-at")
        .values_list("on", flat=True)
        .first()
    )


def report_refusal(
    *, project: Project, period: datetime.date, today: datetime.date | None = None
) -> str | None:
    """Why `project` does not report for `period`, or None when it does: library projects in 成熟 or 实施
    report every month from the year they are planned to start, a completed one for the month it completed,
    and no month lies in the future."""
    today = today or timezone.localdate()
    if not project.in_library:
        return _("只有已入库的项目填报月报。")
    if period > month_of(today):
        return _("不能填报未来的月份（%(p)s）。") % {"p": f"{period:%Y-%m}"}
    if period < datetime.date(project.start_year, 1, 1):
        return _("%(p)s 早于项目计划开工年份 %(y)d 年。") % {"p": f"{period:%Y-%m}", "y": project.start_year}
    if project.stage == Stage.COMPLETED:
        finished = completed_on(project)
        if finished is not None and month_of(finished) == period:
            return None
        return _("项目已完工，只填报完工当月的月报。")
    if project.stage not in REPORTING_STAGES:
        return _("谋划阶段的项目不填报月报。")
    return None


def completion_rate(year_to_date: Decimal, planned: Decimal | None) -> Decimal | None:
    """Year-to-date completed as a percentage of the annual plan, one decimal; None without a plan."""
    return percent(year_to_date, planned)


def with_cumulative(reports: QuerySet) -> QuerySet:
    """Annotate each report with the year to date (its year's months up to it) and the total since the
    project started reporting, both computed from the reports, never typed."""

    def summed(**within):
        rows = (
            ProgressReport.objects.filter(
                project=OuterRef("project"), period__lte=OuterRef("period"), **within
            )
            .order_by()
            .values("project")
            .annotate(total=Sum("completed_amount"))
            .values("total")
        )
        return Coalesce(Subquery(rows, output_field=MONEY_FIELD), ZERO_YUAN)

    return reports.annotate(
        year_to_date=summed(period__year=ExtractYear(OuterRef("period"))), since_start=summed()
    )


def attach_cumulative(reports) -> list:
    """The year to date and the total since start of the reports of one page, in one query whatever their
    number: a list computes them only for the rows it shows, never for the whole scoped set before its
    LIMIT."""
    reports = list(reports)
    figures = {
        pk: (year_to_date, since_start)
        for pk, year_to_date, since_start in with_cumulative(
            ProgressReport.objects.filter(pk__in=[report.pk for report in reports])
        )
        .order_by()
        .values_list("pk", "year_to_date", "since_start")
    }
    for report in reports:
        report.year_to_date, report.since_start = figures.get(report.pk, (ZERO, ZERO))
    return reports


def plan_list(*, user, params=None, strict: bool = True) -> QuerySet:
    plans = (
        InvestmentPlan.objects.visible_to(user)
        .select_related("project__district")
        .order_by("project__district", "project__code", "year", "pk")
    )
    return filtered(InvestmentPlanFilterSet, params, plans, user=user, strict=strict)


def report_list(*, user, params=None, strict: bool = True) -> QuerySet:
    """The scoped reports, the latest month first, without their cumulative figures: the page that shows
    them adds them with attach_cumulative (or a single record with with_cumulative)."""
    reports = (
        ProgressReport.objects.visible_to(user)
        .select_related("project__district")
        .order_by("-period", "project__district", "project__code", "pk")
    )
    return filtered(ProgressReportFilterSet, params, reports, user=user, strict=strict)


def problem_list(*, user, params=None, strict: bool = True) -> QuerySet:
    problems = (
        Problem.objects.visible_to(user)
        .select_related("project__district")
        .order_by("status", "due_on", "raised_on", "pk")
    )
    return filtered(ProblemFilterSet, params, problems, user=user, strict=strict)


def report_review_queue(*, user) -> QuerySet:
    """Submitted reports, the longest waiting first; the page adds their year to date with
    attach_cumulative."""
    reports = ProgressReport.objects.visible_to(user).filter(status=ReportStatus.SUBMITTED)
    return reports.select_related("project__district").order_by("submitted_at", "pk")


def reporting_projects(*, user, period: datetime.date) -> QuerySet:
    """The library projects `user` may see that must report for `period`: in 成熟 or 实施 and planned to
    have started by that year, or completed within that month."""
    completed_then = StageChange.objects.filter(
        to_stage=Stage.COMPLETED, on__gte=period, on__lt=first_of_next_month(period)
    ).values("project")
    return (
        Project.objects.visible_to(user)
        .in_library()
        .filter(start_year__lte=period.year)
        .filter(
            Q(stage__in=(Stage.MATURE, Stage.IMPLEMENTATION))
            | Q(stage=Stage.COMPLETED, pk__in=completed_then)
        )
        .select_related("district")
        .order_by("district", "code", "pk")
    )


def reporting_period(today: datetime.date | None = None) -> datetime.date:
    """The month districts report now: the last one."""
    return previous_month(month_of(today or timezone.localdate()))


def monthly_todo(*, user, period: datetime.date, today: datetime.date | None = None) -> list[dict]:
    """Every project that must report for `period`, with its report of that month (or none yet), whether it
    is late, and last month's report for reference: three queries whatever the number of projects."""
    today = today or timezone.localdate()
    projects = list(reporting_projects(user=user, period=period))
    ids = [project.pk for project in projects]
    this = {
        r.project_id: r
        for r in with_cumulative(ProgressReport.objects.filter(project__in=ids, period=period))
    }
    last = {
        r.project_id: r
        for r in with_cumulative(
            ProgressReport.objects.filter(project__in=ids, period=previous_month(period))
        )
    }
    due = report_due(period)
    rows = []
    for project in projects:
        report = this.get(project.pk)
        submitted = report is not None and report.first_submitted_at is not None
        late = is_late(report, today) if report is not None else today > due.day
        rows.append(
            {
                "project": project,
                "report": report,
                "previous": last.get(project.pk),
                "status": report.status if report is not None else None,
                "submitted": submitted,
                "is_late": late,
            }
        )
    return rows


def project_progress(*, project: Project, year: int, today: datetime.date | None = None) -> dict:
    """A project's year: its plan, the twelve months with their reports and due dates, the year to date
    against the plan, the latest physical progress, and its open problems."""
    today = today or timezone.localdate()
    plan = InvestmentPlan.objects.filter(project=project, year=year).first()
    reports = {
        r.period: r
        for r in with_cumulative(ProgressReport.objects.filter(project=project, period__year=year))
    }
    months = []
    for month in range(1, 13):
        period = datetime.date(year, month, 1)
        report = reports.get(period)
        due = report_due(period)
        # A month without a report is owed when the project reports for it (its stage, start year, not
        # in the future), and late once its due date has passed.
        owed = report is not None or report_refusal(project=project, period=period, today=today) is None
        months.append(
            {
                "period": period,
                "report": report,
                "owed": owed,
                "due": due.day,
                "due_official": due.official,
                "is_late": is_late(report, today) if report is not None else owed and today > due.day,
            }
        )
    year_to_date = sum((r.completed_amount for r in reports.values()), ZERO)
    latest = (
        ProgressReport.objects.filter(project=project)
        .exclude(physical_progress="")
        .order_by("-period")
        .first()
    )
    open_problems = list(project.problems.filter(status=ProblemStatus.OPEN).order_by("due_on", "pk"))
    return {
        "year": year,
        "plan": plan,
        "plan_confirmed": plan is not None and plan.status == PlanStatus.CONFIRMED,
        "months": months,
        "year_to_date": year_to_date,
        "completion_rate": completion_rate(year_to_date, plan.planned_amount if plan else None),
        "latest": latest,
        "open_problems": open_problems,
        "today": today,
    }
