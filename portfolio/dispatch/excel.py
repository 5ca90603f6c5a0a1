"""The 调度表 (重点项目投资完成情况表) of a dispatch, as the office prints it for the monthly meeting: a title
block, the header, each district's projects followed by its 小计, and the 合计, in 万元.

Everything comes from `dispatch_figures` (the subtotals and the total too, with their rates of their own
sums): the table never disagrees with the page, and it runs no query. `dispatch_cells` gives the plain
values of every row; `dispatch_workbook` writes those same rows and styles them, so that the two cannot
diverge and a benchmark can write `dispatch_cells` with bare xlsxwriter to compare. A project's row is
mostly plain values: its lines and the red or yellow of a flagged project are conditional formats over the
body (_conditional_formats), which read the 旗色 cell and follow it when the rows are sorted or filtered.
"""

from dataclasses import dataclass

from django.utils.translation import gettext as _
from xlsxwriter.utility import xl_col_to_name

from portfolio.excel import (
    HEADER_FILL,
    PAPER_A4,
    WAN_FORMAT,
    Column,
    clean,
    lines_of,
    new_workbook,
    print_setup,
    set_width,
    wan,
)
from projects.choices import ReportStatus

from .selectors import MISSING, Flag

RATE_FORMAT = "0.0"  # the rates are percentages (60.0), the "%" is in the header
SHEET = "调度表"

# Row kinds: the title block, the header, the body.
TITLE_ROW, INFO_ROW, NOTE_ROW, HEADER_ROW = "title", "info", "note", "header"
PROJECT, SUBTOTAL, TOTAL = "project", "subtotal", "total"
# The title block is rows 1 to 3, the header row 4: printed on every page, frozen on screen.
HEADER_AT = 4


# The looks of the sheet, in xlsxwriter's format properties; every format takes the workbook's font
# (portfolio.excel.FONT) and these on it.
BOLD = {"bold": True}
TITLE = {"bold": True, "font_size": 16}
NOTE = {"font_size": 10, "font_color": "#595959"}
RED, YELLOW = "FFC7CE", "FFEB9C"
SUBTOTAL_FILL = "#F2F2F2"
TOTAL_FILL = "#D9D9D9"
GRID = {"border": 1, "border_color": "#808080"}
# The 旗色 cell of a flagged row is in its flag's colour, in bold.
FLAG_FONTS = {
    Flag.RED: {"bold": True, "font_color": "#9C0006"},
    Flag.YELLOW: {"bold": True, "font_color": "#9C5700"},
}
SHADES = {Flag.RED: "#" + RED, Flag.YELLOW: "#" + YELLOW}
LINE_HEIGHT = 15.0  # points per line of wrapped text at 11 pt, as portfolio.excel.header_height counts
MAX_HEIGHT = 409.0  # the highest row a spreadsheet takes
# A kind is the look of a column: (horizontal alignment, wrapped, number format); a project's row takes only
# the wrapping and the number format (and the 区 its centring), a subtotal and the total all of it.
KINDS = {
    "int": ("center", False, None),
    "center": ("center", False, None),
    "text": ("left", False, None),
    "wrap": ("left", True, None),
    "wan": ("right", False, WAN_FORMAT),
    "rate": ("right", False, RATE_FORMAT),
    "flag": ("left", False, None),  # as a project row's plain text shows
}


def dispatch_columns() -> list[Column]:
    """The 调度表's columns (header, kind, width; their values are built by row in dispatch_cells). The
    widths add up to 180 units, the most that A4 landscape fitted to the width prints at a readable size
    (portfolio.excel.A3_ABOVE_WIDTH); the amounts widen when a total would not fit."""
    return [
        Column(_("序号"), None, kind="int", width=6),
        Column(_("区"), None, kind="center", width=7),
        Column(_("项目编号"), None, kind="text", width=22),
        Column(_("项目名称"), None, kind="wrap", width=24),
        Column(_("总投资\n（万元）"), None, kind="wan", width=12),
        Column(_("年度计划投资\n（万元）"), None, kind="wan", width=12),
        Column(_("本月完成\n（万元）"), None, kind="wan", width=11),
        Column(_("本年累计完成\n（万元）"), None, kind="wan", width=12),
        Column(_("年度完成率\n（%）"), None, kind="rate", width=9),
        Column(_("开工累计完成\n（万元）"), None, kind="wan", width=12),
        Column(_("形象进度"), None, kind="wrap", width=20),
        Column(_("旗色"), None, kind="flag", width=6),
        Column(_("存在问题"), None, kind="wrap", width=27),
    ]


@dataclass
class Line:
    """One row of the sheet: its kind (the title block's rows, the header, PROJECT, SUBTOTAL, TOTAL) and its
    values."""

    kind: str
    values: list


def dispatch_cells(dispatch, *, scope: str) -> list[list]:
    """The plain values of every row dispatch_workbook writes: the title block, the header, the body; each
    row as long as the header (None where a cell is empty)."""
    return [line.values for line in dispatch_lines(dispatch, scope=scope)]


def dispatch_lines(dispatch, *, scope: str) -> list[Line]:
    """The rows of dispatch_cells, each with its kind for dispatch_workbook to style."""
    columns = dispatch_columns()
    width = len(columns)
    words = _words()
    flags = {value: str(label) for value, label in Flag.choices}

    def padded(*values) -> list:
        return [*values, *[None] * (width - len(values))]

    info = "　　".join(
        [
            _("统计范围：%(scope)s") % {"scope": scope},
            _("序时进度：%(progress)s%%") % {"progress": f"{dispatch.time_progress:.1f}"},
            _("截至日期：%(date)s") % {"date": _date(dispatch.cutoff)},
            _("制表日期：%(date)s") % {"date": _date(dispatch.today)},
        ]
    )
    note = _(
        "说明：年度完成率 = 本年累计完成 ÷ 年度计划投资；"
        "落后序时进度 %(red)s 个百分点及以上或月报逾期为红旗，%(yellow)s 个百分点及以上为黄旗，其余为正常。"
    ) % {"red": _points(dispatch.red_points), "yellow": _points(dispatch.yellow_points)}
    unit = padded(info)
    unit[-2] = _("单位：万元")
    lines = [
        Line(TITLE_ROW, padded(_title(dispatch))),
        Line(INFO_ROW, unit),
        Line(NOTE_ROW, padded(note)),
        Line(HEADER_ROW, [column.header for column in columns]),
    ]

    number = 0
    for area in dispatch.by_code:
        if not area.projects:
            continue
        name = area.district.name
        for row in area.projects:
            number += 1
            project = row.project
            lines.append(
                Line(
                    PROJECT,
                    [
                        number,
                        name,
                        _clean(project.code),
                        _clean(project.name),
                        wan(row.total_investment),
                        wan(row.annual_plan) if row.plan is not None else None,
                        wan(row.this_month),
                        wan(row.year_to_date),
                        row.completion_rate,
                        wan(row.since_start),
                        _progress(row, words),
                        flags[row.flag],
                        _problems(row.open_problems, dispatch.today, words) if row.open_problems else None,
                    ],
                )
            )
        label = _("小计（%(n)d 个项目）") % {"n": len(area.projects)}
        lines.append(Line(SUBTOTAL, _figures(area, name, label)))
    label = _("合计（%(n)d 个项目）") % {"n": number}
    lines.append(Line(TOTAL, _figures(dispatch.total, None, label)))
    return lines


def _figures(place, district: str | None, label: str) -> list:
    """A subtotal or total row: the selector's own sums and rate, flag and counts."""
    return [
        None,
        district,
        None,
        label,
        wan(place.total_investment),
        wan(place.annual_plan),
        wan(place.this_month),
        wan(place.year_to_date),
        place.completion_rate,
        wan(place.since_start),
        None,
        str(place.flag_label),
        _counts(place),
    ]


def _title(dispatch) -> str:
    if dispatch.month == 1:
        period = _("%(year)d年1月") % {"year": dispatch.year}
    else:
        period = _("%(year)d年1—%(month)d月") % {"year": dispatch.year, "month": dispatch.month}
    return _("美丽广州建设重大项目投资完成情况表（%(period)s）") % {"period": period}


def _date(day) -> str:
    return _("%(year)d年%(month)d月%(day)d日") % {"year": day.year, "month": day.month, "day": day.day}


def _points(points) -> str:
    return f"{points.normalize():f}"


def _clean(text) -> str | None:
    """Text as a cell takes it: without the control characters a worksheet cannot hold; None when empty."""
    if not text:
        return None
    return clean(str(text)) or None


def _words() -> dict:
    """The words of the body rows, translated once per table rather than once per row."""
    return {
        "not_in": _("本月未报"),
        "unit": _("责任单位：%(unit)s"),
        "due": _("限期 %(date)s"),
        "overdue": _("已逾期"),
    }


def _progress(row, words: dict) -> str | None:
    """形象进度: the month's report's text, with its percentage unless the text says it already; that the
    report is not in, when it is owed."""
    if row.report_status in (MISSING, ReportStatus.DRAFT):
        return words["not_in"]
    text = _clean(row.physical_progress)
    if row.progress_percent is None:
        return text
    percent = f"{row.progress_percent.normalize():f}%"
    if not text:
        return percent
    said = any(_says(text, figure) for figure in (percent, f"{row.progress_percent:.1f}%"))
    return text if said else f"{text}（{percent}）"


def _says(text: str, figure: str) -> bool:
    """Whether `text` holds `figure` ("5%") as a number of its own, not the end of another ("15%")."""
    start = text.find(figure)
    while start != -1:
        if start == 0 or not (text[start - 1].isdigit() or text[start - 1] == "."):
            return True
        start = text.find(figure, start + 1)
    return False


def _problems(problems, today, words: dict) -> str | None:
    """The open problems, one a line: what, who is to solve it, by when, and whether that has passed."""
    lines = []
    for problem in problems:
        details = []
        if problem.responsible_unit:
            details.append(words["unit"] % {"unit": problem.responsible_unit})
        if problem.due_on is not None:
            details.append(words["due"] % {"date": f"{problem.due_on:%Y-%m-%d}"})
            if problem.due_on < today:
                details.append(words["overdue"])
        text = _clean(problem.description) or ""
        lines.append(f"{text}（{'，'.join(details)}）" if details else text)
    if len(lines) > 1:
        lines = [f"{number}. {line}" for number, line in enumerate(lines, start=1)]
    return _clean("\n".join(lines))


def _counts(place) -> str | None:
    """What a district's (or the city's) 存在问题 cell says: its flagged projects and the month's reports."""
    parts = []
    flags = []
    if place.red:
        flags.append(_("红旗 %(n)d 个") % {"n": place.red})
    if place.yellow:
        flags.append(_("黄旗 %(n)d 个") % {"n": place.yellow})
    if flags:
        parts.append("，".join(flags))
    if place.reports_due:
        reports = [_("月报应报 %(n)d 个") % {"n": place.reports_due}]
        if place.reports_missing:
            reports.append(_("未报 %(n)d 个") % {"n": place.reports_missing})
        if place.reports_late:
            reports.append(_("逾期 %(n)d 个") % {"n": place.reports_late})
        parts.append("，".join(reports))
    return "；".join(parts) or None


# Writing


def _looks(workbook) -> dict:
    """Every look of the sheet by name, each a format made once for the workbook."""
    look = workbook.look
    looks = {
        TITLE_ROW: look(**TITLE, align="center", valign="vcenter"),
        INFO_ROW: look(valign="vcenter"),
        "unit": look(align="right", valign="vcenter"),
        NOTE_ROW: look(**NOTE, valign="vcenter"),
        HEADER_ROW: look(
            **BOLD, **GRID, pattern=1, bg_color=HEADER_FILL, align="center", valign="vcenter", text_wrap=True
        ),
        # A project's row: only the cells that need a format of their own, the amounts, the rate, wrapped
        # text and the district (centred, away from the 序号); the conditional formats draw the lines and
        # the shading.
        (PROJECT, "center"): look(align="center"),
    }
    for kind, (_horizontal, wrapped, number_format) in KINDS.items():
        if number_format or wrapped:
            shape = {"text_wrap": True} if wrapped else {}
            if number_format:
                shape["num_format"] = number_format
            looks[PROJECT, kind] = look(**shape)
    # A subtotal's and the total's: every cell.
    for tone, fill in ((SUBTOTAL, SUBTOTAL_FILL), (TOTAL, TOTAL_FILL)):
        for kind, (horizontal, wrapped, number_format) in KINDS.items():
            shape = {"align": horizontal, **({"text_wrap": True} if wrapped else {})}
            if number_format:
                shape["num_format"] = number_format
            looks[tone, kind] = look(**BOLD, **GRID, pattern=1, bg_color=fill, **shape)
    return looks


def _write(ws, row: int, values: list, looks: list, *, empty: bool) -> None:
    """The cells of `values` in `looks` (a format each, or None), by their type: text as text, whatever it
    starts with; an empty value a formatted blank cell only with `empty`."""
    for column, value in enumerate(values):
        if value is None:
            if empty:
                ws.write_blank(row, column, None, looks[column])
        elif type(value) is str:
            ws.write_string(row, column, value, looks[column])
        else:
            ws.write_number(row, column, value, looks[column])


def _height(values: list, wrapped: list[tuple[int, float]]) -> float | None:
    """The height in points that shows every wrapped cell (of `wrapped`: index, width) of a row whole; None
    for a row of one line, which keeps the default height."""
    lines = max((lines_of(values[index], width) for index, width in wrapped if values[index]), default=1)
    if lines == 1:
        return None
    return min(LINE_HEIGHT * lines + 3, MAX_HEIGHT)


def _widths(columns: list[Column], total: list) -> list[int]:
    """The columns' widths, an amount column widened when its total (the largest figure, in bold) would not
    fit and show as ####."""
    widths = []
    for column, value in zip(columns, total, strict=True):
        width = column.width
        if column.kind == "wan" and value is not None:
            width = max(width, int(len(f"{value:,.2f}") * 1.15) + 2)
        widths.append(width)
    return widths


def dispatch_workbook(dispatch, *, scope: str):
    """The 调度表 of `dispatch`, which covers `scope` (全市, or a district's name), one sheet written by
    xlsxwriter row after row: the rows of dispatch_lines, styled by their kind."""
    columns = dispatch_columns()
    lines = dispatch_lines(dispatch, scope=scope)
    widths = _widths(columns, lines[-1].values)
    last = len(columns) - 1

    workbook = new_workbook()
    ws = workbook.add_worksheet(SHEET)
    for index, width in enumerate(widths):
        set_width(ws, index, width)
    ws.freeze_panes(HEADER_AT, 4)  # the header and the columns up to the project's name
    # A4 whatever the width: the widths stay near 180 units, which still prints at a readable size.
    print_setup(ws, width=sum(widths), title_rows=HEADER_AT)
    ws.set_paper(PAPER_A4)
    ws.center_horizontally()
    ws.autofilter(HEADER_AT - 1, 0, len(lines) - 2, last)  # the 合计 stays below whatever is filtered
    _conditional_formats(workbook, ws, columns, first=HEADER_AT, last=len(lines) - 1)

    looks = _looks(workbook)
    kinds = [column.kind for column in columns]
    project_looks = [looks.get((PROJECT, kind)) for kind in kinds]
    tone_looks = {tone: [looks[tone, kind] for kind in kinds] for tone in (SUBTOTAL, TOTAL)}
    header_looks = [looks[HEADER_ROW]] * len(columns)
    # Rows of wrapped text get the height their text takes: Excel fits a row without one as it opens the
    # file, LibreOffice (and so the PDF it makes) does not. A row's height is set before its cells, as a
    # constant-memory sheet writes each row when the next one starts.
    wrapped = [
        (index, width)
        for index, (column, width) in enumerate(zip(columns, widths, strict=True))
        if column.kind == "wrap"
    ]
    for row, line in enumerate(lines):
        values = line.values
        if line.kind == TITLE_ROW:
            ws.set_row(row, 30)
            ws.merge_range(row, 0, row, last, values[0], looks[TITLE_ROW])
        elif line.kind == INFO_ROW:
            ws.set_row(row, 20)
            ws.merge_range(row, 0, row, last - 2, values[0], looks[INFO_ROW])
            ws.merge_range(row, last - 1, row, last, values[-2], looks["unit"])
        elif line.kind == NOTE_ROW:
            ws.merge_range(row, 0, row, last, values[0], looks[NOTE_ROW])
        elif line.kind == HEADER_ROW:
            ws.set_row(row, _height(values, list(enumerate(widths))))
            _write(ws, row, values, header_looks, empty=True)
        else:
            height = _height(values, wrapped)
            if height is not None:
                ws.set_row(row, height)
            if line.kind == PROJECT:
                _write(ws, row, values, project_looks, empty=False)
            else:
                _write(ws, row, values, tone_looks[line.kind], empty=True)
    return workbook


def _conditional_formats(workbook, ws, columns: list[Column], *, first: int, last: int) -> None:
    """The lines of the body and the shading of the flagged projects, as conditional formats over rows
    `first` to `last` (counted from 0): a project's row is written as plain values but for the cells that
    need a format of their own, which keeps the sheet about as fast to write as its bare cells, and the
    shading follows the 旗色 cell when the rows are sorted or filtered. A project's row is one with a 序号
    (a subtotal and the total have their own fill, their 旗色 only takes its colour). Each rule is whole
    (fill, font and lines): LibreOffice applies the first that holds, Excel all of them."""
    end = len(columns) - 1
    flag = next(index for index, column in enumerate(columns) if column.kind == "flag")
    letter = xl_col_to_name(flag)
    project = f'$A{first + 1}<>""'

    def rule(first_column, last_column, formula, **properties):
        # A conditional format is a format of its own (a dxf), not one of the cells' formats.
        ws.conditional_format(
            first,
            first_column,
            last,
            last_column,
            {"type": "formula", "criteria": formula, "format": workbook.add_format(properties)},
        )

    for value in (Flag.RED, Flag.YELLOW):
        label = str(Flag(value).label).replace('"', '""')
        is_flag = f'${letter}{first + 1}="{label}"'
        shade = {"pattern": 1, "bg_color": SHADES[value]}
        rule(flag, flag, f"AND({project},{is_flag})", **FLAG_FONTS[value], **shade, **GRID)
        rule(flag, flag, is_flag, **FLAG_FONTS[value], **GRID)
        rule(0, end, f"AND({project},{is_flag})", **shade, **GRID)
    rule(0, end, "TRUE", **GRID)
