"""financing.xlsx (financing.excel's sheets, served by financing's API), opened with openpyxl and checked
cell by cell. It holds the ledger of the projects the library list shows: the same filters, sorts and
scope."""

import datetime
import io

import pytest
from django.core.management import call_command

from projects.filtersets import SORTS

pytestmark = pytest.mark.django_db
SORT_VALUES = [name for name, _field in SORTS] + [f"-{name}" for name, _field in SORTS]


def test_financing_workbook(ledger, city_user, xlsx):
    workbook = xlsx.export(city_user, "financing")
    assert workbook.sheetnames == ["资金来源", "贷款", "提款", "还款", "还款计划"]
    header, rows, totals = xlsx.table(workbook["贷款"])
    loan = dict(zip(header, rows[0], strict=True))
    assert loan["贷款金额（万元）"].value == 10000 and loan["签约日期"].is_date
    assert loan["已提款（万元）"].value == 4000 and loan["未偿还本金（万元）"].value == 3000
    header, rows, totals = xlsx.table(workbook["还款计划"])
    assert len(rows) == 8 and totals[header.index("本金（万元）")].value == 4000
    header, rows, totals = xlsx.table(workbook["还款"])
    assert rows[0][header.index("日期")].value == datetime.datetime(2025, 6, 1)


def test_seed_loans_in_the_workbooks(city_user, xlsx):
    call_command("seed")
    header, rows, totals = xlsx.table(xlsx.export(city_user, "financing")["贷款"])
    assert sorted(row[header.index("贷款金额（万元）")].value for row in rows) == [30000, 43700]
    assert {row[header.index("贷款银行")].value for row in rows} == {"国家开发银行广东省分行"}
    assert totals[header.index("贷款金额（万元）")].value == 73700


def test_export_queries_are_the_same_for_10_and_200_projects(assert_flat_export_queries):
    assert_flat_export_queries("financing")


def test_a_terminated_loan_is_listed_but_left_out_of_the_totals(terminated_loan, city_user, xlsx):
    financing = xlsx.export(city_user, "financing")
    listed, totals = xlsx.records(financing["贷款"])
    assert sorted(r["状态"] for r in listed) == ["已签约", "已终止"]  # both listed, each with its own figures
    assert totals["贷款金额（万元）"] == pytest.approx(0.04)
    assert totals["已提款（万元）"] == pytest.approx(0.01)
    assert "不含已终止贷款" in totals["项目编号"]
    _header, drawn, drawn_totals = xlsx.table(financing["提款"])
    assert len(drawn) == 2 and drawn_totals[-1].value == pytest.approx(0.01)


# -- the library list's filters, sorts and scope ---------------------------------------------------


def test_filters_and_scope_are_the_lists(ledger, huangpu_user, xlsx):
    finance = xlsx.export(huangpu_user, "financing", district="440104")
    assert all(xlsx.table(ws)[1] == [] for ws in finance.worksheets)
    # Unfiltered, the same user's file holds its own district's loan.
    assert xlsx.codes(xlsx.export(huangpu_user, "financing")["贷款"]) == [ledger["hp"].code]


def test_an_invalid_filter_on_an_export_is_a_400_naming_it(ordered_projects, city_api):
    response = city_api.get("/api/v1/exports/financing.xlsx", {"sort": "secret_column", "stage": "nowhere"})
    assert response.status_code == 400
    assert set(response.json()) == {"sort", "stage"}


@pytest.mark.parametrize("sort", SORT_VALUES)
def test_the_financing_export_takes_every_sort(ordered_projects, city_user, xlsx, sort):
    workbook = xlsx.export(city_user, "financing", sort=sort)
    assert workbook.sheetnames[0] == "资金来源"


@pytest.mark.parametrize("name", ["projects", "financing"])
def test_a_filter_value_with_control_characters_still_exports(city_api, name):
    """The title block names the filters as sent: characters a worksheet cannot hold are dropped."""
    from openpyxl import load_workbook

    response = city_api.get(f"/api/v1/exports/{name}.xlsx", {"q": "河\x1f道", "review_status": "draft"})
    assert response.status_code == 200
    book = load_workbook(io.BytesIO(b"".join(response.streaming_content)))
    rows = book.worksheets[0].iter_rows(max_row=6, values_only=True)
    texts = [cell for row in rows for cell in row if cell]
    assert any("q=河道" in str(text) for text in texts), texts
