"""A 申报 batch as the application list the city sends up (项目申报表): one row per project put forward,
with its procedures, whether it went in by override, and the outcome; in a constant number of queries."""

from django.utils import timezone

from portfolio.excel import Column, Sheet, new_workbook

from .choices import EntryOutcome
from .models import ApplicationBatch


def _procedures(row) -> str:
    entry = row[1]
    return "；".join(
        f"{line.label}{line.status_label}" + (f"（{line.approval_no}）" if line.approval_no else "")
        for line in entry.procedure_lines
    )


COLUMNS = [
    Column("序号", lambda r: r[0], kind="int", width=6),
    Column("区", lambda r: r[1].project.district.name, width=8),
    Column("项目编号", lambda r: r[1].project.code, width=20),
    Column("项目名称", lambda r: r[1].project.name, width=32),
    Column("全国投资项目代码", lambda r: r[1].project.national_code, width=26),
    Column("建设内容", lambda r: r[1].project.content, width=40, wrap=True),
    Column("总投资（万元）", lambda r: r[1].project.total_investment, kind="wan", total=True),
    Column("申报金额（万元）", lambda r: r[1].requested_amount, kind="wan", total=True),
    Column("前期手续办理情况", _procedures, width=40, wrap=True),
    Column("是否越过条件", lambda r: "是" if r[1].overridden else "否", width=8),
    Column("批复结果", lambda r: r[1].get_outcome_display(), width=10),
    Column(
        "获批金额（万元）",
        lambda r: r[1].approved_amount if r[1].outcome == EntryOutcome.APPROVED else None,
        kind="wan",
        total=True,
    ),
    Column("批复文号", lambda r: r[1].document_no, width=24),
]


def batch_workbook(*, batch: ApplicationBatch, entries: list, user, scope: str):
    """The workbook of `batch`'s `entries` (financing.readiness.batch_entries: those `user` sees, with
    their procedures)."""
    workbook = new_workbook()
    title = [
        f"{batch.name} 项目申报表",
        f"资金渠道：{batch.get_programme_display()}　年度：{batch.year}　状态：{batch.get_status_display()}",
        f"数据范围：{scope}",
        f"导出时间：{timezone.localtime():%Y-%m-%d %H:%M}　导出人：{user.get_username()}",
        "金额单位：万元",
    ]
    sheet = Sheet(workbook, "申报表", COLUMNS, heading=title)
    for number, entry in enumerate(entries, start=1):
        sheet.add((number, entry))
    sheet.finish()
    return workbook, {"entries": sheet.rows}
