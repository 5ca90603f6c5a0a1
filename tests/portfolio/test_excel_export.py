"""The exported workbooks, opened with openpyxl and checked cell by cell."""

import datetime
import io
import re
from decimal import Decimal
from html import unescape

import pytest
from django.core.management import call_command
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from openpyxl import load_workbook
from rest_framework.test import APIClient

from portfolio.seed import seed_demo
from tests.factories import (
    DisbursementFactory,
    FundingLineFactory,
    LoanFactory,
    MilestoneFactory,
    ProjectFactory,
    RepaymentFactory,
    district,
)

pytestmark = pytest.mark.django_db
HEADER_ROW = 7


def export(user, name, **params):
    client = APIClient()
    client.force_authenticate(user)
    response = client.get(f"/api/v1/exports/{name}.xlsx", params)
    assert response.status_code == 200, response.content[:300]
    assert response["Content-Type"] == "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    return load_workbook(io.BytesIO(b"".join(response.streaming_content)))


def table(ws):
    header = [cell.value for cell in ws[HEADER_ROW]]
    rows = [list(row) for row in ws.iter_rows(min_row=HEADER_ROW + 1)]
    return header, rows[:-1], rows[-1]


@pytest.fixture
def library(db):
    hp = ProjectFactory(
        name='=HYPERLINK("http://x","点我")',
        district=district("440112"),
        total_investment=Decimal("123456789.00"),
        national_code="2020-440112-77-01-123456",
    )
    yx = ProjectFactory(name="越秀项目", district=district("440104"), total_investment=Decimal("50000000.00"))
    FundingLineFactory(
        project=hp, source_type="special_bond", approved_amount=Decimal("30000000"), status="approved"
    )
    loan = LoanFactory(
        project=hp, principal=Decimal("100000000.00"), signed_on=datetime.date(2025, 1, 1), term_months=24
    )
    DisbursementFactory(loan=loan, date=datetime.date(2025, 2, 1), amount=Decimal("40000000.00"))
    RepaymentFactory(
        loan=loan, date=datetime.date(2025, 6, 1), principal=Decimal("10000000.00"), interest=Decimal("500")
    )
    MilestoneFactory(project=hp, name="-开工", planned_date=datetime.date(2020, 1, 1))
    return {"hp": hp, "yx": yx, "loan": loan}


def test_projects_workbook_looks_like_the_offices(library, city_user):
    ws = export(city_user, "projects")["项目"]
    assert ws["A1"].value == "美丽广州建设重大项目库 · 项目清单"
    assert (
        "导出人：city_a" in ws["A4"].value
        and ws["A3"].value == "数据范围：全市"
        and ws["A5"].value == "金额单位：万元"
    )
    assert ws.freeze_panes == "A8" and ws.auto_filter.ref.startswith("A7:")
    header, rows, totals = table(ws)
    assert header[:3] == ["项目编号", "全国投资项目代码", "项目名称"]
    # Every amount column is a number in 万元 with its format, and its header says so.
    amounts = [index for index, h in enumerate(header) if h.endswith("（万元）")]
    assert len(amounts) == 18  # with 资金超出, the funding beyond the total investment
    filled = [row[index] for row in rows for index in amounts if row[index].value is not None]
    assert filled and all(cell.number_format == "#,##0.00" and cell.data_type == "n" for cell in filled)
    by_name = {row[2].value: dict(zip(header, row, strict=True)) for row in rows}
    hp = by_name['=HYPERLINK("http://x","点我")']
    assert hp["项目名称"].data_type == "s"  # formula-looking text stays text
    assert (
        hp["总投资（万元）"].value == pytest.approx(12345.6789)
        and hp["总投资（万元）"].number_format == "#,##0.00"
    )
    assert hp["批复·地方政府专项债券（万元）"].value == 3000
    assert hp["贷款金额（万元）"].value == 10000 and hp["已提款（万元）"].value == 4000
    assert hp["未偿还本金（万元）"].value == 3000
    assert hp["下一节点"].value == "-开工" and hp["下一节点"].data_type == "s"
    assert hp["下一节点计划日期"].value == datetime.datetime(2020, 1, 1) and hp["下一节点计划日期"].is_date
    assert hp["逾期节点数"].value == 1
    assert totals[0].value == "合计（2 行）"
    assert totals[header.index("总投资（万元）")].value == pytest.approx(17345.6789)
    assert [column.width for column in ws.column_dimensions.values()][:3] == [22, 26, 40]


def test_filters_and_scope_are_the_lists(library, city_user, huangpu_user):
    filtered = export(city_user, "projects", district="440104")["项目"]
    _header, rows, _totals = table(filtered)
    assert [row[2].value for row in rows] == ["越秀项目"]
    assert "district=440104" in filtered["A2"].value
    mine = export(huangpu_user, "projects")["项目"]
    _header, rows, _totals = table(mine)
    assert "越秀项目" not in [row[2].value for row in rows] and len(rows) == 1
    assert mine["A3"].value == "数据范围：黄埔区"
    finance = export(huangpu_user, "financing", district="440104")
    assert all(table(ws)[1] == [] for ws in finance.worksheets)


def test_financing_workbook(library, city_user):
    workbook = export(city_user, "financing")
    assert workbook.sheetnames == ["资金来源", "贷款", "提款", "还款", "还款计划"]
    header, rows, totals = table(workbook["贷款"])
    loan = dict(zip(header, rows[0], strict=True))
    assert loan["贷款金额（万元）"].value == 10000 and loan["签约日期"].is_date
    assert loan["已提款（万元）"].value == 4000 and loan["未偿还本金（万元）"].value == 3000
    header, rows, totals = table(workbook["还款计划"])
    assert len(rows) == 8 and totals[header.index("本金（万元）")].value == 4000
    header, rows, totals = table(workbook["还款"])
    assert rows[0][header.index("日期")].value == datetime.datetime(2025, 6, 1)


def test_seed_loans_in_the_workbooks(city_user):
    call_command("seed")
    header, rows, totals = table(export(city_user, "financing")["贷款"])
    assert sorted(row[header.index("贷款金额（万元）")].value for row in rows) == [30000, 43700]
    assert {row[header.index("贷款银行")].value for row in rows} == {"国家开发银行广东省分行"}
    assert totals[header.index("贷款金额（万元）")].value == 73700


@pytest.mark.parametrize("name", ["projects", "financing"])
def test_export_queries_are_the_same_for_10_and_200_projects(city_user, name):
    from projects.models import Project

    # A loan with its entries from the start, so that both runs do the same kinds of work.
    RepaymentFactory(
        loan=DisbursementFactory(loan__signed_on=datetime.date(2025, 1, 1), loan__term_months=12).loan
    )
    counts = []
    for total in (10, 200):
        seed_demo(total - Project.objects.count(), rng_seed=total)
        client = APIClient()
        client.force_authenticate(city_user)
        client.get(f"/api/v1/exports/{name}.xlsx")  # warm-up: the user's role is read once per user
        with CaptureQueriesContext(connection) as captured:
            response = client.get(f"/api/v1/exports/{name}.xlsx")
            b"".join(response.streaming_content)
        counts.append(len(captured))
    assert counts[0] == counts[1], counts


def test_an_invalid_filter_is_400(city_user):
    client = APIClient()
    client.force_authenticate(city_user)
    response = client.get("/api/v1/exports/projects.xlsx", {"stage": "done"})
    assert response.status_code == 400 and "stage" in response.json()


def test_the_pages_link_to_exports_of_what_they_show(library, city_user):
    """The list's links carry its filters, the project page's its code, the dashboard's everything."""
    client = Client()
    client.force_login(city_user)

    def follow(page, link_id=None, text=None) -> object:
        html = page.content.decode()
        pattern = rf'id="{link_id}" href="([^"]+)"' if link_id else rf'href="([^"]+)">{text}</a>'
        response = client.get(unescape(re.search(pattern, html).group(1)))
        assert response.status_code == 200
        return load_workbook(io.BytesIO(b"".join(response.streaming_content)))

    listed = client.get("/projects/", {"district": "440104"})
    _header, rows, _totals = table(follow(listed, "export-projects")["项目"])
    assert [row[2].value for row in rows] == ["越秀项目"]
    assert all(table(ws)[1] == [] for ws in follow(listed, "export-financing").worksheets)

    detail = client.get(f"/projects/{library['hp'].pk}/")
    loans = table(follow(detail, text="导出资金与贷款（Excel）")["贷款"])[1]
    assert [row[0].value for row in loans] == [library["hp"].code]

    dashboard = client.get("/")
    _header, rows, _totals = table(follow(dashboard, text="导出项目清单（Excel）")["项目"])
    assert sorted(row[2].value for row in rows) == sorted(p.name for p in (library["hp"], library["yx"]))
