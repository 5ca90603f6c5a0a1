"""The batch entry of a month's progress reports: download the month's template, upload it filled in,
preview every row (or every error by row and column), confirm. The file is kept between the preview and
the confirmation the way the project import keeps its own (projects.views.project): it is sent once."""

from django.contrib import messages
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from portfolio import access
from portfolio.jobs import services as jobs
from portfolio.jobs.http import over
from portfolio.jobs.models import JobKind
from portfolio.uploads import PendingUpload
from portfolio.workdays import month_of, parse_month

from .. import report_imports
from ..deadlines import report_due
from ..excel import MAX_BYTES
from ..selectors.progress import reporting_period


def _asked_period(value, today):
    """The month asked for, the reporting month when none is, or None when it is not a past or current
    month."""
    if not value:
        return reporting_period(today)
    period = parse_month(value)
    return period if period is not None and period <= month_of(today) else None


# The report import's pending file, kept apart from the project import's.
PENDING_REPORTS = PendingUpload("pending_report_import")


@access.role_required
def report_import(request):
    """月报批量填报: one file for all the user's projects of a month, all rows or none."""
    access.require_role(request.user, *access.EDITORS)
    today = timezone.localdate()
    data = request.POST if request.method == "POST" else request.GET
    period = _asked_period(data.get("period"), today)
    context = {"max_mb": MAX_BYTES // (1024 * 1024), "max_period": month_of(today)}
    if period is None:
        period = reporting_period(today)
        context["period_error"] = _("月份应为 YYYY-MM 且不晚于本月；已改为 %(p)s。") % {
            "p": f"{period:%Y-%m}"
        }
        if request.method == "POST":  # never import into a month the user did not mean
            return render(request, "projects/progress/report_import.html", _with_period(context, period))
    context = _with_period(context, period)
    if request.method == "POST" and request.POST.get("action") == "confirm":
        rows = PENDING_REPORTS.rows(request)
        if over("IMPORT_JOB_THRESHOLD", rows):
            # A large month is written by a background job; its page shows the outcome.
            name = PENDING_REPORTS.hand_over(request)
            if name is None:
                messages.error(request, _("待导入的文件已失效，请重新上传。"))
                return redirect(f"{reverse('projects:report_import')}?period={period:%Y-%m}")
            job = jobs.job_submit(
                owner=request.user,
                kind=JobKind.REPORTS_IMPORT,
                params={"file": name, "period": period.isoformat()},
                total=rows,
            )
            return redirect("jobs:detail", job.pk)
        with PENDING_REPORTS.confirmed(request) as upload:
            if upload is None:
                messages.error(request, _("待导入的文件已失效，请重新上传。"))
                return redirect(f"{reverse('projects:report_import')}?period={period:%Y-%m}")
            try:
                result = report_imports.import_reports(upload, user=request.user, period=period, commit=True)
            except report_imports.ImportFileError as error:
                result, context["file_error"] = None, str(error)
        if result is not None and result.ok:
            messages.success(
                request,
                _(
                    "已导入 %(p)s 月报：新建 %(c)d 份，更新 %(u)d 份，未变 %(s)d 份。"
                    "月报尚未报送，请核对后报送。"
                )
                % {
                    "p": f"{period:%Y-%m}",
                    "c": len(result.created),
                    "u": len(result.updated),
                    "s": result.count("unchanged"),
                },
            )
            return redirect(f"{reverse('projects:monthly')}?period={period:%Y-%m}")
        context["result"] = result
    elif request.method == "POST":
        upload = request.FILES.get("file")
        if upload is None:
            context["file_error"] = _("请选择要上传的 .xlsx 文件。")
        else:
            try:
                result = report_imports.import_reports(upload, user=request.user, period=period, commit=False)
            except report_imports.ImportFileError as error:
                context["file_error"] = str(error)
            else:
                context["result"] = result
                if result.ok:
                    context["token"] = PENDING_REPORTS.keep(request, upload, rows=len(result.rows))
    return render(request, "projects/progress/report_import.html", context)


def _with_period(context: dict, period) -> dict:
    return {**context, "period": period, "period_text": f"{period:%Y-%m}", "due": report_due(period)}
