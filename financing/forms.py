from decimal import Decimal

from django import forms
from django.utils.translation import gettext_lazy as _

from portfolio.forms import BootstrapMixin, DateInput, ServiceValidatedForm

from .batches import BATCH_FIELDS
from .choices import EntryOutcome
from .models import (
    ApplicationBatch,
    CreditIntention,
    Disbursement,
    FinancingDemand,
    FundingLine,
    Loan,
    Repayment,
)
from .services import DEMAND_FIELDS, FUNDING_LINE_FIELDS, INTENTION_FIELDS, LOAN_FIELDS


class FundingLineForm(ServiceValidatedForm):
    class Meta:
        model = FundingLine
        fields = FUNDING_LINE_FIELDS
        widgets = {"note": forms.Textarea(attrs={"rows": 2})}

    def __init__(self, *args, project, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["loan"].queryset = Loan.objects.filter(project=project).select_related("lender")
        self.fields["loan"].help_text = FundingLine._meta.get_field("loan").verbose_name + "：仅财政贴息填写"


class LoanForm(ServiceValidatedForm):
    class Meta:
        model = Loan
        fields = LOAN_FIELDS
        widgets = {"signed_on": DateInput(), "note": forms.Textarea(attrs={"rows": 2})}


class DisbursementForm(ServiceValidatedForm):
    class Meta:
        model = Disbursement
        fields = ["date", "amount", "note"]
        widgets = {"date": DateInput()}


class RepaymentForm(ServiceValidatedForm):
    class Meta:
        model = Repayment
        fields = ["date", "principal", "interest", "note"]
        widgets = {"date": DateInput()}


# The 政银企 platform


class DemandForm(ServiceValidatedForm):
    class Meta:
        model = FinancingDemand
        fields = DEMAND_FIELDS
        widgets = {"purpose": forms.Textarea(attrs={"rows": 3})}
        help_texts = {
            "amount": _("单位：元。如 5,000 万元填 50000000。"),
            "contact_name": _("供银行联系：融资需求发布后，所有银行可见。"),
            "contact_phone": _("供银行联系：融资需求发布后，所有银行可见。"),
        }


class IntentionForm(ServiceValidatedForm):
    class Meta:
        model = CreditIntention
        fields = INTENTION_FIELDS
        widgets = {"note": forms.Textarea(attrs={"rows": 2})}
        help_texts = {"amount": _("单位：元。如 3,000 万元填 30000000。")}


class ApproveForm(BootstrapMixin, forms.Form):
    approval_no = forms.CharField(label=_("授信批复编号"), max_length=100, required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.style()


class ReasonForm(BootstrapMixin, forms.Form):
    """Why a bank declines or withdraws its intention (optional; kept in the audit trail)."""

    reason = forms.CharField(label=_("理由"), max_length=500, required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.style()


class SignForm(BootstrapMixin, forms.Form):
    """The loan an approved intention was signed as: one the user sees; the service checks that it is the
    project's, of the intention's bank, live and tied to no other intention."""

    loan = forms.ModelChoiceField(label=_("签约贷款"), queryset=Loan.objects.none())

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["loan"].queryset = Loan.objects.visible_to(user)
        self.fields["loan"].error_messages["required"] = _("请选择签约的贷款。")
        self.fields["loan"].error_messages["invalid_choice"] = _("所选贷款不存在。")
        self.style()


# 申报 batches


class BatchForm(ServiceValidatedForm):
    class Meta:
        model = ApplicationBatch
        fields = BATCH_FIELDS
        widgets = {"deadline": DateInput(), "note": forms.Textarea(attrs={"rows": 2})}
        help_texts = {"name": _("如：2026年第二批专项债券")}


class ProjectChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj):
        return f"{obj.code} {obj.name}（{obj.district.name}）"


class BatchEntryAddForm(BootstrapMixin, forms.Form):
    """A project put forward in a batch: one of the library's projects not in the batch yet; the service
    checks its readiness and refuses an unready one unless overridden with a reason."""

    project = ProjectChoiceField(label=_("项目"), queryset=None)
    requested_amount = forms.DecimalField(
        label=_("申报金额（元）"),
        max_digits=16,
        decimal_places=2,
        min_value=Decimal("0.01"),
        help_text=_("单位：元。如 5,000 万元填 50000000。"),
    )
    override = forms.BooleanField(label=_("越过条件"), required=False)
    override_reason = forms.CharField(
        label=_("越过理由"), required=False, max_length=1000, widget=forms.Textarea(attrs={"rows": 2})
    )

    def __init__(self, *args, projects, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["project"].queryset = projects
        self.fields["project"].error_messages["invalid_choice"] = _("所选项目不可加入本批次。")
        self.style()


class BatchEntryAmountForm(BootstrapMixin, forms.Form):
    requested_amount = forms.DecimalField(
        label=_("申报金额（元）"), max_digits=16, decimal_places=2, min_value=Decimal("0.01")
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.style()


class OutcomeForm(BootstrapMixin, forms.Form):
    """What a batch entry was granted; the service checks that an approval has its amount, number and date."""

    outcome = forms.ChoiceField(
        label=_("批复结果"),
        choices=[(c, label) for c, label in EntryOutcome.choices if c != EntryOutcome.PENDING],
    )
    approved_amount = forms.DecimalField(
        label=_("获批金额（元）"), max_digits=16, decimal_places=2, min_value=Decimal("0.01"), required=False
    )
    document_no = forms.CharField(label=_("批复文号"), max_length=100, required=False)
    decided_on = forms.DateField(label=_("批复日期"), required=False, widget=DateInput())

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.style()


class ReadyListForm(BootstrapMixin, forms.Form):
    """The ready list's filters: a programme among the active rules', a district, the year of the batches."""

    programme = forms.ChoiceField(label=_("资金渠道"), required=False)
    district = forms.ModelChoiceField(label=_("区"), queryset=None, required=False, empty_label=_("全部"))
    year = forms.IntegerField(label=_("申报年度"), min_value=2000, max_value=2100, required=False)

    def __init__(self, *args, programmes, districts, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["programme"].choices = programmes
        self.fields["district"].queryset = districts
        for field in self.fields.values():
            field.widget.attrs["class"] = (
                "form-select form-select-sm"
                if isinstance(field.widget, forms.Select)
                else "form-control form-control-sm"
            )
