"""Chainable reads. Scoping to a user is decided in portfolio.access; these only apply it."""

from django.db import models
from django.db.models import DecimalField, OuterRef, Q, Subquery, Sum, Value
from django.db.models.functions import Coalesce
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
        """Annotate approved funding, contracted loans and the funding gap, one subquery each.

        Covered = funding lines approved or received (non-loan sources) + principal of signed loans.
        Loan-type funding lines describe loans applied for; once a loan is signed its contract counts.
        """
        from financing.choices import LOAN_SOURCE_TYPES, FundingStatus, LoanStatus
        from financing.models import FundingLine, Loan

        approved = (
            FundingLine.objects.filter(
                project=OuterRef("pk"), status__in=[FundingStatus.APPROVED, FundingStatus.RECEIVED]
            )
            .exclude(source_type__in=LOAN_SOURCE_TYPES)
            .order_by()
            .values("project")
            .annotate(total=Sum("approved_amount"))
            .values("total")
        )
        contracted = (
            Loan.objects.filter(project=OuterRef("pk"))
            .exclude(status=LoanStatus.TERMINATED)
            .order_by()
            .values("project")
            .annotate(total=Sum("principal"))
            .values("total")
        )
        return self.annotate(
            approved_total=Coalesce(Subquery(approved, output_field=MONEY), ZERO),
            loan_principal_total=Coalesce(Subquery(contracted, output_field=MONEY), ZERO),
        ).annotate(
            funding_gap=models.F("total_investment")
            - models.F("approved_total")
            - models.F("loan_principal_total")
        )


class MilestoneQuerySet(ScopedQuerySet):
    def overdue(self, today=None):
        today = today or timezone.localdate()
        return self.filter(Q(actual_date__isnull=True) & Q(planned_date__lt=today))
