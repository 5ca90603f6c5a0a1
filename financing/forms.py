from django import forms

from portfolio.forms import DateInput, ServiceValidatedForm

from .models import Disbursement, FundingLine, Loan, Repayment
from .services import FUNDING_LINE_FIELDS, LOAN_FIELDS


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
