from decimal import Decimal

from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

from financing import services
from financing.models import (
    CreditIntention,
    Disbursement,
    FinancingDemand,
    FundingLine,
    Loan,
    Organization,
    Repayment,
)
from portfolio import access
from portfolio.api.fields import FixedParentSerializer, ScopedRelatedField
from portfolio.money import CENT
from projects.choices import Stage
from projects.models import Project


class OrganizationSerializer(serializers.ModelSerializer):
    class Meta:
        model = Organization
        fields = ["id", "name", "uscc", "kind", "uscc_check_failed", "uscc_confirm_reason"]
        read_only_fields = ["uscc_check_failed"]
        validators = []
        extra_kwargs = {"name": {"validators": []}, "uscc": {"validators": []}}

    def create(self, validated_data):
        return services.organization_create(acting_user=self.context["request"].user, **validated_data)


class FundingLineSerializer(FixedParentSerializer):
    project = ScopedRelatedField(queryset=Project.objects.all())
    loan = ScopedRelatedField(queryset=Loan.objects.all(), required=False, allow_null=True)

    class Meta:
        model = FundingLine
        fields = ["id", "project", *services.FUNDING_LINE_FIELDS]
        validators = []

    def create(self, validated_data):
        project = validated_data.pop("project")
        return services.funding_line_record(
            acting_user=self.context["request"].user, project=project, **validated_data
        )

    def update(self, instance, validated_data):
        return services.funding_line_record(
            acting_user=self.context["request"].user, funding_line=instance, **validated_data
        )


class LoanSerializer(FixedParentSerializer):
    project = ScopedRelatedField(queryset=Project.objects.all())
    disbursed_total = serializers.DecimalField(
        max_digits=18, decimal_places=2, read_only=True, source="disbursed"
    )
    outstanding_principal = serializers.DecimalField(
        max_digits=18, decimal_places=2, read_only=True, source="outstanding"
    )

    class Meta:
        model = Loan
        fields = ["id", "project", *services.LOAN_FIELDS, "disbursed_total", "outstanding_principal"]
        validators = []

    def create(self, validated_data):
        project = validated_data.pop("project")
        return services.loan_create(
            acting_user=self.context["request"].user, project=project, **validated_data
        )

    def update(self, instance, validated_data):
        return services.loan_update(acting_user=self.context["request"].user, loan=instance, **validated_data)


class DisbursementSerializer(serializers.ModelSerializer):
    loan = ScopedRelatedField(queryset=Loan.objects.all())

    class Meta:
        model = Disbursement
        fields = ["id", "loan", "date", "amount", "note"]

    def create(self, validated_data):
        return services.disbursement_record(
            loan=validated_data["loan"],
            amount=validated_data["amount"],
            on=validated_data["date"],
            note=validated_data.get("note", ""),
            acting_user=self.context["request"].user,
        )


class RepaymentSerializer(serializers.ModelSerializer):
    loan = ScopedRelatedField(queryset=Loan.objects.all())

    class Meta:
        model = Repayment
        fields = ["id", "loan", "date", "principal", "interest", "note"]

    def create(self, validated_data):
        return services.repayment_record(
            loan=validated_data["loan"],
            on=validated_data["date"],
            principal=validated_data.get("principal", 0),
            interest=validated_data.get("interest", 0),
            note=validated_data.get("note", ""),
            acting_user=self.context["request"].user,
        )


# -- the loan schedule -------------------------------------------------------------------------------


def _yuan(**kwargs):
    return serializers.DecimalField(max_digits=18, decimal_places=2, read_only=True, **kwargs)


class InstallmentSerializer(serializers.Serializer):
    """One installment of a loan's schedule (financing.schedule.Installment), as the loan page shows it."""

    number = serializers.IntegerField(read_only=True)
    due = serializers.DateField(read_only=True)
    opening_balance = _yuan(help_text=_("期初本金（元）"))
    drawn = _yuan(help_text=_("本期提款（元）"))
    principal = _yuan(help_text=_("应还本金（元）"))
    interest = _yuan(help_text=_("应付利息（元）"))
    closing_balance = _yuan(help_text=_("期末本金（元）"))
    grace = serializers.BooleanField(read_only=True, help_text=_("宽限期内，只付利息"))
    paid_principal = _yuan(help_text=_("已还本金（元），还款按期次先后分摊"))
    paid_interest = _yuan(help_text=_("已付利息（元）"))
    overdue = serializers.BooleanField(read_only=True, help_text=_("已到期而未还清（仅限执行中的贷款）"))


class ScheduleSerializer(serializers.Serializer):
    installments = InstallmentSerializer(many=True, read_only=True)


# -- the 政银企 platform: financing demands and credit intentions ------------------------------------


# The bounds of the models' constraints, stated on the fields so that a 400 names the field.
TERM = {"min_value": 1, "max_value": 600}


def _is_lender(serializer) -> bool:
    request = serializer.context.get("request")
    return access.role_of(getattr(request, "user", None)) == access.LENDER


class DemandSerializer(FixedParentSerializer):
    """Shapes the input; demand_create / demand_update decide and write the audit entry. The project's
    summary and its funding in place are read-only, for the banks; a lender never gets `intention_count`
    (financing.selectors.with_demand_figures does not even count them for it)."""

    project = ScopedRelatedField(queryset=Project.objects.all())
    project_code = serializers.CharField(source="project.code", read_only=True)
    project_name = serializers.CharField(source="project.name", read_only=True)
    district = serializers.CharField(source="project.district_id", read_only=True, help_text=_("区划代码"))
    district_name = serializers.CharField(source="project.district.name", read_only=True)
    # A string in the schema: the enum of the projects' `category` keeps its one name (ProjectCategoryEnum).
    category = serializers.CharField(
        source="project.category", read_only=True, help_text=_("项目类别代码，同 projects 的 category")
    )
    stage = serializers.ChoiceField(source="project.stage", choices=Stage.choices, read_only=True)
    total_investment = _yuan(source="project.total_investment", help_text=_("项目总投资（元）"))
    approved_funding = _yuan(help_text=_("项目已批复（落实）的资金（元），含已签约贷款"))
    funding_gap = _yuan(help_text=_("项目总投资中尚未落实的部分（元），不为负"))
    intention_count = serializers.IntegerField(
        read_only=True, required=False, help_text=_("收到的授信意向数；贷款银行账户不返回此字段")
    )
    # Fields a lender's representation leaves out (and the schema marks optional).
    lender_hidden = ("intention_count",)

    class Meta:
        model = FinancingDemand
        fields = [
            "id",
            "project",
            *services.DEMAND_FIELDS,
            "status",
            "published_on",
            "closed_on",
            "created_at",
            "project_code",
            "project_name",
            "district",
            "district_name",
            "category",
            "stage",
            "total_investment",
            "approved_funding",
            "funding_gap",
            "intention_count",
        ]
        read_only_fields = ["status", "published_on", "closed_on", "created_at"]
        validators = []  # one open demand per project: the service decides
        extra_kwargs = {"amount": {"min_value": CENT}, "term_months": TERM}

    def to_representation(self, instance):
        data = super().to_representation(instance)
        if _is_lender(self):
            for name in self.lender_hidden:
                data.pop(name, None)
        return data

    def create(self, validated_data):
        return services.demand_create(acting_user=self.context["request"].user, **validated_data)

    def update(self, instance, validated_data):
        return services.demand_update(
            acting_user=self.context["request"].user, demand=instance, **validated_data
        )


class IntentionSerializer(FixedParentSerializer):
    """Shapes the input; intention_create / intention_update decide and write the audit entry. The bank is
    the acting user's own, set by the service; status, approval number and loan move only by the steps."""

    parent_field = "demand"
    demand = ScopedRelatedField(queryset=FinancingDemand.objects.all())
    project = serializers.IntegerField(source="demand.project_id", read_only=True, help_text=_("项目"))
    lender_name = serializers.CharField(source="lender.name", read_only=True)

    class Meta:
        model = CreditIntention
        fields = [
            "id",
            "demand",
            "project",
            "lender",
            "lender_name",
            *services.INTENTION_FIELDS,
            "status",
            "approval_no",
            "loan",
            "created_at",
            "decided_at",
        ]
        read_only_fields = ["lender", "status", "approval_no", "loan", "created_at", "decided_at"]
        validators = []  # one live intention per bank and demand: the service decides
        extra_kwargs = {
            "amount": {"min_value": CENT},
            "term_months": TERM,
            "indicative_rate": {"min_value": Decimal(0), "max_value": Decimal("99.9999")},
        }

    def create(self, validated_data):
        return services.intention_create(acting_user=self.context["request"].user, **validated_data)

    def update(self, instance, validated_data):
        return services.intention_update(
            acting_user=self.context["request"].user, intention=instance, **validated_data
        )


class ApproveSerializer(serializers.Serializer):
    approval_no = serializers.CharField(max_length=100, help_text=_("授信批复编号，必填"))


class ReasonSerializer(serializers.Serializer):
    reason = serializers.CharField(
        required=False, allow_blank=True, default="", help_text=_("原因（可不填）")
    )


class SignSerializer(serializers.Serializer):
    loan = ScopedRelatedField(
        queryset=Loan.objects.all(), help_text=_("所登记的贷款：同一项目、同一银行，未终止，未关联其他意向")
    )
