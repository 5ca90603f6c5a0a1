"""Audit entries: one per service call or admin save, written inside the caller's transaction."""

import datetime
import functools
from decimal import Decimal

from django.contrib.contenttypes.models import ContentType
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from .models import AuditEntry


def _plain(value, field=None):
    if value is None or type(value) in (str, int, bool):
        return value
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


@functools.cache
def _recorded_fields(model) -> list:
    return [(field.attname, field) for field in model._meta.concrete_fields if not field.primary_key]


def snapshot(instance: models.Model) -> dict:
    """The instance's concrete field values, JSON-ready (foreign keys by id)."""
    return {
        attname: _plain(getattr(instance, attname), field)
        for attname, field in _recorded_fields(type(instance))
    }


def diff(before: dict, after: dict) -> dict:
    if not before:
        return {key: [None, value] for key, value in after.items() if value is not None}
    keys = dict.fromkeys([*before, *after])
    return {key: [before.get(key), after.get(key)] for key in keys if before.get(key) != after.get(key)}


def audit_record(**entry) -> AuditEntry:
    """Record what an action changed: audit_entry's entry (the same keyword arguments), saved in the
    caller's transaction."""
    saved = audit_entry(**entry)
    saved.save(force_insert=True)
    return saved


def audit_entry(
    *,
    actor,
    action: str,
    instance: models.Model,
    before: dict | None,
    project,
    note: str = "",
    after: dict | None = None,
) -> AuditEntry:
    """What `action` changed on `instance`, unsaved (audit_record saves it; batch writers insert many at
    once). `before` is the instance's snapshot beforehand (None when new); `project` is the project whose
    history the change belongs to (None for accounts, organisations and the like): the caller knows it, so
    nothing here guesses it from the instance's relations."""
    if after is None:
        after = snapshot(instance) if instance.pk is not None else {}
    return AuditEntry(
        actor_id=actor.pk if actor is not None and actor.is_authenticated else None,
        action=action,
        content_type_id=ContentType.objects.get_for_model(instance).pk,
        object_id=str(instance.pk),
        object_repr=str(instance)[:250],
        project_id=project.pk if project is not None else None,
        changes=diff(before or {}, after),
        note=note,
    )


def audit_delete(*, actor, action: str, instance: models.Model, project, note: str = "") -> AuditEntry:
    """Record the deletion of `instance`; `project` as for audit_record (None for a project itself)."""
    before = snapshot(instance)
    return AuditEntry.objects.create(
        actor=actor if actor is not None and actor.is_authenticated else None,
        action=action,
        content_type=ContentType.objects.get_for_model(instance),
        object_id=str(instance.pk),
        object_repr=str(instance)[:250],
        project=project,
        changes=diff(before, {}),
        note=note,
    )


def account_snapshot(user) -> dict:
    """A user account as the audit sees it: its fields without the password hash, its roles, district and
    bank."""
    from .models import Profile

    if user is None or user.pk is None:
        return {}
    state = snapshot(user)
    state.pop("password", None)
    state.pop("last_login", None)
    state["roles"] = sorted(user.groups.values_list("name", flat=True))
    profile = Profile.objects.filter(user=user).values("district_id", "organization_id").first() or {}
    state["district"] = profile.get("district_id")
    state["organization"] = profile.get("organization_id")
    return state


# How each action reads in a change history.
ACTION_LABELS = {
    "project_create": _("新建项目"),
    "project_update": _("修改项目"),
    "project_submit": _("提交审核"),
    "project_return": _("退回修改"),
    "project_accept": _("同意入库"),
    "project_transition": _("变更阶段"),
    "milestone_create": _("添加节点"),
    "milestone_update": _("修改节点"),
    "funding_line_create": _("添加资金来源"),
    "funding_line_update": _("修改资金来源"),
    "organization_create": _("新建机构"),
    "loan_create": _("登记贷款"),
    "loan_update": _("修改贷款"),
    "disbursement_record": _("登记提款"),
    "repayment_record": _("登记还款"),
    "demand_create": _("填报融资需求"),
    "demand_update": _("修改融资需求"),
    "demand_publish": _("发布融资需求"),
    "demand_close": _("关闭融资需求"),
    "intention_create": _("提出授信意向"),
    "intention_update": _("修改授信意向"),
    "intention_approve": _("授信通过"),
    "intention_decline": _("授信未通过"),
    "intention_withdraw": _("撤回授信意向"),
    "intention_sign": _("授信意向签约"),
    "procedure_create": _("登记前期手续"),
    "procedure_update": _("修改前期手续"),
    "document_upload": _("上传附件"),
    "document_delete": _("删除附件"),
    "batch_open": _("创建申报批次"),
    "batch_update": _("修改申报批次"),
    "batch_close": _("结束申报批次"),
    "batch_entry_add": _("加入申报批次"),
    "batch_entry_update": _("修改申报项目"),
    "batch_entry_remove": _("移出申报批次"),
    "batch_entry_outcome": _("登记申报结果"),
    "plan_create": _("编制年度投资计划"),
    "plan_update": _("修改年度投资计划"),
    "plan_adjust": _("调整已确认的年度投资计划"),
    "plan_confirm": _("确认年度投资计划"),
    "report_create": _("填报月报"),
    "report_update": _("修改月报"),
    "report_submit": _("报送月报"),
    "report_return": _("退回月报"),
    "report_accept": _("审核通过月报"),
    "report_reopen": _("重新打开月报"),
    "problem_create": _("登记问题"),
    "problem_update": _("更新问题"),
    "account_upsert": _("设置账户"),
    "admin_add": _("后台新增"),
    "admin_change": _("后台修改"),
    "admin_delete": _("后台删除"),
    "admin_password_change": _("后台修改密码"),
    "seed": _("载入种子数据"),
    "seed_demo": _("生成演示数据"),
}
# Bookkeeping that every change moves; kept in the entry, left out of what people read.
QUIET_FIELDS = {"version", "updated_at", "created_at", "created_by_id", "submitted_at"}


def action_label(action: str) -> str:
    return str(ACTION_LABELS.get(action, action))


def _label(labels: dict, value):
    """A code's label; a list (the JSON fields) shown as its items' labels."""
    if isinstance(value, list):
        return "、".join(str(_label(labels, item)) for item in value)
    if isinstance(value, dict):
        return value
    return labels.get(value, value)


def describe_history(entries) -> list[tuple[AuditEntry, str, list[tuple[str, object, object]]]]:
    """Entries with their action's label and their changes for people: field and code labels, related
    records by name (one query per related model), 是/否; bookkeeping and empty rows left out."""
    entries = list(entries)
    wanted: dict[type, set] = {}
    for entry in entries:
        fields = _fields_of(entry)
        for name, values in entry.changes.items():
            field = fields.get(name)
            if field is not None and field.is_relation:
                wanted.setdefault(field.related_model, set()).update(v for v in values if v is not None)
    names = {
        model: {obj.pk: str(obj) for obj in model._default_manager.filter(pk__in=ids)}
        for model, ids in wanted.items()
    }
    described = []
    for entry in entries:
        fields = _fields_of(entry)
        rows = []
        for name, (before, after) in entry.changes.items():
            if name in QUIET_FIELDS or (before in (None, "", False) and after in (None, "", False)):
                continue
            field = fields.get(name)
            if field is None:
                rows.append((name, before, after))
                continue
            labels = {}
            if field.is_relation:
                labels = names.get(field.related_model, {})
            elif field.choices:
                labels = dict(field.flatchoices)
            elif isinstance(field, models.BooleanField):
                labels = {True: _("是"), False: _("否")}
            if isinstance(field, models.DateTimeField):
                before, after = _local_time(before), _local_time(after)
            rows.append((str(field.verbose_name), _label(labels, before), _label(labels, after)))
        described.append((entry, action_label(entry.action), rows))
    return described


def _local_time(value):
    """A time stamp as a person reads it (local time, to the minute), from the entry's ISO text."""
    if not isinstance(value, str):
        return value
    try:
        moment = datetime.datetime.fromisoformat(value)
    except ValueError:
        return value
    if timezone.is_aware(moment):
        moment = timezone.localtime(moment)
    return f"{moment:%Y-%m-%d %H:%M}"


def _fields_of(entry: AuditEntry) -> dict:
    model = entry.content_type.model_class()
    return {field.attname: field for field in model._meta.concrete_fields} if model else {}
