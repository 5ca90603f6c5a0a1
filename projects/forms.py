from django import forms
from django.utils.translation import gettext_lazy as _

from financing.models import Organization
from portfolio.forms import BootstrapMixin, DateInput, ServiceValidatedForm

from .choices import Stage
from .models import District, Milestone, Project, Unit
from .services import PROJECT_FIELDS


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
