"""projects.xlsx: one row per project, with funding by source, loans and milestones, in a fixed number of
queries whatever the number of projects (grouped sums loaded once, projects streamed)."""

from operator import itemgetter

from django.db.models import Count, Sum
from django.utils import timezone

from financing.choices import GRANTED_STATUSES, LoanStatus, SourceType
from financing.models import Disbursement, FundingLine, Repayment
from portfolio.excel import Column, Sheet, heading, labels, new_workbook

from .choices import Category, ReviewStatus, Stage
from .models import Milestone


def _sums(queryset, key: str, amount: str) -> dict:
    return dict(queryset.order_by().values_list(key).annotate(total=Sum(amount)))


# What each row reads from the database: plain values, no model instances (the export's main cost is writing).
ROW_FIELDS = (
    "pk",
    "code",
    "national_code",
    "name",
    "district__name",
    "unit__name",
    "category",
    "stage",
    "review_status",
    "implementing_org__name",
    "start_year",
    "end_year",
    "total_investment",
    "funding_gap",
    "loan_principal_total",
)


def project_columns(extra: dict) -> list[Column]:
    """The columns of projects.xlsx over rows of ROW_FIELDS, with `extra` from project_figures."""
    approved, loans, milestones = extra["approved"], extra["loans"], extra["milestones"]
    category, stage, status = labels(Category), labels(Stage), labels(ReviewStatus)
    disbursed, repaid = loans["disbursed"], loans["repaid"]
    following, overdue = milestones["next"], milestones["overdue"]
    columns = [
        Column("项目编号", itemgetter("code"), width=22),
        Column("全国投资项目代码", itemgetter("national_code"), width=26),
        Column("项目名称", itemgetter("name"), width=40),
        Column("区", itemgetter("district__name"), width=8),
        Column("美丽单元", itemgetter("unit__name"), width=22),
        Column("类别", lambda p: category[p["category"]], width=14),
        Column("阶段", lambda p: stage[p["stage"]], width=8),
        Column("入库状态", lambda p: status[p["review_status"]], width=10),
        Column("实施主体", itemgetter("implementing_org__name"), width=30),
        Column("计划开工年份", itemgetter("start_year"), kind="int", width=10),
        Column("计划完工年份", itemgetter("end_year"), kind="int", width=10),
        Column("总投资（万元）", itemgetter("total_investment"), kind="wan", total=True),
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
        Column("资金缺口（万元）", itemgetter("funding_gap"), kind="wan", total=True),
        Column("贷款金额（万元）", itemgetter("loan_principal_total"), kind="wan", total=True),
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
    sheet = Sheet(
        workbook,
        "项目",
        project_columns(project_figures(projects)),
        heading=heading(what="美丽广州建设重大项目库 · 项目清单", filters=filters, scope=scope, user=user),
    )
    for row in projects.values(*ROW_FIELDS).iterator(chunk_size=2000):
        sheet.add(row)
    sheet.finish()
    return workbook, sheet.rows
