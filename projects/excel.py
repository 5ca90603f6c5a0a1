"""The workbooks of projects: projects.xlsx, one row per project, with funding by source, loans and
milestones, in a fixed number of queries whatever the number of projects (grouped sums loaded once,
projects streamed); the template of the batch import (its reader is projects.imports); and the monthly
reports' template, a district's month to fill in one sheet (its reader is projects.report_imports)."""

import datetime

from django.conf import settings
from django.db.models import Count, Sum
from django.utils import timezone
from django.utils.translation import gettext as _
from openpyxl import Workbook
from openpyxl.styles import Alignment, Border, Font, PatternFill, Side
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.datavalidation import DataValidation

from financing.choices import SourceType
from financing.models import Loan
from financing.selectors import approved_by_source, loan_totals_by
from portfolio import access
from portfolio.excel import (
    BOLD,
    HEADER_FILL,
    TITLE,
    WAN_FORMAT,
    Column,
    Sheet,
    field,
    heading,
    labels,
    new_workbook,
    print_setup,
    rows_of,
    wan,
)

from .choices import Category, ReportStatus, ReviewStatus, Stage
from .deadlines import report_due
from .models import District, Milestone, ProgressReport, Unit
from .selectors.progress import monthly_todo


def project_columns(extra: dict, *, lender: bool = False) -> list[Column]:
    """The columns of projects.xlsx over values() rows of projects (with their financing totals and "pk"),
    with `extra` from project_figures: plain values, no model instances (the export's cost is writing).

    A lender's file leaves out what its scope does not hold (portfolio.access): the funding lines by
    source and the milestones; its loan columns are its own bank's loans. The project's contacts and
    remarks are in no one's file."""
    approved, loans, milestones = extra["approved"], extra["loans"], extra["milestones"]
    following, overdue = milestones["next"], milestones["overdue"]
    nothing = {"principal": 0, "disbursed": 0, "outstanding": 0}
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
    for source in SourceType if not lender else ():
        columns.append(
            Column(
                f"批复·{source.label}（万元）",
                lambda p, s=source.value: approved.get((p["pk"], s)),
                kind="wan",
                total=True,
            )
        )
    columns += [
        field("资金缺口（万元）", "funding_gap", kind="wan", total=True),
        field("资金超出（万元）", "funding_surplus", kind="wan", total=True),
        # The project's live loans (with_financing_totals); a lender's file, its own bank's.
        Column("贷款金额（万元）", lambda p: loans.get(p["pk"], nothing)["principal"], kind="wan", total=True)
        if lender
        else field("贷款金额（万元）", "loan_principal_total", kind="wan", total=True),
        Column("已提款（万元）", lambda p: loans.get(p["pk"], nothing)["disbursed"], kind="wan", total=True),
        Column(
            "未偿还本金（万元）", lambda p: loans.get(p["pk"], nothing)["outstanding"], kind="wan", total=True
        ),
    ]
    if not lender:
        columns += [
            Column("下一节点", lambda p: following.get(p["pk"], (None, None))[0], width=16),
            Column(
                "下一节点计划日期", lambda p: following.get(p["pk"], (None, None))[1], kind="date", width=14
            ),
            Column("逾期节点数", lambda p: overdue.get(p["pk"], 0), kind="int", width=10),
        ]
    return columns


def project_figures(projects, *, user) -> dict:
    """What each row needs beyond the project itself, one grouped query each, keyed by project id; of the
    loans, those `user` may see (a lender, its own bank's). A lender's file has no columns of funding
    lines or milestones (none of them are in its scope): it reads none."""
    ids = projects.order_by().values("pk")
    loans = loan_totals_by(Loan.objects.visible_to(user).filter(project__in=ids), "project")
    if access.role_of(user) == access.LENDER:
        return {"approved": {}, "loans": loans, "milestones": {"next": {}, "overdue": {}}}
    following = {}
    open_milestones = Milestone.objects.filter(project__in=ids, actual_date__isnull=True)
    for project, name, planned in open_milestones.order_by("project", "planned_date", "pk").values_list(
        "project", "name", "planned_date"
    ):
        following.setdefault(project, (name, planned))
    overdue = dict(
        Milestone.objects.filter(project__in=ids)
        .overdue(timezone.localdate())
        .order_by()
        .values_list("project")
        .annotate(n=Count("pk"))
    )
    return {
        "approved": approved_by_source(projects),
        "loans": loans,
        "milestones": {"next": following, "overdue": overdue},
    }


def projects_workbook(*, rows, user, filters: dict, scope: str):
    """The workbook of `rows` (projects from selectors.project_list: scoped, filtered, with their financing
    totals), in their order: one sheet, streamed."""
    workbook = new_workbook()
    columns = project_columns(project_figures(rows, user=user), lender=access.role_of(user) == access.LENDER)
    sheet = Sheet(
        workbook,
        "项目",
        columns,
        heading=heading(what="美丽广州建设重大项目库 · 项目清单", filters=filters, scope=scope, user=user),
    )
    for row in rows_of(rows, columns, extra=["pk"]):
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


def template_workbook(user) -> Workbook:
    workbook = Workbook()
    sheet = workbook.active
    sheet.title = SHEET
    sheet.append(HEADERS)
    for index in range(1, len(COLUMNS) + 1):
        sheet.column_dimensions[get_column_letter(index)].width = 18 if index != 1 else 36
    sheet.freeze_panes = "A2"
    options = workbook.create_sheet("选项")
    districts = list(District.objects.order_by("code").values_list("name", flat=True))
    units = list(Unit.objects.visible_to(user).order_by("district", "name").values_list("name", flat=True))
    categories = [str(label) for label in Category.labels]
    for column, values in enumerate((districts, units, categories), start=1):
        for row, value in enumerate(values, start=1):
            options.cell(row=row, column=column, value=value)
    options.sheet_state = "hidden"
    for column_letter, source, count in (
        ("B", "A", len(districts)),
        ("C", "B", len(units)),
        ("D", "C", len(categories)),
    ):
        if not count:
            continue
        validation = DataValidation(
            type="list", formula1=f"=选项!${source}$1:${source}${count}", allow_blank=True
        )
        validation.error = _("请从下拉列表中选择。")
        validation.errorTitle = _("无效的值")
        sheet.add_data_validation(validation)
        validation.add(f"{column_letter}2:{column_letter}{MAX_ROWS + 1}")
    notes = workbook.create_sheet("说明", 0)
    for line in (
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
        _("7. 同名项目（同一区内）或相同的全国投资项目代码不能重复申报，重复上传同一文件不会产生重复项目。"),
    ):
        notes.append([line])
    notes.column_dimensions["A"].width = 100
    workbook.active = 1
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
REFERENCE_FILL = PatternFill("solid", fgColor="F2F2F2")
FILL_IN = PatternFill("solid", fgColor="FFF7D6")
FILL_IN_HEADER = PatternFill("solid", fgColor="FFE699")
PERCENT_FORMAT = "0.0"
# Thin grey lines: printed, the sheet reads as a form to fill, not as loose numbers.
_LINE = Side(style="thin", color="BFBFBF")
GRID = Border(left=_LINE, right=_LINE, top=_LINE, bottom=_LINE)
WRAPPED = Alignment(wrap_text=True, vertical="top")
TOP = Alignment(vertical="top")
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
    sheet = workbook.active
    sheet.title = REPORT_SHEET
    headers = [REPORT_KEY, *(h for h, _w in REPORT_REFERENCE), *(h for h, _n in REPORT_FILL)]
    sheet.append(headers)
    fill_from = 2 + len(REPORT_REFERENCE)  # the first column to fill, counted from 1
    for index, header_cell in enumerate(sheet[1], start=1):
        header_cell.font = BOLD
        header_cell.fill = FILL_IN_HEADER if index >= fill_from else HEADER_FILL
        header_cell.alignment = Alignment(wrap_text=True, vertical="center", horizontal="center")
        header_cell.border = GRID
        sheet.column_dimensions[get_column_letter(index)].width = REPORT_WIDTHS[index - 1]
    sheet.row_dimensions[1].height = 33
    for item in todo:
        project, report, previous = item["project"], item["report"], item["previous"]
        locked = report is not None and report.status in REPORT_LOCKED
        # A draft or returned report of the month fills the cells, so that the file, sent back, keeps it.
        draft = report if report is not None and not locked else None
        sheet.append(
            [
                project.code,
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
        )
        number = sheet.max_row
        for index, cell in enumerate(sheet[number], start=1):
            cell.fill = FILL_IN if index >= fill_from and not locked else REFERENCE_FILL
            cell.border = GRID
            cell.alignment = WRAPPED if index >= fill_from + 2 or index == 2 else TOP
            if index in (4, 6, fill_from):
                cell.number_format = WAN_FORMAT
            elif index in (5, fill_from + 1):
                cell.number_format = PERCENT_FORMAT
        # The code is text, whatever it looks like.
        sheet.cell(row=number, column=1).data_type = "s"
    last_row = max(sheet.max_row, 2)
    for column, rule in ((fill_from, "amount"), (fill_from + 1, "percent")):
        letter = get_column_letter(column)
        if rule == "amount":
            validation = DataValidation(type="decimal", operator="greaterThanOrEqual", formula1="0")
            validation.error = _("本月完成投资应为不小于 0 的数字（万元）。")
        else:
            validation = DataValidation(type="decimal", operator="between", formula1="0", formula2="100")
            validation.error = _("形象进度应为 0 至 100 之间的数字。")
        validation.errorTitle = _("无效的值")
        validation.allow_blank = True
        sheet.add_data_validation(validation)
        validation.add(f"{letter}2:{letter}{last_row}")
    sheet.freeze_panes = "B2"
    sheet.auto_filter.ref = f"A1:{get_column_letter(len(headers))}{last_row}"
    print_setup(sheet, width=sum(REPORT_WIDTHS), title_rows=1)
    sheet.oddHeader.center.text = _("%(m)s 月报（%(scope)s，%(n)d 个项目）") % {
        "m": month,
        "scope": scope,
        "n": len(todo),
    }

    notes = workbook.create_sheet("说明", 0)
    notes.append([_("美丽广州建设重大项目库 · %(m)s 月报批量填报") % {"m": month}])
    notes["A1"].font = TITLE
    for line in (
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
    ):
        notes.append([line])
    notes.column_dimensions["A"].width = 110
    for row in notes.iter_rows(min_row=2):
        row[0].alignment = Alignment(wrap_text=True, vertical="top")
    notes["A3"].font = Font(bold=True)
    print_setup(notes, width=110, title_rows=1)
    workbook.active = 1
    return workbook
