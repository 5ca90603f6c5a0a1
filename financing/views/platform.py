"""The 政银企 platform's pages: financing demands, credit intentions, the project summary, the figures.

A district drafts a financing demand for its own library project; city staff publish and close it, and
mark a bank's approved intention signed with the loan registered for it; a bank (lender) answers a
published demand and moves its own intention on. Each write is one service call (financing.services), whose
refusals come back as Chinese messages on the page.

What a lender sees here: published demands and those it answered, its own intentions only (never another
bank's, nor how many a demand has), and of a project only its summary: no contacts, remarks, history or
milestones, and only its own bank's loans.
"""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.db.models import Count, IntegerField, OuterRef, Prefetch, Subquery, Sum
from django.db.models.functions import Coalesce
from django.http import HttpResponseNotAllowed
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _

from portfolio import access
from portfolio.forms import page_size, query_without, style_filters, write_form
from portfolio.money import ZERO_YUAN
from projects.models import Project

from .. import selectors, services
from ..choices import LIVE_INTENTIONS, DemandStatus, IntentionStatus, LoanStatus
from ..filtersets import DemandFilterSet
from ..forms import DemandForm, IntentionForm, ReasonForm, SignForm
from ..models import CreditIntention, FinancingDemand, FundingLine, Loan
from ..platform import platform_figures

OPEN_DEMANDS = (DemandStatus.DRAFT, DemandStatus.PUBLISHED)
# How many of a district's projects the "新建融资需求" menu lists.
LISTED_PROJECTS = 200


def _is_lender(user) -> bool:
    return access.role_of(user) == access.LENDER


def _post_only(request):
    return None if request.method == "POST" else HttpResponseNotAllowed(["POST"])


def _project_with_totals(user, pk) -> Project:
    """The project `pk` if `user` may see it (404 otherwise), with its funding cover and gap (stored)."""
    projects = selectors.with_stored_financing_totals(Project.objects.visible_to(user)).select_related(
        "district", "unit", "implementing_org"
    )
    return get_object_or_404(projects, pk=pk)


def _visible_demand(request, pk) -> FinancingDemand:
    demands = FinancingDemand.objects.visible_to(request.user).select_related("project__district")
    return get_object_or_404(demands, pk=pk)


def _visible_intention(request, pk) -> CreditIntention:
    """An intention the user sees: a lender its own bank's only, so another bank's is a 404."""
    intentions = CreditIntention.objects.visible_to(request.user).select_related("demand", "lender")
    return get_object_or_404(intentions, pk=pk)


def _error_text(error: ValidationError) -> str:
    return " ".join(error.messages)


# Financing demands


@access.role_required(roles=access.ROLES)
def demand_list(request):
    user = request.user
    lender = _is_lender(user)
    # The form shows what was asked and any invalid value; the list leaves an invalid value out.
    filterset = DemandFilterSet(request.GET or None, queryset=FinancingDemand.objects.none(), user=user)
    style_filters(filterset.form)
    hidden = {"project", "status"} if lender else {"project"}
    demands = selectors.demand_list(user=user, params=request.GET, strict=False)
    totals = demands.order_by().aggregate(count=Count("pk"), amount=Coalesce(Sum("amount"), ZERO_YUAN))
    if lender:
        own = CreditIntention.objects.visible_to(user).order_by("-created_at", "-pk")
        demands = demands.prefetch_related(Prefetch("intentions", queryset=own, to_attr="own_intentions"))
    else:
        answered = (
            CreditIntention.objects.filter(demand=OuterRef("pk"))
            .order_by()
            .values("demand")
            .annotate(n=Count("pk"))
            .values("n")
        )
        demands = demands.annotate(
            intention_count=Coalesce(Subquery(answered, output_field=IntegerField()), 0)
        )
    paginator = Paginator(demands, page_size(request))
    paginator.count = totals["count"]  # known already: spare the paginator its own COUNT query
    page = paginator.get_page(request.GET.get("page"))
    if lender:
        for demand in page:
            demand.own_live = next((i for i in demand.own_intentions if i.status in LIVE_INTENTIONS), None)
            demand.own_last = demand.own_intentions[0] if demand.own_intentions else None
    new_demand_projects = None
    if access.role_of(user) == access.DISTRICT_USER:
        new_demand_projects = (
            Project.objects.visible_to(user)
            .in_library()
            .exclude(financing_demands__status__in=OPEN_DEMANDS)
            .order_by("code")[:LISTED_PROJECTS]
        )
    context = {
        "filterset": filterset,
        "filter_fields": [field for field in filterset.form if field.name not in hidden],
        "hidden_fields": [field for field in filterset.form if field.name in hidden and field.value()],
        "page": page,
        "totals": totals,
        "query": query_without(request, "page"),
        "is_lender": lender,
        "new_demand_projects": new_demand_projects,
    }
    return render(request, "financing/platform/demand_list.html", context)


def _demand_form_page(request, *, project, form, title, refusal, on_valid, done, back, existing=None):
    """The demand form beside what the project's funding already is (read-only, from the ledger)."""
    saved = write_form(request, form, on_valid) if refusal is None else None
    if saved is not None:
        messages.success(request, done)
        return redirect(saved)
    context = {
        "form": form,
        "title": title,
        "project": project,
        "refusal": refusal,
        "existing": existing,
        "back": back,
        "funding_by_source": selectors.funding_by_source(FundingLine.objects.filter(project=project)),
    }
    return render(request, "financing/platform/demand_form.html", context)


@access.role_required
def demand_create(request, pk):
    project = _project_with_totals(request.user, pk)
    access.require_project_editor(request.user, project)
    refusal, existing = None, project.financing_demands.filter(status__in=OPEN_DEMANDS).first()
    if not project.in_library:
        refusal = _("只有已入库的项目可以发布融资需求。")
    elif existing is not None:
        refusal = _("该项目已有一项未关闭的融资需求，请在其关闭后再新建。")
    return _demand_form_page(
        request,
        project=project,
        existing=existing,
        form=DemandForm(request.POST or None),
        title=_("新建融资需求"),
        refusal=refusal,
        on_valid=lambda data: services.demand_create(acting_user=request.user, project=project, **data),
        done=_("融资需求已保存为草稿，由市项目办审核发布。"),
        back=reverse("financing:project_summary", args=[project.pk]),
    )


@access.role_required
def demand_edit(request, pk):
    demand = _visible_demand(request, pk)
    project = _project_with_totals(request.user, demand.project_id)
    access.require_project_editor(request.user, project)
    refusal = None
    if demand.status != DemandStatus.DRAFT:
        refusal = _("融资需求已发布，不能再修改；如需变更请关闭后重新填报。")
    return _demand_form_page(
        request,
        project=project,
        form=DemandForm(request.POST or None, instance=demand),
        title=_("修改融资需求"),
        refusal=refusal,
        on_valid=lambda data: services.demand_update(acting_user=request.user, demand=demand, **data),
        done=_("融资需求已保存。"),
        back=demand.get_absolute_url(),
    )


@access.role_required(roles=access.ROLES)
def demand_detail(request, pk):
    user = request.user
    role = access.role_of(user)
    demand = get_object_or_404(FinancingDemand.objects.visible_to(user), pk=pk)
    project = _project_with_totals(user, demand.project_id)
    demand.project = project
    intentions = list(
        CreditIntention.objects.visible_to(user)
        .filter(demand=demand)
        .select_related("lender", "loan")
        .order_by("created_at", "pk")
    )
    city = role == access.CITY_STAFF
    if city:
        # The loans an approved intention may be signed as: the project's live loans tied to no intention.
        free = (
            Loan.objects.filter(project=project, credit_intention__isnull=True)
            .exclude(status=LoanStatus.TERMINATED)
            .order_by("signed_on", "pk")
        )
        by_bank = {}
        for loan in free:
            by_bank.setdefault(loan.lender_id, []).append(loan)
        for intention in intentions:
            intention.sign_loans = by_bank.get(intention.lender_id, [])
    own_live = (
        next((i for i in intentions if i.status in LIVE_INTENTIONS), None) if role == access.LENDER else None
    )
    published = demand.status == DemandStatus.PUBLISHED
    context = {
        "demand": demand,
        "project": project,
        "intentions": intentions,
        "is_lender": role == access.LENDER,
        "is_city": city,
        "can_edit": demand.status == DemandStatus.DRAFT and access.is_project_editor(user, project),
        "can_publish": city and demand.status == DemandStatus.DRAFT,
        "can_close": city and published,
        "own_live": own_live,
        "can_answer": role == access.LENDER and published and own_live is None,
        "answer_form": IntentionForm(initial={"term_months": demand.term_months}),
        "INTENDED": IntentionStatus.INTENDED,
        "APPROVED": IntentionStatus.APPROVED,
    }
    return render(request, "financing/platform/demand_detail.html", context)


def _demand_step(request, pk, step, done):
    demand = _visible_demand(request, pk)
    if refused := _post_only(request):
        return refused
    try:
        step(acting_user=request.user, demand=demand)
    except ValidationError as error:
        messages.error(request, _error_text(error))
    else:
        messages.success(request, done)
    return redirect(demand)


@access.role_required
def demand_publish(request, pk):
    return _demand_step(request, pk, services.demand_publish, _("融资需求已发布，各银行已收到通知。"))


@access.role_required
def demand_close(request, pk):
    return _demand_step(request, pk, services.demand_close, _("融资需求已关闭，银行不能再提出意向。"))


# Credit intentions


def _answer_refusal(user, demand) -> str | None:
    """Why the bank cannot answer `demand` now; the service checks it again on the write."""
    if demand.status != DemandStatus.PUBLISHED:
        return _("只能对已发布的融资需求提出授信意向。")
    if access.bank_id_of(user) is None:
        return _("您的账户尚未关联贷款银行，请联系市项目办。")
    if CreditIntention.objects.visible_to(user).filter(demand=demand, status__in=LIVE_INTENTIONS).exists():
        return _("本行对该融资需求已有一项有效意向。")
    return None


def _intention_form_page(request, *, demand, form, title, refusal, on_valid, done):
    saved = write_form(request, form, on_valid) if refusal is None else None
    if saved is not None:
        messages.success(request, done)
        return redirect(demand)
    context = {"form": form, "title": title, "demand": demand, "refusal": refusal}
    return render(request, "financing/platform/intention_form.html", context)


@access.role_required(roles=access.ROLES)
def intention_create(request, pk):
    demand = _visible_demand(request, pk)
    access.require_role(request.user, access.LENDER)
    return _intention_form_page(
        request,
        demand=demand,
        form=IntentionForm(request.POST or None, initial={"term_months": demand.term_months}),
        title=_("提出授信意向"),
        refusal=_answer_refusal(request.user, demand),
        on_valid=lambda data: services.intention_create(acting_user=request.user, demand=demand, **data),
        done=_("授信意向已提交，市项目办和项目所在区已收到通知。"),
    )


@access.role_required(roles=access.ROLES)
def intention_edit(request, pk):
    intention = _visible_intention(request, pk)
    access.require_role(request.user, access.LENDER)
    refusal = None
    if intention.status != IntentionStatus.INTENDED:
        refusal = _("授信意向当前状态为“%(s)s”，不能再修改。") % {"s": intention.get_status_display()}
    return _intention_form_page(
        request,
        demand=intention.demand,
        form=IntentionForm(request.POST or None, instance=intention),
        title=_("修改授信意向"),
        refusal=refusal,
        on_valid=lambda data: services.intention_update(
            acting_user=request.user, intention=intention, **data
        ),
        done=_("授信意向已保存。"),
    )


def _intention_step(request, pk, step, done):
    """A POSTed move of the intention `pk`: `step(intention)` calls its service; refusals become messages."""
    intention = _visible_intention(request, pk)
    if refused := _post_only(request):
        return refused
    try:
        step(intention)
    except ValidationError as error:
        messages.error(request, _error_text(error))
    else:
        messages.success(request, done)
    return redirect(intention.demand)


def _reason(request) -> str:
    form = ReasonForm(request.POST)
    if not form.is_valid():
        raise ValidationError(form.errors["reason"])
    return form.cleaned_data["reason"].strip()


@access.role_required(roles=access.ROLES)
def intention_approve(request, pk):
    return _intention_step(
        request,
        pk,
        lambda intention: services.intention_approve(
            acting_user=request.user, intention=intention, approval_no=request.POST.get("approval_no", "")
        ),
        _("已登记授信批复，待市项目办在签约后关联贷款。"),
    )


@access.role_required(roles=access.ROLES)
def intention_decline(request, pk):
    return _intention_step(
        request,
        pk,
        lambda intention: services.intention_decline(
            acting_user=request.user, intention=intention, reason=_reason(request)
        ),
        _("已登记授信未通过。"),
    )


@access.role_required(roles=access.ROLES)
def intention_withdraw(request, pk):
    return _intention_step(
        request,
        pk,
        lambda intention: services.intention_withdraw(
            acting_user=request.user, intention=intention, reason=_reason(request)
        ),
        _("授信意向已撤回。"),
    )


@access.role_required
def intention_sign(request, pk):
    def sign(intention):
        form = SignForm(request.POST, user=request.user)
        if not form.is_valid():
            raise ValidationError(form.errors["loan"])
        services.intention_sign(acting_user=request.user, intention=intention, loan=form.cleaned_data["loan"])

    return _intention_step(request, pk, sign, _("已签约，授信意向已关联所登记的贷款。"))


# What a bank sees of a project, and the platform's figures


@access.role_required(roles=access.ROLES)
def project_summary(request, pk):
    user = request.user
    project = _project_with_totals(user, pk)
    lender = _is_lender(user)
    demands = list(
        FinancingDemand.objects.visible_to(user).filter(project=project).order_by("-published_on", "-pk")
    )
    loans = selectors.with_loan_balances(
        Loan.objects.visible_to(user).filter(project=project).select_related("lender", "borrower")
    ).order_by("signed_on", "pk")
    intentions = (
        CreditIntention.objects.visible_to(user)
        .filter(demand__project=project)
        .select_related("lender", "loan", "demand")
        .order_by("-created_at", "-pk")
    )
    has_open = any(demand.status in OPEN_DEMANDS for demand in demands)
    context = {
        "project": project,
        "demands": demands,
        "loans": loans,
        "intentions": intentions,
        "is_lender": lender,
        "can_create_demand": project.in_library and not has_open and access.is_project_editor(user, project),
    }
    return render(request, "financing/platform/project_summary.html", context)


@access.role_required
def platform(request):
    access.require_role(request.user, access.CITY_STAFF, access.FINANCE)
    return render(
        request, "financing/platform/platform.html", {"figures": platform_figures(user=request.user)}
    )
