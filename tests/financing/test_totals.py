"""Stored financing totals (financing.totals): the row of every project equals what its ledger computes
after every kind of write, the rebuild command and the deep health check find and fix a difference, and the
library sorted by 资金缺口 reads the stored column."""

import importlib
from decimal import Decimal

import pytest
from django.apps import apps as django_apps
from django.core.management import CommandError, call_command
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from financing import batches, services
from financing.models import FinancingTotals
from financing.models.totals import FIGURES
from financing.selectors import with_financing_totals
from financing.totals import financing_totals_differences, financing_totals_refresh
from portfolio.seed import seed_demo
from projects import services as project_services
from projects.imports import import_projects
from projects.models import Project
from projects.selectors.project import project_list
from tests.factories import (
    BankFactory,
    BatchEntryFactory,
    BatchFactory,
    FundingLineFactory,
    LoanFactory,
    OrganizationFactory,
    ProjectFactory,
    district,
)
from tests.projects.test_imports import row, workbook_bytes

pytestmark = pytest.mark.django_db
D = Decimal


def stored(project) -> dict:
    return FinancingTotals.objects.filter(project=project).values(*FIGURES).get()


def computed(project) -> dict:
    return with_financing_totals(Project.objects.filter(pk=project.pk)).values(*FIGURES).get()


def in_step(project) -> dict:
    """The project's stored totals, after checking them against the computed ones."""
    figures = stored(project)
    assert figures == computed(project)
    return figures


@pytest.fixture
def project():
    return ProjectFactory(total_investment=D("100000000"))


def test_a_new_project_has_its_row_with_the_whole_investment_as_gap(city_user):
    created = project_services.project_create(
        acting_user=city_user,
        name="新建项目",
        district=district("440112"),
        category="river_lake",
        total_investment=D("5000000"),
        start_year=2026,
        end_year=2027,
    )
    assert in_step(created)["funding_gap"] == D("5000000")


def test_a_funding_line_planned_approved_received_rejected(city_user, project):
    line = services.funding_line_record(
        acting_user=city_user,
        project=project,
        source_type="special_bond",
        year=2026,
        planned_amount=D("30000000"),
    )
    figures = in_step(project)
    assert (figures["planned_cover"], figures["approved_cover"]) == (D("30000000"), D("0"))
    assert figures["funding_gap"] == D("100000000")
    services.funding_line_record(
        acting_user=city_user, funding_line=line, status="approved", approved_amount=D("25000000")
    )
    assert in_step(project)["funding_gap"] == D("75000000")
    services.funding_line_record(
        acting_user=city_user, funding_line=line, status="received", received_amount=D("25000000")
    )
    assert in_step(project)["approved_cover"] == D("25000000")
    services.funding_line_record(acting_user=city_user, funding_line=line, status="rejected")
    figures = in_step(project)
    assert (figures["planned_cover"], figures["funding_gap"]) == (D("0"), D("100000000"))


def test_a_surplus_when_the_cover_passes_the_investment(city_user, project):
    services.funding_line_record(
        acting_user=city_user,
        project=project,
        source_type="fiscal",
        year=2026,
        planned_amount=D("120000000"),
        approved_amount=D("120000000"),
        status="approved",
    )
    figures = in_step(project)
    assert (figures["funding_gap"], figures["funding_surplus"]) == (D("0"), D("20000000"))


def test_a_loan_signed_changed_and_terminated(city_user, project):
    loan = services.loan_create(
        acting_user=city_user,
        project=project,
        lender=BankFactory(),
        borrower=OrganizationFactory(),
        principal=D("40000000"),
    )
    figures = in_step(project)
    assert (figures["loan_principal_total"], figures["funding_gap"]) == (D("40000000"), D("60000000"))
    services.loan_update(acting_user=city_user, loan=loan, principal=D("50000000"))
    assert in_step(project)["funding_gap"] == D("50000000")
    services.loan_update(acting_user=city_user, loan=loan, status="terminated")
    figures = in_step(project)
    assert (figures["loan_principal_total"], figures["funding_gap"]) == (D("0"), D("100000000"))


def test_the_total_investment_edited(city_user, project):
    FundingLineFactory(project=project, status="approved", approved_amount=D("30000000"))
    project_services.project_update(project=project, acting_user=city_user, total_investment=D("20000000"))
    figures = in_step(project)
    assert (figures["funding_gap"], figures["funding_surplus"]) == (D("0"), D("10000000"))


def test_an_import_of_projects(city_user):
    upload = io_upload(workbook_bytes([row(name="导入甲"), row(name="导入乙", **{"总投资（万元）": 10})]))
    result = import_projects(upload, user=city_user, commit=True)
    assert not result.errors and len(result.created) == 2
    assert [in_step(p)["funding_gap"] for p in result.created] == [D("123456700.00"), D("100000.00")]


def test_an_import_preview_leaves_no_row(city_user):
    result = import_projects(io_upload(workbook_bytes([row(name="预览")])), user=city_user, commit=False)
    assert not result.errors and not FinancingTotals.objects.filter(project__name="预览").exists()


def io_upload(content: bytes):
    from django.core.files.uploadedfile import SimpleUploadedFile

    return SimpleUploadedFile("projects.xlsx", content)


def test_a_batch_outcome(city_user):
    entry = BatchEntryFactory(batch=BatchFactory(), requested_amount=D("20000000"))
    batches.batch_entry_outcome(
        acting_user=city_user,
        entry=entry,
        outcome="approved",
        approved_amount=D("15000000"),
        document_no="粤财债〔2026〕12号",
        decided_on="2026-06-30",
    )
    assert in_step(entry.project)["approved_cover"] == D("15000000")
    batches.batch_entry_outcome(acting_user=city_user, entry=entry, outcome="rejected")
    assert in_step(entry.project)["approved_cover"] == D("0")


def test_the_admin_keeps_both_projects_of_a_moved_line(city_client, form_data, project):
    other = ProjectFactory()
    line = FundingLineFactory(project=project, status="approved", approved_amount=D("30000000"))
    url = f"/admin/financing/fundingline/{line.pk}/change/"
    response = city_client.post(url, form_data(city_client, url) | {"project": str(other.pk)})
    assert response.status_code == 302
    assert in_step(project)["approved_cover"] == D("0")
    assert in_step(other)["approved_cover"] == D("30000000")


def test_the_demo_seed_leaves_every_project_in_step():
    seed_demo(30, rng_seed=16)
    assert Project.objects.count() == FinancingTotals.objects.count() == 30
    assert financing_totals_differences() == []


def test_the_migration_fills_every_project_losslessly():
    for n in range(3):
        project = ProjectFactory(total_investment=D("90000000.01"))
        FundingLineFactory(project=project, status="approved", approved_amount=D("10000000.33") * n)
        FundingLineFactory(project=project, source_type="policy_loan", planned_amount=D("7.77"))
        LoanFactory(project=project, principal=D("5000000.05"))
        LoanFactory(project=project, principal=D("9"), status="terminated")
    ProjectFactory(total_investment=D("1"))
    expected = {p.pk: computed(p) for p in Project.objects.all()}
    FinancingTotals.objects.all().delete()
    migration = importlib.import_module("financing.migrations.0009_stored_totals")
    migration.fill_totals(django_apps, type("Editor", (), {"connection": connection})())
    assert {p.pk: stored(p) for p in Project.objects.all()} == expected


# -- the rebuild command and the deep health check ----------------------------------------------------


def tamper(project):
    FinancingTotals.objects.filter(project=project).update(funding_gap=D("1"))


def test_rebuild_check_reports_and_the_rebuild_fixes(project, capsys):
    other = ProjectFactory()
    call_command("rebuild_financing_totals", "--check")
    tamper(project)
    FinancingTotals.objects.filter(project=other).delete()
    with pytest.raises(CommandError, match="2 个项目") as failure:
        call_command("rebuild_financing_totals", "--check")
    assert failure.value.returncode == 1
    assert stored(project)["funding_gap"] == D("1")  # --check writes nothing
    call_command("rebuild_financing_totals")
    assert "其中 2 个与原存储值不符" in capsys.readouterr().out
    in_step(project), in_step(other)
    call_command("rebuild_financing_totals", "--check")


def test_healthz_deep_reports_a_difference(project):
    client = Client()
    assert client.get("/healthz").json() == {"status": "ok", "database": True}
    response = client.get("/healthz", {"deep": "1"})
    assert response.status_code == 200 and response.json()["status"] == "ok"
    tamper(project)
    assert client.get("/healthz").status_code == 200  # the plain probe reads nothing
    response = client.get("/healthz", {"deep": "1"})
    assert response.status_code == 503
    assert "financing_totals" in response.json()["failed"]


def test_refresh_passes_over_unknown_projects(project):
    tamper(project)
    assert financing_totals_refresh(project_ids=[project.pk, None, 999_999]) == 1
    in_step(project)


# -- the library sorted by 资金缺口 --------------------------------------------------------------------


def library(n: int) -> list[Project]:
    """`n` projects with gaps of every size (some equal, one covered in full, one with a surplus)."""
    projects = []
    for i in range(n):
        project = ProjectFactory(total_investment=D(1_000_000 * (i % 7 + 1)))
        FundingLineFactory(project=project, status="approved", approved_amount=D(400_000 * (i % 5)))
        if i % 3 == 0:
            LoanFactory(project=project, principal=D(250_000 * (i % 4 + 1)))
        projects.append(project)
    return projects


@pytest.mark.parametrize("sort", ["funding_gap", "-funding_gap"])
def test_the_sorted_library_is_in_the_computed_order(city_user, sort):
    library(25)
    descending = sort.startswith("-")
    expected = with_financing_totals(Project.objects.all()).order_by(sort, "pk")
    listed = project_list(user=city_user, params={"sort": sort})
    assert [(p.pk, p.funding_gap) for p in listed] == [(p.pk, p.funding_gap) for p in expected]
    gaps = [p.funding_gap for p in listed]
    assert gaps == sorted(gaps, reverse=descending)


def test_the_sorted_list_reads_the_stored_column(city_user):
    library(5)
    with CaptureQueriesContext(connection) as captured:
        list(project_list(user=city_user, params={"sort": "-funding_gap"}))
    (sql,) = [query["sql"] for query in captured if "projects_project" in query["sql"]]
    assert "financing_fundingline" not in sql and "financing_loan" not in sql and "SUM(" not in sql.upper()
    assert "financing_financingtotals" in sql


def test_the_sorted_library_page_queries_do_not_grow(city_client):
    def queries() -> int:
        with CaptureQueriesContext(connection) as captured:
            response = city_client.get("/projects/", {"sort": "-funding_gap", "per_page": 100})
        assert response.status_code == 200
        assert not any("financing_fundingline" in query["sql"] for query in captured)
        return len(captured)

    library(5)
    few = queries()
    library(35)
    assert queries() == few
