"""Each project's financing totals, kept on a row of their own.

The library sorts and filters by 资金缺口, and the dashboards add gaps up over thousands of projects:
computing the cover from every funding line and loan on each read made those pages' cost grow with the
ledger. The ledger's services keep this row in step in the same transaction as the change
(financing.totals.financing_totals_refresh); financing.selectors.with_financing_totals stays the
computed reference that the row is rebuilt and checked against (`manage.py rebuild_financing_totals`,
`/healthz?deep=1`).
"""

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from portfolio.labels import ChoiceLabels
from portfolio.money import MONEY_FIELD

from .ledger import MONEY

# Sums over many lines may pass what one line's amount holds: the digits of the database's sums.
TOTAL = {**MONEY, "max_digits": MONEY_FIELD.max_digits}
FIGURES = ("planned_cover", "approved_cover", "funding_gap", "funding_surplus", "loan_principal_total")


class FinancingTotals(ChoiceLabels, models.Model):
    """What covers one project's investment, as with_financing_totals computes it (see there for what
    each figure counts). Every project has one."""

    project = models.OneToOneField(
        "projects.Project",
        models.CASCADE,
        primary_key=True,
        related_name="financing_totals",
        verbose_name=_("项目"),
    )
    planned_cover = models.DecimalField(_("资金筹措方案覆盖（元）"), default=0, **TOTAL)
    approved_cover = models.DecimalField(_("已批复或已签约（元）"), default=0, **TOTAL)
    funding_gap = models.DecimalField(_("资金缺口（元）"), default=0, **TOTAL)
    funding_surplus = models.DecimalField(_("超出总投资（元）"), default=0, **TOTAL)
    loan_principal_total = models.DecimalField(_("贷款金额（元）"), default=0, **TOTAL)
    updated_at = models.DateTimeField(_("更新时间"), default=timezone.now)

    class Meta:
        verbose_name = _("项目资金汇总")
        verbose_name_plural = _("项目资金汇总")
        indexes = [
            # Projects ranked by 资金缺口 (either way), ties broken by the project: ORDER BY funding_gap,
            # project LIMIT n reads the index in order when the query starts from these rows (an inner
            # join). The library's list joins them LEFT (a project must be listed even if its row were
            # missing), so the planner sorts the joined rows there instead: 16 ms at 10,000 projects on
            # SQLite, against 2 ms reading this index.
            models.Index(fields=["funding_gap", "project"], name="financing_totals_gap"),
        ]

    def __str__(self):
        return str(self.project_id)
