"""Stored repayment schedules: after every kind of write a loan's installments are what financing.schedule
computes from its terms, drawings and repayments; the rebuild command and /healthz?deep=1 find (and the
command fixes) rows that are not; and the readers of the stored rows (the dashboard's maturity profile, a
bank's loan book, the loan page, the schedule API, financing.xlsx) give the computed figures, in a number
of queries that does not grow with the loans."""

import datetime
import importlib
from decimal import Decimal

import pytest
from django.core.management import CommandError, call_command
from django.db import connection, reset_queries
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from financing import selectors, services
from financing.choices import LoanStatus
from financing.installments import FIELDS, schedules_sync
from financing.models import Disbursement, FundingLine, Installment, Loan, LoanBalance, Repayment
from portfolio.dashboard import loan_figures
from portfolio.seed import seed_demo, seed_demo_platform
from projects.models import Project
from tests.factories import (
    BankFactory,
    DisbursementFactory,
    LoanFactory,
    OrganizationFactory,
    ProjectFactory,
    RepaymentFactory,
)

pytestmark = pytest.mark.django_db
D = Decimal
TODAY = timezone.localdate()
DAY = datetime.timedelta(days=1)


def stored(loan) -> list[tuple]:
    return list(Installment.objects.filter(loan=loan).order_by("number").values_list(*FIELDS))


def computed(loan) -> list[tuple]:
    loan = Loan.objects.get(pk=loan.pk)
    schedule = selectors.loan_schedule(
        loan=loan,
        disbursements=list(loan.disbursements.order_by("date", "pk")),
        repayments=list(loan.repayments.order_by("date", "pk")),
    )
    return [tuple(getattr(i, name) for name in FIELDS) for i in schedule.installments] if schedule else []


def balance_in_step(loan) -> tuple:
    """The loan's stored balance, asserted equal to what its drawings and repayments add up to."""
    stored_balance = LoanBalance.objects.filter(loan=loan).values_list("disbursed", "repaid").first()
    drawn = sum(Disbursement.objects.filter(loan=loan).values_list("amount", flat=True), D(0))
    repaid = sum(Repayment.objects.filter(loan=loan).values_list("principal", flat=True), D(0))
    assert stored_balance == (drawn, repaid)
    return stored_balance


def in_step(loan) -> list[tuple]:
    rows = stored(loan)
    assert rows == computed(loan)
    balance_in_step(loan)
    return rows


@pytest.fixture
def project(db):
    return ProjectFactory(total_investment=D("500000000"), review_status="accepted", stage="implementation")


@pytest.fixture
def signed_loan(city_user, project):
    """A loan signed a year ago, through the service, for 10,000,000 over five years, quarterly."""
    return services.loan_create(
        acting_user=city_user,
        project=project,
        lender=BankFactory(),
        borrower=OrganizationFactory(),
        principal=D("10000000.00"),
        signed_on=TODAY - 365 * DAY,
        term_months=60,
        annual_rate=D("3.2000"),
        repayment_method="equal_principal",
    )


# -- stored == computed after every write ------------------------------------------------------------


def test_a_loan_created_has_its_rows_and_one_without_terms_none(city_user, project, signed_loan):
    assert len(in_step(signed_loan)) == 20  # nothing drawn yet: twenty quarters of nothing
    bare = services.loan_create(
        acting_user=city_user,
        project=project,
        lender=BankFactory(),
        borrower=OrganizationFactory(),
        principal=D("5000000.00"),
    )
    assert in_step(bare) == []


@pytest.mark.parametrize(
    "change",
    [
        {"annual_rate": D("4.1000")},
        {"term_months": 36},
        {"repayment_method": "equal_installment"},
        {"repayment_method": "bullet"},
        {"grace_months": 12},
        {"payment_interval_months": 1},
        {"signed_on": None},
    ],
    ids=lambda change: next(iter(change)) + "=" + str(next(iter(change.values()))),
)
def test_a_loan_edit_rewrites_its_rows(city_user, signed_loan, change):
    services.disbursement_record(
        loan=signed_loan, amount=D("6000000.00"), on=signed_loan.signed_on + 20 * DAY, acting_user=city_user
    )
    before = in_step(signed_loan)
    services.loan_update(acting_user=city_user, loan=signed_loan, **change)
    after = in_step(signed_loan)
    assert after != before


def test_drawings_and_repayments_rewrite_the_rows_even_out_of_order(
    city_user, lender_user, bank, signed_loan
):
    Loan.objects.filter(pk=signed_loan.pk).update(lender=bank)
    signed_loan.refresh_from_db()
    signed = signed_loan.signed_on
    services.disbursement_record(
        loan=signed_loan, amount=D("4000000.00"), on=signed + 10 * DAY, acting_user=city_user
    )
    in_step(signed_loan)
    # The bank records its own loan's money, through the same service.
    services.disbursement_record(
        loan=signed_loan, amount=D("2500000.00"), on=signed + 100 * DAY, acting_user=lender_user
    )
    in_step(signed_loan)
    services.repayment_record(
        loan=signed_loan,
        on=signed + 200 * DAY,
        principal=D("300000.00"),
        interest=D("50000.00"),
        acting_user=city_user,
    )
    first = in_step(signed_loan)
    # An earlier repayment recorded after a later one: allocated oldest installment first all the same.
    services.repayment_record(
        loan=signed_loan,
        on=signed + 95 * DAY,
        principal=D("200000.00"),
        interest=D("30000.00"),
        acting_user=lender_user,
    )
    rows = in_step(signed_loan)
    assert rows != first
    paid = [(row[FIELDS.index("paid_principal")], row[FIELDS.index("paid_interest")]) for row in rows]
    assert sum(p for p, _i in paid) == D("500000.00") and sum(i for _p, i in paid) == D("80000.00")


def test_a_refused_write_leaves_the_rows_as_they_were(city_user, signed_loan):
    before = in_step(signed_loan)
    with pytest.raises(Exception):  # noqa: B017 - the service's ValidationError, whatever its message
        services.disbursement_record(
            loan=signed_loan, amount=D("99000000.00"), on=signed_loan.signed_on + DAY, acting_user=city_user
        )
    assert stored(signed_loan) == before


def test_the_admin_edits_of_a_loan_and_its_entries_rewrite_the_rows(city_client, form_data, signed_loan):
    url = f"/admin/financing/loan/{signed_loan.pk}/change/"
    response = city_client.post(url, form_data(city_client, url) | {"annual_rate": "2.5000"})
    assert response.status_code == 302, response.content[:500]
    assert Loan.objects.get(pk=signed_loan.pk).annual_rate == D("2.5")
    in_step(signed_loan)
    drawn = DisbursementFactory(
        loan=signed_loan, date=signed_loan.signed_on + 5 * DAY, amount=D("1000000.00")
    )
    url = f"/admin/financing/disbursement/{drawn.pk}/change/"
    response = city_client.post(url, form_data(city_client, url) | {"amount": "3000000.00"})
    assert response.status_code == 302, response.content[:500]
    assert in_step(signed_loan)[0][FIELDS.index("drawn")] == D("3000000.00")
    url = "/admin/financing/repayment/add/"
    data = {
        "loan": str(signed_loan.pk),
        "date": str(signed_loan.signed_on + 120 * DAY),
        "principal": "100000.00",
        "interest": "20000.00",
        "note": "",
    }
    assert city_client.post(url, data).status_code == 302
    assert Repayment.objects.filter(loan=signed_loan).count() == 1
    assert sum(row[FIELDS.index("paid_principal")] for row in in_step(signed_loan)) == D("100000.00")


def test_the_migration_fills_every_loan():
    loan = LoanFactory(principal=D("800000.00"), term_months=24)
    DisbursementFactory(loan=loan, date=datetime.date(2025, 3, 1), amount=D("800000.00"))
    LoanFactory(signed_on=None)
    expected = stored(loan)
    Installment.objects.all().delete()
    migration = importlib.import_module("financing.migrations.0008_stored_installments")
    from django.apps import apps

    class Editor:
        pass

    editor = Editor()
    editor.connection = connection
    migration.fill_installments(apps, editor)
    assert stored(loan) == expected == computed(loan) and Installment.objects.count() == 8


def test_the_balances_migration_fills_every_loan():
    loan = LoanFactory(principal=D("800000.00"), term_months=24)
    DisbursementFactory(loan=loan, date=datetime.date(2025, 3, 1), amount=D("500000.10"))
    DisbursementFactory(loan=loan, date=datetime.date(2025, 4, 1), amount=D("0.20"))
    RepaymentFactory(loan=loan, date=datetime.date(2025, 9, 1), principal=D("1000.01"), interest=D("9"))
    bare = LoanFactory(signed_on=None)
    LoanBalance.objects.all().delete()
    migration = importlib.import_module("financing.migrations.0012_loan_balance")
    from django.apps import apps

    migration.fill_balances(apps, None)
    assert balance_in_step(loan) == (D("500000.30"), D("1000.01"))
    assert balance_in_step(bare) == (D(0), D(0))


def test_a_balance_is_rewritten_with_the_rows_and_its_loan_deleted_with_it(city_user, signed_loan):
    assert balance_in_step(signed_loan) == (D(0), D(0))  # a new loan has its balance
    services.disbursement_record(
        loan=signed_loan, amount=D("1234567.89"), on=signed_loan.signed_on + DAY, acting_user=city_user
    )
    services.repayment_record(
        loan=signed_loan,
        on=signed_loan.signed_on + 100 * DAY,
        principal=D("0.01"),
        interest=D("0"),
        acting_user=city_user,
    )
    assert balance_in_step(signed_loan) == (D("1234567.89"), D("0.01"))
    Disbursement.objects.filter(loan=signed_loan).delete()  # entries protect their loan
    Repayment.objects.filter(loan=signed_loan).delete()
    Loan.objects.filter(pk=signed_loan.pk).delete()
    assert not LoanBalance.objects.exists()


# -- the rebuild command and the deep health check ---------------------------------------------------


def _tamper() -> tuple[Loan, Loan]:
    changed = LoanFactory(term_months=24)
    DisbursementFactory(loan=changed, date=datetime.date(2025, 3, 1), amount=D("90.00"))
    lost = LoanFactory(term_months=12)
    LoanFactory()  # in step
    Installment.objects.filter(loan=changed, number=2).update(principal=D("1.23"))
    Installment.objects.filter(loan=lost).delete()
    return changed, lost


def test_a_balance_unlike_its_records_is_found_and_rewritten():
    off = LoanFactory(term_months=24)
    DisbursementFactory(loan=off, date=datetime.date(2025, 3, 1), amount=D("90.00"))
    missing = LoanFactory(signed_on=None)  # no schedule: only its balance is checked
    LoanFactory()  # in step
    LoanBalance.objects.filter(loan=off).update(disbursed=D("89.99"))
    LoanBalance.objects.filter(loan=missing).delete()
    assert sorted(schedules_sync(write=False).differed) == sorted([off.pk, missing.pk])
    assert schedules_sync(write=True).differed == sorted([off.pk, missing.pk])
    assert schedules_sync(write=False).differed == []
    balance_in_step(off), balance_in_step(missing)


def test_the_rebuild_command_checks_and_fixes_the_rows(capsys):
    changed, lost = _tamper()
    with pytest.raises(CommandError) as error:
        call_command("rebuild_schedules", "--check")
    assert "不符的贷款 2 笔" in str(error.value) and error.value.returncode == 1
    assert stored(lost) == []  # --check writes nothing
    call_command("rebuild_schedules", "--chunk-size", "2")
    out = capsys.readouterr().out
    assert "贷款 3 笔" in out and "还款计划 52 期" in out and "不符的贷款 2 笔" in out
    in_step(changed), in_step(lost)
    call_command("rebuild_schedules", "--check")
    assert "不符的贷款 0 笔" in capsys.readouterr().out


def test_healthz_deep_says_when_the_stored_schedules_differ():
    LoanFactory()
    assert Client().get("/healthz").json() == {"status": "ok", "database": True}
    deep = Client().get("/healthz", {"deep": "1"})
    assert deep.status_code == 200 and "schedules" in deep.json()["checks"]
    _tamper()
    deep = Client().get("/healthz", {"deep": "1"})
    assert deep.status_code == 503
    assert "schedules" in deep.json()["failed"] and deep.json()["differing"]["schedules"] == 2
    assert Client().get("/healthz").status_code == 200  # the plain probe does not read the schedules


# -- the readers give the computed figures -------------------------------------------------------------


def computed_maturity(loans, today) -> dict:
    """The dashboard's maturity profile as it was computed before the schedules were stored."""
    maturity, overdue, unscheduled = {}, D(0), D(0)
    for loan in selectors.with_entries(selectors.live_loans(loans)):
        drawn, paid = list(loan.disbursements.all()), list(loan.repayments.all())
        schedule = selectors.loan_schedule(loan=loan, disbursements=drawn, repayments=paid)
        if schedule is None:
            unscheduled += sum((d.amount for d in drawn), D(0)) - sum((r.principal for r in paid), D(0))
            continue
        for i in schedule.installments:
            if i.unpaid_principal > 0:
                if i.due < today:
                    overdue += i.unpaid_principal
                else:
                    maturity[i.due.year] = maturity.get(i.due.year, D(0)) + i.unpaid_principal
    return {"maturity": sorted(maturity.items()), "overdue_principal": overdue, "unscheduled": unscheduled}


@pytest.fixture
def loan_mix(project):
    """Loans in every state: drawn and partly repaid with installments past due, without terms, settled,
    terminated, bullet and annuity, with drawings after repayment began."""
    loans = []
    for n, (method, status) in enumerate(
        [
            ("equal_principal", LoanStatus.SIGNED),
            ("equal_installment", LoanStatus.SIGNED),
            ("bullet", LoanStatus.SIGNED),
            ("equal_principal", LoanStatus.SETTLED),
            ("equal_principal", LoanStatus.TERMINATED),
        ]
    ):
        signed = TODAY - (400 + 90 * n) * DAY
        loan = LoanFactory(
            project=project,
            principal=D("9000000.00"),
            signed_on=signed,
            term_months=36,
            repayment_method=method,
            status=status,
        )
        DisbursementFactory(loan=loan, date=signed + 15 * DAY, amount=D("5000000.00"))
        DisbursementFactory(loan=loan, date=signed + 300 * DAY, amount=D("1234567.89"))
        RepaymentFactory(loan=loan, date=signed + 100 * DAY, principal=D("400000.00"), interest=D("41000.00"))
        loans.append(loan)
    bare = LoanFactory(project=project, signed_on=None, principal=D("7000000.00"))
    DisbursementFactory(loan=bare, amount=D("3000000.00"))
    loans.append(bare)
    return loans


def test_the_maturity_profile_is_the_computed_one(loan_mix, city_user):
    loans = Loan.objects.visible_to(city_user).filter(project__review_status="accepted")
    figures = selectors.maturity_profile(loans, today=TODAY)
    assert figures == computed_maturity(loans, TODAY)
    assert figures["overdue_principal"] > 0 and figures["unscheduled"] == D("3000000.00")
    assert len(figures["maturity"]) >= 2
    # The dashboard shows the same section.
    dashboard = loan_figures(user=city_user, today=TODAY)
    assert {key: dashboard[key] for key in figures} == figures


def test_the_maturity_profile_of_the_demo_is_the_computed_one(city_user):
    seed_demo(60, rng_seed=5)
    seed_demo_platform()
    loans = Loan.objects.visible_to(city_user).filter(project__review_status="accepted")
    assert loans.exists()
    assert selectors.maturity_profile(loans, today=TODAY) == computed_maturity(loans, TODAY)


def test_the_schedule_api_and_the_loan_page_are_the_computed_schedule(
    loan_mix, api_client, city_user, city_client
):
    for loan in loan_mix:
        answer = api_client(city_user).get(f"/api/v1/loans/{loan.pk}/schedule/").json()["installments"]
        loan = Loan.objects.get(pk=loan.pk)
        schedule = selectors.loan_schedule(
            loan=loan, disbursements=list(loan.disbursements.all()), repayments=list(loan.repayments.all())
        )
        expected = schedule.installments if schedule else []
        assert len(answer) == len(expected)
        running = loan.status == LoanStatus.SIGNED
        for got, want in zip(answer, expected, strict=True):
            assert got["due"] == want.due.isoformat() and got["number"] == want.number
            for name in ("opening_balance", "drawn", "principal", "interest", "closing_balance"):
                assert got[name] == f"{getattr(want, name):.2f}"
            assert (got["paid_principal"], got["paid_interest"]) == (
                f"{want.paid_principal:.2f}",
                f"{want.paid_interest:.2f}",
            )
            assert got["grace"] == want.grace
            assert got["overdue"] == (running and want.due < TODAY and not want.settled)
        position = selectors.loan_position(loan=loan)
        assert [i.number for i in position["past_due"]] == [i["number"] for i in answer if i["overdue"]]
        html = city_client.get(reverse("financing:loan_detail", args=[loan.pk])).content.decode()
        if schedule:
            assert html.count('<tr class="overdue table-danger">') == len(position["past_due"])
    assert any(
        i["overdue"]
        for i in api_client(city_user).get(f"/api/v1/loans/{loan_mix[0].pk}/schedule/").json()["installments"]
    )


def test_a_subsidy_by_year_is_the_computed_one(signed_loan, city_user):
    DisbursementFactory(loan=signed_loan, date=signed_loan.signed_on + 30 * DAY, amount=D("7000000.00"))
    FundingLine.objects.create(
        project=signed_loan.project,
        source_type="interest_subsidy",
        year=signed_loan.signed_on.year,
        loan=signed_loan,
        subsidy_rate=D("1.1"),
    )
    position = selectors.loan_position(loan=signed_loan)
    loan = Loan.objects.get(pk=signed_loan.pk)
    schedule = selectors.loan_schedule(loan=loan, disbursements=list(loan.disbursements.all()), repayments=[])
    assert position["subsidies"][0]["by_year"] == sorted(schedule.subsidy_by_year(D("1.1")).items())


def computed_standing(loan, today) -> dict:
    """A loan book row as it was computed before the schedules were stored."""
    drawn, paid = list(loan.disbursements.all()), list(loan.repayments.all())
    schedule = selectors.loan_schedule(loan=loan, disbursements=drawn, repayments=paid)
    running = schedule is not None and loan.status == LoanStatus.SIGNED
    next_due, past_due = None, None
    if running:
        past_due = sum((i.unpaid_principal + i.unpaid_interest for i in schedule.past_due(today)), D(0))
        next_due = next((i for i in schedule.installments if i.due >= today and not i.settled), None)
    elif schedule is not None:
        past_due = D(0)
    return {
        "has_schedule": schedule is not None,
        "next_due_on": next_due.due if next_due else None,
        "next_due_amount": next_due.unpaid_principal + next_due.unpaid_interest if next_due else None,
        "past_due": past_due,
    }


def test_a_banks_loan_book_is_the_computed_one(loan_mix, city_user):
    loans = selectors.loan_list(user=city_user)
    with CaptureQueriesContext(connection) as captured:
        book = selectors.loan_book(loans, today=TODAY)
    assert len(captured) == 1
    assert len(book) == len(loan_mix)
    for row in book:
        want = computed_standing(Loan.objects.get(pk=row["loan"].pk), TODAY)
        assert {key: row[key] for key in want} == want, row["loan"].repayment_method
    assert any(row["past_due"] for row in book) and any(row["next_due_on"] for row in book)


def test_a_loan_books_totals_add_up_its_rows(loan_mix, city_user):
    """The totals are sums in the database over every loan; they are what the rows add up to (terminated
    loans counted but not summed), and a page of the book changes none of them."""
    loans = selectors.loan_list(user=city_user)
    book = selectors.loan_book(loans, today=TODAY)
    live = [row for row in book if row["loan"].status != "terminated"]
    assert len(live) < len(book), "the mix holds a terminated loan"
    with CaptureQueriesContext(connection) as captured:
        totals = selectors.loan_book_totals(loans, today=TODAY)
    assert len(captured) == 3
    assert "financing_disbursement" not in str(captured.captured_queries)  # the stored balances, summed
    assert totals == {
        "count": len(book),
        "principal": sum((row["loan"].principal for row in live), D(0)),
        "disbursed": sum((row["disbursed"] for row in live), D(0)),
        "outstanding": sum((row["outstanding"] for row in live), D(0)),
        "past_due": sum((row["past_due"] or D(0) for row in live), D(0)),
    }
    assert totals["past_due"] > 0 and totals["outstanding"] > 0


# -- queries that do not grow ------------------------------------------------------------------------


def _loans(n: int, project) -> None:
    for k in range(n):
        loan = LoanFactory(project=project, signed_on=TODAY - (100 + k) * DAY, term_months=24)
        DisbursementFactory(loan=loan, date=loan.signed_on + DAY, amount=D("50.00"))
        if k % 2:
            RepaymentFactory(loan=loan, date=loan.signed_on + 95 * DAY, principal=D("5.00"), interest=D("1"))
    LoanFactory(project=project, signed_on=None)


def test_the_maturity_section_and_financing_xlsx_run_the_same_queries_for_2_and_30_loans(
    project, city_user, city_api
):
    counts = {}
    for total in (2, 30):
        _loans(total - Loan.objects.filter(signed_on__isnull=False).count(), project)
        loans = Loan.objects.visible_to(city_user).filter(project__review_status="accepted")
        # A request clears the query log as it starts: each count starts from an empty log.
        reset_queries()
        with CaptureQueriesContext(connection) as maturity:
            figures = selectors.maturity_profile(loans, today=TODAY)
        assert figures == computed_maturity(loans, TODAY)
        city_api.get("/api/v1/exports/financing.xlsx")  # warm-up: the user's role is read once per user
        reset_queries()
        with CaptureQueriesContext(connection) as export:
            response = city_api.get("/api/v1/exports/financing.xlsx")
            b"".join(response.streaming_content)
        counts[total] = (len(maturity), len(export))
    assert counts[2] == counts[30], counts
    assert counts[2][0] <= 2
    assert Installment.objects.count() == 30 * 8


def test_financing_xlsx_lists_the_stored_installments(loan_mix, city_user, xlsx):
    records, totals = xlsx.records(xlsx.export(city_user, "financing")["还款计划"])
    rows = Installment.objects.filter(loan__in=loan_mix).order_by("loan", "number")
    assert len(records) == rows.count() > 0
    assert [(r["期次"], r["到期日"].date()) for r in records] == [(i.number, i.due) for i in rows]
    counted = rows.exclude(loan__status=LoanStatus.TERMINATED)
    assert totals["本金（万元）"] == pytest.approx(float(sum(i.principal for i in counted) / 10000))
    assert totals["已还本金（万元）"] == pytest.approx(float(sum(i.paid_principal for i in counted) / 10000))


# -- the demo ------------------------------------------------------------------------------------------


def test_every_demo_loan_has_its_computed_schedule_stored():
    call_command("seed", "--demo", "30", "--random-seed", "11", verbosity=0)
    assert Project.objects.filter(is_demo=True).count() == 30
    loans = list(Loan.objects.all())
    assert any(loan.schedule_terms() for loan in loans) and Disbursement.objects.exists()
    for loan in loans:
        in_step(loan)
    assert schedules_sync(write=False).differed == []
    assert Installment.objects.count() > 0
