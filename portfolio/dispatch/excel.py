"""The 调度表 (重点项目投资完成情况表) of a dispatch, as the office prints it for the monthly meeting: a title
block, the header, each district's projects followed by its 小计, and the 合计, in 万元.

Everything comes from `dispatch_figures` (the subtotals and the total too, with their rates of their own
sums): the table never disagrees with the page, and it runs no query. `dispatch_cells` gives the plain
values of every row; `dispatch_workbook` writes those same rows and styles them, so that the two cannot
diverge and a benchmark can write `dispatch_cells` with bare openpyxl to compare. To stay near that bare
writing, a project's row is mostly plain values: its lines and the red or yellow of a flagged project are
conditional formats over the body (_conditional_formats), which read the 旗色 cell.
"""

from dataclasses import dataclass

from django.utils.translation import gettext as _
from openpyxl.cell import Cell, WriteOnlyCell
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.formatting.rule import FormulaRule
from openpyxl.styles import Alignment, Border, Font, PatternFill, Side
from openpyxl.styles.fonts import DEFAULT_FONT
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.dimensions import RowDimension

from portfolio.excel import (
    FORMULA_STARTS,
    HEADER_FILL,
    PAPER_A4,
    WAN_FORMAT,
    Column,
    new_workbook,
    print_setup,
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


def _font(**options) -> Font:
    """The workbook's own font (Calibri 11) with `options`: a font without a name, such as
    portfolio.excel.BOLD, shows in a serif fallback in LibreOffice."""
    base = {
        "name": DEFAULT_FONT.name,
        "family": DEFAULT_FONT.family,
        "scheme": DEFAULT_FONT.scheme,
        "size": 11,
    }
    return Font(**(base | options))


BOLD = _font(bold=True)
TITLE = _font(bold=True, size=16)
NOTE = _font(size=10, color="595959")
RED, YELLOW = "FFC7CE", "FFEB9C"
# A conditional format's solid fill takes its colour from bgColor.
RED_SHADE = PatternFill("solid", fgColor=RED, bgColor=RED)
YELLOW_SHADE = PatternFill("solid", fgColor=YELLOW, bgColor=YELLOW)
WRAPPED = Alignment(wrap_text=True)
SUBTOTAL_FILL = PatternFill("solid", fgColor="F2F2F2")
TOTAL_FILL = PatternFill("solid", fgColor="D9D9D9")
_LINE = Side(style="thin", color="808080")
GRID = Border(left=_LINE, right=_LINE, top=_LINE, bottom=_LINE)
# The 旗色 cell of a flagged row is in its flag's colour, in bold.
FLAG_FONTS = {
    Flag.RED: _font(bold=True, color="9C0006"),
    Flag.YELLOW: _font(bold=True, color="9C5700"),
}
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
    return ILLEGAL_CHARACTERS_RE.sub("", str(text)) or None


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


class _Styles:
    """Every look of the sheet, made once through openpyxl's API on a model cell, by name; a cell takes one
    by the model's style array, as openpyxl's own copy_worksheet does. Setting font, fill, border and format
    on each cell instead hashes each of them per cell, which would triple the time of writing the sheet. The
    arrays are shared: a write-only cell is written as it is appended, and never restyled."""

    def __init__(self, ws):
        self.ws = ws
        self.arrays = {}

    def add(self, name, *, font=None, fill=None, border=None, alignment=None, number_format=None) -> None:
        model = WriteOnlyCell(self.ws)
        for attribute, value in (
            ("font", font),
            ("fill", fill),
            ("border", border),
            ("alignment", alignment),
            ("number_format", number_format),
        ):
            if value is not None:
                setattr(model, attribute, value)
        self.arrays[name] = model._style

    def looks(self, names: list) -> list:
        """The style arrays of `names`, to write a row of cells with (row)."""
        return [self.arrays[name] for name in names]

    def row(self, values: list, looks: list, *, empty: bool = True) -> list:
        """The cells of `values` in `looks` (a style array each, or None for a plain value); an empty
        value becomes a styled empty cell only with `empty`."""
        ws = self.ws
        cells = []
        for value, look in zip(values, looks, strict=True):
            text = type(value) is str and value.startswith(FORMULA_STARTS)
            if (look is None or (value is None and not empty)) and not text:
                cells.append(value)  # a plain value: openpyxl writes it without a cell of its own
                continue
            cell = Cell(ws, row=1, column=1, value=value)  # placed as it is appended
            if look is not None:
                cell._style = look
            if text:
                cell.data_type = "s"  # never a formula, whatever the text starts with
            cells.append(cell)
        return cells


def _styles(ws) -> _Styles:
    styles = _Styles(ws)
    styles.add(TITLE_ROW, font=TITLE, alignment=Alignment(horizontal="center", vertical="center"))
    styles.add(INFO_ROW, alignment=Alignment(vertical="center"))
    styles.add("unit", alignment=Alignment(horizontal="right", vertical="center"))
    styles.add(NOTE_ROW, font=NOTE, alignment=Alignment(vertical="center"))
    styles.add(
        HEADER_ROW,
        font=BOLD,
        fill=HEADER_FILL,
        border=GRID,
        alignment=Alignment(horizontal="center", vertical="center", wrap_text=True),
    )
    # A project's row: only the cells that need a format of their own, the amounts, the rate, wrapped text and
    # the district (centred, away from the 序号); the conditional formats draw the lines and the shading.
    styles.add((PROJECT, "center"), alignment=Alignment(horizontal="center"))
    for kind, (_horizontal, wrapped, number_format) in KINDS.items():
        if number_format or wrapped:
            styles.add((PROJECT, kind), alignment=WRAPPED if wrapped else None, number_format=number_format)
    # A subtotal's and the total's: every cell.
    for tone, fill in ((SUBTOTAL, SUBTOTAL_FILL), (TOTAL, TOTAL_FILL)):
        for kind, (horizontal, wrapped, number_format) in KINDS.items():
            styles.add(
                (tone, kind),
                font=BOLD,
                fill=fill,
                border=GRID,
                alignment=Alignment(horizontal=horizontal, wrap_text=wrapped or None),
                number_format=number_format,
            )
    return styles


def _units(text: str) -> float:
    """The width of `text` in column-width units: a Chinese character takes about two (its UTF-8 is three
    bytes, a digit's one), as portfolio.excel.header_height counts."""
    return (len(text) + len(text.encode())) / 2


def _line_count(text: str, width: float) -> int:
    """The lines `text` takes wrapped in a column `width` units wide (a unit of it is padding)."""
    per_line = max(width - 1, 1)
    if len(text) * 2 <= per_line and "\n" not in text:
        return 1  # short enough whatever its characters: most cells, counted without encoding them
    return sum(max(-int(-_units(part) // per_line), 1) for part in text.split("\n"))


def _height(values: list, wrapped: list[tuple[int, float]]) -> float | None:
    """The height in points that shows every wrapped cell (of `wrapped`: index, width) of a row whole; None
    for a row of one line, which keeps the default height."""
    lines = max((_line_count(values[index], width) for index, width in wrapped if values[index]), default=1)
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
    """The 调度表 of `dispatch`, which covers `scope` (全市, or a district's name), one sheet written in
    openpyxl's write-only mode: the rows of dispatch_lines, styled by their kind."""
    columns = dispatch_columns()
    lines = dispatch_lines(dispatch, scope=scope)
    widths = _widths(columns, lines[-1].values)
    last = get_column_letter(len(columns))

    workbook = new_workbook()
    ws = workbook.create_sheet(SHEET)
    for index, width in enumerate(widths, start=1):
        ws.column_dimensions[get_column_letter(index)].width = width
    ws.freeze_panes = f"E{HEADER_AT + 1}"  # the header and the columns up to the project's name
    # Before the first row: a write-only sheet writes its <sheetPr> (with fitToPage) with it. A4 whatever the
    # width: the widths stay near 180 units, which still prints at a readable size.
    print_setup(ws, width=sum(widths), title_rows=HEADER_AT)
    ws.page_setup.paperSize = PAPER_A4
    ws.print_options.horizontalCentered = True
    for cells in (
        f"A1:{last}1",
        f"A2:{get_column_letter(len(columns) - 2)}2",
        f"{get_column_letter(len(columns) - 1)}2:{last}2",
        f"A3:{last}3",
    ):
        ws.merged_cells.add(cells)

    styles = _styles(ws)
    kinds = [column.kind for column in columns]
    # Rows of wrapped text get the height their text takes: Excel fits a row without one as it opens the
    # file, LibreOffice (and so the PDF it makes) does not. A write-only sheet takes a row's height from
    # row_dimensions as the row is written.
    wrapped = [
        (index, width)
        for index, (column, width) in enumerate(zip(columns, widths, strict=True))
        if column.kind == "wrap"
    ]
    dimensions = ws.row_dimensions
    dimensions[1].height = 30
    dimensions[2].height = 20
    dimensions[HEADER_AT].height = _height(lines[HEADER_AT - 1].values, list(enumerate(widths)))
    project_looks = [styles.arrays.get((PROJECT, kind)) for kind in kinds]
    # One row dimension per height, shared by the rows of that height: the writer reads only its height
    # and style (not its index) as it writes each row, and making one per row is a fifth of the time.
    heights = {}
    for number, line in enumerate(lines, start=1):
        values = line.values
        if line.kind in (TITLE_ROW, NOTE_ROW):
            ws.append(styles.row(values[:1], styles.looks([line.kind])))
        elif line.kind == INFO_ROW:
            info, unit = styles.row([values[0], values[-2]], styles.looks([INFO_ROW, "unit"]))
            ws.append([info, *[None] * (len(values) - 3), unit])
        elif line.kind == HEADER_ROW:
            ws.append(styles.row(values, styles.looks([HEADER_ROW] * len(values))))
        else:
            height = _height(values, wrapped)
            if height is not None:
                if height not in heights:
                    heights[height] = RowDimension(ws, ht=height)
                dimensions[number] = heights[height]
            if line.kind == PROJECT:
                ws.append(styles.row(values, project_looks, empty=False))
            else:
                ws.append(styles.row(values, styles.looks([(line.kind, kind) for kind in kinds])))
    ws.auto_filter.ref = f"A{HEADER_AT}:{last}{len(lines) - 1}"  # the 合计 stays below whatever is filtered
    _conditional_formats(ws, columns, first=HEADER_AT + 1, last=len(lines))
    return workbook


def _conditional_formats(ws, columns: list[Column], *, first: int, last: int) -> None:
    """The lines of the body and the shading of the flagged projects, as conditional formats over rows
    `first` to `last`: a project's row is written as plain values but for the cells that need a format of
    their own, which keeps the sheet about as fast to write as its bare cells, and the shading follows the
    旗色 cell when the rows are sorted or filtered. A project's row is one with a 序号 (a subtotal and the
    total have their own fill, their 旗色 only takes its colour). Each rule is whole (fill, font and lines):
    LibreOffice applies the first that holds, Excel all of them."""
    end = get_column_letter(len(columns))
    flag = get_column_letter(next(i for i, c in enumerate(columns, start=1) if c.kind == "flag"))
    body, flags = f"A{first}:{end}{last}", f"{flag}{first}:{flag}{last}"
    project = f'$A{first}<>""'
    for value, shade in ((Flag.RED, RED_SHADE), (Flag.YELLOW, YELLOW_SHADE)):
        label = str(Flag(value).label).replace('"', '""')
        is_flag = f'${flag}{first}="{label}"'
        font = FLAG_FONTS[value]
        ws.conditional_formatting.add(
            flags, FormulaRule(formula=[f"AND({project},{is_flag})"], font=font, fill=shade, border=GRID)
        )
        ws.conditional_formatting.add(flags, FormulaRule(formula=[is_flag], font=font, border=GRID))
        ws.conditional_formatting.add(
            body, FormulaRule(formula=[f"AND({project},{is_flag})"], fill=shade, border=GRID)
        )
    ws.conditional_formatting.add(body, FormulaRule(formula=["TRUE"], border=GRID))
