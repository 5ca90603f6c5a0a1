"""Chainable reads. Scoping to a user is decided in portfolio.access; these only apply it."""

from django.db import models
from django.db.models import Case, DecimalField, F, OuterRef, Q, Subquery, Sum, Value, When
from django.db.models.functions import Coalesce, Greatest
from django.utils import timezone

from portfolio import access

MONEY = DecimalField(max_digits=18, decimal_places=2)
ZERO = Value(0, output_field=MONEY)


class ScopedQuerySet(models.QuerySet):
    def visible_to(self, user):
        return self.filter(access.scope_q(user, self.model.scope_path))


class ProjectQuerySet(ScopedQuerySet):
    def in_library(self):
        return self.filter(review_status="accepted")

    def with_financing_totals(self):
        """Annotate what covers each project's investment, in one subquery per figure.

        One definition serves the funding gap and the funding-plan condition of the move to 成熟:
        - planned_cover: the funding plan. Each line that was not rejected counts with its approved amount
          once approved or received, else with its planned amount.
        - approved_cover: what is approved or contracted. Lines approved or received count with their
          approved amount.
        Loan-type lines and signed loans describe the same money, so the larger of the two counts. The
        interest subsidy pays interest rather than investment and covers nothing here.
        - funding_gap: total investment less approved_cover.
        """
        from financing.choices import (
            GRANTED_STATUSES,
            LOAN_SOURCE_TYPES,
            FundingStatus,
            LoanStatus,
            SourceType,
        )
        from financing.models import FundingLine, Loan

        granted = GRANTED_STATUSES
        lines = FundingLine.objects.filter(project=OuterRef("pk")).exclude(
            source_type=SourceType.INTEREST_SUBSIDY
        )
        plan_amount = Case(When(status__in=granted, then=F("approved_amount")), default=F("planned_amount"))

        def total(queryset, amount):
            summed = queryset.order_by().values("project").annotate(total=Sum(amount)).values("total")
            return Coalesce(Subquery(summed, output_field=MONEY), ZERO)

        live = lines.exclude(status=FundingStatus.REJECTED)
        signed = total(
            Loan.objects.filter(project=OuterRef("pk")).exclude(status=LoanStatus.TERMINATED), "principal"
        )
        return self.annotate(
            loan_principal_total=signed,
            planned_cover=total(live.exclude(source_type__in=LOAN_SOURCE_TYPES), plan_amount)
            + Greatest(total(live.filter(source_type__in=LOAN_SOURCE_TYPES), plan_amount), signed),
            approved_cover=total(
                lines.filter(status__in=granted).exclude(source_type__in=LOAN_SOURCE_TYPES),
                "approved_amount",
            )
            + Greatest(
                total(
                    lines.filter(status__in=granted, source_type__in=LOAN_SOURCE_TYPES),
                    "approved_amount",
                ),
                signed,
            ),
        ).annotate(funding_gap=F("total_investment") - F("approved_cover"))


class MilestoneQuerySet(ScopedQuerySet):
    def overdue(self, today=None):
        today = today or timezone.localdate()
        return self.filter(Q(actual_date__isnull=True) & Q(planned_date__lt=today))
