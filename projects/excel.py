"""The workbooks of projects: projects.xlsx, one row per project, with funding by source, loans and
milestones, in one query whatever the number of projects (each figure a subquery of the one project query,
streamed in chunks, so that neither the queries nor the memory grow with the projects); the template of the
batch import (its reader is projects.imports); and the monthly reports' template, a district's month to
fill in one sheet (its reader is projects.report_imports)."""

import datetime
from itertools import zip_longest

from django.conf import settings
from django.db.models import Count, OuterRef, Subquery, Sum
from django.db.models.functions import Coalesce
from django.utils import timezone
from django.utils.translation import gettext as _

from financing.choices import GRANTED_STATUSES, LoanStatus, SourceType
from financing.models import Disbursement, FundingLine, Loan, Repayment
from financing.selectors import live_loans
from portfolio import access
from portfolio.excel import (
    BOLD,
    HEADER_FILL,
    TITLE,
    WAN_FORMAT,
    Column,
    Sheet,
    Workbook,
    clean,
    field,
    heading,
    labels,
    new_workbook,
    print_setup,
    rows_of,
    set_width,
    wan,
)
from portfolio.money import MONEY_FIELD, ZERO_YUAN

from .choices import Category, ReportStatus, ReviewStatus, Stage
from .deadlines import report_due
from .models import District, Milestone, ProgressReport, Unit
from .selectors.progress import monthly_todo

# The figures' names on the rows of projects.xlsx (annotations of its query).
APPROVED = "x_approved_{}"
DISBURSED, REPAID, LOANED = "x_disbursed", "x_repaid", "x_loaned"
NEXT_NAME, NEXT_DATE, OVERDUE = "x_next_name", "x_next_date", "x_overdue"


def _sum(queryset, key: str, amount: str, *, zero: bool = True):
    """The correlated sum of `amount` over `queryset` (filtered on OuterRef by `key`), 0 (or None) when
    there is nothing to add."""
    summed = queryset.order_by().values(key).annotate(t=Sum(amount)).values("t")
    value = Subquery(summed, output_field=MONEY_FIELD)
    return Coalesce(value, ZERO_YUAN) if zero else value


def with_export_figures(projects, *, user):
    """`projects` (scoped, with their financing totals) annotated with what a row of projects.xlsx shows
    beyond the project itself, one correlated subquery per figure on the project's indexes: its approved
    funding by source, its loans' principal, drawings and outstanding principal (of the loans `user` may
    see: a lender, its own bank's), its next open milestone and its overdue ones. A lender's file has no
    columns of funding lines or milestones (none of them are in its scope): it reads none."""
    lender = access.role_of(user) == access.LENDER
    # The loans of a project in the user's scope are in it too, but for a lender: its own bank's only.
    loans = live_loans(Loan.objects.visible_to(user))
    drawn = Disbursement.objects.filter(loan__project=OuterRef("pk"))
    repaid = Repayment.objects.filter(loan__project=OuterRef("pk"))
    if lender:
        drawn, repaid = drawn.filter(loan__in=loans.values("pk")), repaid.filter(loan__in=loans.values("pk"))
    else:
        drawn = drawn.exclude(loan__status=LoanStatus.TERMINATED)
        repaid = repaid.exclude(loan__status=LoanStatus.TERMINATED)
    figures = {
        DISBURSED: _sum(drawn, "loan__project", "amount"),
        REPAID: _sum(repaid, "loan__project", "principal"),
    }
    if lender:
        figures[LOANED] = _sum(loans.filter(project=OuterRef("pk")), "project", "principal")
        return projects.annotate(**figures)
    granted = FundingLine.objects.filter(project=OuterRef("pk"), status__in=GRANTED_STATUSES)
    for number, source in enumerate(SourceType):
        figures[APPROVED.format(number)] = _sum(
            granted.filter(source_type=source), "project", "approved_amount", zero=False
        )
    following = Milestone.objects.filter(project=OuterRef("pk"), actual_date__isnull=True).order_by(
        "planned_date", "pk"
    )
    overdue = (
        Milestone.objects.filter(project=OuterRef("pk"))
        .overdue(timezone.localdate())
        .order_by()
        .values("project")
        .annotate(n=Count("pk"))
        .values("n")
    )
    figures[NEXT_NAME] = Subquery(following.values("name")[:1])
    figures[NEXT_DATE] = Subquery(following.values("planned_date")[:1])
    figures[OVERDUE] = Coalesce(Subquery(overdue), 0)
    return projects.annotate(**figures)


def project_columns(*, lender: bool = False) -> list[Column]:
    """The columns of projects.xlsx over values() rows of projects (with their financing totals and the
    figures of with_export_figures): plain values, no model instances (the export's cost is writing).

    A lender's file leaves out what its scope does not hold (portfolio.access): the funding lines by
    source and the milestones; its loan columns are its own bank's loans. The project's contacts and
    remarks are in no one's file."""
    columns = [
        field("项目编号", "code", width=22),
        field("全国投资项目代码", "national_code", width=26),
        field("项目名称", "name", width=40),
        field("区", "district__name", width=8),
        field("美丽单元", "unit__name", width=22),
        field("类别", "category", shown=labels(Category), width=14),
        field("阶段", "stage", shown=labels(Stage), width=8),
        field("入库状态", "review_status", shown=labels(ReviewStatus), width=10),
        field("实施主体", "implementing_org__name", width=30),
        field("计划开工年份", "start_year", kind="int", width=10),
        field("计划完工年份", "end_year", kind="int", width=10),
        field("总投资（万元）", "total_investment", kind="wan", total=True),
    ]
    for number, source in enumerate(SourceType if not lender else ()):
        columns.append(field(f"批复·{source.label}（万元）", APPROVED.format(number), kind="wan", total=True))
    columns += [
        field("资金缺口（万元）", "funding_gap", kind="wan", total=True),
        field("资金超出（万元）", "funding_surplus", kind="wan", total=True),
        # The project's live loans (with_financing_totals); a lender's file, its own bank's.
        field("贷款金额（万元）", LOANED if lender else "loan_principal_total", kind="wan", total=True),
        field("已提款（万元）", DISBURSED, kind="wan", total=True),
        Column(
            "未偿还本金（万元）",
            lambda row: row[DISBURSED] - row[REPAID],
            kind="wan",
            total=True,
            reads=(DISBURSED, REPAID),
        ),
    ]
    if not lender:
        columns += [
            field("下一节点", NEXT_NAME, width=16),
            field("下一节点计划日期", NEXT_DATE, kind="date", width=14),
            field("逾期节点数", OVERDUE, kind="int", width=10),
        ]
    return columns


def projects_workbook(*, rows, user, filters: dict, scope: str):
    """The workbook of `rows` (projects from selectors.project_list: scoped, filtered, with their financing
    totals), in their order: one sheet, one query, streamed."""
    workbook = new_workbook()
    columns = project_columns(lender=access.role_of(user) == access.LENDER)
    sheet = Sheet(
        workbook,
        "项目",
        columns,
        heading=heading(what="美丽广州建设重大项目库 · 项目清单", filters=filters, scope=scope, user=user),
    )
    for row in rows_of(with_export_figures(rows, user=user), columns):
        sheet.add(row)
    sheet.finish()
    return workbook, sheet.rows


# The batch import's template: the sheet its reader (projects.imports) reads.

SHEET = "项目"
MAX_BYTES = 10 * 1024 * 1024
MAX_ROWS = 5000
# (header, field, required)
COLUMNS = [
    ("项目名称", "name", True),
    ("区", "district", True),
    ("美丽单元", "unit", False),
    ("类别", "category", True),
    ("全国投资项目代码", "national_code", False),
    ("实施主体", "implementing_org", False),
    ("建设内容", "content", False),
    ("总投资（万元）", "total_investment", True),
    ("计划开工年份", "start_year", True),
    ("计划完工年份", "end_year", True),
    ("联系人", "contact_name", False),
    ("联系电话", "contact_phone", False),
    ("备注", "remarks", False),
]
HEADERS = [header for header, _field, _required in COLUMNS]
HEADER_OF = {name: header for header, name, _required in COLUMNS}


def _lines(ws, lines, *, start: int = 0, look=None) -> None:
    """`lines` down the first column of `ws` from row `start` (counted from 0), an empty one left blank."""
    for number, line in enumerate(lines, start=start):
        if line:
            ws.write_string(number, 0, line, look)
        elif look is not None:
            ws.write_blank(number, 0, None, look)


def template_workbook(user) -> Workbook:
    districts = list(District.objects.order_by("code").values_list("name", flat=True))
    units = list(Unit.objects.visible_to(user).order_by("district", "name").values_list("name", flat=True))
    categories = [str(label) for label in Category.labels]

    workbook = Workbook()
    notes = workbook.add_worksheet("说明")
    sheet = workbook.add_worksheet(SHEET)
    options = workbook.add_worksheet("选项")

    set_width(notes, 0, 100)
    _lines(
        notes,
        (
            _("美丽广州建设重大项目库 · 项目批量申报模板"),
            "",
            _("1. 在“项目”工作表中逐行填写，第一行是表头，请勿修改。"),
            _("2. 必填：项目名称、区、类别、总投资（万元）、计划开工年份、计划完工年份。"),
            _("3. 区、美丽单元、类别请从下拉列表中选择；区也可填区划代码（如 440112）。"),
            _("4. 总投资以万元为单位，填数字；年份填四位数字。单元格中不要使用公式。"),
            _("5. 区用户只能申报本区项目。全国投资项目代码如有，格式为 YYYY-4401XX-NN-NN-NNNNNN。"),
            _(
                "6. 上传后先预览：任何一行有误则全部不保存，并逐行逐列列出错误；"
                "全部正确后确认，项目将作为草稿保存。"
            ),
            _(
                "7. 同名项目（同一区内）或相同的全国投资项目代码不能重复申报，"
                "重复上传同一文件不会产生重复项目。"
            ),
        ),
    )

    for index, header in enumerate(HEADERS):
        set_width(sheet, index, 18 if index else 36)
        sheet.write_string(0, index, header)
    sheet.freeze_panes(1, 0)
    for column, source, count in ((1, "A", len(districts)), (2, "B", len(units)), (3, "C", len(categories))):
        if not count:
            continue
        sheet.data_validation(
            1,
            column,
            MAX_ROWS,
            column,
            {
                "validate": "list",
                "source": f"=选项!${source}$1:${source}${count}",
                "ignore_blank": True,
                "error_title": _("无效的值"),
                "error_message": _("请从下拉列表中选择。"),
            },
        )

    # Row by row, as a constant-memory sheet is written: the districts, the units and the categories side
    # by side.
    for row, values in enumerate(zip_longest(districts, units, categories)):
        for column, value in enumerate(values):
            if value:
                options.write_string(row, column, clean(value))
    sheet.activate()
    options.hide()
    return workbook


# The monthly reports' template: one row per project that reports for the month, the figures of the month
# before for reference, and the four cells of the month to fill (its reader is projects.report_imports).

REPORT_SHEET = "月报"
REPORT_KEY = "项目编号"
REPORT_MAX_ROWS = 5000
# (header, service field): the cells the import reads besides the key.
REPORT_FILL = [
    ("本月完成投资（万元）", "completed_amount"),
    ("形象进度（%）", "progress_percent"),
    ("形象进度说明", "physical_progress"),
    ("存在问题", "problems_note"),
]
REPORT_HEADERS = [REPORT_KEY, *(header for header, _field in REPORT_FILL)]
REPORT_HEADER_OF = {name: header for header, name in REPORT_FILL}
# (header, width): for reference only, never read back.
REPORT_REFERENCE = [
    ("项目名称", 30),
    ("区", 8),
    ("上月完成投资（万元）", 13),
    ("上月形象进度（%）", 11),
    ("本年累计（万元）", 13),
    ("本月月报状态", 10),
]
# Under A3_ABOVE_WIDTH in all: the month's form prints on A4 landscape.
# The key column fits the longest codes (MLGZ-440112-2024-0001).
REPORT_WIDTHS = [22, *(w for _h, w in REPORT_REFERENCE), 13, 10, 26, 22]
REFERENCE_FILL = "#F2F2F2"
FILL_IN = "#FFF7D6"
FILL_IN_HEADER = "#FFE699"
PERCENT_FORMAT = "0.0"
# Thin grey lines: printed, the sheet reads as a form to fill, not as loose numbers.
GRID = {"border": 1, "border_color": "#BFBFBF"}
WRAPPED = {"text_wrap": True, "valign": "top"}
TOP = {"valign": "top"}
# Reports in these states are left as they are by the import; their rows carry no figures to fill.
REPORT_LOCKED = (ReportStatus.SUBMITTED, ReportStatus.ACCEPTED)


def _year_to_date_before(ids: list[int], period: datetime.date) -> dict:
    """Each project's completed investment this year before `period`, one grouped query."""
    rows = (
        ProgressReport.objects.filter(project__in=ids, period__year=period.year, period__lt=period)
        .order_by()
        .values_list("project")
        .annotate(total=Sum("completed_amount"))
    )
    return dict(rows)


def _report_looks(workbook: Workbook, *, fill_from: int) -> tuple[list, list, list]:
    """The formats of the header's cells, and of a row's cells to fill and locked, counted from 0: the
    cells to fill in yellow, the reference in grey; amounts in 万元, percentages to a tenth."""
    header, open_row, locked_row = [], [], []
    for index in range(len(REPORT_WIDTHS)):
        header.append(
            workbook.look(
                **BOLD,
                **GRID,
                pattern=1,
                bg_color=FILL_IN_HEADER if index >= fill_from else HEADER_FILL,
                text_wrap=True,
                valign="vcenter",
                align="center",
            )
        )
        shape = dict(WRAPPED if index >= fill_from + 2 or index == 1 else TOP)
        if index in (3, 5, fill_from):
            shape["num_format"] = WAN_FORMAT
        elif index in (4, fill_from + 1):
            shape["num_format"] = PERCENT_FORMAT
        for row, fill in (
            (open_row, FILL_IN if index >= fill_from else REFERENCE_FILL),
            (locked_row, REFERENCE_FILL),
        ):
            row.append(workbook.look(**GRID, **shape, pattern=1, bg_color=fill))
    return header, open_row, locked_row


def _write_cells(ws, row: int, values: list, looks: list) -> None:
    """A row of the form: every cell in its format, text as text, an empty cell still lined and filled."""
    for column, (value, look) in enumerate(zip(values, looks, strict=True)):
        if value is None or value == "":
            ws.write_blank(row, column, None, look)
        elif isinstance(value, str):
            ws.write_string(row, column, clean(value), look)
        else:
            ws.write_number(row, column, value, look)


def report_template_workbook(*, user, period: datetime.date) -> Workbook:
    """The month `period` to fill for every project `user` reports for (reporting_projects: a district its
    own, city staff every district), each with last month's figures and this month's draft if there is
    one: monthly_todo and one grouped sum, four queries whatever the number of projects."""
    todo = monthly_todo(user=user, period=period)
    year_to_date = _year_to_date_before([row["project"].pk for row in todo], period)
    due = report_due(period)
    month = f"{period:%Y-%m}"
    statuses = labels(ReportStatus)
    scope = access.scope_label(user)

    workbook = Workbook()
    notes = workbook.add_worksheet("说明")
    sheet = workbook.add_worksheet(REPORT_SHEET)

    set_width(notes, 0, 110)
    print_setup(notes, width=110, title_rows=1)
    notes.write_string(
        0, 0, _("美丽广州建设重大项目库 · %(m)s 月报批量填报") % {"m": month}, workbook.look(**TITLE)
    )
    wrapped = workbook.look(text_wrap=True, valign="top")
    lines = (
        "",
        _("填报月份：%(m)s　报送截止：%(d)s（次月第 %(n)d 个工作日%(guess)s）")
        % {
            "m": month,
            "d": f"{due.day:%Y-%m-%d}",
            "n": settings.PROGRESS_REPORT_DUE_WORKING_DAY,
            "guess": "" if due.official else _("；该年官方节假日安排未公布，按周一至周五推算"),
        },
        _("数据范围：%(scope)s，共 %(n)d 个应报项目；下载时间 %(t)s")
        % {
            "scope": scope,
            "n": len(todo),
            "t": f"{timezone.localtime():%Y-%m-%d %H:%M}",
        },
        "",
        _(
            "1. 在“月报”工作表中逐行填写黄色的四列；"
            "灰色各列（项目名称、区、上月数据、本年累计、状态）仅供参考，不会导入。"
        ),
        _("2. 项目编号用于识别项目，请勿修改；不需要填报的行，四个填报列留空即可，导入时跳过。"),
        _("3. 本月完成投资以万元为单位，填不小于 0 的数字（最多两位小数），本月没有完成投资请填 0。"),
        _("4. 形象进度填 0 至 100 的百分数（保留一位小数），不能低于此前最近一期月报的形象进度。"),
        _("5. 单元格中请直接填写数值或文字，不要使用公式。"),
        _("6. 已报送或已审核的月报不能通过导入修改，这些行的填报列为灰色，请留空。"),
        _("7. 导入后的月报为草稿（已退回的仍为已退回），核对后请在系统中逐项报送。"),
        _("8. 上传后先预览：任何一行有误则全部不保存，并逐行逐列列出错误；全部正确后确认导入。"),
    )
    notes.write_blank(1, 0, None, wrapped)
    notes.write_string(2, 0, lines[1], workbook.look(**BOLD, text_wrap=True, valign="top"))
    _lines(notes, lines[2:], start=3, look=wrapped)

    headers = [REPORT_KEY, *(h for h, _w in REPORT_REFERENCE), *(h for h, _n in REPORT_FILL)]
    fill_from = 1 + len(REPORT_REFERENCE)  # the first column to fill, counted from 0
    header_looks, open_looks, locked_looks = _report_looks(workbook, fill_from=fill_from)
    for index, width in enumerate(REPORT_WIDTHS):
        set_width(sheet, index, width)
    last_row = max(len(todo) + 1, 2)  # counted from 1, as the ranges below are written
    sheet.freeze_panes(1, 1)
    sheet.autofilter(0, 0, last_row - 1, len(headers) - 1)
    header_text = _("%(m)s 月报（%(scope)s，%(n)d 个项目）") % {"m": month, "scope": scope, "n": len(todo)}
    print_setup(sheet, width=sum(REPORT_WIDTHS), title_rows=1, header="&C" + header_text.replace("&", "&&"))
    for column, rule in ((fill_from, "amount"), (fill_from + 1, "percent")):
        if rule == "amount":
            options = {
                "criteria": ">=",
                "value": 0,
                "error_message": _("本月完成投资应为不小于 0 的数字（万元）。"),
            }
        else:
            options = {
                "criteria": "between",
                "minimum": 0,
                "maximum": 100,
                "error_message": _("形象进度应为 0 至 100 之间的数字。"),
            }
        sheet.data_validation(
            1,
            column,
            last_row - 1,
            column,
            {"validate": "decimal", "ignore_blank": True, "error_title": _("无效的值"), **options},
        )
    sheet.set_row(0, 33)
    _write_cells(sheet, 0, headers, header_looks)
    for number, item in enumerate(todo, start=1):
        project, report, previous = item["project"], item["report"], item["previous"]
        locked = report is not None and report.status in REPORT_LOCKED
        # A draft or returned report of the month fills the cells, so that the file, sent back, keeps it.
        draft = report if report is not None and not locked else None
        values = [
            project.code,  # the key, text whatever it looks like
            project.name,
            project.district.name,
            wan(previous.completed_amount) if previous else None,
            previous.progress_percent if previous else None,
            wan(year_to_date.get(project.pk, 0)),
            statuses[report.status] if report is not None else _("未填报"),
            wan(draft.completed_amount) if draft else None,
            draft.progress_percent if draft else None,
            (draft.physical_progress or None) if draft else None,
            (draft.problems_note or None) if draft else None,
        ]
        _write_cells(sheet, number, values, locked_looks if locked else open_looks)
    sheet.activate()
    return workbook
