"""Financing's tables: the ledger of organisations, funding lines and loans, and the 政银企 platform's
demands and intentions (ledger.py); the programmes' conditions and the 申报 batches (readiness.py)."""

from .ledger import (
    MONEY,
    CreditIntention,
    Disbursement,
    FinancingDemand,
    FundingLine,
    Loan,
    Organization,
    Repayment,
)
from .readiness import ApplicationBatch, BatchEntry, ProgrammeRule
from .schedule import Installment, LoanBalance
from .totals import FinancingTotals

__all__ = [
    "MONEY",
    "ApplicationBatch",
    "BatchEntry",
    "CreditIntention",
    "Disbursement",
    "FinancingDemand",
    "FinancingTotals",
    "FundingLine",
    "Installment",
    "Loan",
    "LoanBalance",
    "Organization",
    "ProgrammeRule",
    "Repayment",
]
