"""projects.xlsx: one row per project, with funding by source, loans and milestones, in a fixed number of
queries whatever the number of projects (grouped sums loaded once, projects streamed)."""

from django.db.models import Count, Sum
from django.utils import timezone

from financing.choices import GRANTED_STATUSES, LoanStatus, SourceType
from financing.models import Disbursement, FundingLine, Repayment
from portfolio.excel import Column, Sheet, field, heading, labels, new_workbook, rows_of

from .choices import Category, ReviewStatus, Stage
from .models import Milestone


def _sums(queryset, key: str, amount: str) -> dict:
    return dict(queryset.order_by().values_list(key).annotate(total=Sum(amount)))


def project_columns(extra: dict) -> list[Column]:
    """The columns of projects.xlsx over values() rows of projects (with their financing totals and "pk"),
    with `extra` from project_figures: plain values, no model instances (the export's cost is writing)."""
    approved, loans, milestones = extra["approved"], extra["loans"], extra["milestones"]
    disbursed, repaid = loans["disbursed"], loans["repaid"]
    following, overdue = milestones["next"], milestones["overdue"]
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
        field("贷款金额（万元）", "loan_principal_total", kind="wan", total=True),
        Column("已提款（万元）", lambda p: disbursed.get(p["pk"], 0), kind="wan", total=True),
        Column(
            "未偿还本金（万元）",
            lambda p: disbursed.get(p["pk"], 0) - repaid.get(p["pk"], 0),
            kind="wan",
            total=True,
        ),
        Column("下一节点", lambda p: following.get(p["pk"], (None, None))[0], width=16),
        Column("下一节点计划日期", lambda p: following.get(p["pk"], (None, None))[1], kind="date", width=14),
        Column("逾期节点数", lambda p: overdue.get(p["pk"], 0), kind="int", width=10),
    ]
    return columns


def project_figures(projects) -> dict:
    """What each row needs beyond the project itself, one grouped query each, keyed by project id."""
    ids = projects.order_by().values("pk")
    approved = {
        (project, source): total
        for project, source, total in FundingLine.objects.filter(project__in=ids, status__in=GRANTED_STATUSES)
        .order_by()
        .values_list("project", "source_type")
        .annotate(total=Sum("approved_amount"))
    }
    live = {"loan__project__in": ids}
    loans = {
        "disbursed": _sums(
            Disbursement.objects.filter(**live).exclude(loan__status=LoanStatus.TERMINATED),
            "loan__project",
            "amount",
        ),
        "repaid": _sums(
            Repayment.objects.filter(**live).exclude(loan__status=LoanStatus.TERMINATED),
            "loan__project",
            "principal",
        ),
    }
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
    return {"approved": approved, "loans": loans, "milestones": {"next": following, "overdue": overdue}}


def projects_workbook(*, projects, user, filters: dict, scope: str):
    """The workbook of `projects` (already scoped and filtered): one sheet, streamed."""
    projects = projects.with_financing_totals().order_by("district", "code", "pk")
    workbook = new_workbook()
    columns = project_columns(project_figures(projects))
    sheet = Sheet(
        workbook,
        "项目",
        columns,
        heading=heading(what="美丽广州建设重大项目库 · 项目清单", filters=filters, scope=scope, user=user),
    )
    for row in rows_of(projects, columns, extra=["pk"]):
        sheet.add(row)
    sheet.finish()
    return workbook, sheet.rows
