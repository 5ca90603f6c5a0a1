from django import forms
from django.utils.translation import gettext_lazy as _

from portfolio.forms import BootstrapMixin, DateInput, ServiceValidatedForm

from .models import CreditIntention, Disbursement, FinancingDemand, FundingLine, Loan, Repayment
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
