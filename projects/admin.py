from django import forms
from django.contrib import admin
from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from financing.models import FundingLine, Loan
from financing.totals import financing_totals_refresh
from portfolio.admin import AuditedAdmin, CityStaffOnly, ReadOnly, ReadOnlyInline
from portfolio.audit import audit_delete

from .choices import ReviewStatus
from .models import (
    District,
    Document,
    InvestmentPlan,
    Milestone,
    Problem,
    Procedure,
    ProgressReport,
    Project,
    ReviewRecord,
    StageChange,
    Unit,
)
from .search import search_index_refresh
from .services import PROJECT_FIELDS


@admin.register(District)
class DistrictAdmin(AuditedAdmin):
    list_display = ["code", "name"]
    search_fields = ["code", "name"]

    def has_add_permission(self, request, *args):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(Unit)
class UnitAdmin(AuditedAdmin):
    list_display = ["name", "district"]
    list_filter = ["district"]
    search_fields = ["name"]


class MilestoneInline(CityStaffOnly, admin.TabularInline):
    model = Milestone
    extra = 0
    fields = ["name", "planned_date", "actual_date", "responsible", "note"]


class FundingLineInline(CityStaffOnly, admin.TabularInline):
    model = FundingLine
    extra = 0
    can_delete = False
    fields = [
        "source_type",
        "programme",
        "year",
        "planned_amount",
        "approved_amount",
        "received_amount",
        "status",
        "document_no",
    ]


class LoanInline(ReadOnlyInline):
    model = Loan
    fields = ["lender", "borrower", "contract_no", "signed_on", "principal", "status"]


class ProcedureInline(ReadOnlyInline):
    """The checklist as recorded: procedures are written through their service (procedure_record), which
    checks who may and audits it; a kind without a row is 未办理."""

    model = Procedure
    fields = ["kind", "status", "approval_no", "approved_on", "authority", "note", "updated_at"]


class DocumentInline(ReadOnlyInline):
    model = Document
    fields = ["kind", "title", "original_name", "size", "content_type", "uploaded_by", "uploaded_at"]


class StageChangeInline(ReadOnlyInline):
    model = StageChange
    fields = ["from_stage", "to_stage", "on", "by", "reason", "overridden", "missing"]


class ReviewRecordInline(ReadOnlyInline):
    model = ReviewRecord
    fields = ["action", "from_status", "to_status", "comment", "by", "at"]


class ProjectAdminForm(forms.ModelForm):
    """Refuses a save when the project changed after the form was opened, as project_update does."""

    expected_version = forms.IntegerField(widget=forms.HiddenInput, required=False)

    class Meta:
        model = Project
        fields = (*PROJECT_FIELDS, "code", "is_demo")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["expected_version"].initial = self.instance.version

    def clean(self):
        cleaned = super().clean()
        if self.instance.pk is not None:
            current = (
                Project.objects.select_for_update().values_list("version", flat=True).get(pk=self.instance.pk)
            )
            if cleaned.get("expected_version") != current:
                raise ValidationError(_("该项目在您打开后已被他人修改，请刷新后重新编辑。"), code="stale")
        return cleaned


@admin.register(Project)
class ProjectAdmin(AuditedAdmin):
    form = ProjectAdminForm
    audit_project_path = ""
    list_display = [
        "code",
        "name",
        "district",
        "unit",
        "category",
        "stage",
        "review_status",
        "total_investment",
    ]
    list_filter = ["district", "stage", "review_status", "category", "is_demo"]
    search_fields = ["code", "national_code", "name", "content"]
    list_select_related = ["district", "unit"]
    autocomplete_fields = ["unit", "implementing_org"]
    # Review status and stage move only through the review and stage services, with their records.
    readonly_fields = [
        "stage",
        "review_status",
        "submitted_at",
        "version",
        "created_by",
        "created_at",
        "updated_at",
    ]
    inlines = [
        ProcedureInline,
        MilestoneInline,
        FundingLineInline,
        LoanInline,
        DocumentInline,
        StageChangeInline,
        ReviewRecordInline,
    ]
    fieldsets = [
        (
            None,
            {
                "fields": [
                    "code",
                    "national_code",
                    "name",
                    "district",
                    "unit",
                    "category",
                    "implementing_org",
                    "expected_version",
                ]
            },
        ),
        (_("投资与计划"), {"fields": ["content", "total_investment", "start_year", "end_year", "remarks"]}),
        (
            _("收益平衡与开工"),
            {"fields": ["expected_revenue", "debt_service", "construction_started_on"]},
        ),
        (_("联系人"), {"fields": ["contact_name", "contact_phone"]}),
        (_("状态"), {"fields": [*readonly_fields, "is_demo"]}),
    ]

    def save_model(self, request, obj, form, change):
        if change:
            obj.version += 1
        else:
            obj.created_by = request.user
        obj.updated_at = timezone.now()
        super().save_model(request, obj, form, change)

    def save_related(self, request, form, formsets, change):
        super().save_related(request, form, formsets, change)
        # The total investment and the funding lines of the inline both count in the project's totals.
        financing_totals_refresh(project_ids=[form.instance.pk])
        search_index_refresh(project_ids=[form.instance.pk])

    def delete_model(self, request, obj):
        # A draft's milestones go with it; each leaves its own entry.
        for milestone in obj.milestones.all():
            audit_delete(actor=request.user, action="admin_delete", instance=milestone, project=None)
        super().delete_model(request, obj)

    def has_delete_permission(self, request, obj=None):
        # Only a draft that never entered review may be deleted; everything else is kept.
        allowed = super().has_delete_permission(request, obj)
        return allowed and (obj is None or obj.review_status == ReviewStatus.DRAFT)


@admin.register(StageChange)
class StageChangeAdmin(ReadOnly, AuditedAdmin):
    audit_project_path = "project"
    list_display = ["project", "from_stage", "to_stage", "on", "by", "overridden"]
    list_filter = ["to_stage", "overridden"]
    search_fields = ["project__name", "project__code", "reason"]
    list_select_related = ["project", "by"]


@admin.register(ReviewRecord)
class ReviewRecordAdmin(StageChangeAdmin):
    list_display = ["project", "action", "from_status", "to_status", "by", "at"]
    list_filter = ["action"]
    search_fields = ["project__name", "project__code", "comment"]


@admin.register(Milestone)
class MilestoneAdmin(AuditedAdmin):
    audit_project_path = "project"
    list_display = ["name", "project", "planned_date", "actual_date", "responsible"]
    list_filter = ["project__district", "planned_date"]
    search_fields = ["name", "project__name", "responsible"]
    list_select_related = ["project"]
    autocomplete_fields = ["project"]


@admin.register(InvestmentPlan)
class InvestmentPlanAdmin(AuditedAdmin):
    audit_project_path = "project"
    list_display = ["project", "year", "planned_amount", "kind", "status"]
    list_filter = ["year", "status", "kind", "project__district"]
    search_fields = ["project__name", "project__code"]
    list_select_related = ["project"]
    autocomplete_fields = ["project"]
    # Confirmation is the service's step, with its record; the admin corrects amounts and texts.
    readonly_fields = ["status", "confirmed_by", "confirmed_at", "created_at", "updated_at"]


@admin.register(ProgressReport)
class ProgressReportAdmin(AuditedAdmin):
    audit_project_path = "project"
    list_display = ["project", "period", "completed_amount", "progress_percent", "status", "submitted_at"]
    list_filter = ["status", "period", "project__district"]
    search_fields = ["project__name", "project__code"]
    list_select_related = ["project"]
    autocomplete_fields = ["project"]
    date_hierarchy = "period"
    # The workflow (submit, return, accept, reopen) moves only through its services.
    readonly_fields = [
        "status",
        "review_comment",
        "first_submitted_at",
        "submitted_at",
        "reviewed_by",
        "reviewed_at",
        "version",
        "created_by",
        "created_at",
        "updated_at",
    ]

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(Problem)
class ProblemAdmin(AuditedAdmin):
    audit_project_path = "project"
    list_display = ["description", "project", "category", "responsible_unit", "due_on", "status"]
    list_filter = ["status", "category", "project__district"]
    search_fields = ["description", "project__name", "responsible_unit"]
    list_select_related = ["project"]
    autocomplete_fields = ["project"]
    raw_id_fields = ["report"]
    readonly_fields = ["created_by", "created_at"]


@admin.register(Procedure)
class ProcedureAdmin(ReadOnly, AuditedAdmin):
    """前期手续, read only: recorded on the project page or through the API, by procedure_record."""

    audit_project_path = "project"
    list_display = ["project", "kind", "status", "approval_no", "approved_on", "authority", "updated_at"]
    list_filter = ["kind", "status", "project__district"]
    search_fields = ["project__name", "project__code", "approval_no", "authority"]
    list_select_related = ["project"]


@admin.register(Document)
class DocumentAdmin(ReadOnly, AuditedAdmin):
    """附件, read only: uploaded and deleted on the project page or through the API, where the file is
    checked and the deletion audited. The file itself is downloaded there, never from a public URL."""

    audit_project_path = "project"
    list_display = [
        "title",
        "project",
        "kind",
        "original_name",
        "size",
        "content_type",
        "uploaded_by",
        "uploaded_at",
    ]
    list_filter = ["kind", "content_type", "project__district"]
    search_fields = ["title", "original_name", "sha256", "project__name", "project__code"]
    list_select_related = ["project", "uploaded_by"]
    exclude = ["file"]
