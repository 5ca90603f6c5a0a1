"""financing.xlsx: funding lines, loans, disbursements, repayments and the repayment schedules of the
projects a list shows, one sheet each, in a fixed number of queries."""

from django.db.models import Prefetch

from portfolio.excel import Column, Sheet, heading, new_workbook

from .models import Disbursement, FundingLine, Loan, Repayment
from .selectors import loan_schedule


def _project(item):
    return item.project if hasattr(item, "project") else item.loan.project


PROJECT = [
    Column("项目编号", lambda i: _project(i).code, width=22),
    Column("项目名称", lambda i: _project(i).name, width=36),
    Column("区", lambda i: _project(i).district.name, width=8),
]
LOAN = [
    Column("贷款银行", lambda i: i.loan.lender.name, width=26),
    Column("合同编号", lambda i: i.loan.contract_no, width=18),
]


def financing_workbook(*, projects, user, filters: dict, scope: str):
    ids = projects.order_by().values("pk")
    workbook = new_workbook()
    title = heading(what="美丽广州建设重大项目库 · 资金与贷款", filters=filters, scope=scope, user=user)
    counts = {}

    lines = FundingLine.objects.filter(project__in=ids).select_related("project__district", "loan__lender")
    sheet = Sheet(
        workbook,
        "资金来源",
        [
            *PROJECT,
            Column("资金来源", lambda f: f.get_source_type_display(), width=22),
            Column("项目批次", lambda f: f.programme, width=24),
            Column("年度", lambda f: f.year, kind="int", width=8),
            Column("文号", lambda f: f.document_no, width=20),
            Column("状态", lambda f: f.get_status_display(), width=10),
            Column("计划金额（万元）", lambda f: f.planned_amount, kind="wan", total=True),
            Column("批复金额（万元）", lambda f: f.approved_amount, kind="wan", total=True),
            Column("到位金额（万元）", lambda f: f.received_amount, kind="wan", total=True),
            Column("贴息贷款", lambda f: f.loan.lender.name if f.loan else "", width=22),
            Column("贴息率（%）", lambda f: f.subsidy_rate, kind="percent", width=10),
        ],
        heading=title,
    )
    for line in lines.order_by("project__district", "project__code", "year", "pk").iterator(chunk_size=2000):
        sheet.add(line)
    sheet.finish()
    counts["funding_lines"] = sheet.rows

    loans = (
        Loan.objects.filter(project__in=ids)
        .select_related("project__district", "lender", "borrower")
        .with_balances()
        .order_by("project__district", "project__code", "pk")
    )
    sheet = Sheet(
        workbook,
        "贷款",
        [
            *PROJECT,
            Column("贷款银行", lambda i: i.lender.name, width=26),
            Column("贷款主体", lambda i: i.borrower.name, width=30),
            Column("合同编号", lambda i: i.contract_no, width=18),
            Column("签约日期", lambda i: i.signed_on, kind="date", width=12),
            Column("贷款金额（万元）", lambda i: i.principal, kind="wan", total=True),
            Column("期限（月）", lambda i: i.term_months, kind="int", width=8),
            Column("年利率（%）", lambda i: i.annual_rate, kind="percent", width=9),
            Column("宽限期（月）", lambda i: i.grace_months, kind="int", width=8),
            Column("还款方式", lambda i: i.get_repayment_method_display(), width=12),
            Column("状态", lambda i: i.get_status_display(), width=8),
            Column("已提款（万元）", lambda i: i.disbursed, kind="wan", total=True),
            Column("未偿还本金（万元）", lambda i: i.outstanding, kind="wan", total=True),
        ],
        heading=title,
    )
    for loan in loans.iterator(chunk_size=2000):
        sheet.add(loan)
    sheet.finish()
    counts["loans"] = sheet.rows

    for model, name, amount_columns in (
        (Disbursement, "提款", [Column("提款金额（万元）", lambda d: d.amount, kind="wan", total=True)]),
        (
            Repayment,
            "还款",
            [
                Column("偿还本金（万元）", lambda r: r.principal, kind="wan", total=True),
                Column("支付利息（万元）", lambda r: r.interest, kind="wan", total=True),
            ],
        ),
    ):
        entries = model.objects.filter(loan__project__in=ids).select_related(
            "loan__project__district", "loan__lender"
        )
        sheet = Sheet(
            workbook,
            name,
            [*PROJECT, *LOAN, Column("日期", lambda e: e.date, kind="date", width=12), *amount_columns],
            heading=title,
        )
        for entry in entries.order_by(
            "loan__project__district", "loan__project__code", "loan", "date", "pk"
        ).iterator(chunk_size=2000):
            sheet.add(entry)
        sheet.finish()
        counts[model._meta.model_name] = sheet.rows

    sheet = Sheet(
        workbook,
        "还款计划",
        [
            Column("项目编号", lambda r: r[0].project.code, width=22),
            Column("项目名称", lambda r: r[0].project.name, width=36),
            Column("贷款银行", lambda r: r[0].lender.name, width=26),
            Column("期次", lambda r: r[1].number, kind="int", width=6),
            Column("到期日", lambda r: r[1].due, kind="date", width=12),
            Column("本金（万元）", lambda r: r[1].principal, kind="wan", total=True),
            Column("利息（万元）", lambda r: r[1].interest, kind="wan", total=True),
            Column("合计（万元）", lambda r: r[1].total, kind="wan", total=True),
            Column("期末本金（万元）", lambda r: r[1].closing_balance, kind="wan"),
            Column("已还本金（万元）", lambda r: r[1].paid_principal, kind="wan", total=True),
        ],
        heading=title,
    )
    for loan in loans.prefetch_related(
        Prefetch("disbursements", queryset=Disbursement.objects.order_by("date", "pk")),
        Prefetch("repayments", queryset=Repayment.objects.order_by("date", "pk")),
    ):
        schedule = loan_schedule(
            loan=loan, disbursements=loan.disbursements.all(), repayments=loan.repayments.all()
        )
        for installment in schedule.installments if schedule else []:
            sheet.add((loan, installment))
    sheet.finish()
    counts["installments"] = sheet.rows
    return workbook, counts
