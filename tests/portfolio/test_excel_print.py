"""The print setup of the exported workbooks, read back from the saved files with openpyxl: landscape, A4 or
A3 by the sheet's width, one page wide, the title block and header on every page, page numbers below."""

import io

from openpyxl import load_workbook

from portfolio.excel import A3_ABOVE_WIDTH, FOOTER, PAPER_A3, PAPER_A4, Column, Sheet, new_workbook

HEADING = ["标题", "筛选条件：无", "数据范围：全市", "导出时间：—", "金额单位：万元"]
HEADER_ROW = len(HEADING) + 2


def columns(*widths: int) -> list[Column]:
    return [Column(f"列{n}", lambda row, n=n: row[n], width=width) for n, width in enumerate(widths)]


def saved(*sheets: tuple[str, list[Column]], rows: int = 3):
    """The workbook of `sheets` (name, columns) with `rows` rows each, saved and opened again."""
    workbook = new_workbook()
    for name, sheet_columns in sheets:
        sheet = Sheet(workbook, name, sheet_columns, heading=HEADING)
        for number in range(rows):
            sheet.add([f"{name}{number}-{n}" for n in range(len(sheet_columns))])
        sheet.finish()
    out = io.BytesIO()
    workbook.save(out)
    out.seek(0)
    return load_workbook(out)


def assert_prints(ws, *, paper: int, header_row: int = HEADER_ROW) -> None:
    assert ws.page_setup.orientation == "landscape", ws.title
    assert ws.page_setup.paperSize == paper, ws.title
    assert ws.sheet_properties.pageSetUpPr.fitToPage is True, ws.title
    # xlsxwriter leaves out fitToWidth when it is 1, ECMA-376's default, which openpyxl reads as None.
    assert (ws.page_setup.fitToWidth or 1, ws.page_setup.fitToHeight) == (1, 0), ws.title
    assert ws.print_title_rows == f"$1:${header_row}", ws.title
    assert ws.oddFooter.center.text == FOOTER == "第 &P 页，共 &N 页"
    assert ws.oddFooter.left.text == "&A"  # the sheet's name
    margins = ws.page_margins
    assert max(margins.left, margins.right) <= 0.3 and max(margins.top, margins.bottom) <= 0.75, ws.title
    assert margins.footer < margins.bottom, ws.title  # the footer sits inside the bottom margin


def test_a_narrow_sheet_prints_on_a4_and_a_wide_one_on_a3():
    workbook = saved(("窄表", columns(22, 36, 8, 12, 14)), ("宽表", columns(*[14] * 30)))
    assert_prints(workbook["窄表"], paper=PAPER_A4)
    assert_prints(workbook["宽表"], paper=PAPER_A3)
    # The rows are all there, under a header in the row the print titles end at.
    ws = workbook["宽表"]
    assert ws.cell(HEADER_ROW, 1).value == "列0" and ws.cell(HEADER_ROW + 1, 1).value == "宽表0-0"
    assert ws.max_row == HEADER_ROW + 3 + 1  # three rows and the totals


def test_the_paper_rule_is_the_total_width():
    workbook = saved(
        ("正好", columns(*[A3_ABOVE_WIDTH // 4] * 4)),
        ("多一", columns(*[A3_ABOVE_WIDTH // 4] * 4, 1)),
        ("一列", columns(A3_ABOVE_WIDTH + 1)),
    )
    assert workbook["正好"].page_setup.paperSize == PAPER_A4
    assert workbook["多一"].page_setup.paperSize == PAPER_A3
    assert workbook["一列"].page_setup.paperSize == PAPER_A3


def test_an_empty_sheet_and_a_long_one_print_the_same_way():
    assert_prints(saved(("空", columns(10, 10)), rows=0)["空"], paper=PAPER_A4)
    assert_prints(saved(("长", columns(10, 10)), rows=500)["长"], paper=PAPER_A4)


def test_every_sheet_of_the_exports_prints_as_the_office_does(ledger, city_user, xlsx):
    papers = {}
    for name in ("projects", "financing"):
        for ws in xlsx.export(city_user, name).worksheets:
            # xlsxwriter writes adjacent columns of the same width as one <col> element (min to max).
            width = sum(d.width * (d.max - d.min + 1) for d in ws.column_dimensions.values())
            paper = PAPER_A3 if width > A3_ABOVE_WIDTH else PAPER_A4
            assert_prints(ws, paper=paper)
            assert ws.cell(HEADER_ROW, 1).value == "项目编号" and ws.max_row > HEADER_ROW + 1, ws.title
            papers[ws.title] = paper
    assert papers == {
        "项目": PAPER_A3,
        "资金来源": PAPER_A3,
        "贷款": PAPER_A3,
        "提款": PAPER_A4,
        "还款": PAPER_A4,
        "还款计划": PAPER_A4,
    }
