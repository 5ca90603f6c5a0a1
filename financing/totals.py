"""Keeping each project's stored financing totals (FinancingTotals) in step with its ledger.

Every write that changes what covers a project's investment (a funding line, a loan's principal, status or
project, the project's total investment, a new project) calls financing_totals_refresh for the projects it
touched, in its own transaction: a reader then never sees a ledger and totals that disagree. What "in step"
means is with_financing_totals, the computed reference; the rebuild command and the deep health check
compare the rows against it.
"""

from collections.abc import Iterable
from decimal import Decimal

from django.db import connection, transaction
from django.db.models import QuerySet
from django.utils import timezone

from portfolio.db import insert_rows
from projects.models import Project

from .models import FinancingTotals
from .models.totals import FIGURES
from .selectors import with_financing_totals

# Projects per statement: under every database's limit of bound parameters, and a bounded read per chunk.
CHUNK = 2000

Figures = tuple[Decimal, ...]


def computed_financing_totals(projects: QuerySet) -> QuerySet:
    """`projects` with their totals computed from the ledger (the reference the stored rows follow)."""
    return with_financing_totals(projects)


def _computed(ids: list[int]) -> dict[int, Figures]:
    rows = computed_financing_totals(Project.objects.filter(pk__in=ids).order_by()).values_list(
        "pk", *FIGURES
    )
    return {pk: tuple(figures) for pk, *figures in rows}


def _stored(ids: list[int]) -> dict[int, Figures]:
    rows = FinancingTotals.objects.filter(project__in=ids).order_by().values_list("project", *FIGURES)
    return {pk: tuple(figures) for pk, *figures in rows}


def _write(computed: dict[int, Figures]) -> None:
    now = timezone.now()
    FinancingTotals.objects.bulk_create(
        [
            FinancingTotals(project_id=pk, updated_at=now, **dict(zip(FIGURES, figures, strict=True)))
            for pk, figures in computed.items()
        ],
        update_conflicts=True,
        unique_fields=["project"],
        update_fields=[*FIGURES, "updated_at"],
    )


def _lock(ids: list[int]) -> None:
    """Lock the projects' rows, in id order, where the database locks rows (see financing_totals_refresh)."""
    if connection.features.has_select_for_update:
        list(Project.objects.select_for_update().filter(pk__in=ids).order_by("pk").values_list("pk"))


def _chunks(ids: list[int]) -> Iterable[list[int]]:
    for start in range(0, len(ids), CHUNK):
        yield ids[start : start + CHUNK]


@transaction.atomic
def financing_totals_refresh(*, project_ids: Iterable[int | None]) -> int:
    """Recompute and store the totals of the projects `project_ids` (unknown ids are passed over); returns
    how many rows were written. A query to compute and one to write per 2,000 projects.

    Where the database locks rows, the projects' rows are locked first, in id order: two writers changing
    the same project's lines then compute one after the other, the second seeing the first's line, so the
    last row written is never computed from a ledger missing a committed change."""
    ids = sorted({pk for pk in project_ids if pk is not None})
    written = 0
    for chunk in _chunks(ids):
        _lock(chunk)
        computed = _computed(chunk)
        if computed:
            _write(computed)
        written += len(computed)
    return written


def financing_totals_create(*, projects: Iterable[Project]) -> None:
    """The rows of projects just created, in their transaction: no line or loan covers them yet, so the
    whole total investment is the gap. One INSERT whatever their number (an import's thousands)."""
    now = timezone.now()
    insert_rows(
        FinancingTotals,
        [FinancingTotals(project_id=p.pk, funding_gap=p.total_investment, updated_at=now) for p in projects],
    )


def _all_ids() -> list[int]:
    return list(Project.objects.order_by("pk").values_list("pk", flat=True))


def financing_totals_differences(*, project_ids: Iterable[int] | None = None) -> list[int]:
    """The projects (of `project_ids`, all by default) whose stored totals differ from the computed ones or
    are missing, in id order; nothing is written. Two queries per 2,000 projects."""
    ids = _all_ids() if project_ids is None else sorted(set(project_ids))
    differing = []
    for chunk in _chunks(ids):
        computed, stored = _computed(chunk), _stored(chunk)
        differing += [pk for pk in chunk if pk in computed and stored.get(pk) != computed[pk]]
    return differing


def financing_totals_rebuild() -> tuple[int, list[int]]:
    """Recompute every project's stored totals, a chunk of projects per transaction (locked as a refresh
    locks them); returns how many projects there are and those whose row differed (or was missing)."""
    ids = _all_ids()
    differing = []
    for chunk in _chunks(ids):
        with transaction.atomic():
            _lock(chunk)
            computed, stored = _computed(chunk), _stored(chunk)
            differing += [pk for pk in chunk if pk in computed and stored.get(pk) != computed[pk]]
            _write(computed)
    return len(ids), differing
