"""The districts' tallies: what the dashboard adds up, summed once per district and kept (DistrictTally).

The city's dashboard reads eleven tallies instead of every project, funding line, loan, installment and
monthly report of the library; a district's reads its own. A tally is summed for a day (the maturity
profile and the dispatch depend on it) and stays good while its district has no TallyMark left: database
triggers (portfolio/migrations/0007) add a mark in the writer's own transaction for every row written to
what the tally sums, whatever wrote it.

Refreshing a tally, in one transaction: lock its district's row (a second refresh of the same district
waits, then finds nothing to do), delete the district's marks, then sum. Marks deleted are of writes
committed before the sums are read, so they are in the sums; a write still in flight keeps its mark for the
next read. The figures are the computed ones (dashboard's reference selectors) to the 分: the rebuild
command and the deep health check compare them (tally_differences).
"""

import datetime
import json

from django.conf import settings
from django.db import connection, transaction
from django.db.models import Count, F
from django.utils import timezone

from financing.models import FundingLine, Loan
from financing.selectors import funding_by_source_in_fen, loan_totals_by, maturity_profile, sum_in_fen
from portfolio.access import WHOLE_CITY, scope_q
from portfolio.dispatch.selectors import default_month
from portfolio.dispatch.summary import district_sums
from projects.choices import ReviewStatus
from projects.models import District, Project

from .models import DistrictTally, TallyMark

# The shape of the figures: a tally of another version is summed again.
VERSION = 1


def _fen(amount) -> int:
    return round(amount * 100)


def _basis(day: datetime.date) -> dict:
    """What a tally's figures depend on besides its district's records: the day and the dispatch's flags."""
    return {
        "version": VERSION,
        "day": day.isoformat(),
        "red": str(settings.DISPATCH_RED_POINTS),
        "yellow": str(settings.DISPATCH_YELLOW_POINTS),
    }


def computed_tally(code: str, *, day: datetime.date) -> dict:
    """The figures of district `code` computed from its records, as of `day` (nothing is written)."""
    projects = Project.objects.filter(district=code, review_status=ReviewStatus.ACCEPTED)
    lines = FundingLine.objects.filter(project__district=code, project__review_status=ReviewStatus.ACCEPTED)
    loans = Loan.objects.filter(project__district=code, project__review_status=ReviewStatus.ACCEPTED)
    maturity = maturity_profile(loans, today=day)
    year, month = default_month(day)
    return {
        **_basis(day),
        "groups": _groups(projects),
        "funding": {source: list(sums) for source, sums in funding_by_source_in_fen(lines).items()},
        "loans": [
            [lender, _fen(row["principal"]), _fen(row["disbursed"]), _fen(row["outstanding"])]
            for lender, row in sorted(loan_totals_by(loans, "lender_id").items())
        ],
        "maturity": [[year_due, _fen(amount)] for year_due, amount in maturity["maturity"]],
        "overdue_principal": _fen(maturity["overdue_principal"]),
        "unscheduled": _fen(maturity["unscheduled"]),
        "dispatch": {
            "year": year,
            "month": month,
            "sums": district_sums(user=WHOLE_CITY, year=year, month=month, district=code, today=day),
        },
    }


def _groups(projects) -> list:
    """The projects counted by (category, stage), with their investment and funding gap in 分."""
    rows = (
        projects.values("category", "stage")
        .annotate(
            n=Count("pk"),
            investment=sum_in_fen(F("total_investment")),
            gap=sum_in_fen(F("financing_totals__funding_gap")),
        )
        .order_by("category", "stage")
    )
    return [[r["category"], r["stage"], r["n"], r["investment"] or 0, r["gap"] or 0] for r in rows]


def _lock(code: str) -> None:
    """Lock the district's row where the database locks rows: FOR NO KEY UPDATE, which the foreign-key
    checks of writers inserting the district's projects (FOR KEY SHARE) do not wait for."""
    if connection.features.has_select_for_update:
        list(District.objects.select_for_update(no_key=True).filter(code=code).values_list("code"))


def _fresh(tally: DistrictTally | None, day: datetime.date) -> bool:
    return tally is not None and {k: tally.figures.get(k) for k in _basis(day)} == _basis(day)


@transaction.atomic
def tally_refresh(code: str, *, day: datetime.date) -> DistrictTally:
    """Sum district `code`'s tally again, unless it is fresh and unmarked once its row is locked."""
    _lock(code)
    tally = DistrictTally.objects.filter(district=code).first()
    marked = TallyMark.objects.filter(district=code)
    if _fresh(tally, day) and not marked.exists():
        return tally  # another refresh did it while this one waited
    marked.delete()
    figures = computed_tally(code, day=day)
    tally, _ = DistrictTally.objects.update_or_create(
        district=code, defaults={"day": day, "figures": figures, "computed_at": timezone.now()}
    )
    return tally


def district_codes_of(user) -> list[str]:
    """The districts whose tallies `user` may read: those its scope covers, in code order. One query."""
    return list(
        District.objects.filter(scope_q(user, "code")).order_by("code").values_list("code", flat=True)
    )


def tallies_of(*, user, day: datetime.date) -> dict[str, dict]:
    """The figures of the districts `user` sees, by code, each fresh as of `day`: two queries when none has
    changed, and a refresh for each district that has."""
    codes = district_codes_of(user)
    stored = {tally.district: tally for tally in DistrictTally.objects.filter(district__in=codes)}
    marked = set(
        TallyMark.objects.filter(district__in=codes).order_by().values_list("district", flat=True).distinct()
    )
    result = {}
    for code in codes:
        tally = stored.get(code)
        if code in marked or not _fresh(tally, day):
            tally = tally_refresh(code, day=day)
        result[code] = tally.figures
    return result


def tallies_rebuild(*, day: datetime.date | None = None) -> tuple[int, list[str]]:
    """Sum every district's tally again; returns how many there are and those whose stored figures (fresh
    and unmarked) differed from the computed ones."""
    day = day or timezone.localdate()
    differing = tally_differences(day=day)
    codes = list(District.objects.order_by("code").values_list("code", flat=True))
    for code in codes:
        with transaction.atomic():
            _lock(code)
            TallyMark.objects.filter(district=code).delete()
            DistrictTally.objects.update_or_create(
                district=code,
                defaults={
                    "day": day,
                    "figures": computed_tally(code, day=day),
                    "computed_at": timezone.now(),
                },
            )
    return len(codes), differing


def tally_differences(*, day: datetime.date | None = None) -> list[str]:
    """The districts whose tally is held as good (fresh for `day`, no mark left) but differs from the
    computed figures: a write that no trigger marked. Nothing is written."""
    day = day or timezone.localdate()
    marked = set(TallyMark.objects.order_by().values_list("district", flat=True).distinct())
    return [
        tally.district
        for tally in DistrictTally.objects.order_by("district")
        if tally.district not in marked
        and _fresh(tally, day)
        and tally.figures != _as_stored(computed_tally(tally.district, day=day))
    ]


def _as_stored(figures: dict) -> dict:
    """Figures as a JSON field gives them back (tuples as lists, numbers as JSON numbers)."""
    return json.loads(json.dumps(figures))
