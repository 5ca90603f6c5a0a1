"""The 调度表 (portfolio/dispatch/excel.py), read back from saved files with openpyxl: the hand-computed
figures of dispatch_june (tests/factories.py, dispatch_world) in 万元, each district's 小计 and the 合计 as
the selector sums them, the flags and their shading, the title block, the print setup; and through the API
(/api/v1/exports/dispatch.xlsx) the user's scope, a bad month and a fixed number of queries."""

import datetime
import io
import re
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from openpyxl import load_workbook
from openpyxl.utils import column_index_from_string

from portfolio.dispatch.excel import dispatch_cells, dispatch_workbook
from portfolio.dispatch.selectors import dispatch_figures
from portfolio.excel import FOOTER, PAPER_A4, WAN_FORMAT
from projects.models import InvestmentPlan, Problem, ProgressReport
from tests.factories import FundingLineFactory, ProjectFactory, district

D = Decimal
HEADER_ROW = 4  # below the title block: title, scope and dates, the flags' rule
COLUMNS = 13
MONEY = ["总投资", "年度计划投资", "本月完成", "本年累计完成", "开工累计完成"]
RED, YELLOW = "FFC7CE", "FFEB9C"


def saved(workbook):
    out = io.BytesIO()
    workbook.save(out)
    out.seek(0)
    return load_workbook(out)


def june(world, user, **options):
    """The dispatch of June 2026 as `user` sees it on the day the world is seen (2026-07-20)."""
    return dispatch_figures(user=user, year=2026, month=6, today=world["today"], **options)


def sheet_of(world, user, *, scope="全市", **options):
    return saved(dispatch_workbook(june(world, user, **options), scope=scope))["调度表"]


def header_names(ws) -> list[str]:
    """The header without the units' line breaks: 总投资（万元）, 年度完成率（%）…"""
    return [cell.value.replace("\n", "") for cell in ws[HEADER_ROW]]


def body(ws) -> dict:
    """The rows below the header as {key: {header (without its unit): cell}}: a project's by its code, a
    subtotal's by its district ("小计·越秀区"), the total's as "合计"; and their order."""
    names = [re.sub(r"（.*）", "", name) for name in header_names(ws)]
    rows, order = {}, []
    for cells in ws.iter_rows(min_row=HEADER_ROW + 1, max_col=COLUMNS):
        row = dict(zip(names, cells, strict=True))
        label = row["项目名称"].value or ""
        if label.startswith("小计"):
            key = f"小计·{row['区'].value}"
        elif label.startswith("合计"):
            key = "合计"
        else:
            key = row["项目编号"].value
        rows[key] = row
        order.append(key)
    return rows, order


def figures(row) -> dict:
    """A row's amounts (万元, to the cent) and rate."""
    shown = {name: round(D(str(row[name].value)), 2) for name in MONEY}
    rate = row["年度完成率"].value
    shown["年度完成率"] = None if rate is None else round(D(str(rate)), 1)
    return shown


def width_of(ws, letter: str) -> float:
    """A column's width: xlsxwriter writes adjacent columns of the same width as one <col> element, which
    openpyxl reads under the first one's letter (min to max)."""
    index = column_index_from_string(letter)
    return next(d.width for d in ws.column_dimensions.values() if d.min <= index <= d.max)


def fill_of(cell) -> str | None:
    return cell.fill.fgColor.rgb[-6:] if cell.fill.fill_type == "solid" else None


def _holds(formula: str, ws, row: int) -> bool:
    """Whether a conditional format's formula holds on `row`, its references taken on that row: the few
    forms the 调度表 uses (TRUE, AND(…), $X5<>"" and $X5="text")."""
    if formula == "TRUE":
        return True
    if formula.startswith("AND(") and formula.endswith(")"):
        return all(_holds(part, ws, row) for part in formula[4:-1].split(","))
    column, _row, operator, text = re.fullmatch(r'\$([A-Z]+)(\d+)(<>|=)"(.*)"', formula).groups()
    value = ws[f"{column}{row}"].value or ""
    return (value == text.replace('""', '"')) == (operator == "=")


def looks(ws, cell) -> dict:
    """What the conditional formats give `cell`, as Excel merges them (the first rule that sets a property
    wins it): its fill colour, font colour and whether it is lined."""
    rules = sorted(
        (rule.priority, rule)
        for formats in ws.conditional_formatting
        if cell.coordinate in formats.sqref
        for rule in formats.rules
        if _holds(rule.formula[0], ws, cell.row)
    )
    shown = {"fill": None, "font": None, "lined": False}
    for _priority, rule in rules:
        if shown["fill"] is None and rule.dxf.fill is not None:
            shown["fill"] = rule.dxf.fill.bgColor.rgb[-6:]
        if shown["font"] is None and rule.dxf.font is not None:
            shown["font"] = rule.dxf.font.color.rgb[-6:]
        shown["lined"] |= rule.dxf.border is not None and rule.dxf.border.left.style == "thin"
    return shown


Y1 = {
    "总投资": D("10000.00"),
    "年度计划投资": D("1000.00"),
    "本月完成": D("100.00"),
    "本年累计完成": D("600.00"),
    "开工累计完成": D("800.00"),  # with the 2,000,000 of December 2025
    "年度完成率": D("60.0"),
}
H1 = {
    "总投资": D("10000.00"),
    "年度计划投资": D("2000.00"),
    "本月完成": D("160.00"),
    "本年累计完成": D("760.00"),
    "开工累计完成": D("760.00"),
    "年度完成率": D("38.0"),
}
T1 = {
    "总投资": D("10000.00"),
    "年度计划投资": D("500.00"),
    "本月完成": D("0.00"),  # June is missing
    "本年累计完成": D("250.00"),
    "开工累计完成": D("250.00"),
    "年度完成率": D("50.0"),
}
CITY = {
    "总投资": D("30000.00"),
    "年度计划投资": D("3500.00"),
    "本月完成": D("260.00"),
    "本年累计完成": D("1610.00"),
    "开工累计完成": D("1810.00"),
    "年度完成率": D("46.0"),
}


# -- the figures -------------------------------------------------------------------------------------


def test_every_project_row_shows_the_hand_computed_figures_in_wan(dispatch_june, city_user):
    rows, _order = body(sheet_of(dispatch_june, city_user))
    assert figures(rows["DISP-Y1"]) == Y1
    assert figures(rows["DISP-H1"]) == H1
    assert figures(rows["DISP-T1"]) == T1
    for code in ("DISP-Y1", "DISP-H1", "DISP-T1"):
        row = rows[code]
        assert all(row[name].number_format == WAN_FORMAT == "#,##0.00" for name in MONEY), code
        assert row["年度完成率"].number_format == "0.0", code
        assert isinstance(row["本年累计完成"].value, int | float), code  # numbers, not text
    y1 = rows["DISP-Y1"]
    assert (y1["序号"].value, y1["区"].value, y1["项目名称"].value) == (1, "越秀区", "越秀调度测试项目")
    assert y1["形象进度"].value == "越秀第6月形象进度（60%）"
    assert rows["DISP-H1"]["形象进度"].value == "黄埔主体施工（40%）"
    assert rows["DISP-T1"]["形象进度"].value == "本月未报"


def test_each_district_is_followed_by_its_subtotal_and_the_city_total_ends_the_table(
    dispatch_june, city_user
):
    ws = sheet_of(dispatch_june, city_user)
    rows, order = body(ws)
    # Districts in code order (越秀 440104, 天河 440106, 黄埔 440112), not ranked; the eight districts
    # without a project in the dispatch are left out.
    assert order == ["DISP-Y1", "小计·越秀区", "DISP-T1", "小计·天河区", "DISP-H1", "小计·黄埔区", "合计"]
    assert figures(rows["小计·越秀区"]) == Y1
    assert figures(rows["小计·天河区"]) == T1
    assert figures(rows["小计·黄埔区"]) == H1
    assert figures(rows["合计"]) == CITY  # 46.0: the rate of the sums, not a mean of the rates
    assert rows["合计"]["项目名称"].value == "合计（3 个项目）"
    assert rows["小计·黄埔区"]["项目名称"].value == "小计（1 个项目）"
    assert [rows[key]["旗色"].value for key in ("小计·越秀区", "小计·天河区", "小计·黄埔区", "合计")] == [
        "正常",
        "红旗",  # its report is late
        "黄旗",
        "正常",
    ]
    assert rows["小计·天河区"]["存在问题"].value == "红旗 1 个；月报应报 1 个，未报 1 个，逾期 1 个"
    assert rows["合计"]["存在问题"].value == "红旗 1 个，黄旗 1 个；月报应报 3 个，未报 1 个，逾期 1 个"
    for key in ("小计·越秀区", "小计·天河区", "小计·黄埔区", "合计"):
        assert all(cell.font.b for cell in rows[key].values()), key
    assert not any(cell.font.b for cell in rows["DISP-Y1"].values())
    # The 合计 is below the autofilter's range: it stays whatever is filtered.
    assert ws.auto_filter.ref == f"A{HEADER_ROW}:M{ws.max_row - 1}"


def test_the_subtotals_are_the_selectors_own_sums(dispatch_june, city_user):
    """The rows write what dispatch_figures computed: change a district's figures there and the 小计 shows
    the change (it is not summed again from the project rows)."""
    dispatch = june(dispatch_june, city_user)
    huangpu = next(d for d in dispatch.districts if d.district.code == "440112")
    huangpu.year_to_date, huangpu.completion_rate = D("12345600"), D("61.7")
    rows, _order = body(saved(dispatch_workbook(dispatch, scope="全市"))["调度表"])
    assert figures(rows["小计·黄埔区"])["本年累计完成"] == D("1234.56")
    assert figures(rows["小计·黄埔区"])["年度完成率"] == D("61.7")
    assert figures(rows["DISP-H1"]) == H1


def test_flags_and_the_shading_of_red_and_yellow_rows(dispatch_june, city_user):
    """The shading and the lines are conditional formats over the body, which follow the 旗色 cell."""
    ws = sheet_of(dispatch_june, city_user)
    rows, _order = body(ws)
    assert [rows[code]["旗色"].value for code in ("DISP-Y1", "DISP-H1", "DISP-T1")] == [
        "正常",
        "黄旗",
        "红旗",
    ]
    shading = {key: {looks(ws, cell)["fill"] for cell in row.values()} for key, row in rows.items()}
    assert shading["DISP-T1"] == {RED}  # the whole row, its empty cells too
    assert shading["DISP-H1"] == {YELLOW}
    assert shading["DISP-Y1"] == {None}
    # A subtotal keeps its own grey, even when its district is red or yellow; its 旗色 takes the colour.
    assert shading["小计·天河区"] == shading["小计·黄埔区"] == shading["合计"] == {None}
    assert {fill_of(cell) for cell in rows["小计·天河区"].values()} == {"F2F2F2"}
    assert {fill_of(cell) for cell in rows["合计"].values()} == {"D9D9D9"}
    assert (
        looks(ws, rows["DISP-T1"]["旗色"])["font"]
        == looks(ws, rows["小计·天河区"]["旗色"])["font"]
        == "9C0006"
    )
    assert looks(ws, rows["DISP-H1"]["旗色"])["font"] == "9C5700"
    assert looks(ws, rows["DISP-Y1"]["旗色"])["font"] is None
    # Every cell of the body is lined, and nothing outside it.
    assert all(looks(ws, cell)["lined"] for row in rows.values() for cell in row.values())
    assert not looks(ws, ws["A3"])["lined"] and not looks(ws, ws.cell(ws.max_row + 1, 1))["lined"]
    # Sorted or filtered, the shading follows the flag: it is the 旗色 cell that the formats read.
    rows["DISP-Y1"]["旗色"].value = "红旗"
    assert {looks(ws, cell)["fill"] for cell in rows["DISP-Y1"].values()} == {RED}


def test_the_problems_column_lists_the_open_problems_with_their_units(dispatch_june, city_user):
    rows, _order = body(sheet_of(dispatch_june, city_user))
    assert (
        rows["DISP-H1"]["存在问题"].value
        == "用地指标未落实（责任单位：黄埔区自然资源局，限期 2026-07-01，已逾期）"
    )
    assert rows["DISP-T1"]["存在问题"].value == "配套资金未到位（责任单位：天河区财政局，限期 2026-08-31）"
    assert rows["DISP-Y1"]["存在问题"].value is None
    Problem.objects.create(
        project=dispatch_june["h1"],
        category="approval",
        description="施工许可未办",
        raised_on=dispatch_june["today"],
        due_on=datetime.date(2026, 9, 30),
    )
    rows, _order = body(sheet_of(dispatch_june, city_user))
    assert rows["DISP-H1"]["存在问题"].value == (
        "1. 用地指标未落实（责任单位：黄埔区自然资源局，限期 2026-07-01，已逾期）\n"
        "2. 施工许可未办（限期 2026-09-30）"
    )
    assert rows["DISP-H1"]["存在问题"].alignment.wrap_text
    # A row of wrapped text is as high as its lines.
    ws = rows["DISP-H1"]["存在问题"].parent
    assert ws.row_dimensions[rows["DISP-H1"]["存在问题"].row].height >= 4 * 15


@pytest.mark.parametrize(
    ("text", "shown"),
    [
        ("主体完工，形象进度60%", "主体完工，形象进度60%"),  # the text says it already
        ("形象进度60.0%", "形象进度60.0%"),
        ("较上月提高160%", "较上月提高160%（60%）"),  # another figure
        ("", "60%"),
    ],
)
def test_the_physical_progress_shows_its_percentage_once(dispatch_june, city_user, text, shown):
    ProgressReport.objects.filter(project=dispatch_june["y1"], period=datetime.date(2026, 6, 1)).update(
        physical_progress=text
    )
    rows, _order = body(sheet_of(dispatch_june, city_user))
    assert rows["DISP-Y1"]["形象进度"].value == shown


def test_a_project_without_a_plan_shows_no_plan_and_no_rate(dispatch_june, city_user):
    ProjectFactory(
        code="DISP-Y2",
        name="越秀无计划项目",
        district=district("440104"),
        review_status="accepted",
        stage="implementation",
        start_year=2025,
    )
    rows, order = body(sheet_of(dispatch_june, city_user))
    assert order[:3] == ["DISP-Y1", "DISP-Y2", "小计·越秀区"]
    y2 = rows["DISP-Y2"]
    assert (y2["年度计划投资"].value, y2["年度完成率"].value, y2["本年累计完成"].value) == (None, None, 0)
    assert y2["形象进度"].value == "本月未报"
    assert figures(rows["小计·越秀区"])["年度计划投资"] == D("1000.00")


def test_a_month_without_projects_is_the_header_and_a_zero_total(city_user):
    dispatch = dispatch_figures(user=city_user, year=2026, month=3, today=datetime.date(2026, 4, 20))
    ws = saved(dispatch_workbook(dispatch, scope="全市"))["调度表"]
    rows, order = body(ws)
    assert order == ["合计"]
    assert rows["合计"]["项目名称"].value == "合计（0 个项目）"
    assert figures(rows["合计"])["年度计划投资"] == D("0.00")
    assert rows["合计"]["年度完成率"].value is None


def test_text_that_looks_like_a_formula_stays_text(dispatch_june, city_user):
    y1 = dispatch_june["y1"]
    y1.name = '=HYPERLINK("http://x","点我")'
    y1.save(update_fields=["name"])
    rows, _order = body(sheet_of(dispatch_june, city_user))
    cell = rows["DISP-Y1"]["项目名称"]
    assert (cell.value, cell.data_type) == ('=HYPERLINK("http://x","点我")', "s")


# -- the title block and the print setup -----------------------------------------------------------


def test_the_title_block_names_the_period_scope_time_progress_dates_and_unit(dispatch_june, city_user):
    ws = sheet_of(dispatch_june, city_user)
    assert ws["A1"].value == "美丽广州建设重大项目投资完成情况表（2026年1—6月）"
    assert ws["A2"].value.split("　　") == [
        "统计范围：全市",
        "序时进度：50.0%",
        "截至日期：2026年6月30日",
        "制表日期：2026年7月20日",
    ]
    assert ws["L2"].value == "单位：万元"
    assert "20 个百分点及以上或月报逾期为红旗，10 个百分点及以上为黄旗" in ws["A3"].value
    assert {"A1:M1", "A2:K2", "L2:M2", "A3:M3"} <= {str(cells) for cells in ws.merged_cells.ranges}
    assert ws["A1"].font.b and ws["A1"].font.sz == 16
    assert header_names(ws) == [
        "序号",
        "区",
        "项目编号",
        "项目名称",
        "总投资（万元）",
        "年度计划投资（万元）",
        "本月完成（万元）",
        "本年累计完成（万元）",
        "年度完成率（%）",
        "开工累计完成（万元）",
        "形象进度",
        "旗色",
        "存在问题",
    ]


def test_a_january_title_names_one_month(dispatch_june, city_user):
    dispatch = dispatch_figures(user=city_user, year=2026, month=1, today=dispatch_june["today"])
    cells = dispatch_cells(dispatch, scope="全市")
    assert cells[0][0] == "美丽广州建设重大项目投资完成情况表（2026年1月）"
    assert "序时进度：8.3%" in cells[1][0]


def test_it_prints_landscape_on_a4_one_page_wide_with_the_header_on_every_page(dispatch_june, city_user):
    ws = sheet_of(dispatch_june, city_user)
    assert ws.freeze_panes == f"E{HEADER_ROW + 1}"  # the header, and the columns up to the name
    assert ws.page_setup.orientation == "landscape"
    assert ws.page_setup.paperSize == PAPER_A4
    assert ws.sheet_properties.pageSetUpPr.fitToPage is True
    # xlsxwriter leaves out fitToWidth when it is 1, ECMA-376's default, which openpyxl reads as None.
    assert (ws.page_setup.fitToWidth or 1, ws.page_setup.fitToHeight) == (1, 0)
    assert ws.print_title_rows == f"$1:${HEADER_ROW}"
    assert ws.oddFooter.center.text == FOOTER == "第 &P 页，共 &N 页"
    assert max(ws.page_margins.left, ws.page_margins.right) <= 0.3
    widths = [width_of(ws, letter) for letter in "ABCDEFGHIJKLM"]
    assert sum(widths) <= 180  # A4 landscape at a readable size (portfolio.excel.A3_ABOVE_WIDTH)
    assert widths[3] >= 20 and widths[12] >= 25  # the name and the problems have room
    header = ws[HEADER_ROW]
    assert all(cell.alignment.wrap_text and cell.font.b for cell in header)
    assert ws.row_dimensions[HEADER_ROW].height >= 2 * 15  # the unit on its own line shows


def test_an_amount_column_widens_when_its_total_would_not_fit(dispatch_june, city_user):
    dispatch = june(dispatch_june, city_user)
    dispatch.total.total_investment = D("1234567890123.45")  # 123,456,789.01 万元: 14 characters
    ws = saved(dispatch_workbook(dispatch, scope="全市"))["调度表"]
    assert width_of(ws, "E") >= 16
    assert width_of(ws, "F") == 12


# -- dispatch_cells and the cost ----------------------------------------------------------------------


def test_dispatch_cells_are_the_values_the_workbook_holds(dispatch_june, city_user):
    dispatch = june(dispatch_june, city_user)
    cells = dispatch_cells(dispatch, scope="全市")
    ws = saved(dispatch_workbook(dispatch, scope="全市"))["调度表"]
    written = [list(row) for row in ws.iter_rows(max_col=COLUMNS, values_only=True)]
    assert len(cells) == len(written) == HEADER_ROW + 7
    assert all(len(row) == COLUMNS for row in cells)
    for expected, got in zip(cells, written, strict=True):
        assert [float(v) if isinstance(v, Decimal) else v for v in expected] == pytest.approx(got)


def test_the_workbook_runs_no_query(dispatch_june, city_user, django_assert_num_queries):
    dispatch = june(dispatch_june, city_user)
    with django_assert_num_queries(0):
        saved(dispatch_workbook(dispatch, scope="全市"))


# -- through the API ------------------------------------------------------------------------------------


def test_city_staff_download_the_whole_city(dispatch_june, city_user, city_api, xlsx):
    response = city_api.get("/api/v1/exports/dispatch.xlsx", {"year": 2026, "month": 6})
    assert response.status_code == 200
    assert 'filename="dispatch-2026-06.xlsx"' in response["Content-Disposition"]
    ws = xlsx.read(response)["调度表"]
    rows, order = body(ws)
    assert order == ["DISP-Y1", "小计·越秀区", "DISP-T1", "小计·天河区", "DISP-H1", "小计·黄埔区", "合计"]
    assert figures(rows["合计"]) == CITY
    assert ws["A2"].value.startswith("统计范围：全市　　序时进度：50.0%")


def test_a_district_user_gets_only_its_district(dispatch_june, huangpu_user, xlsx):
    ws = xlsx.export(huangpu_user, "dispatch", year=2026, month=6)["调度表"]
    rows, order = body(ws)
    assert order == ["DISP-H1", "小计·黄埔区", "合计"]
    assert {row["区"].value for key, row in rows.items() if key != "合计"} == {"黄埔区"}
    assert figures(rows["合计"]) == figures(rows["小计·黄埔区"]) == H1
    assert ws["A2"].value.startswith("统计范围：黄埔区")


def test_city_staff_narrowed_to_one_district_see_that_districts_scope(dispatch_june, city_user, xlsx):
    ws = xlsx.export(city_user, "dispatch", year=2026, month=6, district="440112")["调度表"]
    assert body(ws)[1] == ["DISP-H1", "小计·黄埔区", "合计"]
    assert ws["A2"].value.startswith("统计范围：黄埔区")


def test_a_bad_month_is_a_400_that_says_why_in_chinese(dispatch_june, city_api):
    response = city_api.get("/api/v1/exports/dispatch.xlsx", {"year": 2026, "month": 13})
    assert response.status_code == 400
    messages = response.json()["month"]
    assert messages and all(re.search(r"[\u4e00-\u9fff]", message) for message in messages), messages
    assert "12" in messages[0]


def more_projects(count: int, *, start: int) -> None:
    """`count` more projects in the library with a 2026 plan, June reports, an open problem and funding."""
    for number in range(start, start + count):
        project = ProjectFactory(
            code=f"DISP-X{number:03d}",
            district=district(("440103", "440104", "440105", "440106", "440112")[number % 5]),
            review_status="accepted",
            stage="implementation",
            start_year=2025,
        )
        InvestmentPlan.objects.create(
            project=project, year=2026, planned_amount=D("3000000"), kind="new_start"
        )
        for month in (5, 6):
            ProgressReport.objects.create(
                project=project,
                period=datetime.date(2026, month, 1),
                completed_amount=D("100000"),
                status="submitted",
                progress_percent=D(10 * month),
                physical_progress="施工中",
                first_submitted_at=datetime.datetime(2026, month + 1, 3, tzinfo=datetime.UTC),
                submitted_at=datetime.datetime(2026, month + 1, 3, tzinfo=datetime.UTC),
            )
        Problem.objects.create(
            project=project,
            category="other",
            description=f"问题{number}",
            responsible_unit="区住建局",
            raised_on=datetime.date(2026, 6, 1),
        )
        FundingLineFactory(project=project, approved_amount=D("1000000"), received_amount=D("500000"))


def test_the_export_runs_as_many_queries_for_a_few_projects_as_for_many(dispatch_june, city_api):
    counts, sizes = [], []
    for extra in (0, 30):
        more_projects(extra, start=1)
        city_api.get("/api/v1/exports/dispatch.xlsx", {"year": 2026, "month": 6})  # warm-up: the role
        with CaptureQueriesContext(connection) as captured:
            response = city_api.get("/api/v1/exports/dispatch.xlsx", {"year": 2026, "month": 6})
            content = b"".join(response.streaming_content)
        assert response.status_code == 200
        counts.append(len(captured))
        sizes.append(load_workbook(io.BytesIO(content))["调度表"].max_row)
    assert counts[0] == counts[1], counts
    assert sizes[1] == sizes[0] + 30 + 2  # the new projects, and the 小计 of 荔湾 (440103) and 海珠 (440105)
