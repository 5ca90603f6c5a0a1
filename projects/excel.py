"""projects.xlsx: one row per project, with funding by source, loans and milestones, in a fixed number of
queries whatever the number of projects (grouped sums loaded once, projects streamed)."""

from django.db.models import Count, Sum
from django.utils import timezone

from financing.choices import LoanStatus, SourceType
from financing.models import Disbursement, FundingLine, Repayment
from portfolio.excel import Column, Sheet, heading, new_workbook

from .models import Milestone

GRANTED = ["approved", "received"]


def _sums(queryset, key: str, amount: str) -> dict:
    return dict(queryset.order_by().values_list(key).annotate(total=Sum(amount)))


def project_columns(extra: dict) -> list[Column]:
    approved, loans, milestones = extra["approved"], extra["loans"], extra["milestones"]
    columns = [
        Column("项目编号", lambda p: p.code, width=22),
        Column("全国投资项目代码", lambda p: p.national_code, width=26),
        Column("项目名称", lambda p: p.name, width=40),
        Column("区", lambda p: p.district.name, width=8),
        Column("美丽单元", lambda p: p.unit.name if p.unit else "", width=22),
        Column("类别", lambda p: p.get_category_display(), width=14),
        Column("阶段", lambda p: p.get_stage_display(), width=8),
        Column("入库状态", lambda p: p.get_review_status_display(), width=10),
        Column("实施主体", lambda p: p.implementing_org.name if p.implementing_org else "", width=30),
        Column("计划开工年份", lambda p: p.start_year, kind="int", width=10),
        Column("计划完工年份", lambda p: p.end_year, kind="int", width=10),
        Column("总投资（万元）", lambda p: p.total_investment, kind="wan", total=True),
    ]
    for source in SourceType:
        columns.append(
            Column(
                f"批复·{source.label}（万元）",
                lambda p, s=source.value: approved.get((p.pk, s)),
                kind="wan",
                total=True,
            )
        )
    columns += [
        Column("资金缺口（万元）", lambda p: p.funding_gap, kind="wan", total=True),
        Column("贷款金额（万元）", lambda p: p.loan_principal_total, kind="wan", total=True),
        Column("已提款（万元）", lambda p: loans["disbursed"].get(p.pk, 0), kind="wan", total=True),
        Column(
            "未偿还本金（万元）",
            lambda p: loans["disbursed"].get(p.pk, 0) - loans["repaid"].get(p.pk, 0),
            kind="wan",
            total=True,
        ),
        Column("下一节点", lambda p: milestones["next"].get(p.pk, (None, None))[0], width=16),
        Column(
            "下一节点计划日期", lambda p: milestones["next"].get(p.pk, (None, None))[1], kind="date", width=14
        ),
        Column("逾期节点数", lambda p: milestones["overdue"].get(p.pk, 0), kind="int", width=10),
    ]
    return columns


def project_figures(projects) -> dict:
    """What each row needs beyond the project itself, one grouped query each, keyed by project id."""
    ids = projects.order_by().values("pk")
    approved = {
        (project, source): total
        for project, source, total in FundingLine.objects.filter(project__in=ids, status__in=GRANTED)
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
    projects = (
        projects.with_financing_totals()
        .select_related("district", "unit", "implementing_org")
        .order_by("district", "code", "pk")
    )
    workbook = new_workbook()
    sheet = Sheet(
        workbook,
        "项目",
        project_columns(project_figures(projects)),
        heading=heading(what="美丽广州建设重大项目库 · 项目清单", filters=filters, scope=scope, user=user),
    )
    for project in projects.iterator(chunk_size=2000):
        sheet.add(project)
    sheet.finish()
    return workbook, sheet.rows
