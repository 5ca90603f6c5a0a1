"""projects.xlsx (projects.excel's columns, served by projects' API) and the import template, opened with
openpyxl and checked cell by cell. The export reads the list's selector: every sort and filter of the
library list and the API list works on it, and the file holds their rows in their order."""

import datetime
import re
from html import unescape

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from projects.filtersets import SORTS
from projects.imports import HEADERS

pytestmark = pytest.mark.django_db
SORT_VALUES = [name for name, _field in SORTS] + [f"-{name}" for name, _field in SORTS]


def api_codes(client, **params) -> list[str]:
    response = client.get("/api/v1/projects/", {"page_size": 200, **params})
    assert response.status_code == 200, response.content[:300]
    return [row["code"] for row in response.json()["results"]]


def export_codes(xlsx, user, **params) -> list[str]:
    return xlsx.codes(xlsx.export(user, "projects", **params)["项目"])


# -- the workbook ----------------------------------------------------------------------------------


def test_projects_workbook_looks_like_the_offices(ledger, city_user, xlsx):
    ws = xlsx.export(city_user, "projects")["项目"]
    assert ws["A1"].value == "美丽广州建设重大项目库 · 项目清单"
    assert (
        "导出人：city_a" in ws["A4"].value
        and ws["A3"].value == "数据范围：全市"
        and ws["A5"].value == "金额单位：万元"
    )
    assert ws.freeze_panes == "A8" and ws.auto_filter.ref.startswith("A7:")
    header, rows, totals = xlsx.table(ws)
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


def test_export_queries_are_the_same_for_10_and_200_projects(assert_flat_export_queries):
    assert_flat_export_queries("projects")


def test_funding_beyond_the_investment_is_a_surplus_in_the_file(ordered_projects, city_user, xlsx):
    over = ordered_projects[4]  # 5,000 万元 invested, 5,306.73 万元 approved
    listed, totals = xlsx.records(xlsx.export(city_user, "projects")["项目"])
    rows = {row["项目编号"]: row for row in listed}
    assert rows[over.code]["资金缺口（万元）"] == 0
    assert rows[over.code]["资金超出（万元）"] == pytest.approx(306.73)
    assert all((row["资金缺口（万元）"] or 0) >= 0 for row in [*listed, totals])


def test_a_terminated_loan_counts_in_no_project_row(terminated_loan, city_user, xlsx):
    listed, _totals = xlsx.records(xlsx.export(city_user, "projects")["项目"])
    assert listed[0]["贷款金额（万元）"] == pytest.approx(0.04)
    assert listed[0]["已提款（万元）"] == pytest.approx(0.01)


# -- the list's filters, sorts and scope -----------------------------------------------------------


def test_filters_and_scope_are_the_lists(ledger, city_user, huangpu_user, xlsx):
    filtered = xlsx.export(city_user, "projects", district="440104")["项目"]
    _header, rows, _totals = xlsx.table(filtered)
    assert [row[2].value for row in rows] == ["越秀项目"]
    assert "district=440104" in filtered["A2"].value
    mine = xlsx.export(huangpu_user, "projects")["项目"]
    _header, rows, _totals = xlsx.table(mine)
    assert "越秀项目" not in [row[2].value for row in rows] and len(rows) == 1
    assert mine["A3"].value == "数据范围：黄埔区"


def test_an_invalid_filter_is_400(city_api):
    response = city_api.get("/api/v1/exports/projects.xlsx", {"stage": "done"})
    assert response.status_code == 400 and "stage" in response.json()


def test_an_invalid_filter_on_an_export_is_a_400_naming_it(ordered_projects, city_api):
    response = city_api.get("/api/v1/exports/projects.xlsx", {"sort": "secret_column", "stage": "nowhere"})
    assert response.status_code == 400
    assert set(response.json()) == {"sort", "stage"}


@pytest.mark.parametrize("role_user", ["city_user", "huangpu_user"])
@pytest.mark.parametrize("sort", SORT_VALUES)
def test_the_export_holds_the_api_lists_rows_in_its_order_for_every_sort(
    ordered_projects, api_client, xlsx, role_user, sort, request
):
    user = request.getfixturevalue(role_user)
    expected = api_codes(api_client(user), sort=sort)
    assert len(expected) == (6 if role_user == "city_user" else 4)
    assert export_codes(xlsx, user, sort=sort) == expected


def test_the_default_order_is_the_lists_and_filters_narrow_the_file_alike(
    ordered_projects, city_user, city_api, xlsx
):
    assert export_codes(xlsx, city_user) == api_codes(city_api)
    filtered = {"district": "440104", "min_investment": "60000000"}
    assert (
        export_codes(xlsx, city_user, **filtered)
        == api_codes(city_api, **filtered)
        == [ordered_projects[5].code]
    )


# -- the pages' links to the files -----------------------------------------------------------------


def test_the_file_and_the_page_disagree_on_nothing_when_sorted_by_investment(
    ordered_projects, city_user, city_client, xlsx
):
    codes = export_codes(xlsx, city_user, sort="-total_investment")
    assert codes[0] == ordered_projects[5].code and codes[1] == ordered_projects[1].code
    page = city_client.get("/projects/", {"sort": "-total_investment", "per_page": 100}).content.decode()
    assert [code for code in codes if code in page] == codes
    assert [page.index(code) for code in codes] == sorted(page.index(code) for code in codes)


@pytest.mark.parametrize("sort", ["funding_gap", "-funding_gap"])
def test_the_list_pages_excel_link_answers_with_a_workbook_when_sorted_by_gap(
    ordered_projects, city_client, city_api, xlsx, sort
):
    page = city_client.get("/projects/", {"sort": sort}).content.decode()
    link = next(
        unescape(part.split('"')[0]) for part in page.split('href="')[1:] if "/exports/projects.xlsx" in part
    )
    assert f"sort={sort}" in link
    response = city_client.get(link)
    assert response.status_code == 200
    ws = xlsx.read(response)["项目"]
    assert xlsx.codes(ws)[0] == api_codes(city_api, sort=sort)[0]


def test_the_pages_link_to_exports_of_what_they_show(ledger, city_client, xlsx):
    """The list's links carry its filters, the project page's its code, the dashboard's everything."""

    def follow(page, link_id=None, text=None) -> object:
        html = page.content.decode()
        pattern = rf'id="{link_id}" href="([^"]+)"' if link_id else rf'href="([^"]+)">{text}</a>'
        response = city_client.get(unescape(re.search(pattern, html).group(1)))
        assert response.status_code == 200
        return xlsx.read(response)

    listed = city_client.get("/projects/", {"district": "440104"})
    _header, rows, _totals = xlsx.table(follow(listed, "export-projects")["项目"])
    assert [row[2].value for row in rows] == ["越秀项目"]
    assert all(xlsx.table(ws)[1] == [] for ws in follow(listed, "export-financing").worksheets)

    detail = city_client.get(f"/projects/{ledger['hp'].pk}/")
    loans = xlsx.table(follow(detail, text="导出资金与贷款（Excel）")["贷款"])[1]
    assert [row[0].value for row in loans] == [ledger["hp"].code]

    dashboard = city_client.get("/")
    _header, rows, _totals = xlsx.table(follow(dashboard, text="导出项目清单（Excel）")["项目"])
    assert sorted(row[2].value for row in rows) == sorted(p.name for p in (ledger["hp"], ledger["yx"]))


# -- the import template ---------------------------------------------------------------------------


def test_the_template(city_api, xlsx):
    response = city_api.get("/api/v1/imports/projects/template.xlsx")
    workbook = xlsx.read(response)
    assert workbook.sheetnames == ["说明", "项目", "选项"]
    assert [c.value for c in workbook["项目"][1]] == HEADERS
    assert "项目批量申报模板" in workbook["说明"]["A1"].value
    rules = workbook["项目"].data_validations.dataValidation
    validations = {str(dv.sqref).split(":")[0]: dv.formula1 for dv in rules}
    assert set(validations) in ({"B2", "D2"}, {"B2", "C2", "D2"})
    # A formula in the file has no leading "=" (ECMA-376; xlsxwriter writes it so, openpyxl kept ours).
    assert all(v.removeprefix("=").startswith("选项!$") for v in validations.values())
    assert workbook["选项"].sheet_state == "hidden"
    assert [c.value for c in workbook["选项"]["A"]][:2] == ["荔湾区", "越秀区"]


# -- flat at any size ------------------------------------------------------------------------------


def _export(user) -> int:
    """projects.xlsx of every project `user` sees, built and written to its file; the rows written."""
    from portfolio.excel import save_to_temp
    from projects.excel import projects_workbook
    from projects.selectors import project_list

    workbook, rows = projects_workbook(rows=project_list(user=user), user=user, filters={}, scope="全市")
    save_to_temp(workbook).close()
    return rows


def _grow_to(total: int) -> None:
    from portfolio.seed import seed_demo
    from projects.models import Project

    seed_demo(total - Project.objects.count(), rng_seed=total)


@pytest.mark.parametrize("role_user", ["city_user", "lender_user"])
def test_the_workbook_is_one_query_for_5_projects_as_for_50(role_user, request):
    user = request.getfixturevalue(role_user)
    counts = []
    for total in (5, 50):
        _grow_to(total)
        _export(user)  # warm-up: the user's role and bank are read once per user
        with CaptureQueriesContext(connection) as captured:
            assert _export(user) > 0 or role_user == "lender_user"
        counts.append(len(captured))
    assert counts[0] == counts[1], counts


def test_the_workbooks_memory_does_not_grow_with_its_projects(city_user, monkeypatch):
    """The rows are streamed from the cursor a chunk at a time and written to disk as they go: the peak of
    1,000 projects is that of 250. The chunk is made small here so that the rows are many chunks. Below some
    200 rows the peak still grows, to a bound: the sheet's XML is copied into the file through a buffer of
    64 Ki characters as the workbook closes, which a small sheet does not fill."""
    import gc
    import tracemalloc

    from portfolio import excel

    monkeypatch.setattr(excel, "CHUNK_SIZE", 25)
    peaks = []
    for total in (250, 1000):
        _grow_to(total)
        _export(city_user)  # warm-up: translations, compiled expressions and formats are made once
        gc.collect()
        tracemalloc.start()
        assert _export(city_user) == total
        peaks.append(tracemalloc.get_traced_memory()[1])
        tracemalloc.stop()
    assert peaks[1] < 1.5 * peaks[0], peaks
