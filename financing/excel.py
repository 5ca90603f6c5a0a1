"""financing.xlsx: funding lines, loans, disbursements, repayments and the repayment schedules of the
projects a list shows, one sheet each, in a fixed number of queries."""

from operator import itemgetter

from django.db.models import Prefetch

from portfolio.excel import Column, Sheet, heading, labels, new_workbook

from .choices import FundingStatus, LoanStatus, RepaymentMethod, SourceType
from .models import Disbursement, FundingLine, Loan, Repayment
from .selectors import loan_schedule


def _project(path: str) -> list[Column]:
    """The project columns of a row read through `path` (the lookup from the row's model to the project)."""
    return [
        Column("项目编号", itemgetter(f"{path}__code"), width=22),
        Column("项目名称", itemgetter(f"{path}__name"), width=36),
        Column("区", itemgetter(f"{path}__district__name"), width=8),
    ]


def _rows(queryset, columns: dict, *order):
    """The rows of `queryset` as dicts of the values `columns` read, streamed in `order`."""
    return queryset.order_by(*order).values(*columns).iterator(chunk_size=2000)


def financing_workbook(*, projects, user, filters: dict, scope: str):
    ids = projects.order_by().values("pk")
    workbook = new_workbook()
    title = heading(what="美丽广州建设重大项目库 · 资金与贷款", filters=filters, scope=scope, user=user)
    counts = {}
    source_type, funding_status = labels(SourceType), labels(FundingStatus)
    method, loan_status = labels(RepaymentMethod), labels(LoanStatus)

    lines = FundingLine.objects.filter(project__in=ids)
    sheet = Sheet(
        workbook,
        "资金来源",
        [
            *_project("project"),
            Column("资金来源", lambda f: source_type[f["source_type"]], width=22),
            Column("项目批次", itemgetter("programme"), width=24),
            Column("年度", itemgetter("year"), kind="int", width=8),
            Column("文号", itemgetter("document_no"), width=20),
            Column("状态", lambda f: funding_status[f["status"]], width=10),
            Column("计划金额（万元）", itemgetter("planned_amount"), kind="wan", total=True),
            Column("批复金额（万元）", itemgetter("approved_amount"), kind="wan", total=True),
            Column("到位金额（万元）", itemgetter("received_amount"), kind="wan", total=True),
            Column("贴息贷款", itemgetter("loan__lender__name"), width=22),
            Column("贴息率（%）", itemgetter("subsidy_rate"), kind="percent", width=10),
        ],
        heading=title,
    )
    fields = (
        "project__code",
        "project__name",
        "project__district__name",
        "source_type",
        "programme",
        "year",
        "document_no",
        "status",
        "planned_amount",
        "approved_amount",
        "received_amount",
        "loan__lender__name",
        "subsidy_rate",
    )
    for line in _rows(lines, fields, "project__district", "project__code", "year", "pk"):
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
            Column("项目编号", lambda i: i.project.code, width=22),
            Column("项目名称", lambda i: i.project.name, width=36),
            Column("区", lambda i: i.project.district.name, width=8),
            Column("贷款银行", lambda i: i.lender.name, width=26),
            Column("贷款主体", lambda i: i.borrower.name, width=30),
            Column("合同编号", lambda i: i.contract_no, width=18),
            Column("签约日期", lambda i: i.signed_on, kind="date", width=12),
            Column("贷款金额（万元）", lambda i: i.principal, kind="wan", total=True),
            Column("期限（月）", lambda i: i.term_months, kind="int", width=8),
            Column("年利率（%）", lambda i: i.annual_rate, kind="percent", width=9),
            Column("宽限期（月）", lambda i: i.grace_months, kind="int", width=8),
            Column("还款方式", lambda i: method[i.repayment_method], width=12),
            Column("状态", lambda i: loan_status[i.status], width=8),
            Column("已提款（万元）", lambda i: i.disbursed, kind="wan", total=True),
            Column("未偿还本金（万元）", lambda i: i.outstanding, kind="wan", total=True),
        ],
        heading=title,
    )
    for loan in loans.iterator(chunk_size=2000):
        sheet.add(loan)
    sheet.finish()
    counts["loans"] = sheet.rows

    entry_fields = (
        "loan__project__code",
        "loan__project__name",
        "loan__project__district__name",
        "loan__lender__name",
        "loan__contract_no",
        "date",
    )
    for model, name, amounts in (
        (Disbursement, "提款", {"amount": "提款金额（万元）"}),
        (Repayment, "还款", {"principal": "偿还本金（万元）", "interest": "支付利息（万元）"}),
    ):
        sheet = Sheet(
            workbook,
            name,
            [
                *_project("loan__project"),
                Column("贷款银行", itemgetter("loan__lender__name"), width=26),
                Column("合同编号", itemgetter("loan__contract_no"), width=18),
                Column("日期", itemgetter("date"), kind="date", width=12),
                *(
                    Column(header, itemgetter(field), kind="wan", total=True)
                    for field, header in amounts.items()
                ),
            ],
            heading=title,
        )
        fields = (*entry_fields, *amounts)
        entries = model.objects.filter(loan__project__in=ids)
        order = ("loan__project__district", "loan__project__code", "loan", "date", "pk")
        for entry in _rows(entries, fields, *order):
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
