"""The routines by which a service adds a record or changes its fields."""

from collections.abc import Callable

from django.db import models

from .audit import audit_record, snapshot


def record_update(
    instance: models.Model,
    *,
    fields: dict,
    acting_user,
    action: str,
    project,
    check: Callable[[models.Model], None] | None = None,
    bookkeeping: Callable[[models.Model], list[str]] | None = None,
    note: str = "",
) -> bool:
    """Set `fields` on `instance` (locked by the caller), and when that changes anything: validate it
    (full_clean, then `check` for rules across rows), let `bookkeeping` set what every change moves (a
    version, a time stamp; it returns their names), save only the fields changed and write the audit entry
    under `project`, all in the caller's transaction.

    A change that changes nothing writes nothing, not even an audit entry; the answer says whether it did."""
    before = snapshot(instance)
    for name, value in fields.items():
        setattr(instance, name, value)
    if snapshot(instance) == before:
        return False
    instance.full_clean()
    if check is not None:
        check(instance)
    moved = bookkeeping(instance) if bookkeeping is not None else []
    instance.save(update_fields=[*fields, *moved])
    audit_record(
        actor=acting_user, action=action, instance=instance, before=before, project=project, note=note
    )
    return True


def record_create(
    instance: models.Model, *, acting_user, action: str, project, note: str = ""
) -> models.Model:
    """Validate a new record (full_clean), insert it and write its audit entry under `project`, in the
    caller's transaction: the one routine by which a service adds a row."""
    instance.full_clean()
    instance.save(force_insert=True)
    audit_record(actor=acting_user, action=action, instance=instance, before=None, project=project, note=note)
    return instance
