"""Each loan's repayment schedule stored as rows, filled for every existing loan.

The fill computes the schedules with financing.schedule (pure functions over Decimal, the same computation
the pages used until now) from the historical models' terms, drawings and repayments, the repayments
allocated oldest first. Reversed, the table goes with its rows.
"""

import django.db.models.deletion
from django.db import migrations, models

CHUNK = 500


def fill_installments(apps, schema_editor):
    from financing.schedule import Terms, build_schedule

    db = schema_editor.connection.alias
    Loan = apps.get_model("financing", "Loan")
    Disbursement = apps.get_model("financing", "Disbursement")
    Repayment = apps.get_model("financing", "Repayment")
    Installment = apps.get_model("financing", "Installment")
    scheduled = (
        Loan.objects.using(db)
        .filter(signed_on__isnull=False, term_months__isnull=False, annual_rate__isnull=False)
        .order_by("pk")
    )
    ids = list(scheduled.values_list("pk", flat=True))
    for start in range(0, len(ids), CHUNK):
        chunk = ids[start : start + CHUNK]
        drawn, paid = {}, {}
        for loan, day, amount in (
            Disbursement.objects.using(db).filter(loan__in=chunk).values_list("loan", "date", "amount")
        ):
            drawn.setdefault(loan, []).append((day, amount))
        for loan, day, principal, interest in (
            Repayment.objects.using(db)
            .filter(loan__in=chunk)
            .values_list("loan", "date", "principal", "interest")
        ):
            paid.setdefault(loan, []).append((day, principal, interest))
        rows = []
        for loan in scheduled.filter(pk__in=chunk):
            terms = Terms(
                signed_on=loan.signed_on,
                term_months=loan.term_months,
                annual_rate=loan.annual_rate,
                method=loan.repayment_method,
                grace_months=loan.grace_months,
                interval_months=loan.payment_interval_months,
            )
            schedule = build_schedule(terms, drawn.get(loan.pk, []))
            schedule.apply_repayments(paid.get(loan.pk, []))
            rows += [
                Installment(
                    loan_id=loan.pk,
                    number=i.number,
                    starts=i.starts,
                    due=i.due,
                    opening_balance=i.opening_balance,
                    drawn=i.drawn,
                    principal=i.principal,
                    interest=i.interest,
                    closing_balance=i.closing_balance,
                    grace=i.grace,
                    paid_principal=i.paid_principal,
                    paid_interest=i.paid_interest,
                )
                for i in schedule.installments
            ]
        Installment.objects.using(db).bulk_create(rows, batch_size=2000)


class Migration(migrations.Migration):
    dependencies = [
        ("financing", "0007_programmes_and_batches"),
    ]

    operations = [
        migrations.CreateModel(
            name="Installment",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("number", models.PositiveSmallIntegerField(verbose_name="期次")),
                ("starts", models.DateField(verbose_name="起息日")),
                ("due", models.DateField(verbose_name="到期日")),
                (
                    "opening_balance",
                    models.DecimalField(decimal_places=2, max_digits=16, verbose_name="期初本金（元）"),
                ),
                (
                    "drawn",
                    models.DecimalField(decimal_places=2, max_digits=16, verbose_name="本期提款（元）"),
                ),
                (
                    "principal",
                    models.DecimalField(decimal_places=2, max_digits=16, verbose_name="应还本金（元）"),
                ),
                (
                    "interest",
                    models.DecimalField(decimal_places=2, max_digits=16, verbose_name="应付利息（元）"),
                ),
                (
                    "closing_balance",
                    models.DecimalField(decimal_places=2, max_digits=16, verbose_name="期末本金（元）"),
                ),
                ("grace", models.BooleanField(default=False, verbose_name="宽限期")),
                (
                    "paid_principal",
                    models.DecimalField(
                        decimal_places=2, default=0, max_digits=16, verbose_name="已还本金（元）"
                    ),
                ),
                (
                    "paid_interest",
                    models.DecimalField(
                        decimal_places=2, default=0, max_digits=16, verbose_name="已付利息（元）"
                    ),
                ),
                (
                    "loan",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="installments",
                        to="financing.loan",
                        verbose_name="贷款",
                    ),
                ),
            ],
            options={
                "verbose_name": "还款计划期次",
                "verbose_name_plural": "还款计划期次",
                "ordering": ["loan", "number"],
                "indexes": [
                    models.Index(fields=["loan", "due"], name="installment_loan_due"),
                    models.Index(fields=["due"], name="installment_due"),
                ],
                "constraints": [
                    models.UniqueConstraint(fields=("loan", "number"), name="installment_unique_number"),
                ],
            },
        ),
        migrations.RunPython(fill_installments, migrations.RunPython.noop),
    ]
