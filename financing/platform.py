"""The figures of the 政银企 platform: what was asked of the banks and what they answered, in a few
aggregate queries, by the district of the demand's project and by the bank of the intention.

- published 发布需求: the demands that have been published (status published or closed; drafts were never
  shown to a bank), counted with the amount they ask;
- matched 对接: of those, the demands at least one bank answered, whatever became of the answer (a bank
  that declined or withdrew did look at the project and talk to it), with the amount they ask; by bank,
  the demands that bank answered;
- approved 已授信: the intentions whose credit the bank approved (approved or signed since), with the
  amount each intended;
- signed 已签约: the intentions signed, with the principal of the loan each is tied to.

Everything is read through `.visible_to(user)`: city staff and finance see the whole city, a district user
its own district's demands and their intentions; a lender would see only its own bank's answers.
"""

from dataclasses import dataclass, field
from decimal import Decimal

from django.db.models import Count, Q, Sum

from .choices import CREDIT_APPROVED, DemandStatus, IntentionStatus
from .models import CreditIntention, FinancingDemand

ZERO = Decimal(0)
# A demand counts once it has been published, closed or not.
SHOWN_TO_BANKS = (DemandStatus.PUBLISHED, DemandStatus.CLOSED)
FIGURES = ("published", "matched", "approved", "signed")


@dataclass
class Figure:
    """A count and the amount (元) that goes with it."""

    count: int = 0
    amount: Decimal = ZERO

    def add(self, count: int, amount) -> None:
        self.count += count
        self.amount += amount or ZERO


@dataclass
class Row:
    """The four figures of one district, one bank, or the whole; a bank publishes nothing (None)."""

    label: str
    key: str | int | None = None
    published: Figure | None = field(default_factory=Figure)
    matched: Figure = field(default_factory=Figure)
    approved: Figure = field(default_factory=Figure)
    signed: Figure = field(default_factory=Figure)


def platform_figures(*, user) -> dict:
    """The platform's totals, by district and by bank: two queries, whatever the number of records."""
    demands = FinancingDemand.objects.visible_to(user).filter(status__in=SHOWN_TO_BANKS)
    intentions = CreditIntention.objects.visible_to(user).filter(demand__status__in=SHOWN_TO_BANKS)
    total = Row(label="")
    districts: dict[str, Row] = {}
    banks: dict[int, Row] = {}

    def district_row(code, name) -> Row:
        return districts.setdefault(code, Row(label=name, key=code))

    for row in (
        demands.order_by()
        .values("project__district", "project__district__name")
        .annotate(n=Count("pk"), amount=Sum("amount"))
    ):
        district_row(row["project__district"], row["project__district__name"]).published.add(
            row["n"], row["amount"]
        )
        total.published.add(row["n"], row["amount"])

    # One row per demand and bank that answered it: the matched demands are counted once per district
    # (and in the whole) however many banks answered, and once per bank however often it answered.
    matched: set[int] = set()
    for row in (
        intentions.order_by()
        .values(
            "demand",
            "demand__amount",
            "demand__project__district",
            "demand__project__district__name",
            "lender",
            "lender__name",
        )
        .annotate(
            approved_n=Count("pk", filter=Q(status__in=CREDIT_APPROVED)),
            approved_amount=Sum("amount", filter=Q(status__in=CREDIT_APPROVED)),
            signed_n=Count("pk", filter=Q(status=IntentionStatus.SIGNED)),
            signed_amount=Sum("loan__principal", filter=Q(status=IntentionStatus.SIGNED)),
        )
    ):
        places = [
            district_row(row["demand__project__district"], row["demand__project__district__name"]),
            total,
        ]
        if row["demand"] not in matched:
            matched.add(row["demand"])
            for place in places:
                place.matched.add(1, row["demand__amount"])
        bank = banks.setdefault(
            row["lender"], Row(label=row["lender__name"], key=row["lender"], published=None)
        )
        bank.matched.add(1, row["demand__amount"])
        for place in [*places, bank]:
            place.approved.add(row["approved_n"], row["approved_amount"])
            place.signed.add(row["signed_n"], row["signed_amount"])
    return {
        "total": total,
        "by_district": sorted(districts.values(), key=lambda r: (-r.published.amount, r.key)),
        "by_bank": sorted(banks.values(), key=lambda r: (-r.approved.amount, -r.matched.count, r.label)),
    }
