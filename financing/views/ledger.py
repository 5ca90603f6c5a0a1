"""Ledger pages: funding lines, loans, disbursements and repayments. City staff write; a bank's lender
follows its bank's loans (我的贷款) and records their disbursements and repayments; the others read."""

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from portfolio import access
from portfolio.forms import page_size, query_without, style_filters, write_form
from projects.models import Project

from .. import services
from ..choices import OrganizationKind
from ..filtersets import LoanFilterSet
from ..forms import DisbursementForm, FundingLineForm, LoanForm, RepaymentForm
from ..models import FundingLine, Loan, Organization
from ..selectors import DUE_SOON_DAYS, loan_book, loan_book_totals, loan_list, loan_position


def visible_project(request, pk) -> Project:
    return get_object_or_404(Project.objects.visible_to(request.user).select_related("district"), pk=pk)


def visible_loan(request, pk) -> Loan:
    loans = Loan.objects.visible_to(request.user).select_related("project__district", "lender", "borrower")
    return get_object_or_404(loans, pk=pk)


def project_url(user, project) -> str:
    """Where a loan's project links to: a bank reads the project's summary (never the library's record,
    with its contacts, remarks and other banks' loans); the others the project's page."""
    if access.role_of(user) == access.LENDER:
        return reverse("financing:project_summary", args=[project.pk])
    return project.get_absolute_url()


def can_record(user, loan) -> bool:
    """Whether `user` records the loan's disbursements and repayments (the services' rule: city staff, and
    the bank that made it)."""
    try:
        services.require_loan_recorder(user, loan)
    except PermissionDenied:
        return False
    return True


@access.role_required(roles=access.ROLES)
def my_loans(request):
    """我的贷款: a bank's loans, each with what is drawn, outstanding, next due and past due today. City staff
    and finance see every bank's (with a bank filter), a district its own district's."""
    user = request.user
    lender = access.role_of(user) == access.LENDER
    # The form shows what was asked and any invalid value; the list leaves an invalid value out.
    filterset = LoanFilterSet(request.GET or None, queryset=Loan.objects.none(), user=user)
    style_filters(filterset.form, everything=_("全部"), names=("district", "status"))
    loans = loan_list(user=user, params=request.GET, strict=False).select_related(
        "project__district", "lender", "borrower"
    )
    today = timezone.localdate()
    # A page of the book at a time; the totals are sums over every loan, in the database.
    totals = loan_book_totals(loans, today=today)
    paginator = Paginator(loans, page_size(request))
    paginator.count = totals["count"]  # known already: spare the paginator its own COUNT query
    page = paginator.get_page(request.GET.get("page"))
    page.object_list = loan_book(page.object_list, today=today)
    context = {
        "today": today,
        "lender": lender,
        "bank": Organization.objects.filter(pk=access.bank_id_of(user)).first() if lender else None,
        "filterset": filterset,
        "banks": [] if lender else _banks_lending_to(user),
        "chosen_bank": request.GET.get("lender", ""),
        "page": page,
        "totals": totals,
        "query": query_without(request, "page"),
    }
    return render(request, "financing/my_loans.html", context)


def _banks_lending_to(user) -> list[Organization]:
    """The banks of the loans `user` sees, for the bank filter."""
    lent = Loan.objects.visible_to(user).values("lender")
    return list(Organization.objects.filter(kind=OrganizationKind.BANK, pk__in=lent).order_by("name"))


@access.role_required(roles=access.ROLES)
def loan_detail(request, pk):
    loan = visible_loan(request, pk)
    context = {
        "loan": loan,
        "project": loan.project,
        "project_url": project_url(request.user, loan.project),
        "position": loan_position(loan=loan),
        "due_soon_days": DUE_SOON_DAYS,
        "is_lender": access.role_of(request.user) == access.LENDER,
        "can_edit": access.role_of(request.user) == access.CITY_STAFF,
        "can_record": can_record(request.user, loan),
    }
    return render(request, "financing/loan_detail.html", context)


def _form_page(request, form, *, title, project, on_valid, done, back):
    """The shared shape of a ledger form: show it, call the service, show its errors or go on."""
    if write_form(request, form, on_valid) is not None:
        messages.success(request, done)
        return redirect(back)
    context = {
        "form": form,
        "title": title,
        "project": project,
        "project_url": project_url(request.user, project),
        "back": back,
    }
    return render(request, "financing/ledger_form.html", context)


@access.role_required
def funding_line_create(request, pk):
    project = visible_project(request, pk)
    access.require_role(request.user, access.CITY_STAFF)
    form = FundingLineForm(request.POST or None, project=project)
    return _form_page(
        request,
        form,
        title=_("添加资金来源"),
        project=project,
        on_valid=lambda data: services.funding_line_record(acting_user=request.user, project=project, **data),
        done=_("资金来源已保存。"),
        back=project.get_absolute_url(),
    )


@access.role_required
def funding_line_edit(request, pk):
    line = get_object_or_404(FundingLine.objects.visible_to(request.user).select_related("project"), pk=pk)
    access.require_role(request.user, access.CITY_STAFF)
    form = FundingLineForm(request.POST or None, instance=line, project=line.project)
    return _form_page(
        request,
        form,
        title=_("修改资金来源"),
        project=line.project,
        on_valid=lambda data: services.funding_line_record(
            acting_user=request.user, funding_line=line, **data
        ),
        done=_("资金来源已保存。"),
        back=line.project.get_absolute_url(),
    )


@access.role_required
def loan_create(request, pk):
    project = visible_project(request, pk)
    access.require_role(request.user, access.CITY_STAFF)
    form = LoanForm(request.POST or None)
    created = {}

    def record(data):
        created["loan"] = services.loan_create(acting_user=request.user, project=project, **data)
        return created["loan"]

    response = _form_page(
        request,
        form,
        title=_("登记贷款"),
        project=project,
        on_valid=record,
        done=_("贷款已登记。"),
        back=project.get_absolute_url(),
    )
    return redirect("financing:loan_detail", pk=created["loan"].pk) if created else response


@access.role_required
def loan_edit(request, pk):
    loan = visible_loan(request, pk)
    access.require_role(request.user, access.CITY_STAFF)
    form = LoanForm(request.POST or None, instance=loan)
    return _form_page(
        request,
        form,
        title=_("修改贷款"),
        project=loan.project,
        on_valid=lambda data: services.loan_update(acting_user=request.user, loan=loan, **data),
        done=_("贷款已保存。"),
        back=loan.get_absolute_url(),
    )


@access.role_required(roles=access.ROLES)
def disbursement_create(request, pk):
    return _loan_entry_page(
        request,
        pk,
        DisbursementForm,
        title=_("登记提款"),
        done=_("提款已登记。"),
        record=lambda loan, data: services.disbursement_record(
            loan=loan, amount=data["amount"], on=data["date"], note=data["note"], acting_user=request.user
        ),
    )


@access.role_required(roles=access.ROLES)
def repayment_create(request, pk):
    return _loan_entry_page(
        request,
        pk,
        RepaymentForm,
        title=_("登记还款"),
        done=_("还款已登记。"),
        record=lambda loan, data: services.repayment_record(
            loan=loan,
            on=data["date"],
            principal=data["principal"],
            interest=data["interest"],
            note=data["note"],
            acting_user=request.user,
        ),
    )


def _loan_entry_page(request, pk, form_class, *, title, done, record):
    """A drawing or repayment form under the loan `pk`: `record(loan, data)` is its service call. City staff
    and the loan's own bank record them; another bank's loan is not found."""
    loan = visible_loan(request, pk)
    services.require_loan_recorder(request.user, loan)
    return _form_page(
        request,
        form_class(request.POST or None),
        title=title,
        project=loan.project,
        on_valid=lambda data: record(loan, data),
        done=done,
        back=loan.get_absolute_url(),
    )
