from django import forms
from django.contrib import admin
from django.core.exceptions import ValidationError

from portfolio.admin import AuditedAdmin, ReadOnlyInline

from .models import Disbursement, FundingLine, Loan, Organization, Repayment
from .services import LOAN_FIELDS, disbursement_check, loan_terms_check, repayment_check


class LockedLoanRuleForm(forms.ModelForm):
    """Checks a rule across a loan's rows with the loan row locked.

    The admin runs validation and save in one transaction, so the lock holds until the row is saved,
    exactly as in the services.
    """

    def check_rule(self, loan: Loan) -> None:
        raise NotImplementedError

    def _post_clean(self):
        super()._post_clean()
        loan_id = self.instance.loan_id if not isinstance(self.instance, Loan) else self.instance.pk
        if self.errors or loan_id is None:
            return
        locked = Loan.objects.select_for_update().get(pk=loan_id)
        try:
            self.check_rule(locked)
        except ValidationError as error:
            self._update_errors(error)


class LoanForm(LockedLoanRuleForm):
    class Meta:
        model = Loan
        fields = ("project", *LOAN_FIELDS)

    def check_rule(self, loan):
        loan_terms_check(loan=self.instance)


class DisbursementForm(LockedLoanRuleForm):
    class Meta:
        model = Disbursement
        fields = ("loan", "date", "amount", "note")

    def check_rule(self, loan):
        obj = self.instance
        disbursement_check(loan=loan, amount=obj.amount, on=obj.date, exclude_pk=obj.pk)


class RepaymentForm(LockedLoanRuleForm):
    class Meta:
        model = Repayment
        fields = ("loan", "date", "principal", "interest", "note")

    def check_rule(self, loan):
        obj = self.instance
        repayment_check(
            loan=loan, principal=obj.principal, interest=obj.interest, on=obj.date, exclude_pk=obj.pk
        )


@admin.register(Organization)
class OrganizationAdmin(AuditedAdmin):
    list_display = ["name", "kind", "uscc", "uscc_check_failed"]
    list_filter = ["kind", "uscc_check_failed"]
    search_fields = ["name", "uscc"]
    readonly_fields = ["uscc_check_failed"]

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(FundingLine)
class FundingLineAdmin(AuditedAdmin):
    audit_project_path = "project"
    list_display = [
        "project",
        "source_type",
        "year",
        "planned_amount",
        "approved_amount",
        "received_amount",
        "status",
    ]
    list_filter = ["source_type", "status", "year", "project__district"]
    search_fields = ["project__name", "project__code", "programme", "document_no"]
    list_select_related = ["project"]
    autocomplete_fields = ["project"]

    def has_delete_permission(self, request, obj=None):
        return False


class DisbursementInline(ReadOnlyInline):
    model = Disbursement
    fields = ["date", "amount", "note"]


class RepaymentInline(ReadOnlyInline):
    model = Repayment
    fields = ["date", "principal", "interest", "note"]


@admin.register(Loan)
class LoanAdmin(AuditedAdmin):
    audit_project_path = "project"
    form = LoanForm
    list_display = ["project", "lender", "borrower", "principal", "signed_on", "repayment_method", "status"]
    list_filter = [
        "status",
        ("lender", admin.RelatedOnlyFieldListFilter),
        "repayment_method",
        "project__district",
    ]
    search_fields = ["project__name", "contract_no", "borrower__name", "lender__name"]
    list_select_related = ["project", "lender", "borrower"]
    autocomplete_fields = ["project", "lender", "borrower"]
    inlines = [DisbursementInline, RepaymentInline]

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(Disbursement)
class DisbursementAdmin(AuditedAdmin):
    audit_project_path = "loan.project"
    form = DisbursementForm
    list_display = ["loan", "date", "amount"]
    list_filter = ["date"]
    search_fields = ["loan__project__name", "loan__contract_no"]
    list_select_related = ["loan__project", "loan__lender", "loan__borrower"]
    autocomplete_fields = ["loan"]

    def get_readonly_fields(self, request, obj=None):
        # Moving an entry to another loan would change two ledgers; correct it by a new entry instead.
        return ["loan"] if obj is not None else []

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(Repayment)
class RepaymentAdmin(DisbursementAdmin):
    form = RepaymentForm
    list_display = ["loan", "date", "principal", "interest"]
