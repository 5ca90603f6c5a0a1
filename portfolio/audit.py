"""Audit entries: one per service call or admin save, written inside the caller's transaction."""

import datetime
from decimal import Decimal

from django.contrib.contenttypes.models import ContentType
from django.db import models

from .models import AuditEntry


def _plain(value, field=None):
    if isinstance(value, Decimal):
        if isinstance(field, models.DecimalField) and value.is_finite():
            # As the database will store it: 100 and 100.00 are the same amount, not a change.
            value = value.quantize(Decimal(1).scaleb(-field.decimal_places))
        return str(value)
    if isinstance(value, datetime.datetime | datetime.date):
        return value.isoformat()
    if isinstance(value, models.Model):
        return value.pk
    return value


def snapshot(instance: models.Model) -> dict:
    """The instance's concrete field values, JSON-ready (foreign keys by id)."""
    return {
        field.attname: _plain(getattr(instance, field.attname), field)
        for field in instance._meta.concrete_fields
        if not field.primary_key
    }


def diff(before: dict, after: dict) -> dict:
    keys = dict.fromkeys([*before, *after])
    return {key: [before.get(key), after.get(key)] for key in keys if before.get(key) != after.get(key)}


def _project_of(instance):
    from projects.models import Project

    if isinstance(instance, Project):
        return instance
    for path in ("project", "loan"):
        related = getattr(instance, path, None)
        if isinstance(related, Project):
            return related
        if related is not None and getattr(related, "project", None) is not None:
            return related.project
    return None


def audit_record(
    *,
    actor,
    action: str,
    instance: models.Model,
    before: dict | None,
    note: str = "",
    after: dict | None = None,
) -> AuditEntry:
    """Record what `action` changed on `instance`; `before` is its snapshot beforehand (None when new)."""
    if after is None:
        after = snapshot(instance) if instance.pk is not None else {}
    project = _project_of(instance)
    return AuditEntry.objects.create(
        actor=actor if actor is not None and actor.is_authenticated else None,
        action=action,
        content_type=ContentType.objects.get_for_model(instance),
        object_id=str(instance.pk),
        object_repr=str(instance)[:250],
        project=project if project is not None and project.pk is not None else None,
        changes=diff(before or {}, after),
        note=note,
    )


def audit_delete(*, actor, action: str, instance: models.Model, note: str = "") -> AuditEntry:
    before = snapshot(instance)
    project = _project_of(instance)
    return AuditEntry.objects.create(
        actor=actor if actor is not None and actor.is_authenticated else None,
        action=action,
        content_type=ContentType.objects.get_for_model(instance),
        object_id=str(instance.pk),
        object_repr=str(instance)[:250],
        project=project if project is not None and project is not instance else None,
        changes=diff(before, {}),
        note=note,
    )


def account_snapshot(user) -> dict:
    """A user account as the audit sees it: its fields without the password hash, its roles and district."""
    from .models import Profile

    if user is None or user.pk is None:
        return {}
    state = snapshot(user)
    state.pop("password", None)
    state.pop("last_login", None)
    state["roles"] = sorted(user.groups.values_list("name", flat=True))
    state["district"] = Profile.objects.filter(user=user).values_list("district_id", flat=True).first()
    return state


def describe_changes(entry: AuditEntry) -> list[tuple[str, object, object]]:
    """An entry's changes for people: the field's label and, for coded fields, the code's label."""
    model = entry.content_type.model_class()
    fields = {field.attname: field for field in model._meta.concrete_fields} if model else {}
    rows = []
    for name, (before, after) in entry.changes.items():
        field = fields.get(name)
        if field is None:
            rows.append((name, before, after))
            continue
        labels = dict(field.flatchoices) if field.choices else {}
        rows.append((str(field.verbose_name), labels.get(before, before), labels.get(after, after)))
    return rows
