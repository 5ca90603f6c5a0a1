from rest_framework import serializers

from financing import services
from financing.models import Disbursement, FundingLine, Loan, Organization, Repayment
from portfolio.api.fields import FixedParentSerializer, ScopedRelatedField
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
