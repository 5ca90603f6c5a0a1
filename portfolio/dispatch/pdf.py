"""The monthly 通报 of a dispatch, as a PDF: `templates/dispatch/bulletin.html` rendered by Django and laid
out by weasyprint. Everything it shows is already in the `Dispatch`, so it runs no query of its own; and it
fetches nothing: the template carries its CSS and the chart inline, and the fetcher refuses any URL that
is not a `data:` one, so a bulletin never reaches the network, whatever a project's name holds."""

from decimal import Decimal

from django.template.loader import render_to_string
from django.utils.translation import gettext as _
from weasyprint import HTML
from weasyprint.urls import URLFetcher

from portfolio.charts import progress_chart
from portfolio.money import format_percent, format_yi, to_wan, to_yi

from .selectors import Flag

TEMPLATE = "dispatch/bulletin.html"
# A bulletin for the leadership lists the furthest behind and the longest overdue; the 调度表 has them all.
# It also keeps the PDF a few pages long however large the library grows.
RED_LISTED, YELLOW_LISTED, PROBLEMS_LISTED = 60, 30, 60


class OfflineFetcher(URLFetcher):
    """weasyprint's fetcher for `data:` URLs only; any other URL is refused before it is opened."""

    def __init__(self):
        super().__init__(allowed_protocols=("data",), allow_redirects=False)

    def fetch(self, url, headers=None):
        if not url.lower().startswith("data:"):
            raise ValueError(f"The bulletin fetches nothing from outside: {url}")
        return super().fetch(url, headers)


def bulletin_pdf(dispatch, *, scope: str) -> bytes:
    """`scope` names what the dispatch covers: 全市, or a district."""
    html = render_to_string(TEMPLATE, bulletin_context(dispatch, scope=scope))
    return HTML(string=html, base_url=None, url_fetcher=OfflineFetcher()).write_pdf()


def _points(gap: Decimal | None) -> str:
    """A gap to 序时进度 in percentage points, signed: +10.0, -12.0, 0.0."""
    if gap is None:
        return "—"
    return f"{gap:+.1f}" if gap else "0.0"


def _yi(yuan) -> str:
    return f"{to_yi(yuan):,.2f}"


def _wan(yuan) -> str:
    return f"{to_wan(yuan):,.2f}"


def bulletin_context(dispatch, *, scope: str) -> dict:
    """The figures of the bulletin as the template prints them: numbers as text, a table's unit in its
    header, the sentences' amounts with theirs."""
    total, rates = dispatch.total, dispatch.rates
    districts = [
        {
            "rank": rank,
            "name": row.district.name,
            "annual_plan": _yi(row.annual_plan),
            "year_to_date": _yi(row.year_to_date),
            "completion_rate": format_percent(row.completion_rate),
            "gap": _points(row.gap),
            "flag": row.flag,
            # A district with nothing planned or late is not 正常, it has no flag to show.
            "flag_label": row.flag_label if row.completion_rate is not None or row.flag != Flag.GREEN else "",
            "reports": f"{row.reports_due}/{row.reports_late}",
        }
        for rank, row in enumerate(dispatch.districts, start=1)
    ]
    red = [
        {
            "name": row.project.name,
            "code": row.project.code,
            "district": row.project.district.name,
            "annual_plan": _wan(row.annual_plan),
            "year_to_date": _wan(row.year_to_date),
            "completion_rate": format_percent(row.completion_rate),
            "gap": _points(row.gap),
            "report": row.report_status_label,
            "reasons": row.reasons,
        }
        for row in dispatch.red[:RED_LISTED]  # the furthest behind first
    ]
    yellow = [
        {
            "name": row.project.name,
            "code": row.project.code,
            "district": row.project.district.name,
            "completion_rate": format_percent(row.completion_rate),
            "gap": _points(row.gap),
        }
        for row in dispatch.yellow[:YELLOW_LISTED]
    ]
    problems = [
        {
            "project": problem.project.name,
            "code": problem.project.code,
            "district": problem.project.district.name,
            "category": problem.get_category_display(),
            "description": problem.description,
            "responsible_unit": problem.responsible_unit or "—",
            "due_on": problem.due_on,
            "days": (dispatch.today - problem.due_on).days,
        }
        for problem in dispatch.overdue_problems[:PROBLEMS_LISTED]
    ]
    chart = progress_chart(
        [(row.district.name, row.completion_rate, row.flag) for row in dispatch.districts],
        time_progress=dispatch.time_progress,
        line_label=_("序时进度"),
        title=_("各区年度投资计划完成率"),
    )
    gap = total.gap
    return {
        "dispatch": dispatch,
        "scope": scope,
        "months": f"1—{dispatch.month}" if dispatch.month > 1 else "1",
        "project_count": len(dispatch.projects),
        "annual_plan": format_yi(total.annual_plan),
        "year_to_date": format_yi(total.year_to_date),
        "this_month": format_yi(total.this_month),
        "time_progress": format_percent(dispatch.time_progress),
        "completion_rate": format_percent(total.completion_rate),
        "behind": gap is not None and gap < 0,
        "ahead": gap is not None and gap > 0,
        "gap_points": "—" if gap is None else f"{abs(gap):.1f}",
        "rates": {
            "start": format_percent(rates.start_rate),
            "completion": format_percent(rates.completion_rate),
            "funding": format_percent(rates.funding_in_place_rate),
            "on_time": format_percent(rates.on_time_completion_rate),
        },
        "counts": rates,
        "approved": _yi(rates.approved),
        "received": _yi(rates.received),
        "year_to_date_yi": _yi(total.year_to_date),
        "annual_plan_yi": _yi(total.annual_plan),
        "district_count": len(districts),
        "districts_on_pace": sum(1 for row in dispatch.districts if row.gap is not None and row.gap >= 0),
        "districts_red": sum(1 for row in dispatch.districts if row.flag == Flag.RED),
        "districts_yellow": sum(1 for row in dispatch.districts if row.flag == Flag.YELLOW),
        "districts": districts,
        "total_row": {
            "annual_plan": _yi(total.annual_plan),
            "year_to_date": _yi(total.year_to_date),
            "completion_rate": format_percent(total.completion_rate),
            "gap": _points(total.gap),
            "reports": f"{total.reports_due}/{total.reports_late}",
        },
        "chart": chart,
        "red": red,
        "yellow": yellow,
        "problems": problems,
        "red_more": len(dispatch.red) - len(red),
        "yellow_more": len(dispatch.yellow) - len(yellow),
        "problems_more": len(dispatch.overdue_problems) - len(problems),
    }
