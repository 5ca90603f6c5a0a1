import logging

from django.conf import settings
from django.db import DatabaseError, connection
from django.http import JsonResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views import defaults
from django.views.decorators.cache import never_cache

from financing.installments import schedules_sync
from financing.totals import financing_totals_differences
from projects.search import search_index_differences

from . import access
from .charts import bar_chart
from .dashboard import dashboard_figures
from .money import YI
from .tallies import tally_differences

logger = logging.getLogger(__name__)


# The checks of /healthz?deep=1, by name: each counts the records whose stored figures differ from what
# their ledger computes (zero when consistent). They read every record in chunks: for a probe now and
# then, not for the load balancer's every few seconds.
DEEP_CHECKS = {
    "financing_totals": lambda: len(financing_totals_differences()),
    # Loans whose stored installments differ from the schedule their terms and entries give.
    "schedules": lambda: len(schedules_sync(write=False).differed),
    # Projects whose keyword search index differs from their texts.
    "search_index": lambda: len(search_index_differences()),
    # Districts whose tally, held as good (no mark left), differs from the figures of their records.
    "tallies": lambda: len(tally_differences()),
}


@access.role_required(roles=access.ROLES)
def dashboard(request):
    # A bank's home is its loans: the dashboard's figures are the library's, which a bank does not see.
    if access.role_of(request.user) == access.LENDER:
        return redirect("financing:my_loans")
    figures = dashboard_figures(user=request.user)
    in_yi = lambda amount: amount / YI  # noqa: E731 - charts read 亿元
    charts = {
        "funnel": bar_chart(
            [(row["stage"], [in_yi(row["investment"])]) for row in figures["funnel"]],
            series=[_("总投资（亿元）")],
            title=_("阶段漏斗"),
        ),
        "funding": bar_chart(
            [
                (row["label"], [in_yi(row["planned"]), in_yi(row["approved"]), in_yi(row["received"])])
                for row in figures["funding"]
            ],
            series=[_("计划（亿元）"), _("批复（亿元）"), _("到位（亿元）")],
            title=_("资金来源"),
        ),
        "lenders": bar_chart(
            [
                (row["label"], [in_yi(row["principal"]), in_yi(row["disbursed"]), in_yi(row["outstanding"])])
                for row in figures["by_lender"]
            ],
            series=[_("贷款金额（亿元）"), _("已提款（亿元）"), _("未偿还本金（亿元）")],
            title=_("按贷款银行"),
        ),
        "maturity": bar_chart(
            [(str(year), [in_yi(amount)]) for year, amount in figures["maturity"]],
            series=[_("到期本金（亿元）")],
            title=_("到期分布"),
        ),
    }
    return render(request, "dashboard.html", {"figures": figures, "charts": charts})


def _is_api(request) -> bool:
    return request.path.startswith("/api/")


def page_not_found(request, exception):
    """404 for a path no route matches: JSON under /api/, the Chinese page elsewhere."""
    if _is_api(request):
        return JsonResponse({"detail": _("未找到。")}, status=404)
    return defaults.page_not_found(request, exception)


def server_error(request):
    if _is_api(request):
        return JsonResponse({"detail": _("服务器内部错误，请求未能完成。请核对数据后再试。")}, status=500)
    return defaults.server_error(request)


@never_cache
def healthz(request):
    """200 while the database answers, 503 when it does not; no login, nothing about the system leaked."""
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except DatabaseError:
        logger.exception("health check: the database did not answer")
        return JsonResponse({"status": "unavailable", "database": False}, status=503)
    if request.GET.get("deep") == "1":
        counts = {name: differing() for name, differing in DEEP_CHECKS.items()}
        failed = [name for name, count in counts.items() if count]
        if failed:
            logger.error("health check: stored figures differ from computed ones", extra={"failed": failed})
            differing = {name: counts[name] for name in failed}
            return JsonResponse(
                {"status": "inconsistent", "database": True, "failed": failed, "differing": differing},
                status=503,
            )
        return JsonResponse({"status": "ok", "database": True, "checks": sorted(DEEP_CHECKS)})
    return JsonResponse({"status": "ok", "database": True})


def locked_out(request, original_response=None, credentials=None):
    """What a locked-out login is told: the Chinese page, or JSON for the API's token endpoint (429)."""
    minutes = int(settings.AXES_COOLOFF_TIME.total_seconds() // 60)
    message = _("登录失败次数过多，该账户已在此地址被暂时锁定，请 %(m)d 分钟后再试，或联系市项目办解锁。") % {
        "m": minutes
    }
    if _is_api(request):
        return JsonResponse({"detail": message, "code": "locked_out"}, status=429)
    return render(request, "registration/locked_out.html", {"message": message}, status=429)
