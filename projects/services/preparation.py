"""Every write of a project's preparatory procedures (前期手续), each with its audit entry in its transaction.

A kind without a row is 未办理; a row is written the first time a procedure of that kind is recorded, and
changed afterwards. City staff record any project's procedures, a district user its own district's, whatever
the project's review status; finance and banks none."""

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from portfolio import access
from portfolio.errors import reject_unknown_fields
from portfolio.records import record_create, record_update

from ..choices import ProcedureKind
from ..models import Procedure, Project

# What procedure_record may set; the project and the kind are the row's key.
PROCEDURE_FIELDS = ("status", "approval_no", "approved_on", "authority", "note")


def procedure_edit_refusal(*, user, project: Project) -> str | None:
    """Why `user` may not record `project`'s procedures, or None when it may; pages ask before a form."""
    if not access.is_project_editor(user, project):
        return _("您无权修改该项目的前期手续。")
    return None


def _check_kind(kind: str) -> None:
    if kind not in ProcedureKind.values:
        raise ValidationError({"kind": _("未知的前期手续：%(kind)s") % {"kind": kind}})


def _locked_project(acting_user, project: Project) -> Project:
    """The project locked, so that two recordings of one kind are one after the other; refused (403) for a
    user who may not record its procedures."""
    project = Project.objects.select_for_update().get(pk=project.pk)
    refusal = procedure_edit_refusal(user=acting_user, project=project)
    if refusal:
        raise PermissionDenied(refusal)
    return project


def _touched(procedure: Procedure) -> list[str]:
    procedure.updated_at = timezone.now()
    return ["updated_at"]


def _touch(project: Project) -> None:
    """A change to a project's procedures is a change to the project for "not updated for N days"."""
    Project.objects.filter(pk=project.pk).update(updated_at=timezone.now())


@transaction.atomic
def procedure_record(*, acting_user, project: Project, kind: str, **fields) -> Procedure:
    """Record the procedure of `kind` of `project`: its row is created the first time, changed after."""
    reject_unknown_fields(fields, PROCEDURE_FIELDS)
    _check_kind(kind)
    project = _locked_project(acting_user, project)
    procedure = Procedure.objects.filter(project=project, kind=kind).first()
    if procedure is None:
        return _create(acting_user, project, kind, fields)
    return _update(acting_user, project, procedure, fields)


@transaction.atomic
def procedure_create(*, acting_user, project: Project, kind: str, **fields) -> Procedure:
    """A new row of `kind` for `project`; refused when the project has one already (change that one)."""
    reject_unknown_fields(fields, PROCEDURE_FIELDS)
    _check_kind(kind)
    project = _locked_project(acting_user, project)
    if Procedure.objects.filter(project=project, kind=kind).exists():
        raise ValidationError(
            {"kind": _("该项目已有“%(kind)s”的记录，请修改该记录。") % {"kind": ProcedureKind(kind).label}}
        )
    return _create(acting_user, project, kind, fields)


@transaction.atomic
def procedure_update(*, acting_user, procedure: Procedure, **fields) -> Procedure:
    """Change a recorded procedure's status, number, date, authority or note."""
    reject_unknown_fields(fields, PROCEDURE_FIELDS)
    project = _locked_project(acting_user, procedure.project)
    return _update(acting_user, project, procedure, fields)


def _create(acting_user, project: Project, kind: str, fields: dict) -> Procedure:
    procedure = Procedure(project=project, kind=kind, updated_at=timezone.now(), **fields)
    record_create(procedure, acting_user=acting_user, action="procedure_create", project=project)
    _touch(project)
    return procedure


def _update(acting_user, project: Project, procedure: Procedure, fields: dict) -> Procedure:
    procedure = Procedure.objects.select_for_update().get(pk=procedure.pk)
    procedure.project = project
    changed = record_update(
        procedure,
        fields=fields,
        acting_user=acting_user,
        action="procedure_update",
        project=project,
        bookkeeping=_touched,
    )
    if changed:
        _touch(project)
    return procedure
