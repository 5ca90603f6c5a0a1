"""The demo's 申报 batch: one batch of 专项债 with a few demo projects put forward, the ready ones first and
one by override (more while too few are ready), and one approved outcome written to its project's funding
line, as financing.batches.batch_entry_outcome would. The lead's portfolio/seed.py calls seed_demo_batches
after the demo projects and their procedures exist. Running it again changes nothing."""

import datetime
from decimal import Decimal

from django.db import transaction

from financing.choices import EntryOutcome, FundingStatus, SourceType
from financing.models import ApplicationBatch, BatchEntry, FundingLine
from financing.readiness import missing_for, procedure_statuses, rule_for, with_procedures
from financing.totals import financing_totals_refresh
from projects.choices import ReviewStatus
from projects.models import Project

DEMO_PROGRAMME = SourceType.SPECIAL_BOND
ENTRIES = 5


def _requested(project: Project) -> Decimal:
    """A tenth of the total investment in whole 万元, at least 100 万元."""
    return max(Decimal(1_000_000), (project.total_investment / 10 // 10_000) * 10_000)


@transaction.atomic
def seed_demo_batches(*, year: int | None = None) -> ApplicationBatch | None:
    """The demo batch of `year` (the current year by default); None when no demo project is in the library."""
    year = year or datetime.date.today().year
    name = f"{year}年第二批专项债券（演示）"
    existing = ApplicationBatch.objects.filter(programme=DEMO_PROGRAMME, year=year, name=name).first()
    if existing is not None:
        return existing
    library = Project.objects.filter(is_demo=True, review_status=ReviewStatus.ACCEPTED)
    projects = list(with_procedures(library.order_by("district", "code")))
    if not projects:
        return None
    rule = rule_for(DEMO_PROGRAMME)
    judged = [(p, missing_for(p, rule, procedure_statuses(p.recorded_procedures))) for p in projects]
    ready = [(p, m) for p, m in judged if not m][: ENTRIES - 1]
    unready = [(p, m) for p, m in judged if m]
    batch = ApplicationBatch.objects.create(
        programme=DEMO_PROGRAMME,
        year=year,
        name=name,
        deadline=datetime.date(year, 9, 30),
        note="演示数据：市项目办组织申报的专项债券批次。",
    )
    entries = []
    # The ready ones and one by override; more by override while the demo has too few ready projects.
    for project, missing in [*ready, *unready[: max(1, ENTRIES - 1 - len(ready))]]:
        entries.append(
            BatchEntry.objects.create(
                batch=batch,
                project=project,
                requested_amount=_requested(project),
                overridden=bool(missing),
                override_reason="市政府专题会议研究同意先行申报（演示）" if missing else "",
                missing=missing,
            )
        )
    approved = next((entry for entry in entries if not entry.overridden), entries[0] if entries else None)
    if approved is not None:
        amount = (approved.requested_amount * Decimal("0.8") // 10_000) * 10_000
        line = FundingLine.objects.create(
            project=approved.project,
            source_type=DEMO_PROGRAMME,
            programme=name,
            year=year,
            planned_amount=approved.requested_amount,
            approved_amount=amount,
            status=FundingStatus.APPROVED,
            document_no=f"粤财债〔{year}〕88号",
        )
        approved.outcome = EntryOutcome.APPROVED
        approved.approved_amount = amount
        approved.document_no = line.document_no
        approved.decided_on = datetime.date(year, 6, 30)
        approved.funding_line = line
        approved.save()
        financing_totals_refresh(project_ids=[approved.project_id])
    return batch
