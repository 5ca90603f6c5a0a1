"""The seed's years of history (seed --demo N --history-years Y): the records keep the rules the services
keep, and the same random seed gives the same library."""

import datetime
from decimal import Decimal
from itertools import groupby

import pytest
from django.core.management import call_command
from django.db import transaction
from django.db.models import Count, F, Max, Min, Sum
from django.utils import timezone

from financing.installments import schedules_sync
from financing.models import Disbursement, Loan, Repayment
from financing.selectors import with_loan_balances
from financing.totals import financing_totals_differences
from portfolio.models import AuditEntry, Notification
from portfolio.seed import seed_demo
from portfolio.workdays import month_of
from projects.models import InvestmentPlan, ProgressReport, Project
from projects.selectors.progress import report_refusal
from projects.services.progress import completed_before

pytestmark = pytest.mark.django_db

YEARS = 3


def first_month(today: datetime.date, years: int) -> datetime.date:
    months = today.year * 12 + today.month - 1 - 12 * years
    return datetime.date(months // 12, months % 12 + 1, 1)


@pytest.fixture
def history(huangpu_user, city_user):
    call_command("seed")
    seed_demo(120, rng_seed=5, history_years=YEARS)
    today = timezone.localdate()
    return today, first_month(today, YEARS), month_of(month_of(today) - datetime.timedelta(days=1))


def test_projects_being_built_report_every_month_of_the_history(history):
    today, since, last = history
    span = ProgressReport.objects.filter(project__is_demo=True).aggregate(
        first=Min("period"), last=Max("period")
    )
    assert span == {"first": since, "last": last}
    building = Project.objects.filter(is_demo=True, review_status="accepted", stage="implementation")
    assert building.exists()
    months = (last.year - since.year) * 12 + last.month - since.month + 1
    for project in building.annotate(reports=Count("progress_reports")):
        assert project.start_year <= since.year
        # Every month but, perhaps, the last one (not written yet).
        assert project.reports in (months - 1, months), project.code
    # The older months are reviewed: accepted.
    old = ProgressReport.objects.filter(project__is_demo=True, period__lt=datetime.date(today.year - 1, 1, 1))
    assert old.count() > 100
    assert set(old.values_list("status", flat=True)) == {"accepted"}


def test_reports_keep_the_services_rules(history):
    today, _since, _last = history
    reports = ProgressReport.objects.filter(project__is_demo=True).select_related("project")
    for report in reports.filter(period__lt=datetime.date(today.year - 1, 1, 1))[:300]:
        assert report_refusal(project=report.project, period=report.period, today=today) is None
    for project_id, rows in groupby(reports.order_by("project", "period"), key=lambda r: r.project_id):
        rows = list(rows)
        percents = [r.progress_percent for r in rows]
        assert percents == sorted(percents), project_id  # the physical progress never goes down
        assert sum(r.completed_amount for r in rows) <= rows[0].project.total_investment
        for r in rows:
            assert r.first_submitted_at is None or r.created_at <= r.first_submitted_at <= timezone.now()
            assert r.reviewed_at is None or r.first_submitted_at <= r.reviewed_at <= timezone.now()
    # Each year's plan within what the earlier years' reports left of the total.
    for plan in InvestmentPlan.objects.filter(project__is_demo=True).select_related("project"):
        remaining = plan.project.total_investment - completed_before(plan.project, plan.year)
        assert plan.planned_amount <= remaining, (plan.project.code, plan.year)


def test_loans_are_drawn_and_repaid_over_the_years_within_their_principal(history):
    today, since, _last = history
    loans = with_loan_balances(Loan.objects.filter(project__is_demo=True))
    assert loans.exists()
    assert not loans.filter(disbursed__gt=F("principal")).exists()
    assert not loans.filter(repaid__gt=F("disbursed")).exists()
    drawings = Disbursement.objects.filter(loan__project__is_demo=True, date__lt=today)
    assert drawings.filter(date__gte=since).values("date__year").distinct().count() >= YEARS
    assert Repayment.objects.filter(loan__project__is_demo=True, date__gte=since).count() > 50
    for loan in Loan.objects.filter(project__is_demo=True):
        assert not loan.disbursements.filter(date__lt=loan.signed_on).exists()
        assert not loan.repayments.filter(date__lt=loan.signed_on).exists()
    # Repaid never ran ahead of what was drawn by then.
    for loan in Loan.objects.filter(project__is_demo=True).prefetch_related("disbursements", "repayments"):
        repaid = Decimal(0)
        for repayment in sorted(loan.repayments.all(), key=lambda r: (r.date, r.pk)):
            repaid += repayment.principal
            drawn = sum((d.amount for d in loan.disbursements.all() if d.date <= repayment.date), Decimal(0))
            assert repaid <= drawn, loan.pk


def test_stored_rows_follow_the_history(history):
    assert schedules_sync(write=False).differed == []
    assert financing_totals_differences() == []


def test_every_report_and_ledger_row_is_audited_on_its_day(history):
    reports = ProgressReport.objects.filter(project__is_demo=True)
    created = AuditEntry.objects.filter(action="report_create")
    assert created.count() == reports.count()
    assert (
        AuditEntry.objects.filter(action="report_accept").count() == reports.filter(status="accepted").count()
    )
    drawn = Disbursement.objects.filter(loan__project__is_demo=True).count()
    assert AuditEntry.objects.filter(action="disbursement_record").count() >= drawn
    assert not AuditEntry.objects.filter(at__gt=timezone.now()).exists()
    per_project = created.values("project").annotate(n=Count("pk")).aggregate(most=Max("n"))["most"]
    assert per_project >= 12 * YEARS


def test_reminded_users_have_the_notifications_of_those_months(history, huangpu_user, city_user):
    _today, since, last = history
    months = (last.year - since.year) * 12 + last.month - since.month + 1
    assert Notification.objects.filter(user=huangpu_user, kind="report_due").count() == months
    assert Notification.objects.filter(user=city_user, kind="city_summary").count() == months
    assert not Notification.objects.filter(read_at__isnull=True).exists()


def library_signature() -> dict:
    return {
        "projects": list(
            Project.objects.filter(is_demo=True).values_list("code", "start_year", "total_investment")
        ),
        "reports": ProgressReport.objects.aggregate(n=Count("pk"), s=Sum("completed_amount")),
        "drawn": Disbursement.objects.aggregate(n=Count("pk"), s=Sum("amount")),
        "repaid": Repayment.objects.aggregate(n=Count("pk"), s=Sum("principal")),
        "audit": AuditEntry.objects.count(),
    }


def seeded_signature(**options) -> dict:
    with transaction.atomic():
        seed_demo(60, rng_seed=9, **options)
        signature = library_signature()
        transaction.set_rollback(True)
    return signature


def test_the_same_random_seed_gives_the_same_history():
    assert seeded_signature(history_years=2) == seeded_signature(history_years=2)


def test_history_leaves_the_projects_draws_as_they_were():
    without = seeded_signature()["projects"]
    with_history = seeded_signature(history_years=2)["projects"]
    assert [(code, total) for code, _start, total in without] == [
        (code, total) for code, _start, total in with_history
    ]
