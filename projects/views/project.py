"""Pages of the library. Reads are scoped through .visible_to(user); every write goes through one service."""

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db.models import Count, Prefetch, Sum
from django.db.models.functions import Coalesce
from django.http import HttpResponseNotAllowed
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.cache import patch_vary_headers
from django.utils.translation import gettext as _

from financing.models import FundingLine, Loan
from financing.readiness import readiness_panel
from financing.selectors import funding_by_source, with_loan_balances
from portfolio import access
from portfolio.audit import describe_history
from portfolio.forms import page_size, posted_version, query_without, write_form
from portfolio.jobs import services as jobs
from portfolio.jobs.http import over
from portfolio.jobs.models import JobKind
from portfolio.models import AuditEntry
from portfolio.money import ZERO_YUAN
from portfolio.uploads import PendingUpload

from .. import imports, selectors, services
from ..choices import ReviewStatus, Stage
from ..filtersets import ProjectFilterSet
from ..forms import MilestoneForm, ProjectForm, ReviewForm, StageForm
from ..models import Milestone, Project
from ..selectors import documents as document_selectors
from ..selectors import preparation as preparation_selectors
from ..selectors import progress as progress_selectors
from ..services import progress as progress_services


def visible_project(request, pk, *, with_totals: bool = False) -> Project:
    """The project `pk` if the user may see it (404 otherwise); with its financing totals when asked."""
    if with_totals:
        return get_object_or_404(selectors.project_list(user=request.user), pk=pk)
    return get_object_or_404(
        Project.objects.visible_to(request.user).select_related("district", "unit"), pk=pk
    )


@access.role_required
def project_list(request):
    # The form shows what was asked and any invalid value; the list leaves an invalid value out.
    filterset = ProjectFilterSet(request.GET or None, queryset=Project.objects.none(), user=request.user)
    filtered = selectors.project_list(user=request.user, params=request.GET, strict=False).prefetch_related(
        Prefetch("loans", queryset=Loan.objects.select_related("lender"))
    )
    totals = filtered.order_by().aggregate(
        count=Count("pk"), investment=Coalesce(Sum("total_investment"), ZERO_YUAN)
    )
    paginator = Paginator(filtered, page_size(request))
    paginator.count = totals["count"]  # known already: spare the paginator its own COUNT query
    context = {
        "filterset": filterset,
        "page": paginator.get_page(request.GET.get("page")),
        "totals": totals,
        "query": query_without(request, "page"),
        "query_unsorted": query_without(request, "page", "sort"),
    }
    # htmx swaps the filter form and the table; a history restore or a normal load gets the whole page.
    partial = request.htmx and not request.htmx.history_restore_request
    template = "projects/_project_results.html" if partial else "projects/project_list.html"
    response = render(request, template, context)
    patch_vary_headers(response, ["HX-Request"])
    return response


@access.role_required(roles=access.ROLES)
def project_detail(request, pk):
    user = request.user
    if access.role_of(user) == access.LENDER:
        # A bank reads a project's summary on the platform, never the library's page (contacts, history).
        get_object_or_404(Project.objects.visible_to(user), pk=pk)
        return redirect("financing:project_summary", pk=pk)
    project = visible_project(request, pk, with_totals=True)
    funding_lines = list(FundingLine.objects.filter(project=project).order_by("source_type", "year", "pk"))
    review_records = list(project.review_records.select_related("by"))
    returned = project.review_status == ReviewStatus.RETURNED and review_records
    edit_refusal = services.project_edit_refusal(user=user, project=project)
    in_review = project.review_status == ReviewStatus.SUBMITTED
    review_refusal = services.project_review_refusal(user=user, project=project) if in_review else None
    # The year's investment progress, and what the user may do about it.
    progress = progress_selectors.project_progress(project=project, year=timezone.localdate().year)
    plan, editor = progress["plan"], access.is_project_editor(user, project)
    report_period = progress_selectors.reporting_period()
    context = {
        "project": project,
        "totals": project,
        "return_comment": review_records[-1].comment if returned else "",
        "stage_changes": project.stage_changes.select_related("by"),
        "review_records": review_records,
        "milestones": project.milestones.all(),
        "funding_by_source": funding_by_source(FundingLine.objects.filter(project=project)),
        "funding_lines": funding_lines,
        "loans": with_loan_balances(
            Loan.objects.filter(project=project).select_related("lender", "borrower")
        ),
        "history": describe_history(
            AuditEntry.objects.filter(project=project).select_related("actor", "content_type")[:200]
        ),
        "can_edit": edit_refusal is None,
        "can_submit": edit_refusal is None and project.review_status in services.DISTRICT_EDITABLE,
        "can_review": in_review and review_refusal is None,
        # Staff who submitted the project themselves are told why they cannot review it.
        "review_refusal": review_refusal if access.role_of(user) == access.CITY_STAFF else None,
        "can_move": access.role_of(user) == access.CITY_STAFF
        and project.review_status == ReviewStatus.ACCEPTED,
        "can_milestones": access.is_project_editor(user, project),
        "can_finance": access.role_of(user) == access.CITY_STAFF,
        "progress": progress,
        "can_plan_create": plan is None and editor and project.in_library,
        "can_plan_edit": plan is not None
        and progress_services.plan_edit_refusal(user=user, plan=plan) is None,
        "can_plan_confirm": plan is not None
        and not progress["plan_confirmed"]
        and access.role_of(user) == access.CITY_STAFF,
        "report_period": report_period,
        "report_now": next((m["report"] for m in progress["months"] if m["period"] == report_period), None),
        "can_report": editor
        and progress_selectors.report_refusal(project=project, period=report_period) is None,
        "can_problem": editor and project.in_library,
        # Each month not yet reported links to its form (which says why when the month is not reported).
        "can_fill_months": editor and project.in_library,
    }
    # The preparatory procedures, the readiness for each funding programme, and the documents: each
    # panel's selector gives its template what it shows and what the user may do there.
    context["procedures_panel"] = preparation_selectors.procedures_panel(user=user, project=project)
    context["readiness_panel"] = readiness_panel(user=user, project=project)
    context["documents_panel"] = document_selectors.documents_panel(user=user, project=project)
    return render(request, "projects/project_detail.html", context)


def _project_fields(data: dict) -> dict:
    return {name: data[name] for name in services.PROJECT_FIELDS}


@access.role_required
def project_create(request):
    refusal = services.project_create_refusal(user=request.user)
    if refusal:
        raise PermissionDenied(refusal)
    own = (
        access.district_code_of(request.user)
        if access.role_of(request.user) == access.DISTRICT_USER
        else None
    )
    form = ProjectForm(request.POST or None, district_code=own)
    project = write_form(
        request, form, lambda data: services.project_create(acting_user=request.user, **_project_fields(data))
    )
    if project is not None:
        messages.success(request, _("项目已保存为草稿：%(code)s") % {"code": project.code})
        return redirect("projects:project_detail", pk=project.pk)
    return render(request, "projects/project_form.html", {"form": form, "title": _("新建项目")})


@access.role_required
def project_edit(request, pk):
    project = visible_project(request, pk)
    refusal = services.project_edit_refusal(user=request.user, project=project)
    if refusal:
        raise PermissionDenied(refusal)
    own = project.district_id if access.role_of(request.user) == access.DISTRICT_USER else None
    form = ProjectForm(request.POST or None, instance=project, district_code=own)
    saved = write_form(
        request,
        form,
        lambda data: services.project_update(
            project=project,
            acting_user=request.user,
            expected_version=data["version"],
            **_project_fields(data),
        ),
    )
    if saved is not None:
        messages.success(request, _("项目已保存。"))
        return redirect("projects:project_detail", pk=project.pk)
    return render(
        request, "projects/project_form.html", {"form": form, "project": project, "title": _("编辑项目")}
    )


@access.role_required
def project_submit(request, pk):
    project = visible_project(request, pk)
    if request.method != "POST":
        return HttpResponseNotAllowed(["POST"])
    try:
        services.project_submit(
            project=project, acting_user=request.user, expected_version=posted_version(request)
        )
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(request, _("项目已提交市项目办审核。"))
    return redirect("projects:project_detail", pk=project.pk)


@access.role_required
def project_review(request, pk):
    project = visible_project(request, pk)
    refusal = services.project_review_refusal(user=request.user, project=project)
    if refusal:
        raise PermissionDenied(refusal)
    form = ReviewForm(request.POST or None, initial={"version": project.version})

    def review(data):
        step = services.project_accept if data["decision"] == "accept" else services.project_return
        step(
            project=project,
            acting_user=request.user,
            comment=data["comment"],
            expected_version=data["version"],
        )
        return data["decision"]

    decision = write_form(request, form, review)
    if decision is not None:
        accepted = decision == "accept"
        messages.success(request, _("项目已入库。") if accepted else _("项目已退回区里修改。"))
        return redirect("projects:review_queue")
    records = project.review_records.select_related("by")
    return render(
        request, "projects/project_review.html", {"form": form, "project": project, "records": records}
    )


@access.role_required
def project_stage(request, pk):
    project = visible_project(request, pk)
    access.require_role(request.user, access.CITY_STAFF)
    current = Stage.order(project.stage)
    following = Stage.values[current + 1] if current + 1 < len(Stage.values) else None
    form = StageForm(request.POST or None, initial={"stage": following or project.stage})
    moved = write_form(
        request,
        form,
        lambda data: services.project_transition(project=project, acting_user=request.user, **data),
    )
    if moved is not None:
        messages.success(request, _("阶段已变更。"))
        return redirect("projects:project_detail", pk=project.pk)
    context = {
        "form": form,
        "project": project,
        "next_stage": Stage(following).label if following else None,
        "missing": selectors.stage_missing_conditions(project=project, stage=following) if following else [],
        "stage_changes": project.stage_changes.select_related("by"),
    }
    return render(request, "projects/project_stage.html", context)


@access.role_required
def milestone_create(request, pk):
    return _milestone_page(request, visible_project(request, pk))


@access.role_required
def milestone_edit(request, pk):
    milestone = get_object_or_404(Milestone.objects.visible_to(request.user).select_related("project"), pk=pk)
    return _milestone_page(request, milestone.project, milestone)


def _milestone_page(request, project: Project, milestone: Milestone | None = None):
    """The milestone form: a new milestone of `project`, or `milestone` to change."""
    access.require_project_editor(request.user, project)
    form = MilestoneForm(request.POST or None, instance=milestone)
    target = {"milestone": milestone} if milestone is not None else {"project": project}
    saved = write_form(
        request, form, lambda data: services.milestone_record(acting_user=request.user, **target, **data)
    )
    if saved is not None:
        messages.success(request, _("节点已更新。") if milestone is not None else _("节点已添加。"))
        return redirect("projects:project_detail", pk=project.pk)
    context = {"form": form, "project": project, "milestone": milestone}
    return render(request, "projects/milestone_form.html", context)


@access.role_required
def review_queue(request):
    access.require_role(request.user, access.CITY_STAFF)
    queue = selectors.review_queue(user=request.user)
    page = Paginator(queue, page_size(request)).get_page(request.GET.get("page"))
    return render(
        request, "projects/review_queue.html", {"page": page, "query": query_without(request, "page")}
    )


@access.role_required
def my_district(request):
    access.require_role(request.user, access.DISTRICT_USER)
    return render(request, "projects/my_district.html", selectors.district_overview(user=request.user))


PENDING_PROJECTS = PendingUpload("pending_import")


@access.role_required
def project_import(request):
    """Upload a filled-in template, preview what it would create (or every error), then confirm."""
    refusal = services.project_create_refusal(user=request.user)
    if refusal:
        raise PermissionDenied(refusal)
    context = {"max_mb": imports.MAX_BYTES // (1024 * 1024)}
    if request.method == "POST" and request.POST.get("action") == "confirm":
        rows = PENDING_PROJECTS.rows(request)
        if over("IMPORT_JOB_THRESHOLD", rows):
            # A large file is written by a background job; its page shows the outcome.
            name = PENDING_PROJECTS.hand_over(request)
            if name is None:
                messages.error(request, _("待导入的文件已失效，请重新上传。"))
                return redirect("projects:project_import")
            job = jobs.job_submit(
                owner=request.user, kind=JobKind.PROJECTS_IMPORT, params={"file": name}, total=rows
            )
            return redirect("jobs:detail", job.pk)
        with PENDING_PROJECTS.confirmed(request) as upload:
            if upload is None:
                messages.error(request, _("待导入的文件已失效，请重新上传。"))
                return redirect("projects:project_import")
            try:
                result = imports.import_projects(upload, user=request.user, commit=True)
            except imports.ImportFileError as error:
                result, context["file_error"] = None, str(error)
        if result is not None and result.ok:
            messages.success(request, _("已导入 %(n)d 个项目，均为草稿。") % {"n": len(result.created)})
            return redirect("projects:project_list")
        context["result"] = result
    elif request.method == "POST":
        upload = request.FILES.get("file")
        if upload is None:
            context["file_error"] = _("请选择要上传的 .xlsx 文件。")
        else:
            try:
                result = imports.import_projects(upload, user=request.user, commit=False)
            except imports.ImportFileError as error:
                context["file_error"] = str(error)
            else:
                context["result"] = result
                if result.ok:
                    context["token"] = PENDING_PROJECTS.keep(request, upload, rows=len(result.rows))
    return render(request, "projects/project_import.html", context)
