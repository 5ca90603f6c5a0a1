"""financing.xlsx: funding lines, loans, disbursements, repayments and the repayment schedules of the
projects a list shows, one sheet each, in a fixed number of queries."""

from portfolio import access
from portfolio.excel import Column, Sheet, field, heading, labels, new_workbook, rows_of

from .choices import FundingStatus, LoanStatus, RepaymentMethod, SourceType
from .models import Disbursement, FundingLine, Installment, Loan, Repayment
from .selectors import with_loan_balances


def _project(path: str) -> list[Column]:
    """The project columns of a row read through `path` (the lookup from the row's model to the project)."""
    return [
        field("项目编号", f"{path}__code", width=22),
        field("项目名称", f"{path}__name", width=36),
        field("区", f"{path}__district__name", width=8),
    ]


# Terminated loans are listed with their own figures but count in no total (financing.selectors).
NOT_TERMINATED = "不含已终止贷款"


def _sheet(workbook, name: str, columns: list[Column], queryset, order, title, *, loan_status=None) -> int:
    """A sheet of `queryset`'s rows in `order`; the number of rows. With `loan_status` (the values() field
    of the row's loan status), rows of terminated loans are left out of the totals."""
    counted = None if loan_status is None else (lambda row: row[loan_status] != LoanStatus.TERMINATED)
    sheet = Sheet(
        workbook,
        name,
        columns,
        heading=title,
        counted=counted,
        uncounted_note=NOT_TERMINATED if counted else "",
    )
    extra = () if loan_status is None else (loan_status,)
    for row in rows_of(queryset, columns, extra=extra, order=order):
        sheet.add(row)
    sheet.finish()
    return sheet.rows


def financing_workbook(*, rows, user, filters: dict, scope: str):
    """The ledger of the projects `rows` (from selectors.project_list), one sheet per kind of entry, each
    grouped by project in the library's order (district, code). Each sheet's records are also those
    `user` may see: a lender's file holds its own bank's loans and their entries, and no funding lines."""
    ids = rows.order_by().values("pk")
    workbook = new_workbook()
    title = heading(what="美丽广州建设重大项目库 · 资金与贷款", filters=filters, scope=scope, user=user)
    counts = {}

    columns = [
        *_project("project"),
        field("资金来源", "source_type", shown=labels(SourceType), width=22),
        field("项目批次", "programme", width=24),
        field("年度", "year", kind="int", width=8),
        field("文号", "document_no", width=20),
        field("状态", "status", shown=labels(FundingStatus), width=10),
        field("计划金额（万元）", "planned_amount", kind="wan", total=True),
        field("批复金额（万元）", "approved_amount", kind="wan", total=True),
        field("到位金额（万元）", "received_amount", kind="wan", total=True),
        field("贴息贷款", "loan__lender__name", width=22),
        field("贴息率（%）", "subsidy_rate", kind="percent", width=10),
    ]
    # A bank sees no funding lines: its workbook has no sheet of them rather than an empty one.
    counts["funding_lines"] = 0
    if access.role_of(user) != access.LENDER:
        lines = FundingLine.objects.visible_to(user).filter(project__in=ids)
        order = ("project__district", "project__code", "year", "pk")
        counts["funding_lines"] = _sheet(workbook, "资金来源", columns, lines, order, title)

    columns = [
        *_project("project"),
        field("贷款银行", "lender__name", width=26),
        field("贷款主体", "borrower__name", width=30),
        field("合同编号", "contract_no", width=18),
        field("签约日期", "signed_on", kind="date", width=12),
        field("贷款金额（万元）", "principal", kind="wan", total=True),
        field("期限（月）", "term_months", kind="int", width=8),
        field("年利率（%）", "annual_rate", kind="percent", width=9),
        field("宽限期（月）", "grace_months", kind="int", width=8),
        field("还款方式", "repayment_method", shown=labels(RepaymentMethod), width=12),
        field("状态", "status", shown=labels(LoanStatus), width=8),
        field("已提款（万元）", "disbursed", kind="wan", total=True),
        field("未偿还本金（万元）", "outstanding", kind="wan", total=True),
    ]
    loans = Loan.objects.visible_to(user).filter(project__in=ids)
    by_project = ("project__district", "project__code", "pk")
    counts["loans"] = _sheet(
        workbook, "贷款", columns, with_loan_balances(loans), by_project, title, loan_status="status"
    )

    for model, name, amounts in (
        (Disbursement, "提款", {"amount": "提款金额（万元）"}),
        (Repayment, "还款", {"principal": "偿还本金（万元）", "interest": "支付利息（万元）"}),
    ):
        columns = [
            *_project("loan__project"),
            field("贷款银行", "loan__lender__name", width=26),
            field("合同编号", "loan__contract_no", width=18),
            field("日期", "date", kind="date", width=12),
            *(field(header, amount, kind="wan", total=True) for amount, header in amounts.items()),
        ]
        entries = model.objects.visible_to(user).filter(loan__project__in=ids)
        order = ("loan__project__district", "loan__project__code", "loan", "date", "pk")
        counts[model._meta.model_name] = _sheet(
            workbook, name, columns, entries, order, title, loan_status="loan__status"
        )

    # The stored installments of those loans, read with values() in one query (their rows are kept in step
    # with the loans by financing.installments).
    columns = [
        field("项目编号", "loan__project__code", width=22),
        field("项目名称", "loan__project__name", width=36),
        field("贷款银行", "loan__lender__name", width=26),
        field("期次", "number", kind="int", width=6),
        field("到期日", "due", kind="date", width=12),
        field("本金（万元）", "principal", kind="wan", total=True),
        field("利息（万元）", "interest", kind="wan", total=True),
        Column(
            "合计（万元）",
            lambda row: row["principal"] + row["interest"],
            kind="wan",
            total=True,
            reads=("principal", "interest"),
        ),
        field("期末本金（万元）", "closing_balance", kind="wan"),
        field("已还本金（万元）", "paid_principal", kind="wan", total=True),
    ]
    installments = Installment.objects.filter(loan__in=loans.order_by().values("pk"))
    order = ("loan__project__district", "loan__project__code", "loan", "number")
    counts["installments"] = _sheet(
        workbook, "还款计划", columns, installments, order, title, loan_status="loan__status"
    )
    return workbook, counts
