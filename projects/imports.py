"""Batch submission from Excel: the reader of the template's sheet of projects (the template itself is
written in projects.excel).

Every row is checked (its cells here, then the rules of project_create through project_create_many, which
writes all rows at once): while any row is wrong nothing is saved, and every error is reported with its row
and column. A dry run (the preview) does the same and rolls back.

Rows are parsed by hand, cell by cell against lookups loaded once per file, rather than through a form or
serializer per row: a district's batch of 5,000 rows must be checked in about the time openpyxl takes to
read it (bench_excel measures it), and a form per row costs several times that in validation and queries.
"""

from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.utils.translation import gettext as _

from financing.models import Organization
from portfolio.db import cyclic_gc_paused
from portfolio.errors import ImportFileError
from portfolio.excel import FORMULA, read_sheet
from portfolio.money import WAN

from . import services
from .choices import Category
from .excel import COLUMNS, HEADER_OF, HEADERS, MAX_BYTES, MAX_ROWS, SHEET
from .models import District, Project, Unit

# ImportFileError lives in the kit (portfolio.errors), raised by read_sheet; it is imported here too because
# the pages and the API catch it as projects.imports.ImportFileError.


@dataclass
class ImportResult:
    rows: list[dict] = field(default_factory=list)
    errors: list[dict] = field(default_factory=list)
    created: list[Project] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.errors


def read_rows(upload) -> list[tuple[int, dict]]:
    """(row number, {header: value}) of the template's data rows, or an ImportFileError that says what is
    wrong with the file (portfolio.excel.read_sheet's checks)."""
    return read_sheet(upload, sheet=SHEET, headers=HEADERS, max_rows=MAX_ROWS, max_bytes=MAX_BYTES)


class _RowErrors(Exception):
    def __init__(self, errors):
        self.errors = errors


def _parse(number: int, values: dict, lookups: dict) -> dict:
    errors, fields = [], {}

    def fail(name, message):
        errors.append({"row": number, "column": HEADER_OF.get(name, name), "message": str(message)})

    for header, name, required in COLUMNS:
        value = values.get(header)
        if value is FORMULA:
            fail(name, _("单元格中是公式，请改为直接填写数值或文字。"))
            continue
        if value in (None, ""):
            if required:
                fail(name, _("必填。"))
            continue
        if name == "district":
            district = lookups["districts"].get(str(value).removesuffix(".0"))
            if district is None:
                fail(name, _("没有“%(v)s”这个区；请填区名或区划代码。") % {"v": value})
            fields["district"] = district
        elif name == "category":
            category = lookups["categories"].get(str(value))
            if category is None:
                fail(name, _("没有“%(v)s”这个类别；请从下拉列表中选择。") % {"v": value})
            fields["category"] = category
        elif name == "total_investment":
            try:
                amount = Decimal(str(value).replace(",", ""))
                if not amount.is_finite():
                    raise InvalidOperation
            except (InvalidOperation, ValueError):
                fail(name, _("应为数字（万元）。"))
                continue
            yuan = (amount * WAN).quantize(Decimal("0.01"))
            if yuan < 0 or yuan >= Decimal("1e14"):
                fail(name, _("金额超出范围。"))
                continue
            fields["total_investment"] = yuan
        elif name in ("start_year", "end_year"):
            try:
                year = int(str(value).removesuffix(".0"))
            except ValueError:
                fail(name, _("应为四位数字年份。"))
                continue
            fields[name] = year
        elif name == "implementing_org":
            organization = lookups["organizations"].get(str(value))
            if organization is None:
                fail(name, _("机构库中没有“%(v)s”，请联系市项目办先登记该机构。") % {"v": value})
            fields[name] = organization
        else:
            fields[name] = str(value)
    unit_name = fields.pop("unit", None)
    if unit_name and fields.get("district"):
        unit = lookups["units"].get((fields["district"].pk, unit_name))
        if unit is None:
            fail(
                "unit", _("%(d)s没有名为“%(u)s”的美丽单元。") % {"d": fields["district"].name, "u": unit_name}
            )
        fields["unit"] = unit
    if errors:
        raise _RowErrors(errors)
    return fields


def import_projects(upload, *, user, commit: bool) -> ImportResult:
    """Check every row; with `commit`, save them all as drafts in one transaction when all are right."""
    with cyclic_gc_paused():
        return _import_projects(upload, user=user, commit=commit)


def _import_projects(upload, *, user, commit: bool) -> ImportResult:
    rows = read_rows(upload)
    if not rows:
        raise ImportFileError(_("“项目”工作表中没有数据行。"))
    refusal = services.project_create_refusal(user=user)
    if refusal:
        raise PermissionDenied(refusal)
    districts = list(District.objects.all())
    lookups = {
        "districts": {
            **{d.code: d for d in districts},
            **{d.name: d for d in districts},
        },
        "categories": {**{c.value: c.value for c in Category}, **{str(c.label): c.value for c in Category}},
        "organizations": {o.name: o for o in Organization.objects.exclude(kind="bank")},
        "units": {(u.district_id, u.name): u for u in Unit.objects.all()},
    }
    result = ImportResult()
    seen_names, seen_codes, checked = {}, {}, []
    for number, values in rows:
        try:
            fields = _parse(number, values, lookups)
        except _RowErrors as problem:
            result.errors.extend(problem.errors)
            continue
        key = (fields["district"].pk, fields["name"])
        if key in seen_names:
            result.errors.append(
                _row_error(number, "name", _("与第 %(n)d 行同区同名。") % {"n": seen_names[key]})
            )
            continue
        seen_names[key] = number
        code = fields.get("national_code")
        if code and code in seen_codes:
            result.errors.append(
                _row_error(
                    number, "national_code", _("与第 %(n)d 行的项目代码相同。") % {"n": seen_codes[code]}
                )
            )
            continue
        if code:
            seen_codes[code] = number
        checked.append((number, fields))
    # Names already in the library, in one query per district named in the file.
    taken = set()
    for district in {fields["district"].pk for _number, fields in checked}:
        names = [fields["name"] for _number, fields in checked if fields["district"].pk == district]
        taken.update(
            (district, name)
            for name in Project.objects.filter(district=district, name__in=names).values_list(
                "name", flat=True
            )
        )
    fresh = []
    for number, fields in checked:
        if (fields["district"].pk, fields["name"]) in taken:
            result.errors.append(_row_error(number, "name", _("库中已有该区的同名项目，不能重复申报。")))
        else:
            fresh.append((number, fields))
    with transaction.atomic():
        try:
            created = services.project_create_many(acting_user=user, items=[fields for _n, fields in fresh])
        except services.BatchRefused as refused:
            for index, error in refused.errors.items():
                number = fresh[index][0]
                for name, messages in (
                    error.message_dict if hasattr(error, "error_dict") else {"": error.messages}
                ).items():
                    result.errors.extend(_row_error(number, name, message) for message in messages)
            created = []
        if result.errors or not commit:
            transaction.set_rollback(True)
    result.errors.sort(key=lambda error: error["row"])
    if not result.errors:
        result.rows = [
            {
                "row": number,
                "name": project.name,
                "district": project.district.name,
                "total_investment": project.total_investment,
                "code": project.code,
            }
            for (number, _fields), project in zip(fresh, created, strict=True)
        ]
        if commit:
            result.created = created
    return result


def _row_error(number: int, name: str, message) -> dict:
    column = HEADER_OF.get(name, "" if name in ("", "__all__") else name)
    return {"row": number, "column": column, "message": str(message)}
