"""The library list, the API list and both exports read one selector: every sort and filter works on each,
and the file holds the list's rows in the list's order. Funding beyond the total investment is a surplus,
never a negative gap."""

import io
from decimal import Decimal
from html import unescape

import pytest
from django.test import Client
from openpyxl import load_workbook
from rest_framework.test import APIClient

from projects.filtersets import SORTS
from tests.factories import FundingLineFactory, LoanFactory, ProjectFactory, district

pytestmark = pytest.mark.django_db
HEADER_ROW = 7
SORT_VALUES = [name for name, _field in SORTS] + [f"-{name}" for name, _field in SORTS]


@pytest.fixture
def library(db):
    """Projects in two districts whose gaps, investments and names order them differently, with ties."""
    projects = []
    for index, (code, investment, approved) in enumerate(
        [
            ("440112", "100000000.00", "90000000.00"),
            ("440112", "300000000.00", "10000000.00"),
            ("440112", "200000000.00", "0.00"),
            ("440112", "200000000.00", "0.00"),  # the same investment and gap: the id breaks the tie
            ("440104", "50000000.00", "53067300.00"),  # funded beyond its investment: a surplus
            ("440104", "400000000.00", "100000000.00"),
        ]
    ):
        project = ProjectFactory(
            code=f"ORDER-{(7 * index) % 10:02d}",
            name=f"排序项目{(3 * index) % 6}",
            district=district(code),
            total_investment=Decimal(investment),
        )
        if Decimal(approved):
            FundingLineFactory(project=project, approved_amount=Decimal(approved), status="approved")
        projects.append(project)
    return projects


def api_codes(user, **params) -> list[str]:
    client = APIClient()
    client.force_authenticate(user)
    response = client.get("/api/v1/projects/", {"page_size": 200, **params})
    assert response.status_code == 200, response.content[:300]
    return [row["code"] for row in response.json()["results"]]


def export_sheet(user, name="projects", **params):
    client = APIClient()
    client.force_authenticate(user)
    response = client.get(f"/api/v1/exports/{name}.xlsx", params)
    assert response.status_code == 200, (params, response.content[:300])
    return load_workbook(io.BytesIO(b"".join(response.streaming_content)))


def export_codes(user, **params) -> list[str]:
    ws = export_sheet(user, **params)["项目"]
    rows = list(ws.iter_rows(min_row=HEADER_ROW + 1, values_only=True))[:-1]  # the last is the totals row
    return [row[0] for row in rows]


@pytest.mark.parametrize("role_user", ["city_user", "huangpu_user"])
@pytest.mark.parametrize("sort", SORT_VALUES)
def test_the_export_holds_the_api_lists_rows_in_its_order_for_every_sort(library, role_user, sort, request):
    user = request.getfixturevalue(role_user)
    expected = api_codes(user, sort=sort)
    assert len(expected) == (6 if role_user == "city_user" else 4)
    assert export_codes(user, sort=sort) == expected


@pytest.mark.parametrize("sort", SORT_VALUES)
def test_the_financing_export_takes_every_sort(library, city_user, sort):
    workbook = export_sheet(city_user, name="financing", sort=sort)
    assert workbook.sheetnames[0] == "资金来源"


def test_the_default_order_is_the_lists_and_filters_narrow_the_file_alike(library, city_user):
    assert export_codes(city_user) == api_codes(city_user)
    filtered = {"district": "440104", "min_investment": "60000000"}
    assert export_codes(city_user, **filtered) == api_codes(city_user, **filtered) == [library[5].code]


def test_the_file_and_the_page_disagree_on_nothing_when_sorted_by_investment(library, city_user):
    codes = export_codes(city_user, sort="-total_investment")
    assert codes[0] == library[5].code and codes[1] == library[1].code
    client = Client()
    client.force_login(city_user)
    page = client.get("/projects/", {"sort": "-total_investment", "per_page": 100}).content.decode()
    assert [code for code in codes if code in page] == codes
    assert [page.index(code) for code in codes] == sorted(page.index(code) for code in codes)


@pytest.mark.parametrize("sort", ["funding_gap", "-funding_gap"])
def test_the_list_pages_excel_link_answers_with_a_workbook_when_sorted_by_gap(library, city_user, sort):
    client = Client()
    client.force_login(city_user)
    page = client.get("/projects/", {"sort": sort}).content.decode()
    link = next(
        unescape(part.split('"')[0]) for part in page.split('href="')[1:] if "/exports/projects.xlsx" in part
    )
    assert f"sort={sort}" in link
    response = client.get(link)
    assert response.status_code == 200
    ws = load_workbook(io.BytesIO(b"".join(response.streaming_content)))["项目"]
    assert ws.cell(HEADER_ROW + 1, 1).value == api_codes(city_user, sort=sort)[0]


@pytest.mark.parametrize("name", ["projects", "financing"])
def test_an_invalid_filter_on_an_export_is_a_400_naming_it(library, city_user, name):
    client = APIClient()
    client.force_authenticate(city_user)
    response = client.get(f"/api/v1/exports/{name}.xlsx", {"sort": "secret_column", "stage": "nowhere"})
    assert response.status_code == 400
    assert set(response.json()) == {"sort", "stage"}


def test_funding_beyond_the_investment_is_a_surplus_not_a_negative_gap(library, city_user):
    over = library[4]  # 5,000 万元 invested, 5,306.73 万元 approved
    client = APIClient()
    client.force_authenticate(city_user)
    record = client.get(f"/api/v1/projects/{over.pk}/").json()
    assert record["funding_gap"] == "0.00" and record["funding_surplus"] == "3067300.00"
    listed = {row["code"]: row for row in client.get("/api/v1/projects/").json()["results"]}
    assert all(
        Decimal(row["funding_gap"]) >= 0 and Decimal(row["funding_surplus"]) >= 0 for row in listed.values()
    )
    assert listed[library[1].code]["funding_gap"] == "290000000.00"
    assert listed[library[1].code]["funding_surplus"] == "0.00"

    ws = export_sheet(city_user)["项目"]
    header = [cell.value for cell in ws[HEADER_ROW]]
    rows = {
        row[0]: dict(zip(header, row, strict=True))
        for row in ws.iter_rows(min_row=HEADER_ROW + 1, values_only=True)
    }
    assert rows[over.code]["资金缺口（万元）"] == 0
    assert rows[over.code]["资金超出（万元）"] == pytest.approx(306.73)
    assert all((row["资金缺口（万元）"] or 0) >= 0 for row in rows.values())

    browser = Client()
    browser.force_login(city_user)
    page = browser.get("/projects/", {"district": "440104"}).content.decode()
    assert "−" not in page and "-306.73" not in page
    assert "超出 306.73 万元" in page
    detail = browser.get(f"/projects/{over.pk}/").content.decode()
    assert 'id="funding-gap">0.00 万元' in detail and 'id="funding-surplus">306.73 万元' in detail


def test_a_terminated_loan_counts_in_no_total_but_keeps_its_own_figures(city_user):
    project = ProjectFactory(
        total_investment=Decimal("1000.00"), review_status="accepted", stage="implementation"
    )
    live = LoanFactory(project=project, principal=Decimal("400.00"))
    ended = LoanFactory(project=project, principal=Decimal("500.00"), status="terminated")
    from tests.factories import DisbursementFactory

    DisbursementFactory(loan=live, amount=Decimal("100.00"))
    DisbursementFactory(loan=ended, amount=Decimal("200.00"))
    client = APIClient()
    client.force_authenticate(city_user)

    # The project's figures: the terminated loan covers nothing.
    record = client.get(f"/api/v1/projects/{project.pk}/").json()
    assert record["funding_gap"] == "600.00"
    # The loan's own record keeps its own figures.
    own = client.get(f"/api/v1/loans/{ended.pk}/").json()
    assert own["disbursed_total"] == "200.00" and own["outstanding_principal"] == "200.00"

    from portfolio.dashboard import dashboard_figures

    figures = dashboard_figures(user=city_user)
    assert figures["loan_totals"] == {
        "principal": Decimal("400.00"),
        "disbursed": Decimal("100.00"),
        "outstanding": Decimal("100.00"),
    }

    ws = export_sheet(city_user)["项目"]
    header = [cell.value for cell in ws[HEADER_ROW]]
    row = dict(zip(header, next(ws.iter_rows(min_row=HEADER_ROW + 1, values_only=True)), strict=True))
    assert row["贷款金额（万元）"] == pytest.approx(0.04) and row["已提款（万元）"] == pytest.approx(0.01)

    financing = export_sheet(city_user, name="financing")
    loans = financing["贷款"]
    header = [cell.value for cell in loans[HEADER_ROW]]
    rows = list(loans.iter_rows(min_row=HEADER_ROW + 1, values_only=True))
    listed, totals = (
        [dict(zip(header, r, strict=True)) for r in rows[:-1]],
        dict(zip(header, rows[-1], strict=True)),
    )
    assert sorted(r["状态"] for r in listed) == ["已签约", "已终止"]  # both listed, each with its own figures
    assert totals["贷款金额（万元）"] == pytest.approx(0.04) and totals["已提款（万元）"] == pytest.approx(
        0.01
    )
    assert "不含已终止贷款" in totals["项目编号"]
    drawn = financing["提款"]
    drawn_rows = list(drawn.iter_rows(min_row=HEADER_ROW + 1, values_only=True))
    assert len(drawn_rows) == 3 and drawn_rows[-1][-1] == pytest.approx(0.01)
