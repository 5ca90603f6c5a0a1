"""Reads of a project's preparatory procedures: its checklist, what the 成熟 gate still asks of it, and the
procedures list of the API."""

from django.db.models import Case, IntegerField, QuerySet, Value, When
from django.utils.translation import gettext as _

from portfolio import access
from portfolio.filters import filtered

from ..choices import PROCEDURE_SATISFIED, ProcedureKind, ProcedureStatus
from ..filtersets import ProcedureFilterSet
from ..models import Procedure, Project

# What the 成熟 gate asks of the checklist: the statuses each kind must be in. An EIA the project does not
# need (无需办理) is as good as one done; feasibility and land must be done.
MATURE_REQUIRES = {
    ProcedureKind.FEASIBILITY: (ProcedureStatus.DONE,),
    ProcedureKind.LAND: (ProcedureStatus.DONE,),
    ProcedureKind.EIA: PROCEDURE_SATISFIED,
}

# The checklist's order (that of ProcedureKind) as a sort key for the database.
KIND_ORDER = Case(
    *(When(kind=kind, then=Value(index)) for index, kind in enumerate(ProcedureKind.values)),
    default=Value(len(ProcedureKind.values)),
    output_field=IntegerField(),
)


def status_of(procedures: dict, kind: str) -> str:
    """A kind's status among a project's `procedures` (by kind): 未办理 when it has no row."""
    procedure = procedures.get(kind)
    return procedure.status if procedure is not None else ProcedureStatus.PENDING


def mature_missing(procedures: dict) -> list[str]:
    """What the checklist lacks for 成熟, in words, from a project's `procedures` by kind."""
    missing = []
    for kind, accepted in MATURE_REQUIRES.items():
        status = status_of(procedures, kind)
        if status in accepted:
            continue
        words = {"kind": ProcedureKind(kind).label, "status": ProcedureStatus(status).label}
        if kind == ProcedureKind.EIA:
            missing.append(_("%(kind)s（未办结，当前为%(status)s；不需要环评的请标为无需办理）") % words)
        else:
            missing.append(_("%(kind)s（未办结，当前为%(status)s）") % words)
    return missing


def procedures_by_kind(project: Project) -> dict:
    """The project's procedure rows by kind, in one query."""
    return {procedure.kind: procedure for procedure in Procedure.objects.filter(project=project)}


def procedures_panel(*, user, project) -> dict:
    """What the project page's 前期手续 checklist shows, and what `user` may do there: every kind in order,
    with its row if recorded (a kind without one is 未办理), the rows the 成熟 gate needs and lacks marked."""
    procedures = procedures_by_kind(project)
    can_edit = access.is_project_editor(user, project)
    rows = []
    for kind in ProcedureKind:
        procedure = procedures.get(kind.value)
        status = status_of(procedures, kind.value)
        needed = kind.value in MATURE_REQUIRES
        rows.append(
            {
                "kind": kind.value,
                "label": kind.label,
                "procedure": procedure,
                "status": status,
                "status_label": ProcedureStatus(status).label,
                "needed_for_mature": needed,
                "missing_for_mature": needed and status not in MATURE_REQUIRES[kind],
            }
        )
    statuses = [row["status"] for row in rows]
    return {
        "project": project,
        "rows": rows,
        "done": statuses.count(ProcedureStatus.DONE),
        "not_needed": statuses.count(ProcedureStatus.NOT_NEEDED),
        "total": len(rows),
        "can_edit": can_edit,
        "mature_missing": mature_missing(procedures),
    }


def procedure_list(*, user, params=None, strict: bool = True) -> QuerySet:
    """The procedures `user` may see, by project in the library's order (district, code) and each
    project's in the checklist's order, narrowed by `params`."""
    procedures = Procedure.objects.visible_to(user).order_by(
        "project__district", "project__code", "project", KIND_ORDER, "pk"
    )
    return filtered(ProcedureFilterSet, params, procedures, user=user, strict=strict)
