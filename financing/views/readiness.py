"""The 申报 pages: the library projects ready for a programme and not yet put forward, the batches, a batch
with its entries (add a project, record an outcome, take one out, close the batch, export).

City staff write; finance and district users read (a district user sees only its own projects' entries);
lenders are refused (403). Each write is one service call (financing.batches), whose refusals come back as
Chinese messages on the page.
"""

from urllib.parse import urlencode

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import HttpResponseNotAllowed
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _

from portfolio import access
from portfolio.forms import page_size, query_without, write_form
from projects.choices import ReviewStatus
from projects.models import District, Project

from .. import batches as services
from .. import readiness
from ..choices import BatchStatus, EntryOutcome, SourceType
from ..forms import BatchEntryAddForm, BatchEntryAmountForm, BatchForm, OutcomeForm, ReadyListForm
from ..models import ApplicationBatch, BatchEntry, ProgrammeRule

STAFF = (access.CITY_STAFF,)


def _is_staff(user) -> bool:
    return access.role_of(user) == access.CITY_STAFF


def _visible_batch(request, pk) -> ApplicationBatch:
    return get_object_or_404(
        ApplicationBatch.objects.visible_to(request.user).select_related("opened_by"), pk=pk
    )


def _visible_entry(request, pk) -> BatchEntry:
    entries = BatchEntry.objects.visible_to(request.user).select_related("batch", "project")
    return get_object_or_404(entries, pk=pk)


# The ready list


@access.role_required
def ready_list(request):
    """The library projects ready for one programme (a tab each) and not yet put forward this year."""
    user = request.user
    rules = readiness.active_rules()
    programmes = [(rule.programme, rule.get_programme_display()) for rule in rules]
    district_user = access.role_of(user) == access.DISTRICT_USER
    form = ReadyListForm(
        request.GET or None,
        programmes=programmes,
        districts=District.objects.order_by("code"),
    )
    cleaned = form.cleaned_data if form.is_valid() else {}
    year = cleaned.get("year") or readiness.current_year()
    programme = cleaned.get("programme") or (programmes[0][0] if programmes else None)
    district = cleaned.get("district")
    context = {
        "form": form,
        "programmes": programmes,
        "programme": programme,
        "programme_label": dict(programmes).get(programme, ""),
        "year": year,
        "district_user": district_user,
        "is_staff": _is_staff(user),
        "query": query_without(request, "programme", "page"),
        "page_query": query_without(request, "page"),
        "show_unready": request.GET.get("show") == "unready",
    }
    if programme is not None:
        result = readiness.ready_list(
            user=user, programme=programme, year=year, district=district.code if district else None
        )
        rows = result["unready"] if context["show_unready"] else result["ready"]
        page = Paginator(rows, page_size(request)).get_page(request.GET.get("page"))
        open_batches = []
        if context["is_staff"]:
            open_batches = list(
                ApplicationBatch.objects.filter(programme=programme, status=BatchStatus.OPEN).order_by(
                    "-year", "name"
                )
            )
        base = {"programme": programme, "year": year}
        if district:
            base["district"] = district.code
        context.update(
            base_query=urlencode(base),
            rule=result["rule"],
            page=page,
            ready_count=len(result["ready"]),
            unready_count=len(result["unready"]),
            submitted_count=result["submitted_count"],
            open_batches=open_batches,
        )
    return render(request, "financing/readiness/ready_list.html", context)


# Batches


@access.role_required
def batch_list(request):
    batches = readiness.batch_list(user=request.user, params=request.GET, strict=False)
    context = {"batches": list(batches), "is_staff": _is_staff(request.user)}
    return render(request, "financing/readiness/batch_list.html", context)


@access.role_required(roles=STAFF)
def batch_create(request):
    form = BatchForm(request.POST or None, initial={"year": readiness.current_year()})
    batch = write_form(request, form, lambda data: services.batch_open(acting_user=request.user, **data))
    if batch is not None:
        messages.success(request, _("申报批次已创建。"))
        return redirect(batch)
    return render(request, "financing/readiness/batch_form.html", {"form": form, "title": _("新建申报批次")})


@access.role_required(roles=STAFF)
def batch_edit(request, pk):
    batch = _visible_batch(request, pk)
    form = BatchForm(request.POST or None, instance=batch)
    saved = write_form(
        request,
        form,
        lambda data: services.batch_update(acting_user=request.user, batch=batch, **data),
    )
    if saved is not None:
        messages.success(request, _("申报批次已保存。"))
        return redirect(saved)
    return render(
        request,
        "financing/readiness/batch_form.html",
        {"form": form, "title": _("修改申报批次"), "batch": batch},
    )


def _addable_projects(user, batch):
    """The library projects not in the batch yet, for the add form."""
    return (
        Project.objects.visible_to(user)
        .filter(review_status=ReviewStatus.ACCEPTED)
        .exclude(batch_entries__batch=batch)
        .select_related("district")
        .order_by("district", "code")
    )


def _batch_page(request, batch, *, add_form=None, entry_forms=None):
    user = request.user
    staff = _is_staff(user)
    entries = readiness.batch_entries(user=user, batch=batch)
    entry_forms = entry_forms or {}
    for entry in entries:
        bound = entry_forms.get(entry.pk, {})
        entry.outcome_form = bound.get("outcome") or OutcomeForm(
            prefix=f"e{entry.pk}",
            initial={
                "outcome": entry.outcome if entry.outcome != EntryOutcome.PENDING else EntryOutcome.APPROVED,
                "approved_amount": entry.approved_amount or entry.requested_amount,
                "document_no": entry.document_no,
                "decided_on": entry.decided_on,
            },
        )
        entry.amount_form = bound.get("amount") or BatchEntryAmountForm(
            prefix=f"a{entry.pk}", initial={"requested_amount": entry.requested_amount}
        )
        entry.form_open = bool(bound)
    is_open = batch.status == BatchStatus.OPEN
    if staff and is_open and add_form is None:
        initial = {}
        if request.GET.get("project", "").isdigit():
            initial["project"] = int(request.GET["project"])
        add_form = BatchEntryAddForm(initial=initial, projects=_addable_projects(user, batch))
    rule = ProgrammeRule.objects.filter(programme=batch.programme).first()
    context = {
        "batch": batch,
        "entries": entries,
        "totals": readiness.batch_totals(entries),
        "is_staff": staff,
        "is_open": is_open,
        "add_form": add_form if staff and is_open else None,
        "rule": rule,
        "programme_label": SourceType(batch.programme).label,
    }
    return render(request, "financing/readiness/batch_detail.html", context)


@access.role_required
def batch_detail(request, pk):
    return _batch_page(request, _visible_batch(request, pk))


def _post_only(request):
    return None if request.method == "POST" else HttpResponseNotAllowed(["POST"])


@access.role_required(roles=STAFF)
def batch_close(request, pk):
    refused = _post_only(request)
    if refused:
        return refused
    batch = _visible_batch(request, pk)
    try:
        services.batch_close(acting_user=request.user, batch=batch)
        messages.success(request, _("批次已结束申报。"))
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    return redirect(batch)


@access.role_required(roles=STAFF)
def batch_entry_add(request, pk):
    refused = _post_only(request)
    if refused:
        return refused
    batch = _visible_batch(request, pk)
    form = BatchEntryAddForm(request.POST, projects=_addable_projects(request.user, batch))
    entry = write_form(
        request,
        form,
        lambda data: services.batch_entry_add(acting_user=request.user, batch=batch, **data),
    )
    if entry is not None:
        if entry.overridden:
            messages.warning(request, _("已越过条件将“%(p)s”加入批次。") % {"p": entry.project.name})
        else:
            messages.success(request, _("已将“%(p)s”加入批次。") % {"p": entry.project.name})
        return redirect(batch)
    return _batch_page(request, batch, add_form=form)


@access.role_required(roles=STAFF)
def batch_entry_outcome(request, pk):
    refused = _post_only(request)
    if refused:
        return refused
    entry = _visible_entry(request, pk)
    form = OutcomeForm(request.POST, prefix=f"e{entry.pk}")
    saved = write_form(
        request,
        form,
        lambda data: services.batch_entry_outcome(acting_user=request.user, entry=entry, **data),
    )
    if saved is not None:
        messages.success(
            request,
            _("已录入“%(p)s”的批复结果，并更新项目资金来源。") % {"p": entry.project.name},
        )
        return redirect(entry.batch)
    return _batch_page(request, entry.batch, entry_forms={entry.pk: {"outcome": form}})


@access.role_required(roles=STAFF)
def batch_entry_edit(request, pk):
    refused = _post_only(request)
    if refused:
        return refused
    entry = _visible_entry(request, pk)
    form = BatchEntryAmountForm(request.POST, prefix=f"a{entry.pk}")
    saved = write_form(
        request,
        form,
        lambda data: services.batch_entry_update(acting_user=request.user, entry=entry, **data),
    )
    if saved is not None:
        messages.success(request, _("申报金额已保存。"))
        return redirect(entry.batch)
    return _batch_page(request, entry.batch, entry_forms={entry.pk: {"amount": form}})


@access.role_required(roles=STAFF)
def batch_entry_remove(request, pk):
    refused = _post_only(request)
    if refused:
        return refused
    entry = _visible_entry(request, pk)
    batch = entry.batch
    if request.POST.get("confirm") != "yes":
        messages.error(request, _("请确认移出该项目。"))
        return redirect(batch)
    try:
        services.batch_entry_remove(acting_user=request.user, entry=entry)
        messages.success(request, _("已将“%(p)s”移出批次。") % {"p": entry.project.name})
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    return redirect(batch)
