"""The monthly dispatch (月度调度) of a year up to a month, for one user: every project that has a plan for
the year or owes that month's report, each district, and the city, with their completion rate against
序时进度, their flag and its reasons, the reports due, late and missing, the four rates, and the overdue
problems. One selector: the page, the API, the 调度表 and the 通报 all read `dispatch_figures`, so they
never disagree. A fixed number of queries, whatever the number of projects and months.
"""

import datetime
from collections import defaultdict
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from functools import cached_property

from django.conf import settings
from django.db import models
from django.db.models import F, Q, Sum
from django.db.models.functions import Coalesce
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from financing.selectors import funding_in_place
from portfolio.access import scope_q
from portfolio.money import CENT, MONEY_FIELD, ONE_DECIMAL, ZERO_YUAN, percent
from portfolio.workdays import first_of_next_month
from projects.choices import PlanKind, ProblemStatus, ReportStatus, Stage
from projects.deadlines import is_late, report_due
from projects.models import District, InvestmentPlan, Problem, ProgressReport, Project, StageChange
from projects.selectors.progress import reporting_projects

ZERO = Decimal(0)


class Flag(models.TextChoices):
    RED = "red", gettext_lazy("红旗")
    YELLOW = "yellow", gettext_lazy("黄旗")
    GREEN = "green", gettext_lazy("正常")


# What a project's report of the month is, for the dispatch: its status, or that it is owed and not there.
MISSING = "missing"
NOT_REQUIRED = "not_required"
REPORT_STATUS_LABELS = {
    **dict(ReportStatus.choices),
    MISSING: gettext_lazy("未报"),
    NOT_REQUIRED: gettext_lazy("无需填报"),
}


def time_progress(month: int) -> Decimal:
    """序时进度: the months elapsed in the year over twelve, as a percentage."""
    return percent(month, 12)


def flag_of(gap: Decimal | None, *, late: bool) -> str:
    """Red when a report is late or `gap` (completion rate minus 序时进度) is the red threshold or more
    behind, yellow when the yellow one, otherwise green. Without a rate only lateness flags."""
    if late or (gap is not None and -gap >= settings.DISPATCH_RED_POINTS):
        return Flag.RED
    if gap is not None and -gap >= settings.DISPATCH_YELLOW_POINTS:
        return Flag.YELLOW
    return Flag.GREEN


@dataclass
class Figures:
    """What a project, a district and the city have in common in the dispatch."""

    total_investment: Decimal = ZERO
    annual_plan: Decimal = ZERO
    this_month: Decimal = ZERO
    year_to_date: Decimal = ZERO
    since_start: Decimal = ZERO
    completion_rate: Decimal | None = None
    gap: Decimal | None = None
    flag: str = Flag.GREEN
    behind: bool = False  # the yellow threshold or more behind 序时进度

    @property
    def flag_label(self) -> str:
        return Flag(self.flag).label


@dataclass
class ProjectRow(Figures):
    project: object = None
    plan: object = None
    report: object = None
    report_status: str = NOT_REQUIRED
    owes_report: bool = False
    report_late: bool = False
    progress_percent: Decimal | None = None
    physical_progress: str = ""
    open_problems: list = field(default_factory=list)
    overdue_problems: int = 0
    reasons: list = field(default_factory=list)

    @property
    def report_status_label(self) -> str:
        return REPORT_STATUS_LABELS[self.report_status]


@dataclass
class Rates:
    """四率: 开工率, 投资完成率, 资金到位率, 按期竣工率, each with the counts or sums it divides."""

    planned_starts: int = 0
    started: int = 0
    approved: Decimal = ZERO
    received: Decimal = ZERO
    planned_completions: int = 0
    completed_on_time: int = 0
    annual_plan: Decimal = ZERO
    year_to_date: Decimal = ZERO

    @property
    def start_rate(self):
        return percent(self.started, self.planned_starts)

    @property
    def completion_rate(self):
        return percent(self.year_to_date, self.annual_plan)

    @property
    def funding_in_place_rate(self):
        return percent(self.received, self.approved)

    @property
    def on_time_completion_rate(self):
        return percent(self.completed_on_time, self.planned_completions)

    def as_dict(self) -> dict:
        return {
            "start_rate": self.start_rate,
            "completion_rate": self.completion_rate,
            "funding_in_place_rate": self.funding_in_place_rate,
            "on_time_completion_rate": self.on_time_completion_rate,
        }


@dataclass
class DistrictRow(Figures):
    district: object = None
    projects: list = field(default_factory=list)
    reports_due: int = 0
    reports_late: int = 0
    reports_missing: int = 0
    red: int = 0
    yellow: int = 0
    rates: Rates = field(default_factory=Rates)

    @property
    def idle(self) -> bool:
        """Nothing planned and nothing to report this month: no flag to show."""
        return not self.projects


@dataclass
class DispatchHead:
    """What every dispatch of a month has, whether made of its project rows (Dispatch) or of sums
    (summary.DispatchSummary): the month, its deadline and thresholds, the districts and the city's row."""

    year: int
    month: int
    period: datetime.date
    cutoff: datetime.date
    today: datetime.date
    due: datetime.date
    time_progress: Decimal
    red_points: Decimal
    yellow_points: Decimal
    districts: list  # ranked by completion rate, the highest first
    total: DistrictRow

    @property
    def rates(self) -> Rates:
        return self.total.rates


@dataclass
class Dispatch(DispatchHead):
    overdue_problems: list

    # The lists below are read several times by each output (the 通报 counts, lists and sums them):
    # each is worked out once. A Dispatch is a finished read; nothing changes it afterwards.
    @cached_property
    def projects(self) -> list:
        """Every project row, grouped by district in the districts' code order, then by project code."""
        return [row for district in self.by_code for row in district.projects]

    @cached_property
    def by_code(self) -> list:
        return sorted(self.districts, key=lambda d: d.district.code)

    @cached_property
    def flagged(self) -> list:
        """The red projects, then the yellow, each the furthest behind first."""
        rows = [row for row in self.projects if row.flag != Flag.GREEN]
        return sorted(rows, key=lambda r: (r.flag != Flag.RED, r.gap if r.gap is not None else ZERO))

    @cached_property
    def red(self) -> list:
        return [row for row in self.flagged if row.flag == Flag.RED]

    @cached_property
    def yellow(self) -> list:
        return [row for row in self.flagged if row.flag == Flag.YELLOW]

    @cached_property
    def late_reports(self) -> list:
        return [row for row in self.projects if row.report_late]


def _cents(amount) -> Decimal:
    return Decimal(amount or 0).quantize(CENT)


def _summed(amount: str, **where) -> Coalesce:
    return Coalesce(Sum(amount, filter=Q(**where) if where else None), ZERO_YUAN, output_field=MONEY_FIELD)


def district_rows_of(*, user, district: str | None, row: type) -> dict:
    """An empty `row` per district the user sees (or only `district`), by code: each district is ranked even
    with nothing to report. One query."""
    districts = District.objects.filter(scope_q(user, "code"))
    if district:
        districts = districts.filter(code=district)
    return {
        code: row(district=District(code=code, name=name))
        for code, name in districts.values_list("code", "name")
    }


def _ranked(districts: list) -> list:
    """Completion rate, highest first; districts without a rate last; then by code."""
    return sorted(
        districts,
        key=lambda d: (d.completion_rate is None, -(d.completion_rate or ZERO), d.district.code),
    )


def _settle(row: Figures, *, year_to_date, plan, month: int, late: bool, compared: bool = True) -> None:
    """The rate (year to date / plan), the gap to 序时进度 and the flag. The flag is judged on the exact
    gap, not on the rounded figures shown: 19.96 points behind is yellow, though it shows as 20.0.
    Without `compared` (a project that does not report this month) there is no gap to judge."""
    row.completion_rate = percent(year_to_date, plan)
    exact = None
    if row.completion_rate is not None and compared:
        exact = Decimal(year_to_date) * 100 / Decimal(plan) - Decimal(month) * 100 / 12
    row.gap = None if exact is None else exact.quantize(ONE_DECIMAL, rounding=ROUND_HALF_UP)
    row.flag = flag_of(exact, late=late)
    row.behind = exact is not None and -exact >= settings.DISPATCH_YELLOW_POINTS


def dispatch_figures(
    *, user, year: int, month: int, district: str | None = None, today: datetime.date | None = None
) -> Dispatch:
    """The dispatch of `year` up to `month` as `user` may see it, optionally one district's only."""
    return _figures(user=user, year=year, month=month, district=district, today=today)


def _figures(*, user, year: int, month: int, district: str | None, today, only=None) -> Dispatch:
    """dispatch_figures; with `only` (a subquery of project ids), the rows of those projects alone, their
    open problems only, and totals that count nothing else: what a summary lists in full."""
    today = today or timezone.localdate()
    period = datetime.date(year, month, 1)
    cutoff = first_of_next_month(period) - datetime.timedelta(days=1)
    january = datetime.date(year, 1, 1)
    progress = time_progress(month)

    plans = InvestmentPlan.objects.visible_to(user).filter(year=year, project__review_status="accepted")
    owing = reporting_projects(user=user, period=period)
    problems = Problem.objects.visible_to(user).filter(
        status=ProblemStatus.OPEN, project__review_status="accepted"
    )
    if district:
        plans = plans.filter(project__district=district)
        owing = owing.filter(district=district)
        problems = problems.filter(project__district=district)
    if only is not None:
        plans = plans.filter(project__in=only)
        owing = owing.filter(pk__in=only)
        problems = problems.filter(project__in=only)

    # The projects of the dispatch, as a subquery (no list of ids, however many there are).
    chosen = Project.objects.filter(Q(pk__in=plans.values("project")) | Q(pk__in=owing.values("pk"))).values(
        "pk"
    )
    # 1. The plans, with their projects and districts.
    plans = {plan.project_id: plan for plan in plans.select_related("project__district")}
    # 2. The projects that owe this month's report (some have no plan for the year).
    owing = {project.pk: project for project in owing}
    projects = {pk: plan.project for pk, plan in plans.items()} | {
        pk: project for pk, project in owing.items() if pk not in plans
    }
    ids = list(projects)
    if only is not None:
        # A short list now known: the queries below read these rows by id, not the dispatch's subquery.
        chosen = ids
    # 3. The reported investment of every project, up to the month: reports once submitted count.
    counted = ProgressReport.objects.filter(project__in=chosen, period__lte=period).exclude(
        status=ReportStatus.DRAFT
    )
    sums = {
        row["project"]: row
        for row in counted.values("project")
        .annotate(
            this_month=_summed("completed_amount", period=period),
            year_to_date=_summed("completed_amount", period__gte=january),
            since_start=_summed("completed_amount"),
        )
        .order_by()
    }
    # 4. The month's reports, whatever their status.
    reports = {r.project_id: r for r in ProgressReport.objects.filter(project__in=chosen, period=period)}
    # 5. The open problems of these projects and of every other visible one: the overdue are listed.
    open_problems = list(
        problems.select_related("project__district").order_by(
            F("due_on").asc(nulls_last=True), "raised_on", "pk"
        )
    )
    # 6. Funding approved and received, per project (financing owns the figure).
    funding = funding_in_place(chosen)
    # 7. The projects completed in the year by the end of the month.
    completed = set(
        StageChange.objects.filter(
            project__in=chosen, to_stage=Stage.COMPLETED, on__gte=january, on__lte=cutoff
        ).values_list("project", flat=True)
    )
    # 8. The districts the user sees, each ranked even with nothing to report.
    district_rows = district_rows_of(user=user, district=district, row=DistrictRow)

    problems_of = defaultdict(list)
    overdue = []
    for problem in open_problems:
        problems_of[problem.project_id].append(problem)
        if problem.due_on is not None and problem.due_on < today:
            overdue.append(problem)

    total = DistrictRow(district=District(code="", name=_("全市")))
    for pk in sorted(ids, key=lambda pk: (projects[pk].district_id, projects[pk].code, pk)):
        project = projects[pk]
        plan = plans.get(pk)
        report = reports.get(pk)
        summed = sums.get(pk, {})
        owes = pk in owing or report is not None
        if report is not None:
            status = report.status
            late = owes and is_late(report, today)
        else:
            status = MISSING if owes else NOT_REQUIRED
            late = owes and today > report_due(period).day
        row = ProjectRow(
            project=project,
            plan=plan,
            report=report,
            report_status=status,
            owes_report=owes,
            report_late=late,
            total_investment=project.total_investment,
            annual_plan=plan.planned_amount if plan else ZERO,
            this_month=_cents(summed.get("this_month")),
            year_to_date=_cents(summed.get("year_to_date")),
            since_start=_cents(summed.get("since_start")),
            progress_percent=report.progress_percent if report else None,
            physical_progress=report.physical_progress if report else "",
            open_problems=problems_of.get(pk, []),
        )
        row.overdue_problems = sum(1 for p in row.open_problems if p.due_on and p.due_on < today)
        _settle(
            row,
            year_to_date=row.year_to_date,
            plan=plan.planned_amount if plan else None,
            month=month,
            late=late,
            # A project that does not report this month (谋划, not started yet, completed earlier) has a
            # plan to read against, but nothing reported to be behind with.
            compared=owes,
        )
        row.reasons = _reasons(row, period)

        area = district_rows[project.district_id]
        area.projects.append(row)
        for place in (area, total):
            for name in ("total_investment", "annual_plan", "this_month", "year_to_date", "since_start"):
                setattr(place, name, getattr(place, name) + getattr(row, name))
            place.reports_due += owes
            place.reports_late += late
            place.reports_missing += owes and (report is None or report.first_submitted_at is None)
            place.red += row.flag == Flag.RED
            place.yellow += row.flag == Flag.YELLOW
            rates = place.rates
            if plan is not None:
                rates.annual_plan += plan.planned_amount
                rates.year_to_date += row.year_to_date
                if plan.kind == PlanKind.NEW_START:
                    rates.planned_starts += 1
                    started = project.construction_started_on
                    rates.started += started is not None and started <= cutoff
                if plan.completes_this_year:
                    rates.planned_completions += 1
                    rates.completed_on_time += pk in completed
            approved, received = funding.get(pk, (ZERO, ZERO))
            rates.approved += approved
            rates.received += received

    # A district with a late report is red, as its projects are; the city's flag is its figures'.
    for place in district_rows.values():
        _settle(place, **_planned(place), month=month, late=place.reports_late > 0)
    _settle(total, **_planned(total), month=month, late=False)

    return Dispatch(
        year=year,
        month=month,
        period=period,
        cutoff=cutoff,
        today=today,
        due=report_due(period).day,
        time_progress=progress,
        red_points=settings.DISPATCH_RED_POINTS,
        yellow_points=settings.DISPATCH_YELLOW_POINTS,
        districts=_ranked(list(district_rows.values())),
        total=total,
        overdue_problems=overdue,
    )


def _planned(place: DistrictRow) -> dict:
    """A district's (or the city's) rate reads its planned projects only: a project reporting without a
    plan adds to what was invested, not to how much of the plan was done."""
    return {"year_to_date": place.rates.year_to_date, "plan": place.rates.annual_plan}


def _reasons(row: ProjectRow, period: datetime.date) -> list[str]:
    reasons = []
    if row.behind:
        reasons.append(_("落后序时进度 %(n)s 个百分点") % {"n": f"{-row.gap:.1f}"})
    if row.report_late:
        if row.report is not None and row.report.first_submitted_at is not None:
            reasons.append(_("%(p)s 月报逾期报送") % {"p": f"{period:%Y-%m}"})
        else:
            reasons.append(_("%(p)s 月报逾期未报") % {"p": f"{period:%Y-%m}"})
    if row.overdue_problems:
        reasons.append(_("%(n)d 个问题逾期未解决") % {"n": row.overdue_problems})
    return reasons


def default_month(today: datetime.date | None = None) -> tuple[int, int]:
    """The month the dispatch looks at by default: the last one, whose reports are coming in now."""
    today = today or timezone.localdate()
    last = today.replace(day=1) - datetime.timedelta(days=1)
    return last.year, last.month
