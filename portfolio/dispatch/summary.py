"""The dispatch as the dashboards and /dispatch/ show it: every district's row, the city's, the four rates
and the counts of red, yellow and late projects, summed in the database, with the first red and yellow
projects (and late reports) listed. At 100,000 projects a month's dispatch holds some 20,000 reporting
projects: the page shows their sums, not a Python row for each; the 调度表 and the 通报 list them all
through dispatch_figures.

The figures are dispatch_figures', to the cent and the flag: a project's flag is its completion rate
against 序时进度 compared on the exact gap, in whole cents, never on the rounded figure shown; a late report
is red. A fixed number of queries, whatever the number of projects.
"""

import datetime
from dataclasses import dataclass
from decimal import Decimal

from django.conf import settings
from django.db import connection
from django.db.models import (
    Case,
    Exists,
    ExpressionWrapper,
    F,
    FilteredRelation,
    IntegerField,
    OuterRef,
    Q,
    Subquery,
    Sum,
    Value,
    When,
)
from django.db.models.functions import Coalesce, Round
from django.utils import timezone
from django.utils.translation import gettext as _

from financing.selectors import funding_in_place_of
from portfolio.money import CENT, MONEY_FIELD
from portfolio.workdays import first_of_next_month
from projects.choices import PlanKind, ProblemStatus, ReportStatus, Stage
from projects.deadlines import report_due
from projects.models import District, InvestmentPlan, Problem, ProgressReport, Project, StageChange
from projects.selectors.progress import reporting_projects

from .selectors import (
    DispatchHead,
    DistrictRow,
    _figures,
    _planned,
    _ranked,
    _settle,
    district_rows_of,
    time_progress,
)

COUNTED = [status for status in ReportStatus.values if status != ReportStatus.DRAFT]
RED, YELLOW, GREEN = 0, 1, 2


@dataclass
class SummedDistrict(DistrictRow):
    """A district's row (or the city's) from the sums: how many projects it counts, not their rows."""

    count: int = 0
    # Nothing that reads the summary shows the investment since each project started, and summing every
    # month of every project's history is what would cost most: the 调度表 has it.
    since_start: Decimal | None = None

    @property
    def idle(self) -> bool:
        return not self.count


@dataclass
class DispatchSummary(DispatchHead):
    flagged: list  # the first red, then yellow projects, the furthest behind first
    late_reports: list  # the first projects whose report is late, by district and code
    overdue_problems: list  # the first overdue open problems, the longest overdue first
    overdue_count: int

    @property
    def flagged_count(self) -> int:
        return self.total.red + self.total.yellow

    @property
    def late_count(self) -> int:
        return self.total.reports_late


def _one_if(condition: Q) -> Case:
    return Case(When(condition, then=Value(1)), default=Value(0), output_field=IntegerField())


def _cents_of(expression) -> Round:
    return Round(ExpressionWrapper(expression * 100, output_field=MONEY_FIELD))


def _yuan(cents) -> Decimal:
    """Whole cents summed by the database (a float on SQLite, exact below 2**53 cents) back into 元."""
    return (Decimal(round(cents or 0)) / 100).quantize(CENT)


def _project_columns(*, user, year, month, district, today):
    """One row per project of the dispatch with what its figures and flag are made of, as a queryset
    whose SQL the summary wraps: amounts in whole cents, yes/no as 1/0."""
    period = datetime.date(year, month, 1)
    cutoff = first_of_next_month(period) - datetime.timedelta(days=1)
    january = datetime.date(year, 1, 1)
    due = report_due(period).day
    local = timezone.get_current_timezone()
    plans = InvestmentPlan.objects.visible_to(user).filter(year=year, project__review_status="accepted")
    owing = reporting_projects(user=user, period=period)
    if district:
        plans = plans.filter(project__district=district)
        owing = owing.filter(district=district)
    counted = (
        ProgressReport.objects.filter(project=OuterRef("pk"), period__lte=period)
        .exclude(status=ReportStatus.DRAFT)
        .order_by()
        .values("project")
    )

    def summed(**where):
        rows = counted.filter(**where).annotate(s=Sum("completed_amount")).values("s")
        cents = _cents_of(Subquery(rows, output_field=MONEY_FIELD))
        return Coalesce(cents, Value(0), output_field=MONEY_FIELD)

    owing_ids = owing.order_by().values("pk")
    owes = Q(pk__in=owing_ids) | Q(x_report__pk__isnull=False)
    unsubmitted = Q(x_report__first_submitted_at__isnull=True)
    # Submitted after the due day, in local time (is_late's localdate > due), as a plain comparison of
    # the stored instant, which SQLite needs no function for.
    after_due = datetime.datetime.combine(due + datetime.timedelta(days=1), datetime.time(), tzinfo=local)
    late = Q(x_report__first_submitted_at__isnull=False, x_report__first_submitted_at__gte=after_due)
    if today > due:
        late |= unsubmitted
    planned = Q(x_plan__pk__isnull=False)
    completed = StageChange.objects.filter(
        project=OuterRef("pk"), to_stage=Stage.COMPLETED, on__gte=january, on__lte=cutoff
    )
    chosen = Project.objects.filter(Q(pk__in=plans.values("project")) | Q(pk__in=owing_ids))
    funding = funding_in_place_of(OuterRef("pk"))
    columns = (
        chosen.annotate(
            x_plan=FilteredRelation("investment_plans", condition=Q(investment_plans__year=year)),
            x_report=FilteredRelation("progress_reports", condition=Q(progress_reports__period=period)),
        )
        .annotate(
            x_d=F("district_id"),
            x_code=F("code"),
            x_id=F("pk"),
            x_investment=_cents_of(F("total_investment")),
            x_plan_c=_cents_of(F("x_plan__planned_amount")),
            x_month=Case(
                When(x_report__status__in=COUNTED, then=_cents_of(F("x_report__completed_amount"))),
                default=Value(0),
                output_field=MONEY_FIELD,
            ),
            x_ytd=summed(period__gte=january),
            x_approved=_cents_of(funding["approved"]),
            x_received=_cents_of(funding["received"]),
            x_due=_one_if(owes),
            # Whether the report would be late or missing if it is owed: the flag step reads both with
            # x_due, so the projects that owe one are looked up once.
            x_late_if=_one_if(late),
            x_unsubmitted=_one_if(unsubmitted),
            x_planned=_one_if(planned),
            x_new=_one_if(planned & Q(x_plan__kind=PlanKind.NEW_START)),
            x_started=_one_if(
                planned & Q(x_plan__kind=PlanKind.NEW_START, construction_started_on__lte=cutoff)
            ),
            x_completes=_one_if(planned & Q(x_plan__completes_this_year=True)),
            x_completed=_one_if(planned & Q(x_plan__completes_this_year=True) & Exists(completed)),
        )
        .values(
            "x_d",
            "x_code",
            "x_id",
            "x_investment",
            "x_plan_c",
            "x_month",
            "x_ytd",
            "x_approved",
            "x_received",
            "x_due",
            "x_late_if",
            "x_unsubmitted",
            "x_planned",
            "x_new",
            "x_started",
            "x_completes",
            "x_completed",
        )
        .order_by()
    )
    return columns


def _flag_sql(month: int) -> tuple[str, list]:
    """The flag of a project (0 red, 1 yellow, 2 green) and its gap to 序时进度 in tenths of a point,
    rounded half away from zero as the page shows it, over the columns of _project_columns.

    Behind by `points` or more: month/12·100 − ytd/plan·100 ≥ points, i.e. (100·month − 12·points)·plan
    ≥ 1200·ytd, compared in whole cents times whole numbers, so exact (the points are scaled to whole
    numbers first)."""
    red, yellow = settings.DISPATCH_RED_POINTS, settings.DISPATCH_YELLOW_POINTS
    places = max(0, -min(red.as_tuple().exponent, yellow.as_tuple().exponent))
    scale = 10**places

    def behind(points) -> int:
        return int((100 * month - 12 * points) * scale)

    compared = "r.x_due = 1 AND r.x_plan_c > 0"
    late = "r.x_due = 1 AND r.x_late_if = 1"
    flag = (
        f"CASE WHEN {late} THEN {RED}"
        f" WHEN {compared} AND %s * r.x_plan_c >= %s * r.x_ytd THEN {RED}"
        f" WHEN {compared} AND %s * r.x_plan_c >= %s * r.x_ytd THEN {YELLOW}"
        f" ELSE {GREEN} END"
    )
    gap = f"CASE WHEN {compared} THEN ROUND((12000.0 * r.x_ytd - %s * r.x_plan_c) / (12.0 * r.x_plan_c)) END"
    params = [behind(red), 1200 * scale, behind(yellow), 1200 * scale, 1000 * month]
    owed = (
        f"CASE WHEN {late} THEN 1 ELSE 0 END AS x_late,"
        " CASE WHEN r.x_due = 1 AND r.x_unsubmitted = 1 THEN 1 ELSE 0 END AS x_missing"
    )
    return f"{flag} AS x_flag, {gap} AS x_gap, {owed}", params


def _scan(columns, month: int, listed: int) -> tuple[list, list, list]:
    """One statement over the projects' columns, computed once: the sums per district, the first `listed`
    flagged projects as (id, flag, gap to 序时进度 in tenths of a point), and the ids of the first `listed`
    late ones."""
    inner, inner_params = columns.query.sql_with_params()
    flag, flag_params = _flag_sql(month)
    sums = (
        "COUNT(*), SUM(x_investment), SUM(COALESCE(x_plan_c, 0)), SUM(x_month), SUM(x_ytd),"
        " SUM(CASE WHEN x_planned = 1 THEN x_ytd ELSE 0 END), SUM(x_due), SUM(x_late), SUM(x_missing),"
        f" SUM(CASE WHEN x_flag = {RED} THEN 1 ELSE 0 END),"
        f" SUM(CASE WHEN x_flag = {YELLOW} THEN 1 ELSE 0 END),"
        " SUM(x_new), SUM(x_started), SUM(x_completes), SUM(x_completed), SUM(x_approved), SUM(x_received)"
    )
    # Typed NULLs: in a subquery PostgreSQL takes a bare NULL for text, which a UNION cannot match with the
    # sums; numeric matches every sum (and SQLite ignores the cast).
    nothing = ", ".join(["CAST(NULL AS NUMERIC)"] * 17)
    nothing_but_two = ", ".join(["CAST(NULL AS NUMERIC)"] * 15)
    sql = (
        f"WITH r AS MATERIALIZED ({inner}), f AS MATERIALIZED (SELECT r.*, {flag} FROM r) "
        f"SELECT 0, x_d, NULL, {sums} FROM f GROUP BY x_d "
        f"UNION ALL SELECT * FROM (SELECT 1, CAST(NULL AS TEXT), x_id, x_flag, CAST(x_gap AS NUMERIC),"
        f" {nothing_but_two} FROM f"
        f" WHERE x_flag < {GREEN}"
        f" ORDER BY CASE WHEN x_flag = {RED} THEN 0 ELSE 1 END, COALESCE(x_gap, 0), x_d, x_code, x_id"
        " LIMIT %s) flagged "
        f"UNION ALL SELECT * FROM (SELECT 2, CAST(NULL AS TEXT), x_id, {nothing} FROM f WHERE x_late = 1"
        " ORDER BY x_d, x_code, x_id LIMIT %s) late"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, [*inner_params, *flag_params, listed, listed])
        rows = cursor.fetchall()
    districts = [row[1:2] + row[3:] for row in rows if row[0] == 0]
    flagged = [(row[2], int(row[3]), None if row[4] is None else int(row[4])) for row in rows if row[0] == 1]
    return districts, flagged, [row[2] for row in rows if row[0] == 2]


def _fill(place: SummedDistrict, sums) -> None:
    count, investment, plan, this_month, ytd, planned_ytd, due, late, missing, red, yellow = sums[:11]
    place.total_investment += _yuan(investment)
    place.annual_plan += _yuan(plan)
    place.this_month += _yuan(this_month)
    place.year_to_date += _yuan(ytd)
    place.reports_due += int(due or 0)
    place.reports_late += int(late or 0)
    place.reports_missing += int(missing or 0)
    place.red += int(red or 0)
    place.yellow += int(yellow or 0)
    rates = place.rates
    rates.annual_plan += _yuan(plan)
    rates.year_to_date += _yuan(planned_ytd)
    new, started, completes, completed = (int(n or 0) for n in sums[11:15])
    rates.planned_starts += new
    rates.started += started
    rates.planned_completions += completes
    rates.completed_on_time += completed
    rates.approved += _yuan(sums[15])
    rates.received += _yuan(sums[16])
    place.count += int(count or 0)


def dispatch_summary(
    *,
    user,
    year: int,
    month: int,
    district: str | None = None,
    today: datetime.date | None = None,
    listed: int = 0,
) -> DispatchSummary:
    """The dispatch of `year` up to `month` as `user` may see it, optionally one district's only, with the
    first `listed` flagged projects, late reports and overdue problems (none for the dashboards)."""
    today = today or timezone.localdate()
    columns = _project_columns(user=user, year=year, month=month, district=district, today=today)
    sums, flagged, late_ids = _scan(columns, month, listed)
    return summary_of_sums(
        user=user,
        year=year,
        month=month,
        district=district,
        today=today,
        sums=sums,
        listed=listed,
        flagged_ids=[pk for pk, _flag, _gap in flagged],
        late_ids=late_ids,
    )


def district_dispatch(
    *, user, year: int, month: int, district: str, today: datetime.date, listed: int = 0
) -> dict:
    """One district's dispatch as plain numbers, which its tallies keep (portfolio.tallies): the sums of
    its projects as the summary adds them up (a row, or none), its first `listed` flagged projects as
    [id, flag, gap] in the summary's order and its first `listed` late ones' ids."""
    columns = _project_columns(user=user, year=year, month=month, district=district, today=today)
    sums, flagged, late = _scan(columns, month, listed)
    # Whole cents and counts, whichever type the database summed them as (a float on SQLite, a decimal
    # on PostgreSQL).
    return {
        "sums": [[None if value is None else round(value) for value in row[1:]] for row in sums],
        "flagged": [list(entry) for entry in flagged],
        "late": late,
    }


def district_sums(*, user, year: int, month: int, district: str, today: datetime.date) -> list:
    """The dispatch's sums of one district's projects (as the summary adds them up), or none."""
    return district_dispatch(user=user, year=year, month=month, district=district, today=today)["sums"]


def merged_lists(districts: dict[str, dict], *, listed: int) -> tuple[list, list]:
    """The first `listed` flagged and late projects' ids of several districts' dispatches (as
    district_dispatch gives them, by district code), in the order one scan of them all would list them:
    red before yellow, then by the gap, then by district, each district's own in its order; the late by
    district, then in each district's order. Each district's first `listed` are enough."""
    flagged = sorted(
        (0 if flag == RED else 1, gap or 0, code, position, pk)
        for code, dispatch in districts.items()
        for position, (pk, flag, gap) in enumerate(dispatch["flagged"])
    )
    late = [pk for code in sorted(districts) for pk in districts[code]["late"]]
    return [entry[-1] for entry in flagged[:listed]], late[:listed]


def summary_of_sums(
    *,
    user,
    year: int,
    month: int,
    today: datetime.date,
    sums: list,
    district: str | None = None,
    listed: int = 0,
    flagged_ids=(),
    late_ids=(),
) -> DispatchSummary:
    """The summary from the districts' sums (a row of figures per district, its code first), with the
    first `listed` flagged projects and late reports of `flagged_ids` and `late_ids`."""
    period = datetime.date(year, month, 1)
    cutoff = first_of_next_month(period) - datetime.timedelta(days=1)
    district_rows = district_rows_of(user=user, district=district, row=SummedDistrict)
    total = SummedDistrict(district=District(code="", name=_("全市")))
    for code, *figures in sums:
        if code not in district_rows:
            continue  # a district the user does not see
        for place in (district_rows[code], total):
            _fill(place, figures)
    for place in district_rows.values():
        _settle(place, **_planned(place), month=month, late=place.reports_late > 0)
    _settle(total, **_planned(total), month=month, late=False)

    flagged, late, overdue, overdue_count = [], [], [], 0
    if listed:
        ids = [*flagged_ids, *late_ids]
        rows = {}
        if ids:
            listed_dispatch = _figures(
                user=user, year=year, month=month, district=district, today=today, only=ids
            )
            rows = {row.project.pk: row for row in listed_dispatch.projects}
        flagged = [rows[pk] for pk in flagged_ids]
        late = [rows[pk] for pk in late_ids]
        problems = Problem.objects.visible_to(user).filter(
            status=ProblemStatus.OPEN, project__review_status="accepted", due_on__lt=today
        )
        if district:
            problems = problems.filter(project__district=district)
        overdue_count = problems.count()
        overdue = list(
            problems.select_related("project__district").order_by("due_on", "raised_on", "pk")[:listed]
        )

    return DispatchSummary(
        year=year,
        month=month,
        period=period,
        cutoff=cutoff,
        today=today,
        due=report_due(period).day,
        time_progress=time_progress(month),
        red_points=settings.DISPATCH_RED_POINTS,
        yellow_points=settings.DISPATCH_YELLOW_POINTS,
        districts=_ranked(list(district_rows.values())),
        total=total,
        flagged=flagged,
        late_reports=late,
        overdue_problems=overdue,
        overdue_count=overdue_count,
    )
