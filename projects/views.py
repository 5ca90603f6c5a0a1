"""Pages of the library. Reads are scoped through .visible_to(user); every write goes through one service."""

import secrets
from pathlib import Path

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files import File
from django.core.paginator import Paginator
from django.db.models import Count, OuterRef, Prefetch, Subquery, Sum
from django.db.models.functions import Coalesce
from django.http import HttpResponseNotAllowed
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.cache import patch_vary_headers
from django.utils.translation import gettext as _

from financing.choices import GRANTED_STATUSES, FundingStatus
from financing.models import FundingLine, Loan
from portfolio import access
from portfolio.audit import describe_history
from portfolio.models import AuditEntry

from . import imports, services
from .choices import ReviewAction, ReviewStatus, Stage
from .filtersets import ProjectFilterSet
from .forms import MilestoneForm, ProjectForm, ReviewForm, StageForm
from .models import Milestone, Project, ReviewRecord
from .querysets import ZERO
from .selectors import stage_missing_conditions

PAGE_SIZES = (20, 50, 100)


def show_errors(form, error: ValidationError) -> None:
    """Put a service's ValidationError on the form: beside its field when the form has one."""
    if hasattr(error, "error_dict"):
        for field, errors in error.error_dict.items():
            form.add_error(field if field in form.fields else None, errors)
    else:
        form.add_error(None, error)


def visible_project(request, pk, *, with_totals: bool = False) -> Project:
    projects = Project.objects.visible_to(request.user).select_related("district", "unit")
    return get_object_or_404(projects.with_financing_totals() if with_totals else projects, pk=pk)


def page_size(request) -> int:
    try:
        size = int(request.GET.get("per_page", 50))
    except ValueError:
        return 50
    return size if size in PAGE_SIZES else 50


def query_without(request, *names) -> str:
    query = request.GET.copy()
    for name in names:
        query.pop(name, None)
    return query.urlencode()


def posted_version(request) -> int | None:
    try:
        return int(request.POST["version"])
    except (KeyError, ValueError):
        return None


@access.role_required
def project_list(request):
    projects = (
        Project.objects.visible_to(request.user)
        .with_financing_totals()
        .select_related("district", "unit", "implementing_org")
        .prefetch_related(Prefetch("loans", queryset=Loan.objects.select_related("lender")))
    )
    filterset = ProjectFilterSet(request.GET or None, queryset=projects, request=request)
    filtered = filterset.qs if filterset.is_bound else projects
    totals = filtered.order_by().aggregate(
        count=Count("pk"), investment=Coalesce(Sum("total_investment"), ZERO)
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


@access.role_required
def project_detail(request, pk):
    project = visible_project(request, pk, with_totals=True)
    user = request.user
    funding_lines = list(FundingLine.objects.filter(project=project).order_by("source_type", "year", "pk"))
    by_source = {}
    for line in funding_lines:
        group = by_source.setdefault(
            line.source_type,
            {"label": line.get_source_type_display(), "planned": 0, "approved": 0, "received": 0},
        )
        # As in ProjectQuerySet.with_financing_totals: rejected lines plan nothing; only granted ones count.
        if line.status != FundingStatus.REJECTED:
            group["planned"] += line.planned_amount
        if line.status in GRANTED_STATUSES:
            group["approved"] += line.approved_amount
        group["received"] += line.received_amount
    review_records = list(project.review_records.select_related("by"))
    returned = project.review_status == ReviewStatus.RETURNED and review_records
    edit_refusal = services.project_edit_refusal(user=user, project=project)
    in_review = project.review_status == ReviewStatus.SUBMITTED
    review_refusal = services.project_review_refusal(user=user, project=project) if in_review else None
    context = {
        "project": project,
        "totals": project,
        "return_comment": review_records[-1].comment if returned else "",
        "stage_changes": project.stage_changes.select_related("by"),
        "review_records": review_records,
        "milestones": project.milestones.all(),
        "funding_by_source": by_source.values(),
        "funding_lines": funding_lines,
        "loans": Loan.objects.filter(project=project).select_related("lender", "borrower").with_balances(),
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
    }
    return render(request, "projects/project_detail.html", context)


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
    if request.method == "POST" and form.is_valid():
        fields = {name: form.cleaned_data[name] for name in services.PROJECT_FIELDS}
        try:
            project = services.project_create(acting_user=request.user, **fields)
        except ValidationError as error:
            show_errors(form, error)
        else:
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
    if request.method == "POST" and form.is_valid():
        fields = {name: form.cleaned_data[name] for name in services.PROJECT_FIELDS}
        try:
            services.project_update(
                project=project,
                acting_user=request.user,
                expected_version=form.cleaned_data["version"],
                **fields,
            )
        except ValidationError as error:
            show_errors(form, error)
        else:
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
    if request.method == "POST" and form.is_valid():
        step = (
            services.project_accept if form.cleaned_data["decision"] == "accept" else services.project_return
        )
        try:
            step(
                project=project,
                acting_user=request.user,
                comment=form.cleaned_data["comment"],
                expected_version=form.cleaned_data["version"],
            )
        except ValidationError as error:
            show_errors(form, error)
        else:
            accepted = form.cleaned_data["decision"] == "accept"
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
    if request.method == "POST" and form.is_valid():
        try:
            services.project_transition(
                project=project,
                stage=form.cleaned_data["stage"],
                acting_user=request.user,
                reason=form.cleaned_data["reason"],
                override=form.cleaned_data["override"],
                on=form.cleaned_data["on"],
            )
        except ValidationError as error:
            show_errors(form, error)
        else:
            messages.success(request, _("阶段已变更。"))
            return redirect("projects:project_detail", pk=project.pk)
    context = {
        "form": form,
        "project": project,
        "next_stage": Stage(following).label if following else None,
        "missing": stage_missing_conditions(project=project, stage=following) if following else [],
        "stage_changes": project.stage_changes.select_related("by"),
    }
    return render(request, "projects/project_stage.html", context)


@access.role_required
def milestone_create(request, pk):
    project = visible_project(request, pk)
    access.require_project_editor(request.user, project)
    form = MilestoneForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.milestone_record(acting_user=request.user, project=project, **form.cleaned_data)
        except ValidationError as error:
            show_errors(form, error)
        else:
            messages.success(request, _("节点已添加。"))
            return redirect("projects:project_detail", pk=project.pk)
    return render(request, "projects/milestone_form.html", {"form": form, "project": project})


@access.role_required
def milestone_edit(request, pk):
    milestone = get_object_or_404(Milestone.objects.visible_to(request.user).select_related("project"), pk=pk)
    access.require_project_editor(request.user, milestone.project)
    form = MilestoneForm(request.POST or None, instance=milestone)
    if request.method == "POST" and form.is_valid():
        try:
            services.milestone_record(acting_user=request.user, milestone=milestone, **form.cleaned_data)
        except ValidationError as error:
            show_errors(form, error)
        else:
            messages.success(request, _("节点已更新。"))
            return redirect("projects:project_detail", pk=milestone.project_id)
    context = {"form": form, "project": milestone.project, "milestone": milestone}
    return render(request, "projects/milestone_form.html", context)


@access.role_required
def review_queue(request):
    access.require_role(request.user, access.CITY_STAFF)
    last_submitter = (
        ReviewRecord.objects.filter(project=OuterRef("pk"), action=ReviewAction.SUBMIT)
        .order_by("-at", "-pk")
        .values("by")[:1]
    )
    queue = (
        Project.objects.visible_to(request.user)
        .filter(review_status=ReviewStatus.SUBMITTED)
        .select_related("district", "unit")
        .annotate(submitted_by=Subquery(last_submitter))
        .order_by("submitted_at", "pk")
    )
    page = Paginator(queue, page_size(request)).get_page(request.GET.get("page"))
    return render(
        request, "projects/review_queue.html", {"page": page, "query": query_without(request, "page")}
    )


@access.role_required
def my_district(request):
    access.require_role(request.user, access.DISTRICT_USER)
    projects = Project.objects.visible_to(request.user)
    by_status = dict(projects.order_by().values_list("review_status").annotate(n=Count("pk")))
    by_stage = dict(projects.in_library().order_by().values_list("stage").annotate(n=Count("pk")))
    overdue = (
        Milestone.objects.visible_to(request.user)
        .overdue()
        .select_related("project")
        .order_by("planned_date")[:200]
    )
    returned = projects.filter(review_status=ReviewStatus.RETURNED).prefetch_related(
        Prefetch("review_records", queryset=ReviewRecord.objects.filter(action="return"), to_attr="returns")
    )
    context = {
        "by_status": [(s.label, by_status.get(s.value, 0), s.value) for s in ReviewStatus],
        "by_stage": [(s.label, by_stage.get(s.value, 0), s.value) for s in Stage],
        "overdue": overdue,
        "returned": returned,
    }
    return render(request, "projects/my_district.html", context)


@access.role_required
def project_import(request):
    """Upload a filled-in template, preview what it would create (or every error), then confirm."""
    refusal = services.project_create_refusal(user=request.user)
    if refusal:
        raise PermissionDenied(refusal)
    context = {"max_mb": imports.MAX_BYTES // (1024 * 1024)}
    if request.method == "POST" and request.POST.get("action") == "confirm":
        path = _pending_import(request)
        if path is None:
            messages.error(request, _("待导入的文件已失效，请重新上传。"))
            return redirect("projects:project_import")
        with path.open("rb") as handle:
            upload = File(handle, name=path.name)
            upload.size = path.stat().st_size
            try:
                result = imports.import_projects(upload, user=request.user, commit=True)
            except imports.ImportFileError as error:
                result, context["file_error"] = None, str(error)
        path.unlink(missing_ok=True)
        request.session.pop("pending_import", None)
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
                    context["token"] = _keep_pending_import(request, upload)
    return render(request, "projects/project_import.html", context)


def _import_dir() -> Path:
    directory = Path(settings.IMPORT_DIR)
    directory.mkdir(parents=True, exist_ok=True)
    return directory


def _keep_pending_import(request, upload) -> str:
    token = secrets.token_urlsafe(16)
    upload.seek(0)
    with (_import_dir() / f"{token}.xlsx").open("wb") as handle:
        for chunk in upload.chunks():
            handle.write(chunk)
    request.session["pending_import"] = token
    return token


def _pending_import(request) -> Path | None:
    token = request.session.get("pending_import")
    if not token or token != request.POST.get("token"):
        return None
    path = _import_dir() / f"{token}.xlsx"
    return path if path.exists() else None
