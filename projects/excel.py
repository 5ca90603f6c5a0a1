"""The workbooks of projects: projects.xlsx, one row per project, with funding by source, loans and
milestones, in a fixed number of queries whatever the number of projects (grouped sums loaded once,
projects streamed); and the template of the batch import (its reader is projects.imports)."""

from django.db.models import Count
from django.utils import timezone
from django.utils.translation import gettext as _
from openpyxl import Workbook
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.datavalidation import DataValidation

from financing.choices import SourceType
from financing.models import Loan
from financing.selectors import approved_by_source, loan_totals_by
from portfolio.excel import Column, Sheet, field, heading, labels, new_workbook, rows_of

from .choices import Category, ReviewStatus, Stage
from .models import District, Milestone, Unit


def project_columns(extra: dict) -> list[Column]:
    """The columns of projects.xlsx over values() rows of projects (with their financing totals and "pk"),
    with `extra` from project_figures: plain values, no model instances (the export's cost is writing)."""
    approved, loans, milestones = extra["approved"], extra["loans"], extra["milestones"]
    following, overdue = milestones["next"], milestones["overdue"]
    nothing = {"disbursed": 0, "outstanding": 0}
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
    for source in SourceType:
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
        field("贷款金额（万元）", "loan_principal_total", kind="wan", total=True),
        Column("已提款（万元）", lambda p: loans.get(p["pk"], nothing)["disbursed"], kind="wan", total=True),
        Column(
            "未偿还本金（万元）", lambda p: loans.get(p["pk"], nothing)["outstanding"], kind="wan", total=True
        ),
        Column("下一节点", lambda p: following.get(p["pk"], (None, None))[0], width=16),
        Column("下一节点计划日期", lambda p: following.get(p["pk"], (None, None))[1], kind="date", width=14),
        Column("逾期节点数", lambda p: overdue.get(p["pk"], 0), kind="int", width=10),
    ]
    return columns


def project_figures(projects) -> dict:
    """What each row needs beyond the project itself, one grouped query each, keyed by project id."""
    ids = projects.order_by().values("pk")
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
        "loans": loan_totals_by(Loan.objects.filter(project__in=ids), "project"),
        "milestones": {"next": following, "overdue": overdue},
    }


def projects_workbook(*, rows, user, filters: dict, scope: str):
    """The workbook of `rows` (projects from selectors.project_list: scoped, filtered, with their financing
    totals), in their order: one sheet, streamed."""
    workbook = new_workbook()
    columns = project_columns(project_figures(rows))
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
