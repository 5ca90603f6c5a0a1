"""Pages of the monthly dispatch: annual plans, monthly reports with their review, the month's to-do of a
district, and the problem ledger. Reads are scoped through .visible_to(user) (another district's record is a
404); every write goes through one service of projects.services.progress."""

import datetime

from django.conf import settings
from django.contrib import messages
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db import transaction
from django.http import HttpResponseNotAllowed
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.cache import patch_vary_headers
from django.utils.translation import gettext as _

from portfolio import access
from portfolio.audit import describe_history
from portfolio.forms import page_size, posted_version, query_without, style_filters, write_form
from portfolio.models import AuditEntry
from portfolio.workdays import month_of, parse_month, previous_month

from ..choices import PlanStatus, ReportStatus
from ..deadlines import is_late, report_due
from ..filtersets import ProblemFilterSet
from ..forms import PlanForm, ProblemForm, ReportDecisionForm, ReportForm
from ..models import District, InvestmentPlan, Problem, ProgressReport, Project
from ..selectors import progress as selectors
from ..services import progress as services
from .project import visible_project

# -- annual plans ------------------------------------------------------------------------------------


def _visible_plan(request, pk) -> InvestmentPlan:
    plans = InvestmentPlan.objects.visible_to(request.user).select_related("project__district")
    return get_object_or_404(plans, pk=pk)


@access.role_required
def plan_create(request, pk):
    project = visible_project(request, pk)
    access.require_project_editor(request.user, project)
    try:
        year = int(request.GET.get("year", ""))
    except ValueError:
        year = timezone.localdate().year
    form = PlanForm(request.POST or None, initial={"year": year})
    plan = write_form(
        request,
        form,
        lambda data: services.plan_create(
            acting_user=request.user,
            project=project,
            year=data["year"],
            **{name: data[name] for name in services.PLAN_FIELDS},
        ),
    )
    if plan is not None:
        messages.success(request, _("%(y)d 年度投资计划已保存。") % {"y": plan.year})
        return redirect("projects:project_detail", pk=project.pk)
    context = {"form": form, "project": project, "title": _("编制年度投资计划")}
    return render(request, "projects/progress/plan_form.html", context)


@access.role_required
def plan_edit(request, pk):
    plan = _visible_plan(request, pk)
    refusal = services.plan_edit_refusal(user=request.user, plan=plan)
    if refusal:
        raise PermissionDenied(refusal)
    adjusting = plan.status == PlanStatus.CONFIRMED
    form = PlanForm(request.POST or None, instance=plan, adjusting=adjusting)
    saved = write_form(
        request,
        form,
        lambda data: services.plan_update(
            acting_user=request.user,
            plan=plan,
            reason=data.get("reason", ""),
            **{name: data[name] for name in services.PLAN_FIELDS},
        ),
    )
    if saved is not None:
        messages.success(request, _("年度投资计划已调整。") if adjusting else _("年度投资计划已保存。"))
        return redirect("projects:project_detail", pk=plan.project_id)
    title = _("调整年度投资计划") if adjusting else _("修改年度投资计划")
    context = {"form": form, "project": plan.project, "plan": plan, "title": f"{title} · {plan.year}"}
    return render(request, "projects/progress/plan_form.html", context)


@access.role_required
def plan_confirm(request, pk):
    plan = _visible_plan(request, pk)
    if request.method != "POST":
        return HttpResponseNotAllowed(["POST"])
    access.require_role(request.user, access.CITY_STAFF)
    try:
        services.plan_confirm(acting_user=request.user, plan=plan)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(request, _("%(y)d 年度投资计划已确认。") % {"y": plan.year})
    return redirect("projects:project_detail", pk=plan.project_id)


# -- monthly reports ---------------------------------------------------------------------------------


def _visible_report(request, pk, *, with_cumulative: bool = False) -> ProgressReport:
    reports = ProgressReport.objects.visible_to(request.user).select_related(
        "project__district", "created_by", "reviewed_by"
    )
    if with_cumulative:
        reports = selectors.with_cumulative(reports)
    return get_object_or_404(reports, pk=pk)


def _previous_report(project: Project, period: datetime.date) -> ProgressReport | None:
    """Last month's report of the project, beside the fields for reference."""
    reports = ProgressReport.objects.filter(project=project, period=previous_month(period))
    return selectors.with_cumulative(reports).first()


def _report_fields(data: dict) -> dict:
    return {name: data[name] for name in services.REPORT_FIELDS}


def _save_report(request, write):
    """Save the report by `write()`; with the 报送 button, submit it too, both or neither."""
    with transaction.atomic():
        report = write()
        if request.POST.get("action") == "submit":
            report = services.report_submit(
                acting_user=request.user, report=report, expected_version=report.version
            )
    return report


def _saved(request, report: ProgressReport):
    if report.status == ReportStatus.SUBMITTED:
        messages.success(request, _("%(p)s 月报已报送市项目办审核。") % {"p": report.period_label})
    else:
        messages.success(request, _("%(p)s 月报已保存为草稿。") % {"p": report.period_label})
    return redirect("projects:report_detail", pk=report.pk)


@access.role_required
def report_create(request, pk):
    project = visible_project(request, pk)
    access.require_project_editor(request.user, project)
    asked = request.GET.get("period")
    period = parse_month(asked) if asked else selectors.reporting_period()
    if period is None:
        period = selectors.reporting_period()
        messages.error(request, _("月份应为 YYYY-MM，如 2026-03；已改为本期填报月份。"))
    existing = ProgressReport.objects.filter(project=project, period=period).first()
    if existing is not None:
        editable = services.report_edit_refusal(user=request.user, report=existing) is None
        return redirect("projects:report_edit" if editable else "projects:report_detail", pk=existing.pk)
    refusal = selectors.report_refusal(project=project, period=period)
    form = ReportForm(request.POST or None)
    report = None
    if refusal is None:
        report = write_form(
            request,
            form,
            lambda data: _save_report(
                request,
                lambda: services.report_create(
                    acting_user=request.user, project=project, period=period, **_report_fields(data)
                ),
            ),
        )
    if report is not None:
        return _saved(request, report)
    context = {
        "form": form,
        "project": project,
        "period": period,
        "refusal": refusal,
        "previous": _previous_report(project, period),
        "due": report_due(period),
    }
    return render(request, "projects/progress/report_form.html", context)


@access.role_required
def report_edit(request, pk):
    report = _visible_report(request, pk)
    refusal = services.report_edit_refusal(user=request.user, report=report)
    if refusal:
        raise PermissionDenied(refusal)
    form = ReportForm(request.POST or None, instance=report)
    saved = write_form(
        request,
        form,
        lambda data: _save_report(
            request,
            lambda: services.report_update(
                acting_user=request.user,
                report=report,
                expected_version=data["version"],
                **_report_fields(data),
            ),
        ),
    )
    if saved is not None:
        return _saved(request, saved)
    context = {
        "form": form,
        "project": report.project,
        "report": report,
        "period": report.period,
        "previous": _previous_report(report.project, report.period),
        "due": report_due(report.period),
    }
    return render(request, "projects/progress/report_form.html", context)


def _decision_forms(report: ProgressReport, data=None, posted: str | None = None) -> dict:
    """The return, accept and reopen forms of the report page; the posted one bound to `data`."""
    initial = {"version": report.version}
    specs = {
        "return": {
            "label": _("退回意见"),
            "required": _("退回月报时必须填写意见，说明需要修改的内容。"),
        },
        "accept": {"label": _("审核意见（选填）")},
        "reopen": {"label": _("重新打开的理由"), "required": _("重新打开已审核的月报须填写理由。")},
    }
    return {
        name: ReportDecisionForm(data if name == posted else None, initial=initial, prefix=name, **spec)
        for name, spec in specs.items()
    }


def _report_page(request, report: ProgressReport, forms: dict | None = None, status: int = 200):
    user = request.user
    if not hasattr(report, "year_to_date"):
        report = _visible_report(request, report.pk, with_cumulative=True)
    project = report.project
    plan = InvestmentPlan.objects.filter(project=project, year=report.period.year).first()
    history = AuditEntry.objects.filter(
        content_type=ContentType.objects.get_for_model(ProgressReport), object_id=str(report.pk)
    ).select_related("actor", "content_type")
    editor = access.is_project_editor(user, project)
    staff = access.role_of(user) == access.CITY_STAFF
    due = report_due(report.period)
    context = {
        "report": report,
        "project": project,
        "plan": plan,
        "completion_rate": selectors.completion_rate(
            report.year_to_date, plan.planned_amount if plan else None
        ),
        "due": due,
        "is_late": is_late(report),
        "history": describe_history(history.order_by("at", "pk")),
        "can_edit": services.report_edit_refusal(user=user, report=report) is None,
        "can_submit": editor and report.status in services.REPORT_EDITABLE,
        "can_review": staff and report.status == ReportStatus.SUBMITTED,
        "can_reopen": staff and report.status == ReportStatus.ACCEPTED,
        "can_raise_problem": editor and project.in_library and bool(report.problems_note.strip()),
        "raised_problems": list(report.raised_problems.order_by("pk")),
        "forms": forms or _decision_forms(report),
    }
    return render(request, "projects/progress/report_detail.html", context, status=status)


@access.role_required
def report_detail(request, pk):
    return _report_page(request, _visible_report(request, pk, with_cumulative=True))


@access.role_required
def report_submit(request, pk):
    report = _visible_report(request, pk)
    if request.method != "POST":
        return HttpResponseNotAllowed(["POST"])
    access.require_project_editor(request.user, report.project)
    try:
        report = services.report_submit(
            acting_user=request.user, report=report, expected_version=posted_version(request)
        )
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(request, _("%(p)s 月报已报送市项目办审核。") % {"p": report.period_label})
    return redirect("projects:report_detail", pk=report.pk)


def _review_step(request, pk, name: str, step, done: str):
    """Return, accept or reopen: city staff's steps on a report, each from its form on the report page."""
    report = _visible_report(request, pk)
    if request.method != "POST":
        return HttpResponseNotAllowed(["POST"])
    access.require_role(request.user, access.CITY_STAFF)
    forms = _decision_forms(report, request.POST, posted=name)
    form = forms[name]
    saved = write_form(
        request,
        form,
        lambda data: step(
            acting_user=request.user,
            report=report,
            expected_version=data["version"],
            **{"reason" if name == "reopen" else "comment": data["comment"]},
        ),
    )
    if saved is not None:
        messages.success(request, done % {"p": saved.period_label})
        if name == "reopen":
            return redirect("projects:report_detail", pk=saved.pk)
        return redirect("projects:report_review_queue")
    return _report_page(request, report, forms)


@access.role_required
def report_return(request, pk):
    return _review_step(request, pk, "return", services.report_return, _("%(p)s 月报已退回区里修改。"))


@access.role_required
def report_accept(request, pk):
    return _review_step(request, pk, "accept", services.report_accept, _("%(p)s 月报已审核通过。"))


@access.role_required
def report_reopen(request, pk):
    return _review_step(
        request, pk, "reopen", services.report_reopen, _("%(p)s 月报已重新打开，退回区里更正。")
    )


@access.role_required
def report_problem(request, pk):
    """The problems a report names, into the ledger, to be refined there."""
    report = _visible_report(request, pk)
    if request.method != "POST":
        return HttpResponseNotAllowed(["POST"])
    access.require_project_editor(request.user, report.project)
    try:
        problem = services.problem_from_report(acting_user=request.user, report=report)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
        return redirect("projects:report_detail", pk=report.pk)
    messages.success(request, _("已登记到问题台账，请补充问题类别、责任单位和要求解决日期。"))
    return redirect("projects:problem_edit", pk=problem.pk)


# -- the month's to-do and the review queue ----------------------------------------------------------------


MONTHLY_PAGE_SIZE = 100


@access.role_required
def monthly(request):
    """本月填报: every project that must report for the month, what it has done, and what is late."""
    access.require_role(request.user, access.DISTRICT_USER, access.CITY_STAFF)
    today = timezone.localdate()
    default = selectors.reporting_period(today)
    asked = request.GET.get("period")
    period = parse_month(asked) if asked else default
    period_error = None
    if period is None or period > month_of(today):
        period_error = _("月份应为 YYYY-MM 且不晚于本月；已显示 %(p)s。") % {"p": f"{default:%Y-%m}"}
        period = default
    staff = access.role_of(request.user) == access.CITY_STAFF
    districts = list(District.objects.all()) if staff else []
    district = request.GET.get("district", "") if staff else ""
    rows = selectors.monthly_todo(user=request.user, period=period, today=today)
    if district:
        rows = [row for row in rows if row["project"].district_id == district]
    counts = {
        "total": len(rows),
        "missing": sum(1 for row in rows if row["report"] is None),
        "draft": sum(1 for row in rows if row["status"] in services.REPORT_EDITABLE),
        "submitted": sum(1 for row in rows if row["status"] == ReportStatus.SUBMITTED),
        "accepted": sum(1 for row in rows if row["status"] == ReportStatus.ACCEPTED),
        "late": sum(1 for row in rows if row["is_late"] and not row["submitted"]),
    }
    context = {
        "rows": rows,
        # The city's list runs to thousands of projects: a page of them at a time, the counts of all.
        "page": Paginator(rows, MONTHLY_PAGE_SIZE).get_page(request.GET.get("page")),
        "query": query_without(request, "page"),
        "period": period,
        "period_error": period_error,
        "max_period": month_of(today),
        "due": report_due(period),
        "due_working_day": settings.PROGRESS_REPORT_DUE_WORKING_DAY,
        "today": today,
        "counts": counts,
        "districts": districts,
        "district": district,
        "staff": staff,
    }
    return render(request, "projects/progress/monthly.html", context)


@access.role_required
def report_review_queue(request):
    access.require_role(request.user, access.CITY_STAFF)
    queue = selectors.report_review_queue(user=request.user)
    page = Paginator(queue, page_size(request)).get_page(request.GET.get("page"))
    page.object_list = selectors.attach_cumulative(page.object_list)
    for report in page:
        report.late = is_late(report)
    context = {"page": page, "query": query_without(request, "page")}
    return render(request, "projects/progress/review_queue.html", context)


# -- the problem ledger ------------------------------------------------------------------------------


@access.role_required
def problem_list(request):
    # The form shows what was asked and any invalid value; the list leaves an invalid value out.
    filterset = ProblemFilterSet(request.GET or None, queryset=Problem.objects.none(), user=request.user)
    style_filters(filterset.form, everything=_("全部"))
    problems = selectors.problem_list(user=request.user, params=request.GET, strict=False)
    page = Paginator(problems, page_size(request)).get_page(request.GET.get("page"))
    for problem in page:
        problem.editable = access.is_project_editor(request.user, problem.project)
    project_id = request.GET.get("project", "")
    project = (
        Project.objects.visible_to(request.user).filter(pk=project_id).first()
        if project_id.isdigit()
        else None
    )
    context = {
        "filterset": filterset,
        "page": page,
        "project": project,
        "can_add": project is not None
        and project.in_library
        and access.is_project_editor(request.user, project),
        "query": query_without(request, "page"),
    }
    partial = request.htmx and not request.htmx.history_restore_request
    template = "projects/progress/_problem_results.html" if partial else "projects/progress/problem_list.html"
    response = render(request, template, context)
    patch_vary_headers(response, ["HX-Request"])
    return response


@access.role_required
def problem_create(request, pk):
    return _problem_page(request, visible_project(request, pk))


@access.role_required
def problem_edit(request, pk):
    problems = Problem.objects.visible_to(request.user).select_related("project__district")
    problem = get_object_or_404(problems, pk=pk)
    return _problem_page(request, problem.project, problem)


def _problem_page(request, project: Project, problem: Problem | None = None):
    """The problem form: a new problem of `project`, or `problem` to change or resolve."""
    access.require_project_editor(request.user, project)
    form = ProblemForm(request.POST or None, instance=problem)

    def write(data):
        fields = {name: data[name] for name in services.PROBLEM_FIELDS}
        if problem is None:
            return services.problem_create(acting_user=request.user, project=project, **fields)
        return services.problem_update(acting_user=request.user, problem=problem, **fields)

    saved = write_form(request, form, write)
    if saved is not None:
        messages.success(request, _("问题已更新。") if problem is not None else _("问题已登记。"))
        return redirect(f"{reverse('projects:problem_list')}?project={project.pk}")
    context = {"form": form, "project": project, "problem": problem}
    return render(request, "projects/progress/problem_form.html", context)
