"""Excel workbooks as the finance office keeps them, written in openpyxl's write-only mode.

A sheet is a list of columns (header with its unit, accessor, kind) over an iterator of rows: a title
block (what, filters, scope, when, by whom), a frozen header, an autofilter, widths that fit, and a totals
row. Amounts are numbers in 万元 with a number format, dates are dates, and text that a spreadsheet would
take for a formula is stored as text. Printed, a sheet is landscape on A4 (A3 when wide), as wide as the
page, with the title block and header on every page and the page number in the footer.

And the other way: read_sheet, the one reader of an uploaded sheet (the imports of projects and of monthly
reports), which refuses what is not a safe .xlsx of the expected shape with an ImportFileError.
"""

import datetime
import tempfile
import zipfile
import zlib
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from operator import itemgetter

from django.utils import timezone
from django.utils.translation import gettext as _
from openpyxl import Workbook, load_workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.utils.exceptions import InvalidFileException
from openpyxl.worksheet.page import PageMargins

from .errors import ImportFileError
from .money import WAN

WAN_FORMAT = "#,##0.00"
DATE_FORMAT = "yyyy-mm-dd"
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"

BOLD = Font(bold=True)
TITLE = Font(bold=True, size=14)
HEADER_FILL = PatternFill("solid", fgColor="DDEBD9")

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


@dataclass(frozen=True)
class Column:
    header: str
    value: Callable
    kind: str = "text"  # text | wan (an amount in 元 shown in 万元) | int | date | percent
    width: int = 14
    total: bool = False
    reads: tuple[str, ...] = ()  # the values() fields a row needs for this column


def field(header: str, name: str, *, shown: dict | None = None, **options) -> Column:
    """A column showing the row's `name` (a values() field), or its label in `shown`."""
    value = itemgetter(name) if shown is None else (lambda row: shown[row[name]])
    return Column(header, value, reads=(name,), **options)


def rows_of(queryset, columns: list[Column], *, extra=(), order=()):
    """The rows of `queryset` as dicts of what `columns` (and `extra`) read, streamed in `order` (or in the
    queryset's own order)."""
    reads = dict.fromkeys([*extra, *(name for column in columns for name in column.reads)])
    if order:
        queryset = queryset.order_by(*order)
    return queryset.values(*reads).iterator(chunk_size=2000)


class _Labels(dict):
    def __missing__(self, code):
        return code  # as get_FOO_display shows a code it does not know


def labels(choices) -> dict:
    """Each code's label in the active language, looked up once per export rather than once per cell."""
    return _Labels((value, str(label)) for value, label in choices.choices)


def wan(yuan) -> Decimal | None:
    return None if yuan is None else Decimal(yuan) / WAN


def header_height(columns: list[Column]) -> float:
    """The header row's height in points, so that the longest wrapped header shows whole: a Chinese
    character takes about two width units, a line about 15 points."""
    lines = 1
    for column in columns:
        units = sum(2 if ord(char) > 0x2E80 else 1 for char in column.header)
        lines = max(lines, -(-units // max(column.width - 1, 1)))
    return 15.0 * lines + 3


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
        self.ws = workbook.create_sheet(title)
        self.columns = columns
        self.heading = heading
        self.header_row = len(heading) + 2
        self.counted = counted
        self.uncounted_note = uncounted_note
        self.rows = 0
        self.totals = [Decimal(0) if column.total else None for column in columns]
        for index, column in enumerate(columns, start=1):
            self.ws.column_dimensions[get_column_letter(index)].width = column.width
        self.ws.freeze_panes = f"A{self.header_row + 1}"
        self._print_setup()
        for number, line in enumerate(heading):
            self.ws.append([self._cell(line, font=TITLE if number == 0 else None)])
        self.ws.append([])
        # A write-only sheet takes a row's height from row_dimensions as the row is written.
        self.ws.row_dimensions[self.header_row].height = header_height(columns)
        self.ws.append([self._cell(c.header, font=BOLD, fill=HEADER_FILL, wrap=True) for c in columns])

    def _print_setup(self) -> None:
        """The office's print setup (print_setup), the title block and header (rows 1 to header_row) on
        every page.

        Called before the first row: a write-only sheet writes its <sheetPr> (which holds fitToPage) with
        the first row. The page setup, margins and footer are written when it is closed, and the print
        titles become the workbook's _xlnm.Print_Titles name for the sheet when the workbook is saved."""
        print_setup(self.ws, width=sum(column.width for column in self.columns), title_rows=self.header_row)

    def _cell(self, value, *, font=None, fill=None, number_format=None, wrap=False, text=False):
        cell = WriteOnlyCell(self.ws, value=value)
        if text or (isinstance(value, str) and value.startswith(FORMULA_STARTS)):
            cell.data_type = "s"  # never a formula, whatever the text starts with
        if font:
            cell.font = font
        if fill:
            cell.fill = fill
        if number_format:
            cell.number_format = number_format
        if wrap:
            cell.alignment = Alignment(wrap_text=True, vertical="center")
        return cell

    def add(self, item) -> None:
        cells = []
        counts = self.counted is None or self.counted(item)
        for index, column in enumerate(self.columns):
            value = column.value(item)
            # Only cells that need a style become styled cells; plain values are written as they are, which
            # is most of the cost saved (dates get openpyxl's yyyy-mm-dd format by themselves).
            if column.kind == "wan":
                value = wan(value)
                cells.append(None if value is None else self._cell(value, number_format=WAN_FORMAT))
            elif column.kind == "percent":
                cells.append(None if value is None else self._cell(value, number_format="0.00##"))
            elif column.kind in ("date", "int"):
                cells.append(value)
            elif value is None or value == "":
                cells.append(None)
            else:
                text = str(value)
                cells.append(self._cell(text, text=True) if text.startswith(FORMULA_STARTS) else text)
            if column.total and value is not None and counts:
                self.totals[index] += value
        self.ws.append(cells)
        self.rows += 1

    def finish(self) -> None:
        last = get_column_letter(len(self.columns))
        row = [
            self._cell(total, font=BOLD, number_format=WAN_FORMAT if total is not None else None)
            for total in self.totals
        ]
        label = f"合计（{self.rows} 行{'，' + self.uncounted_note if self.uncounted_note else ''}）"
        row[0] = self._cell(label, font=BOLD)
        self.ws.append(row)
        self.ws.auto_filter.ref = f"A{self.header_row}:{last}{self.header_row + max(self.rows, 1)}"


def print_setup(ws, *, width: int, title_rows: int) -> None:
    """Landscape, A4 or A3 by `width` (the sum of the column widths; A3_ABOVE_WIDTH), fitted to one page
    wide and as many pages long as it takes, rows 1 to `title_rows` on every page, the sheet's name and the
    page number below: the exports' sheets and the import templates print alike."""
    ws.page_setup.orientation = "landscape"
    ws.page_setup.paperSize = PAPER_A3 if width > A3_ABOVE_WIDTH else PAPER_A4
    ws.sheet_properties.pageSetUpPr.fitToPage = True
    ws.page_setup.fitToWidth = 1
    ws.page_setup.fitToHeight = 0  # no limit: as many pages long as the rows need
    ws.print_title_rows = f"1:{title_rows}"
    ws.oddFooter.left.text = FOOTER_LEFT
    ws.oddFooter.center.text = FOOTER
    ws.page_margins = PageMargins(**MARGINS)


def heading(*, what: str, filters: dict, scope: str, user) -> list[str]:
    # A filter value is what the request said: control characters a worksheet cannot hold are dropped.
    shown = "；".join(
        ILLEGAL_CHARACTERS_RE.sub("", f"{name}={value}")
        for name, value in filters.items()
        if value not in ("", None)
    )
    return [
        what,
        f"筛选条件：{shown or '无'}",
        f"数据范围：{scope}",
        f"导出时间：{timezone.localtime():%Y-%m-%d %H:%M}　导出人：{user.get_username()}",
        "金额单位：万元",
    ]


def new_workbook() -> Workbook:
    return Workbook(write_only=True)


def save_to_temp(workbook: Workbook):
    """The finished file on disk, opened for reading: sent to the client from there, never held twice."""
    handle = tempfile.TemporaryFile(suffix=".xlsx")  # noqa: SIM115 - the response closes it when sent
    workbook.save(handle)
    handle.seek(0)
    return handle


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


def _open(upload, max_bytes: int) -> Workbook:
    size = getattr(upload, "size", None)
    if size is not None and size > max_bytes:
        raise ImportFileError(
            _("文件超过 %(mb)d MB，请拆分后分批上传。") % {"mb": max_bytes // (1024 * 1024)}
        )
    if not size:
        raise ImportFileError(_("文件是空的。"))
    try:
        # Read-only: rows are streamed, never the whole sheet in memory; openpyxl parses with defusedxml
        # when it is installed (it is a dependency), which refuses entity expansion.
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
    except ValueError as error:  # defusedxml refuses entity expansion ("XML bombs") and other unsafe XML
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
