"""Every write to the 申报 batches: city staff open a batch for a programme and year, put projects forward in
it, and record the outcome per project, which becomes or updates the project's funding line.

A project that is not ready for the batch's programme (financing.readiness) is refused with what it lacks,
unless city staff put it in by override with a reason: the entry then keeps `overridden`, the reason and
what was missing at that moment. Entries change (requested amount) and leave the batch only while their
outcome is pending and the batch is open; outcomes are recorded on open and closed batches alike (the
approvals come after the applications close).
"""

import datetime
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from portfolio import access
from portfolio.audit import audit_record, snapshot
from portfolio.errors import reject_unknown_fields
from portfolio.records import record_create, record_update
from projects.models import Procedure, Project

from . import services
from .choices import BatchStatus, EntryOutcome, FundingStatus
from .models import ApplicationBatch, BatchEntry, FundingLine
from .readiness import missing_for, rule_for

BATCH_FIELDS = ("programme", "year", "name", "deadline", "note")
# Which funding lines an outcome may take over: one still only planned or applied for.
OPEN_LINE_STATUSES = (FundingStatus.PLANNED, FundingStatus.APPLIED)


def _locked_batch(batch: ApplicationBatch) -> ApplicationBatch:
    return ApplicationBatch.objects.select_for_update().get(pk=batch.pk)


def _locked_entry(entry: BatchEntry) -> BatchEntry:
    return (
        BatchEntry.objects.select_for_update(of=("self",)).select_related("batch", "project").get(pk=entry.pk)
    )


def _require_open(batch: ApplicationBatch) -> None:
    if batch.status != BatchStatus.OPEN:
        raise ValidationError(_("批次“%(b)s”已结束，不能再变更申报项目。") % {"b": batch.name})


@transaction.atomic
def batch_open(
    *,
    acting_user,
    programme: str,
    year: int,
    name: str,
    deadline: datetime.date | None = None,
    note: str = "",
) -> ApplicationBatch:
    """A new batch, open for applications."""
    access.require_role(acting_user, access.CITY_STAFF)
    batch = ApplicationBatch(
        programme=programme,
        year=year,
        name=(name or "").strip(),
        deadline=deadline,
        note=note or "",
        opened_by=acting_user,
    )
    return record_create(batch, acting_user=acting_user, action="batch_open", project=None)


@transaction.atomic
def batch_update(*, acting_user, batch: ApplicationBatch, **fields) -> ApplicationBatch:
    """Change a batch's name, deadline or note; its programme and year only while it has no entries (the
    entries were checked against that programme)."""
    access.require_role(acting_user, access.CITY_STAFF)
    reject_unknown_fields(fields, BATCH_FIELDS)
    batch = _locked_batch(batch)
    if "name" in fields:
        fields["name"] = (fields["name"] or "").strip()
    moved = [
        name for name in ("programme", "year") if name in fields and fields[name] != getattr(batch, name)
    ]
    if moved and batch.entries.exists():
        raise ValidationError({name: _("批次已有申报项目，不能再更改资金渠道或年度。") for name in moved})
    record_update(batch, fields=fields, acting_user=acting_user, action="batch_update", project=None)
    return batch


@transaction.atomic
def batch_close(*, acting_user, batch: ApplicationBatch) -> ApplicationBatch:
    """Close a batch: no project is added or removed any more; outcomes are still recorded."""
    access.require_role(acting_user, access.CITY_STAFF)
    batch = _locked_batch(batch)
    if batch.status != BatchStatus.OPEN:
        raise ValidationError({"status": _("批次已结束。")})
    record_update(
        batch,
        fields={"status": BatchStatus.CLOSED},
        acting_user=acting_user,
        action="batch_close",
        project=None,
    )
    return batch


def _amount_check(amount, name: str = "requested_amount") -> None:
    if amount is None or amount <= 0:
        raise ValidationError({name: _("申报金额必须大于零。")})


@transaction.atomic
def batch_entry_add(
    *,
    acting_user,
    batch: ApplicationBatch,
    project: Project,
    requested_amount: Decimal,
    override: bool = False,
    override_reason: str = "",
) -> BatchEntry:
    """Put `project` forward in `batch`. A project not ready for the batch's programme is refused with
    what it lacks, or added with `override` and a reason; the entry keeps what was missing."""
    access.require_role(acting_user, access.CITY_STAFF)
    batch = _locked_batch(batch)
    _require_open(batch)
    # The project locked: its procedures and figures are what the check read until the entry is in.
    project = Project.objects.select_for_update().get(pk=project.pk)
    _amount_check(requested_amount)
    if BatchEntry.objects.filter(batch=batch, project=project).exists():
        raise ValidationError({"project": _("该项目已在本批次中。")})
    statuses = dict(Procedure.objects.filter(project=project).values_list("kind", "status"))
    missing = missing_for(project, rule_for(batch.programme), statuses)
    reason = (override_reason or "").strip()
    if missing and not override:
        raise ValidationError(
            {
                "project": [
                    _("该项目不满足“%(p)s”的申报条件：%(m)s。如确需申报，请勾选“越过条件”并填写理由。")
                    % {"p": batch.get_programme_display(), "m": "；".join(missing)},
                ]
            }
        )
    if missing and not reason:
        raise ValidationError({"override_reason": _("越过条件加入批次必须填写理由。")})
    entry = BatchEntry(
        batch=batch,
        project=project,
        requested_amount=requested_amount,
        overridden=bool(missing),
        override_reason=reason if missing else "",
        missing=missing,
        added_by=acting_user,
    )
    entry.full_clean()
    entry.save(force_insert=True)
    audit_record(
        actor=acting_user,
        action="batch_entry_add",
        instance=entry,
        before=None,
        project=project,
        after=_audited(entry),
    )
    return entry


def _audited(entry: BatchEntry) -> dict:
    """The entry's snapshot with what was missing as one text: the project's history shows each change
    as a value, and a list is not one it can show."""
    return {**snapshot(entry), "missing": "；".join(entry.missing) or None}


def _pending_entry(entry: BatchEntry) -> BatchEntry:
    entry = _locked_entry(entry)
    _require_open(entry.batch)
    if entry.outcome != EntryOutcome.PENDING:
        raise ValidationError(
            _("该项目的批复结果已录入（%(o)s），不能再修改或移出。") % {"o": entry.get_outcome_display()}
        )
    return entry


@transaction.atomic
def batch_entry_update(*, acting_user, entry: BatchEntry, requested_amount: Decimal) -> BatchEntry:
    """Change the amount asked, while the outcome is pending and the batch open."""
    access.require_role(acting_user, access.CITY_STAFF)
    entry = _pending_entry(entry)
    _amount_check(requested_amount)
    record_update(
        entry,
        fields={"requested_amount": requested_amount},
        acting_user=acting_user,
        action="batch_entry_update",
        project=entry.project,
    )
    return entry


@transaction.atomic
def batch_entry_remove(*, acting_user, entry: BatchEntry, reason: str = "") -> None:
    """Take a project out of a batch, while its outcome is pending and the batch open."""
    access.require_role(acting_user, access.CITY_STAFF)
    entry = _pending_entry(entry)
    audit_record(
        actor=acting_user,
        action="batch_entry_remove",
        instance=entry,
        before=_audited(entry),
        project=entry.project,
        note=reason,
        after={},
    )
    entry.delete()


def _line_to_write(entry: BatchEntry) -> FundingLine | None:
    """The funding line an outcome writes: the entry's own, else the project's line of that source and
    year still planned or applied and tied to no other entry (the oldest), else None (a new one)."""
    if entry.funding_line_id is not None:
        return FundingLine.objects.select_for_update().get(pk=entry.funding_line_id)
    # `of=("self",)`: the filter on batch_entry joins the reverse one-to-one (a LEFT JOIN), and PostgreSQL
    # cannot lock the nullable side of an outer join.
    return (
        FundingLine.objects.select_for_update(of=("self",))
        .filter(
            project=entry.project,
            source_type=entry.batch.programme,
            year=entry.batch.year,
            status__in=OPEN_LINE_STATUSES,
            batch_entry__isnull=True,
        )
        .order_by("pk")
        .first()
    )


@transaction.atomic
def batch_entry_outcome(
    *,
    acting_user,
    entry: BatchEntry,
    outcome: str,
    approved_amount: Decimal | None = None,
    document_no: str = "",
    decided_on: datetime.date | None = None,
) -> BatchEntry:
    """Record what the project was granted (approved: amount, document number, date) or that it was
    refused, and write it to the project's funding line: the entry's own line, else the project's planned
    or applied line of that source and year, else a new one. Recorded again, the outcome corrects the
    same line. All in one transaction, each write audited."""
    access.require_role(acting_user, access.CITY_STAFF)
    entry = _locked_entry(entry)
    document_no = (document_no or "").strip()
    if outcome == EntryOutcome.APPROVED:
        errors = {}
        if approved_amount is None or approved_amount <= 0:
            errors["approved_amount"] = _("获批须填写大于零的获批金额。")
        if not document_no:
            errors["document_no"] = _("获批须填写批复文号。")
        if decided_on is None:
            errors["decided_on"] = _("获批须填写批复日期。")
        if errors:
            raise ValidationError(errors)
    elif outcome == EntryOutcome.REJECTED:
        approved_amount = None
    else:
        raise ValidationError({"outcome": _("批复结果应为获批或未获批。")})

    batch = entry.batch
    line = _line_to_write(entry)
    approved = outcome == EntryOutcome.APPROVED
    fields = {
        "source_type": batch.programme,
        "programme": batch.name,
        "year": batch.year,
        "planned_amount": entry.requested_amount,
        "approved_amount": approved_amount if approved else Decimal(0),
        "document_no": document_no,
        "status": FundingStatus.APPROVED if approved else FundingStatus.REJECTED,
    }
    if line is not None and approved and line.status == FundingStatus.RECEIVED:
        fields["status"] = FundingStatus.RECEIVED  # money already in place stays so
    if line is not None and approved and line.received_amount > approved_amount:
        raise ValidationError(
            {
                "approved_amount": _("获批金额不能小于该资金来源已到位的 %(r)s 元。")
                % {"r": f"{line.received_amount:,.2f}"}
            }
        )
    if line is None:
        line = services.funding_line_record(acting_user=acting_user, project=entry.project, **fields)
    else:
        services.funding_line_record(acting_user=acting_user, funding_line=line, **fields)
    record_update(
        entry,
        fields={
            "outcome": outcome,
            "approved_amount": approved_amount,
            "document_no": document_no,
            "decided_on": decided_on,
            "funding_line": line,
        },
        acting_user=acting_user,
        action="batch_entry_outcome",
        project=entry.project,
    )
    return entry
