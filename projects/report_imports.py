"""Batch entry of a month's progress reports from Excel: the reader of the 月报 sheet of the template written
by projects.excel.report_template_workbook.

A district fills the month for all its projects in one file. Every row is checked (its cells here, then the
rules of report_create or report_update, called row by row): while any row is wrong nothing is saved, and
every error is reported with its row and column. A dry run (the preview) does the same and rolls back.

Rows are parsed by hand, cell by cell against the user's reporting projects loaded once per file, rather than
through a serializer per row: the file's cells are in 万元 and percent as a person types them (a number, a
number stored as text, "1,234.5"), a formula must be named as such on its cell, and the errors must carry the
sheet's column headers, not the serializer's field names. The services still decide everything a single
report's write decides (scope, the month, the progress never going down, locked reports), so the import
cannot accept what the form would refuse.
"""

import datetime
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

from django.core.exceptions import NON_FIELD_ERRORS, PermissionDenied, ValidationError
from django.db import transaction
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from portfolio.errors import ImportFileError
from portfolio.excel import FORMULA, read_sheet
from portfolio.money import WAN

from .choices import ReportStatus
from .excel import (
    MAX_BYTES,
    REPORT_FILL,
    REPORT_HEADER_OF,
    REPORT_HEADERS,
    REPORT_KEY,
    REPORT_MAX_ROWS,
    REPORT_SHEET,
)
from .models import ProgressReport
from .selectors.progress import reporting_projects
from .services.progress import report_create, report_update

# ImportFileError is imported for the callers: the page and the API catch it from here.
__all__ = ["ImportFileError", "ImportResult", "count_rows", "import_reports"]

CENT = Decimal("0.01")
TENTH = Decimal("0.1")
AMOUNT_LIMIT = Decimal("1e14")  # 16 digits with 2 decimals, the column's limit
# A service's field names and the columns they are reported on; the month's refusals concern the project.
COLUMN_OF = {**REPORT_HEADER_OF, "period": REPORT_KEY, "project": REPORT_KEY}
LOCKED = {ReportStatus.SUBMITTED: gettext_lazy("已报送"), ReportStatus.ACCEPTED: gettext_lazy("已审核")}


@dataclass
class ImportResult:
    rows: list[dict] = field(default_factory=list)
    errors: list[dict] = field(default_factory=list)
    created: list[ProgressReport] = field(default_factory=list)
    updated: list[ProgressReport] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.errors

    def count(self, action: str) -> int:
        return sum(1 for row in self.rows if row["action"] == action)


def _error(number: int, column: str, message) -> dict:
    return {"row": number, "column": column, "message": str(message)}


def _number(value, *, places: Decimal) -> Decimal:
    """A cell's number (or number typed as text, with thousands separators), rounded to `places`."""
    if isinstance(value, bool):
        raise InvalidOperation
    number = Decimal(str(value).replace(",", "").replace("，", "").strip())
    if not number.is_finite():
        raise InvalidOperation
    return number.quantize(places, rounding=ROUND_HALF_UP)


def _parse(number: int, values: dict) -> tuple[dict, list[dict]]:
    """The service's fields of one row, and the errors of its cells."""
    errors, fields = [], {}
    for header, name in REPORT_FILL:
        value = values.get(header)
        if value is FORMULA:
            errors.append(_error(number, header, _("单元格中是公式，请改为直接填写数值或文字。")))
            continue
        if name == "completed_amount":
            if value in (None, ""):
                errors.append(_error(number, header, _("必填；本月没有完成投资请填 0。")))
                continue
            try:
                amount = _number(value, places=CENT)
            except (InvalidOperation, ValueError):
                errors.append(_error(number, header, _("应为数字（万元）。")))
                continue
            if amount < 0:
                errors.append(_error(number, header, _("本月完成投资不能为负数。")))
                continue
            yuan = (amount * WAN).quantize(CENT)
            if yuan >= AMOUNT_LIMIT:
                errors.append(_error(number, header, _("金额超出范围。")))
                continue
            fields[name] = yuan
        elif name == "progress_percent":
            if value in (None, ""):
                errors.append(_error(number, header, _("必填，填 0 至 100 的数字。")))
                continue
            try:
                percent = _number(value, places=TENTH)
            except (InvalidOperation, ValueError):
                errors.append(_error(number, header, _("应为 0 至 100 的数字。")))
                continue
            if not 0 <= percent <= 100:
                errors.append(_error(number, header, _("形象进度应在 0 至 100 之间。")))
                continue
            fields[name] = percent
        else:
            fields[name] = "" if value is None else str(value)
    return fields, errors


def _service_errors(number: int, error: ValidationError) -> list[dict]:
    if hasattr(error, "error_dict"):
        return [
            _error(number, "" if name == NON_FIELD_ERRORS else COLUMN_OF.get(name, name), message)
            for name, messages in error.message_dict.items()
            for message in messages
        ]
    return [_error(number, "", message) for message in error.messages]


def _read(upload) -> list[tuple[int, dict]]:
    return read_sheet(
        upload,
        sheet=REPORT_SHEET,
        headers=REPORT_HEADERS,
        max_rows=REPORT_MAX_ROWS,
        max_bytes=MAX_BYTES,
    )


def count_rows(upload) -> int:
    """The file's data rows (an ImportFileError when it cannot be read): what decides whether the import
    runs as a background job."""
    rows = len(_read(upload))
    upload.seek(0)
    return rows


def import_reports(upload, *, user, period: datetime.date, commit: bool) -> ImportResult:
    """Check every row of the month `period`; with `commit`, write them all (new reports as drafts, drafts
    and returned ones updated) in one transaction when all are right, else none."""
    rows = _read(upload)
    fill_headers = [header for header, _name in REPORT_FILL]
    # Rows whose four cells to fill are all empty are the projects left for later (or locked): skipped.
    rows = [
        (number, values)
        for number, values in rows
        if any(values.get(header) not in (None, "") for header in fill_headers)
    ]
    if not rows:
        raise ImportFileError(_("“%(sheet)s”工作表中没有填写任何数据行。") % {"sheet": REPORT_SHEET})
    projects = {project.code: project for project in reporting_projects(user=user, period=period)}
    reports = {
        report.project_id: report
        for report in ProgressReport.objects.filter(
            project__in=[p.pk for p in projects.values()], period=period
        )
    }
    result = ImportResult()
    seen, checked = {}, []
    for number, values in rows:
        fields, errors = _parse(number, values)
        code = values.get(REPORT_KEY)
        project = None
        if code is FORMULA:
            errors.insert(0, _error(number, REPORT_KEY, _("单元格中是公式，请改为直接填写数值或文字。")))
        elif code in (None, ""):
            errors.insert(0, _error(number, REPORT_KEY, _("必填。")))
        else:
            code = str(code)
            project = projects.get(code)
            if project is None:
                errors.insert(
                    0,
                    _error(
                        number,
                        REPORT_KEY,
                        _("“%(code)s”不在您 %(m)s 需填报月报的项目清单中。")
                        % {"code": code, "m": f"{period:%Y-%m}"},
                    ),
                )
            elif code in seen:
                errors.insert(
                    0, _error(number, REPORT_KEY, _("与第 %(n)d 行的项目编号重复。") % {"n": seen[code]})
                )
                project = None
            else:
                seen[code] = number
                report = reports.get(project.pk)
                if report is not None and report.status in LOCKED:
                    errors.insert(
                        0,
                        _error(
                            number,
                            REPORT_KEY,
                            _("该项目 %(m)s 的月报%(s)s，不能通过导入修改。")
                            % {"m": f"{period:%Y-%m}", "s": LOCKED[report.status]},
                        ),
                    )
                    project = None
        result.errors.extend(errors)
        if project is not None and not errors:
            checked.append((number, project, fields))
    written = []
    with transaction.atomic():
        for number, project, fields in checked:
            report = reports.get(project.pk)
            try:
                if report is None:
                    action = "create"
                    report = report_create(acting_user=user, project=project, period=period, **fields)
                else:
                    same = all(getattr(report, name) == value for name, value in fields.items())
                    action = "unchanged" if same else "update"
                    # The version read above: a report changed by someone else meanwhile is refused.
                    report = report_update(
                        acting_user=user, report=report, expected_version=report.version, **fields
                    )
                written.append((number, action, project, report))
            except ValidationError as error:  # the service's own savepoint is rolled back; go on checking
                result.errors.extend(_service_errors(number, error))
            except PermissionDenied as error:
                result.errors.append(_error(number, REPORT_KEY, error))
        if result.errors or not commit:
            transaction.set_rollback(True)
    result.errors.sort(key=lambda error: error["row"])
    if result.errors:
        return result
    for number, action, project, report in written:
        result.rows.append(
            {
                "row": number,
                "action": action,
                "code": project.code,
                "name": project.name,
                "district": project.district.name,
                "completed_amount": report.completed_amount,
                "progress_percent": report.progress_percent,
                "id": report.pk if commit else None,
            }
        )
        if commit and action == "create":
            result.created.append(report)
        elif commit and action == "update":
            result.updated.append(report)
    return result
