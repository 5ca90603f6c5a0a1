"""月度调度: the page the city runs its monthly dispatch meeting on, and each district sees its own on."""

from django.shortcuts import render
from django.utils.http import urlencode
from django.utils.translation import gettext as _

from portfolio import access
from portfolio.charts import progress_chart
from portfolio.tallies import tallied_dispatch_summary

from .query import DispatchQuery

# The page lists this many of each kind, and counts them all; the 调度表 lists them all.
LISTED = 100


@access.role_required
def dispatch_page(request):
    query = DispatchQuery(request.GET)
    if query.is_valid():
        chosen = query.chosen
    else:
        # The page falls back to the last month and says on its form what was wrong with the query.
        # A valid district stays chosen.
        kept = {} if "district" in query.errors else {"district": request.GET.get("district", "")}
        fallback = DispatchQuery(kept)
        fallback.is_valid()
        chosen = fallback.chosen
    # The districts' dispatch tallies of the month: their sums and first listed rows, kept between reads.
    dispatch = tallied_dispatch_summary(user=request.user, listed=LISTED, **chosen)
    params = {"year": dispatch.year, "month": dispatch.month}
    if chosen["district"]:
        params["district"] = chosen["district"]
    chart = progress_chart(
        [(row.district.name, row.completion_rate, row.flag) for row in dispatch.districts],
        time_progress=dispatch.time_progress,
        line_label=_("序时进度"),
        title=_("各区年度投资完成率与序时进度"),
    )
    return render(
        request,
        "dispatch/dispatch.html",
        {
            "query": query,
            "dispatch": dispatch,
            "chart": chart,
            "flagged": dispatch.flagged,
            "flagged_count": dispatch.flagged_count,
            "late": dispatch.late_reports,
            "late_count": dispatch.late_count,
            "overdue": dispatch.overdue_problems,
            "overdue_count": dispatch.overdue_count,
            "listed": LISTED,
            "years": range(dispatch.today.year, min(dispatch.year, 2020) - 1, -1),
            "months": range(1, 13),
            "is_city": access.role_of(request.user) != access.DISTRICT_USER,
            "output_query": urlencode(params),
            "dispatch_district": chosen["district"] or "",
        },
    )
