from django.db.models import F, OuterRef, Subquery, Sum
from django.db.models.functions import Coalesce

from projects.querysets import MONEY, ZERO, ScopedQuerySet


class LoanQuerySet(ScopedQuerySet):
    def with_balances(self):
        """Annotate disbursed, principal repaid and outstanding principal, one subquery each."""
        from .models import Disbursement, Repayment

        def total(model, field):
            summed = (
                model.objects.filter(loan=OuterRef("pk")).order_by().values("loan").annotate(t=Sum(field))
            )
            return Coalesce(Subquery(summed.values("t"), output_field=MONEY), ZERO)

        return self.annotate(
            disbursed=total(Disbursement, "amount"),
            repaid=total(Repayment, "principal"),
        ).annotate(outstanding=F("disbursed") - F("repaid"))
