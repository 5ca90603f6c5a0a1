"""Each project's financing totals on a row of its own, filled for every existing project.

The fill adds up the funding lines and loans in Python with the rules of
financing.selectors.with_financing_totals at the time of writing (the codes below are the stored values of
financing.choices), exactly in Decimal, so no figure is lost. Reversed, the table goes with its rows.
"""

from collections import defaultdict
from decimal import Decimal

import django.db.models.deletion
import django.utils.timezone
from django.db import migrations, models
from django.utils import timezone

GRANTED_STATUSES = ("approved", "received")
REJECTED = "rejected"
LOAN_SOURCE_TYPES = ("policy_loan", "commercial_loan")
INTEREST_SUBSIDY = "interest_subsidy"
TERMINATED = "terminated"
ZERO = Decimal(0)
BATCH = 2000


def fill_totals(apps, schema_editor):
    db = schema_editor.connection.alias
    Project = apps.get_model("projects", "Project")
    FundingLine = apps.get_model("financing", "FundingLine")
    Loan = apps.get_model("financing", "Loan")
    FinancingTotals = apps.get_model("financing", "FinancingTotals")
    # Per project: planned (other sources, loan-type), approved (other sources, loan-type), live loans.
    sums = defaultdict(lambda: [ZERO, ZERO, ZERO, ZERO, ZERO])
    lines = (
        FundingLine.objects.using(db)
        .exclude(source_type=INTEREST_SUBSIDY)
        .exclude(status=REJECTED)
        .values_list("project", "source_type", "status", "planned_amount", "approved_amount")
    )
    for project, source_type, status, planned, approved in lines.iterator(chunk_size=BATCH):
        granted = status in GRANTED_STATUSES
        loan_type = source_type in LOAN_SOURCE_TYPES
        row = sums[project]
        row[1 if loan_type else 0] += approved if granted else planned
        if granted:
            row[3 if loan_type else 2] += approved
    loans = Loan.objects.using(db).exclude(status=TERMINATED).values_list("project", "principal")
    for project, principal in loans.iterator(chunk_size=BATCH):
        sums[project][4] += principal
    now = timezone.now()
    rows = []
    projects = Project.objects.using(db).order_by("pk").values_list("pk", "total_investment")
    for pk, total_investment in projects.iterator(chunk_size=BATCH):
        planned_other, planned_loans, approved_other, approved_loans, signed = sums.get(pk, [ZERO] * 5)
        approved = approved_other + max(approved_loans, signed)
        rows.append(
            FinancingTotals(
                project_id=pk,
                planned_cover=planned_other + max(planned_loans, signed),
                approved_cover=approved,
                funding_gap=max(total_investment - approved, ZERO),
                funding_surplus=max(approved - total_investment, ZERO),
                loan_principal_total=signed,
                updated_at=now,
            )
        )
        if len(rows) == BATCH:
            FinancingTotals.objects.using(db).bulk_create(rows)
            rows = []
    FinancingTotals.objects.using(db).bulk_create(rows)


class Migration(migrations.Migration):
    dependencies = [
        ("financing", "0008_stored_installments"),
        ("projects", "0005_procedures_and_documents"),
    ]

    operations = [
        migrations.CreateModel(
            name="FinancingTotals",
            fields=[
                (
                    "project",
                    models.OneToOneField(
                        on_delete=django.db.models.deletion.CASCADE,
                        primary_key=True,
                        related_name="financing_totals",
                        serialize=False,
                        to="projects.project",
                        verbose_name="项目",
                    ),
                ),
                (
                    "planned_cover",
                    models.DecimalField(
                        decimal_places=2, default=0, max_digits=18, verbose_name="资金筹措方案覆盖（元）"
                    ),
                ),
                (
                    "approved_cover",
                    models.DecimalField(
                        decimal_places=2, default=0, max_digits=18, verbose_name="已批复或已签约（元）"
                    ),
                ),
                (
                    "funding_gap",
                    models.DecimalField(
                        decimal_places=2, default=0, max_digits=18, verbose_name="资金缺口（元）"
                    ),
                ),
                (
                    "funding_surplus",
                    models.DecimalField(
                        decimal_places=2, default=0, max_digits=18, verbose_name="超出总投资（元）"
                    ),
                ),
                (
                    "loan_principal_total",
                    models.DecimalField(
                        decimal_places=2, default=0, max_digits=18, verbose_name="贷款金额（元）"
                    ),
                ),
                (
                    "updated_at",
                    models.DateTimeField(default=django.utils.timezone.now, verbose_name="更新时间"),
                ),
            ],
            options={
                "verbose_name": "项目资金汇总",
                "verbose_name_plural": "项目资金汇总",
                "indexes": [models.Index(fields=["funding_gap", "project"], name="financing_totals_gap")],
            },
        ),
        migrations.RunPython(fill_totals, migrations.RunPython.noop, elidable=False),
    ]
