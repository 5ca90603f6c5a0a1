from django import forms
from django.utils.translation import gettext_lazy as _

from financing.models import Organization
from portfolio.forms import BootstrapMixin, DateInput, ServiceValidatedForm

from .choices import Stage
from .models import (
    District,
    InvestmentPlan,
    Milestone,
    Problem,
    Procedure,
    ProgressReport,
    Project,
    Unit,
)
from .services import PROJECT_FIELDS
from .services.preparation import PROCEDURE_FIELDS
from .services.progress import PLAN_FIELDS, PROBLEM_FIELDS, REPORT_FIELDS


class ProjectForm(ServiceValidatedForm):
    """Shapes the input; project_create / project_update decide. `version` guards against lost updates."""

    version = forms.IntegerField(widget=forms.HiddenInput, required=False)

    class Meta:
        model = Project
        fields = PROJECT_FIELDS
        widgets = {
            "content": forms.Textarea(attrs={"rows": 3}),
            "remarks": forms.Textarea(attrs={"rows": 2}),
            "construction_started_on": DateInput(),
        }

    def __init__(self, *args, district_code: str | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        if self.instance.pk:
            # The version the form was opened at: a save from a stale form is refused, never merged.
            self.fields["version"].initial = self.instance.version
            self.fields["version"].required = True
        self.fields["implementing_org"].queryset = Organization.objects.exclude(kind="bank")
        if district_code:
            # A district user works in its own district only.
            self.fields["district"].queryset = District.objects.filter(pk=district_code)
            self.fields["district"].initial = district_code
            self.fields["district"].empty_label = None
            self.fields["unit"].queryset = Unit.objects.filter(district_id=district_code)
        else:
            self.fields["unit"].queryset = Unit.objects.select_related("district")


class ReviewForm(BootstrapMixin, forms.Form):
    # The version the reviewer read: a project changed during the review is not accepted unseen.
    version = forms.IntegerField(widget=forms.HiddenInput)
    decision = forms.ChoiceField(
        label=_("审核结论"),
        choices=[("accept", _("同意入库")), ("return", _("退回修改"))],
        widget=forms.RadioSelect,
    )
    comment = forms.CharField(label=_("审核意见"), required=False, widget=forms.Textarea(attrs={"rows": 3}))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.style()
        self.fields["decision"].widget.attrs["class"] = "form-check-input"

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("decision") == "return" and not (cleaned.get("comment") or "").strip():
            self.add_error("comment", _("退回时必须填写意见，说明需要修改的内容。"))
        return cleaned


class StageForm(BootstrapMixin, forms.Form):
    stage = forms.ChoiceField(label=_("目标阶段"), choices=Stage.choices)
    on = forms.DateField(label=_("日期"), required=False, widget=DateInput())
    reason = forms.CharField(label=_("理由"), required=False, widget=forms.Textarea(attrs={"rows": 2}))
    override = forms.BooleanField(label=_("条件未满足时仍然推进（须填写书面理由）"), required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.style()


class MilestoneForm(ServiceValidatedForm):
    class Meta:
        model = Milestone
        fields = ["name", "planned_date", "actual_date", "responsible", "note"]
        widgets = {
            "planned_date": DateInput(),
            "actual_date": DateInput(),
            "note": forms.Textarea(attrs={"rows": 2}),
        }


# The monthly dispatch


class PlanForm(ServiceValidatedForm):
    """年度投资计划: the year only when the plan is new; a reason only when city staff adjust a confirmed
    one."""

    year = forms.IntegerField(label=_("年度"), min_value=2000, max_value=2100)
    reason = forms.CharField(
        label=_("调整理由"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_("该计划已由市项目办确认，调整须填写理由，记入变更记录。"),
    )

    class Meta:
        model = InvestmentPlan
        fields = ["year", *PLAN_FIELDS]
        widgets = {"target": forms.Textarea(attrs={"rows": 3})}

    def __init__(self, *args, adjusting: bool = False, **kwargs):
        super().__init__(*args, **kwargs)
        if self.instance.pk:
            del self.fields["year"]
        if not adjusting:
            del self.fields["reason"]
        else:
            self.fields["reason"].required = True
        self.fields["planned_amount"].help_text = _("单位：元。不超过总投资扣除以前年度已完成后的剩余投资。")


class ReportForm(ServiceValidatedForm):
    """月报. `version` guards against lost updates: a save from a stale form is refused, never merged."""

    version = forms.IntegerField(widget=forms.HiddenInput, required=False)

    class Meta:
        model = ProgressReport
        fields = list(REPORT_FIELDS)
        widgets = {
            "physical_progress": forms.Textarea(attrs={"rows": 3}),
            "problems_note": forms.Textarea(attrs={"rows": 3}),
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["completed_amount"].help_text = _("单位：元。")
        self.fields["progress_percent"].help_text = _("0–100，不低于上月。")
        self.fields["problems_note"].help_text = _("填写后可在月报页面转为问题台账。")
        if self.instance.pk:
            self.fields["version"].initial = self.instance.version
            self.fields["version"].required = True


class ReportDecisionForm(BootstrapMixin, forms.Form):
    """City staff's step on a submitted or accepted report: its comment (required to return or reopen) and the
    version the reviewer read."""

    version = forms.IntegerField(widget=forms.HiddenInput)
    comment = forms.CharField(label=_("意见"), required=False, widget=forms.Textarea(attrs={"rows": 2}))

    def __init__(self, *args, label=None, required: str = "", **kwargs):
        """`required`: the message when the comment is required and left empty."""
        super().__init__(*args, **kwargs)
        if label:
            self.fields["comment"].label = label
        self.fields["comment"].required = bool(required)
        self.fields["comment"].error_messages["required"] = required
        self.style()


class ProblemForm(ServiceValidatedForm):
    class Meta:
        model = Problem
        fields = list(PROBLEM_FIELDS)
        widgets = {
            "description": forms.Textarea(attrs={"rows": 3}),
            "resolution": forms.Textarea(attrs={"rows": 2}),
            "raised_on": DateInput(),
            "due_on": DateInput(),
            "resolved_on": DateInput(),
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["resolution"].help_text = _("解决问题时，将状态改为“已解决”并填写解决情况和解决日期。")


# Preparatory procedures


class ProcedureForm(ServiceValidatedForm):
    """One procedure of the checklist; procedure_record decides (a done procedure needs its number)."""

    class Meta:
        model = Procedure
        fields = list(PROCEDURE_FIELDS)
        widgets = {"approved_on": DateInput(), "note": forms.Textarea(attrs={"rows": 2})}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["approval_no"].help_text = _("已办结的手续须填写批复文号。")
        self.fields["approved_on"].help_text = _("已办结或无需办理时填写。")
