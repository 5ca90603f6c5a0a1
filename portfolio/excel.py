"""Excel workbooks as the finance office keeps them, written by xlsxwriter in its constant-memory mode.

A sheet is a list of columns (header with its unit, accessor, kind) over an iterator of rows: a title
block (what, filters, scope, when, by whom), a frozen header, an autofilter, widths that fit, and a totals
row. Amounts are numbers in 万元 with a number format, dates are dates, and text that a spreadsheet would
take for a formula is stored as text. Printed, a sheet is landscape on A4 (A3 when wide), as wide as the
page, with the title block and header on every page and the page number in the footer.

Constant memory: each row is written once, in order, and goes to disk as the next one starts, so an
export's memory does not grow with its rows. Whatever depends on every row (the totals, the autofilter's
range) is gathered while the rows stream and written last; the widths are the columns' own.

And the other way: read_sheet, the one reader of an uploaded sheet (the imports of projects and of monthly
reports), which refuses what is not a safe .xlsx of the expected shape with an ImportFileError. openpyxl
reads the uploads (xlsxwriter only writes).
"""

import datetime
import re
import shutil
import tempfile
import zipfile
import zlib
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from operator import itemgetter

import xlsxwriter
from django.utils import timezone
from django.utils.translation import gettext as _
from lxml.etree import XMLSyntaxError
from openpyxl import load_workbook
from openpyxl.utils.exceptions import InvalidFileException

from .errors import ImportFileError
from .money import WAN

WAN_FORMAT = "#,##0.00"
DATE_FORMAT = "yyyy-mm-dd"
PERCENT_FORMAT = "0.00##"
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
# The characters an XML worksheet cannot hold (the C0 controls but tab, line feed and carriage return).
ILLEGAL_CHARACTERS_RE = re.compile(r"[\000-\010]|[\013-\014]|[\016-\037]")

# The workbook's font, named in every format: Calibri 11, the default of Excel's templates, whose digits
# the column widths are counted in; Excel and LibreOffice draw its Chinese text with their East Asian
# fallback (等线 or 宋体 in Excel, Noto Sans CJK in LibreOffice).
FONT = {"font_name": "Calibri", "font_size": 11}
BOLD = {"bold": True}
TITLE = {"bold": True, "font_size": 14}
HEADER_FILL = "#DDEBD9"
HEADER = {"bold": True, "pattern": 1, "bg_color": HEADER_FILL, "text_wrap": True, "valign": "vcenter"}
# A column width of w units is w digits of the default font, 7 pixels each at 100 %: the width is given in
# pixels so that the file holds w itself, as the widths are declared.
DIGIT_PIXELS = 7

# Print setup. Paper sizes are the codes of pageSetup/@paperSize in ECMA-376: 9 is A4, 8 is A3.
PAPER_A4, PAPER_A3 = 9, 8
# The paper rule: A4 landscape with these margins prints about 150 units of column width (one unit is
# about one digit of the default font, some 1.9 mm) at 100 %. Fitting a sheet of up to 180 units to the
# width still prints it at some 80 % (text of about 9 pt), which reads well; a wider sheet would shrink
# below that on A4, so it goes on A3 (about 1.4 times as wide) instead. Today that puts projects.xlsx and
# financing.xlsx's 资金来源 and 贷款 on A3, and the other financing sheets on A4.
A3_ABOVE_WIDTH = 180
# The footer: the sheet's name (&A) on the left, to tell the sheets of a printed workbook apart, and the page
# (&P) of the pages (&N) in the centre; they count what is printed, one sheet or the whole workbook at once.
FOOTER_LEFT = "&A"
FOOTER = "第 &P 页，共 &N 页"
MARGINS = {"left": 0.25, "right": 0.25, "top": 0.5, "bottom": 0.6, "header": 0.2, "footer": 0.25}  # inches


class Workbook(xlsxwriter.Workbook):
    """A workbook written to a temporary file as its rows come, rows in order (constant_memory), with its
    formats made once each (look) rather than once per cell."""

    def __init__(self):
        self.file = tempfile.TemporaryFile(suffix=".xlsx")  # noqa: SIM115 - closed by whoever sends it
        super().__init__(
            self.file,
            {
                "constant_memory": True,
                # Cells are written by type (text as text): never a formula or a link made of a string.
                "strings_to_formulas": False,
                "strings_to_urls": False,
                "default_format_properties": dict(FONT),
            },
        )
        self._looks = {}

    def look(self, **properties):
        """The format of `properties` (xlsxwriter's names), one per workbook however many cells take it."""
        key = tuple(sorted(properties.items()))
        found = self._looks.get(key)
        if found is None:
            found = self._looks[key] = self.add_format(properties)
        return found

    def finished(self):
        """The finished file, open for reading at its start."""
        self.close()
        self.file.seek(0)
        return self.file

    def save(self, target) -> None:
        """The finished file copied into `target` (a binary stream)."""
        shutil.copyfileobj(self.finished(), target)
        self.file.close()


def set_width(ws, index: int, width: float) -> None:
    ws.set_column_pixels(index, index, round(width * DIGIT_PIXELS))


@dataclass(frozen=True)
class Column:
    header: str
    value: Callable
    kind: str = "text"  # text | wan (an amount in 元 shown in 万元) | int | date | percent
    width: int = 14
    total: bool = False
    reads: tuple[str, ...] = ()  # the values() fields a row needs for this column
    wrap: bool = False  # long text shown whole on lines of the column's width (the row grows to fit)


def field(header: str, name: str, *, shown: dict | None = None, **options) -> Column:
    """A column showing the row's `name` (a values() field), or its label in `shown`."""
    value = itemgetter(name) if shown is None else (lambda row: shown[row[name]])
    return Column(header, value, reads=(name,), **options)


# The rows an export holds in memory at once: the database's cursor is read this many at a time.
CHUNK_SIZE = 2000


def rows_of(queryset, columns: list[Column], *, extra=(), order=()):
    """The rows of `queryset` as dicts of what `columns` (and `extra`) read, streamed in `order` (or in the
    queryset's own order)."""
    reads = dict.fromkeys([*extra, *(name for column in columns for name in column.reads)])
    if order:
        queryset = queryset.order_by(*order)
    return queryset.values(*reads).iterator(chunk_size=CHUNK_SIZE)


class _Labels(dict):
    def __missing__(self, code):
        return code  # as get_FOO_display shows a code it does not know


def labels(choices) -> dict:
    """Each code's label in the active language, looked up once per export rather than once per cell."""
    return _Labels((value, str(label)) for value, label in choices.choices)


def wan(yuan) -> Decimal | None:
    return None if yuan is None else Decimal(yuan) / WAN


def clean(text: str) -> str:
    """Text as a cell can hold it: without the control characters a worksheet cannot hold."""
    return ILLEGAL_CHARACTERS_RE.sub("", text)


def lines_of(text: str, width: float) -> int:
    """The lines `text` takes wrapped in a column `width` units wide (a unit of it is padding): a Chinese
    character takes about two units (its UTF-8 is three bytes, a digit's one)."""
    per_line = max(width - 1, 1)
    if len(text) * 2 <= per_line and "\n" not in text:
        return 1  # short enough whatever its characters: most cells, counted without encoding them
    return sum(max(-int(-((len(part) + len(part.encode())) / 2) // per_line), 1) for part in text.split("\n"))


def header_height(columns: list[Column]) -> float:
    """The header row's height in points, so that the longest wrapped header shows whole: a line takes
    about 15 points."""
    return 15.0 * max(lines_of(column.header, column.width) for column in columns) + 3


class Sheet:
    """One sheet of an export. `counted(row)` says whether a row counts in the totals row (all rows by
    default); the totals row says when some do not."""

    def __init__(
        self,
        workbook: Workbook,
        title: str,
        columns: list[Column],
        *,
        heading: list[str],
        counted: Callable | None = None,
        uncounted_note: str = "",
    ):
        self.ws = ws = workbook.add_worksheet(title)
        self.workbook = workbook
        self.columns = columns
        self.heading = heading
        self.header_row = len(heading) + 2  # counted from 1, as a spreadsheet shows it
        self.counted = counted
        self.uncounted_note = uncounted_note
        self.rows = 0
        self.totals = [Decimal(0) if column.total else None for column in columns]
        for index, column in enumerate(columns):
            set_width(ws, index, column.width)
        ws.freeze_panes(self.header_row, 0)
        print_setup(ws, width=sum(column.width for column in columns), title_rows=self.header_row)
        title = workbook.look(**TITLE)
        for number, line in enumerate(heading):
            ws.write_string(number, 0, clean(line), title if number == 0 else None)
        header = self.header_row - 1
        ws.set_row(header, header_height(columns))
        look = workbook.look(**HEADER)
        for index, column in enumerate(columns):
            ws.write_string(header, index, column.header, look)
        self._next = self.header_row  # the first data row, counted from 0
        # One writer and one format per column, chosen here rather than for every cell. Where a column
        # wraps, its rows grow: every cell of the sheet then sits at the top of its row, level with the text.
        top = {"valign": "top"} if any(column.wrap for column in columns) else {}
        looks = {
            "wan": workbook.look(num_format=WAN_FORMAT, **top),
            "percent": workbook.look(num_format=PERCENT_FORMAT, **top),
            "date": workbook.look(num_format=DATE_FORMAT, **top),
            "text": workbook.look(**top) if top else None,
            "int": workbook.look(**top) if top else None,
        }
        wrapped = workbook.look(text_wrap=True, **top)
        self._wraps = [column.wrap for column in columns]
        self._plan = [
            (
                index,
                column.value,
                column.kind,
                wrapped if column.wrap else looks.get(column.kind),
                column.total,
            )
            for index, column in enumerate(columns)
        ]

    def add(self, item) -> None:
        # xlsxwriter's writers without the public ones' A1-notation wrapper: a fifth of the cost of a cell.
        ws, row = self.ws, self._next
        string, number = ws._write_string, ws._write_number
        counts = self.counted is None or self.counted(item)
        totals = self.totals
        lines = 1
        for index, value_of, kind, look, total in self._plan:
            value = value_of(item)
            if value is None:
                continue
            if kind == "text":
                if value == "":
                    continue
                text = value if type(value) is str else str(value)
                if not text.isprintable():  # most text is, and is checked far faster than searched
                    text = clean(text)
                # Text is written as text, never read as a formula, whatever it starts with.
                string(row, index, text, look)
                if self._wraps[index]:
                    lines = max(lines, lines_of(text, self.columns[index].width))
                continue
            if kind == "wan":
                # The cell takes the amount in 万元 as a float (as the file stores it), which xlsxwriter
                # writes faster than a Decimal; the totals add up the exact amounts in 元.
                number(row, index, float(value) / 10_000, look)
            elif kind == "date":
                ws._write_datetime(row, index, value, look)
            else:  # int, percent
                number(row, index, value, look)
            if total and counts:
                totals[index] += value
        if lines > 1:
            # A spreadsheet does not grow a row for its wrapped text when it opens the file: set here.
            ws.set_row(row, 15.0 * lines + 3)
        self._next = row + 1
        self.rows += 1

    def finish(self) -> None:
        ws, row = self.ws, self._next
        bold, amounts = self.workbook.look(**BOLD), self.workbook.look(**BOLD, num_format=WAN_FORMAT)
        note = "，" + self.uncounted_note if self.uncounted_note else ""
        ws.write_string(row, 0, f"合计（{self.rows} 行{note}）", bold)
        for index, total in enumerate(self.totals[1:], start=1):
            if total is None:
                ws.write_blank(row, index, None, bold)
            else:
                kind = self.columns[index].kind
                ws.write_number(row, index, total / WAN if kind == "wan" else total, amounts)
        header = self.header_row - 1
        ws.autofilter(header, 0, header + max(self.rows, 1), len(self.columns) - 1)


def print_setup(ws, *, width: int, title_rows: int, header: str = "") -> None:
    """Landscape, A4 or A3 by `width` (the sum of the column widths; A3_ABOVE_WIDTH), fitted to one page
    wide and as many pages long as it takes, rows 1 to `title_rows` on every page, the sheet's name and the
    page number below (and `header`, xlsxwriter's header codes, above): the exports' sheets and the import
    templates print alike."""
    ws.set_landscape()
    ws.set_paper(PAPER_A3 if width > A3_ABOVE_WIDTH else PAPER_A4)
    ws.fit_to_pages(1, 0)  # one page wide, as many pages long as the rows need
    ws.repeat_rows(0, title_rows - 1)
    ws.set_header(header, margin=MARGINS["header"])
    ws.set_footer(f"&L{FOOTER_LEFT}&C{FOOTER}", margin=MARGINS["footer"])
    ws.set_margins(left=MARGINS["left"], right=MARGINS["right"], top=MARGINS["top"], bottom=MARGINS["bottom"])


def heading(*, what: str, filters: dict, scope: str, user) -> list[str]:
    # A filter value is what the request said: control characters a worksheet cannot hold are dropped.
    shown = "；".join(clean(f"{name}={value}") for name, value in filters.items() if value not in ("", None))
    return [
        what,
        f"筛选条件：{shown or '无'}",
        f"数据范围：{scope}",
        f"导出时间：{timezone.localtime():%Y-%m-%d %H:%M}　导出人：{user.get_username()}",
        "金额单位：万元",
    ]


def new_workbook() -> Workbook:
    return Workbook()


def save_to_temp(workbook: Workbook):
    """The finished file on disk, opened for reading: sent to the client from there, never held twice."""
    return workbook.finished()


def today_stamp() -> str:
    return datetime.date.today().strftime("%Y%m%d")


# Reading an upload

# A cell that holds a formula reads as FORMULA: the caller reports it on its row and column (a formula's value
# is whatever the last program that saved the file computed, if it computed it at all).
FORMULA = object()
# What openpyxl, zipfile and defusedxml raise on a file that is not a sound .xlsx, while opening or reading.
_BROKEN = (zipfile.BadZipFile, zlib.error, EOFError, OSError, InvalidFileException)


def _plain(value):
    if isinstance(value, str):
        value = value.strip()
        return value or None
    return value


def _open(upload, max_bytes: int):
    size = getattr(upload, "size", None)
    if size is not None and size > max_bytes:
        raise ImportFileError(
            _("文件超过 %(mb)d MB，请拆分后分批上传。") % {"mb": max_bytes // (1024 * 1024)}
        )
    if not size:
        raise ImportFileError(_("文件是空的。"))
    try:
        # Read-only: rows are streamed, never the whole sheet in memory. openpyxl parses the sheets with
        # defusedxml's ElementTree iterparse (it is a dependency), which refuses entity expansion, and the
        # workbook's other parts (workbook, styles, relationships) with lxml, which it uses when installed:
        # measured on an import of 5,000 rows, lxml's iterparse for the sheet as well was some 40 % slower
        # than the standard library's with openpyxl's reader, so the sheets stay with defusedxml.
        return load_workbook(upload, read_only=True, data_only=False)
    except _BROKEN as error:
        raise ImportFileError(
            _(
                "无法读取文件：它不是 Excel 工作簿（.xlsx），或文件已损坏。"
                "旧版 .xls 文件请在 Excel 中另存为 .xlsx。"
            )
        ) from error
    except KeyError as error:
        raise ImportFileError(_("文件是压缩包，但不是 Excel 工作簿（.xlsx）。")) from error
    except (ValueError, XMLSyntaxError) as error:
        # defusedxml (the sheets' parser) refuses entity expansion ("XML bombs") and other unsafe XML, and
        # lxml (the workbook's other parts) stops at libxml2's limit of entity amplification.
        raise ImportFileError(_("文件内容不安全或格式无效，已拒绝。")) from error
    except Exception as error:
        raise ImportFileError(_("无法读取文件：%(error)s") % {"error": type(error).__name__}) from error


def read_sheet(
    upload, *, sheet: str, headers: list[str], max_rows: int, max_bytes: int
) -> list[tuple[int, dict]]:
    """(row number, {header: value}) of the non-empty data rows of `sheet`, whose first row must hold every
    one of `headers` (in any order, among others); values are stripped text (None when empty), numbers,
    dates, or FORMULA. An ImportFileError says what is wrong with the file as a whole: too large, empty, not
    an .xlsx or damaged, unsafe XML, no such sheet, headers missing, more than `max_rows` rows."""
    workbook = _open(upload, max_bytes)
    try:
        if sheet not in workbook.sheetnames:
            raise ImportFileError(
                _("工作簿中没有名为“%(sheet)s”的工作表，请使用下载的模板。") % {"sheet": sheet}
            )
        rows = workbook[sheet].iter_rows()
        try:
            header = [_plain(cell.value) for cell in next(rows)]
        except StopIteration as error:
            raise ImportFileError(_("“%(sheet)s”工作表是空的。") % {"sheet": sheet}) from error
        missing = [h for h in headers if h not in header]
        if missing:
            raise ImportFileError(
                _("表头缺少：%(missing)s。请使用下载的模板。") % {"missing": "、".join(missing)}
            )
        positions = {h: header.index(h) for h in headers}
        data = []
        for number, row in enumerate(rows, start=2):
            cells = list(row)
            values = {}
            for h, position in positions.items():
                # Read-only mode may drop trailing empty cells: a short row means empty values.
                cell = cells[position] if position < len(cells) else None
                if cell is not None and getattr(cell, "data_type", None) == "f":
                    values[h] = FORMULA
                else:
                    values[h] = _plain(cell.value if cell is not None else None)
            if any(value not in (None, "") for value in values.values()):
                data.append((number, values))
            if len(data) > max_rows:
                raise ImportFileError(_("一次最多导入 %(n)d 行，请拆分后分批上传。") % {"n": max_rows})
        return data
    except (ValueError, KeyError, zipfile.BadZipFile, zlib.error, EOFError) as error:
        raise ImportFileError(_("文件内容不安全或已损坏，无法读取。")) from error
    finally:
        workbook.close()
