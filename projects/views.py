"""Pages of the library. Reads are scoped through .visible_to(user); every write goes through one service."""

from collections import defaultdict
from decimal import Decimal

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db.models import Count, F, OuterRef, Prefetch, Subquery, Sum
from django.db.models.functions import Coalesce
from django.http import HttpResponseNotAllowed
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _

from financing.choices import SourceType
from financing.models import Disbursement, FundingLine, Loan, Repayment
from portfolio import access
from portfolio.audit import action_label, describe_changes
from portfolio.models import AuditEntry

from . import services
from .choices import ReviewStatus, Stage
from .filtersets import ProjectFilterSet
from .forms import MilestoneForm, ProjectForm, ReviewForm, StageForm
from .models import Milestone, Project, ReviewRecord
from .querysets import MONEY, ZERO
from .selectors import stage_missing_conditions

PAGE_SIZES = (20, 50, 100)


def show_errors(form, error: ValidationError) -> None:
    """Put a service's ValidationError on the form: beside its field when the form has one."""
    if hasattr(error, "error_dict"):
        for field, errors in error.error_dict.items():
            form.add_error(field if field in form.fields else None, errors)
    else:
        form.add_error(None, error)


def visible_project(request, pk) -> Project:
    return get_object_or_404(
        Project.objects.visible_to(request.user).select_related("district", "unit"), pk=pk
    )


def page_size(request) -> int:
    try:
        size = int(request.GET.get("per_page", 50))
    except ValueError:
        return 50
    return size if size in PAGE_SIZES else 50


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
    page = paginator.get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    context = {"filterset": filterset, "page": page, "totals": totals, "query": query.urlencode()}
    template = "projects/_project_table.html" if request.htmx else "projects/project_list.html"
    return render(request, template, context)


@access.role_required
def project_detail(request, pk):
    project = visible_project(request, pk)
    paid = (
        Repayment.objects.filter(loan=OuterRef("pk"))
        .order_by()
        .values("loan")
        .annotate(t=Sum("principal"))
        .values("t")
    )
    drawn = (
        Disbursement.objects.filter(loan=OuterRef("pk"))
        .order_by()
        .values("loan")
        .annotate(t=Sum("amount"))
        .values("t")
    )
    loans = (
        Loan.objects.filter(project=project)
        .select_related("lender", "borrower")
        .annotate(
            disbursed=Coalesce(Subquery(drawn, output_field=MONEY), ZERO),
            repaid=Coalesce(Subquery(paid, output_field=MONEY), ZERO),
        )
        .annotate(outstanding=F("disbursed") - F("repaid"))
    )
    funding = defaultdict(
        lambda: {"planned": Decimal(0), "approved": Decimal(0), "received": Decimal(0), "lines": []}
    )
    for line in FundingLine.objects.filter(project=project):
        group = funding[line.source_type]
        group["label"] = SourceType(line.source_type).label
        group["planned"] += line.planned_amount
        group["approved"] += line.approved_amount
        group["received"] += line.received_amount
        group["lines"].append(line)
    totals = Project.objects.with_financing_totals().get(pk=project.pk)
    history = [
        (entry, action_label(entry.action), describe_changes(entry))
        for entry in AuditEntry.objects.filter(project=project).select_related("actor", "content_type")[:200]
    ]
    review_records = list(project.review_records.select_related("by"))
    returned = project.review_status == ReviewStatus.RETURNED and review_records
    context = {
        "project": project,
        "totals": totals,
        "return_comment": review_records[-1].comment if returned else "",
        "stage_changes": project.stage_changes.select_related("by"),
        "review_records": review_records,
        "milestones": project.milestones.all(),
        "funding": dict(funding),
        "loans": loans,
        "history": history,
        "can_edit": services.project_edit_refusal(user=request.user, project=project) is None,
        "can_submit": services.project_edit_refusal(user=request.user, project=project) is None
        and project.review_status in services.DISTRICT_EDITABLE,
        "can_review": access.role_of(request.user) == access.CITY_STAFF
        and project.review_status == ReviewStatus.SUBMITTED,
        "can_move": access.role_of(request.user) == access.CITY_STAFF
        and project.review_status == ReviewStatus.ACCEPTED,
        "can_milestones": _may_change_milestones(request.user, project),
    }
    return render(request, "projects/project_detail.html", context)


def _may_change_milestones(user, project) -> bool:
    try:
        access.require_project_editor(user, project)
    except PermissionDenied:
        return False
    return True


def _require_creator(user) -> None:
    if access.role_of(user) not in (access.CITY_STAFF, access.DISTRICT_USER):
        raise PermissionDenied(_("您的角色无权新建项目。"))


@access.role_required
def project_create(request):
    _require_creator(request.user)
    district_code = (
        access.district_code_of(request.user)
        if access.role_of(request.user) == access.DISTRICT_USER
        else None
    )
    form = ProjectForm(request.POST or None, district_code=district_code)
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
    district_code = project.district_id if access.role_of(request.user) == access.DISTRICT_USER else None
    form = ProjectForm(request.POST or None, instance=project, district_code=district_code)
    if request.method == "POST" and form.is_valid():
        fields = {name: form.cleaned_data[name] for name in services.PROJECT_FIELDS}
        try:
            services.project_update(
                project=project,
                acting_user=request.user,
                expected_version=form.cleaned_data.get("version"),
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
        services.project_submit(project=project, acting_user=request.user)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(request, _("项目已提交市项目办审核。"))
    return redirect("projects:project_detail", pk=project.pk)


@access.role_required
def project_review(request, pk):
    project = visible_project(request, pk)
    access.require_role(request.user, access.CITY_STAFF)
    form = ReviewForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        comment = form.cleaned_data["comment"]
        try:
            if form.cleaned_data["decision"] == "accept":
                services.project_accept(project=project, acting_user=request.user, comment=comment)
                messages.success(request, _("项目已入库。"))
            else:
                services.project_return(project=project, acting_user=request.user, comment=comment)
                messages.success(request, _("项目已退回区里修改。"))
        except ValidationError as error:
            show_errors(form, error)
        else:
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
    queue = (
        Project.objects.visible_to(request.user)
        .filter(review_status=ReviewStatus.SUBMITTED)
        .select_related("district", "unit")
        .order_by("submitted_at", "pk")
    )
    page = Paginator(queue, page_size(request)).get_page(request.GET.get("page"))
    return render(request, "projects/review_queue.html", {"page": page})


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
        "district_code": access.district_code_of(request.user),
        "by_status": [(s.label, by_status.get(s.value, 0), s.value) for s in ReviewStatus],
        "by_stage": [(s.label, by_stage.get(s.value, 0), s.value) for s in Stage],
        "overdue": overdue,
        "returned": returned,
    }
    return render(request, "projects/my_district.html", context)
