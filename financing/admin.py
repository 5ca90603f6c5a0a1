from django import forms
from django.contrib import admin
from django.core.exceptions import ValidationError
from django.utils import timezone

from portfolio.admin import AuditedAdmin, ReadOnlyInline
from projects.choices import Category, ProcedureKind, Stage

from .installments import schedule_rebuild
from .models import (
    ApplicationBatch,
    BatchEntry,
    Disbursement,
    FundingLine,
    Loan,
    Organization,
    ProgrammeRule,
    Repayment,
)
from .services import LOAN_FIELDS, disbursement_check, loan_terms_check, repayment_check
from .totals import financing_totals_refresh


class RefreshesFinancingTotals:
    """The admin of a record that counts in its project's financing totals: the project it leaves and the
    one it joins are refreshed with the save, in the admin's transaction, as the services do."""

    def save_model(self, request, obj, form, change):
        rows = type(obj)._default_manager.filter(pk=obj.pk)
        before = rows.values_list("project", flat=True).first() if change else None
        super().save_model(request, obj, form, change)
        financing_totals_refresh(project_ids=[before, obj.project_id])


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
class FundingLineAdmin(RefreshesFinancingTotals, AuditedAdmin):
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
class LoanAdmin(RefreshesFinancingTotals, AuditedAdmin):
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

    def save_model(self, request, obj, form, change):
        # The stored schedule follows the terms, in the admin's transaction, as in loan_update.
        super().save_model(request, obj, form, change)
        schedule_rebuild(loan=obj)

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

    def save_model(self, request, obj, form, change):
        # A drawing or repayment added or corrected here moves the loan's stored schedule, as in the services.
        super().save_model(request, obj, form, change)
        schedule_rebuild(loan=obj.loan)

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(Repayment)
class RepaymentAdmin(DisbursementAdmin):
    form = RepaymentForm
    list_display = ["loan", "date", "principal", "interest"]


# 申报条件 and batches


class ProgrammeRuleForm(forms.ModelForm):
    """The JSON lists of codes as checkboxes: only valid codes can be chosen, and the model's clean checks
    them again."""

    required_procedures = forms.MultipleChoiceField(
        label=ProgrammeRule._meta.get_field("required_procedures").verbose_name,
        choices=ProcedureKind.choices,
        widget=forms.CheckboxSelectMultiple,
        required=False,
        help_text=ProgrammeRule._meta.get_field("required_procedures").help_text,
    )
    stages = forms.MultipleChoiceField(
        label=ProgrammeRule._meta.get_field("stages").verbose_name,
        choices=Stage.choices,
        widget=forms.CheckboxSelectMultiple,
        required=False,
        help_text=ProgrammeRule._meta.get_field("stages").help_text,
    )
    categories = forms.MultipleChoiceField(
        label=ProgrammeRule._meta.get_field("categories").verbose_name,
        choices=Category.choices,
        widget=forms.CheckboxSelectMultiple,
        required=False,
        help_text=ProgrammeRule._meta.get_field("categories").help_text,
    )

    class Meta:
        model = ProgrammeRule
        fields = [
            "programme",
            "active",
            "required_procedures",
            "requires_national_code",
            "stages",
            "categories",
            "min_revenue_coverage",
            "note",
        ]

    def clean(self):
        cleaned = super().clean()
        for name, choices in (
            ("required_procedures", ProcedureKind),
            ("stages", Stage),
            ("categories", Category),
        ):
            if name in cleaned:
                chosen = set(cleaned[name])
                cleaned[name] = [code for code in choices.values if code in chosen]  # the checklist's order
        return cleaned


@admin.register(ProgrammeRule)
class ProgrammeRuleAdmin(AuditedAdmin):
    form = ProgrammeRuleForm
    list_display = ["programme", "active", "requires_national_code", "min_revenue_coverage", "updated_at"]
    list_filter = ["active"]
    readonly_fields = ["updated_at"]

    def save_model(self, request, obj, form, change):
        obj.updated_at = timezone.now()
        super().save_model(request, obj, form, change)

    def has_delete_permission(self, request, obj=None):
        return False


class BatchEntryInline(ReadOnlyInline):
    model = BatchEntry
    fields = ["project", "requested_amount", "overridden", "outcome", "approved_amount", "document_no"]

    def get_readonly_fields(self, request, obj=None):
        return self.fields


@admin.register(ApplicationBatch)
class ApplicationBatchAdmin(AuditedAdmin):
    """Read-only: batches and their entries are written on the 申报 pages, through their rules."""

    list_display = ["name", "programme", "year", "status", "deadline", "opened_at"]
    list_filter = ["programme", "year", "status"]
    search_fields = ["name"]
    inlines = [BatchEntryInline]

    def get_readonly_fields(self, request, obj=None):
        return [field.name for field in self.model._meta.fields]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
