"""The districts' tallies: what the dashboard adds up, summed once per district and kept (DistrictTally).

The city's dashboard reads eleven tallies instead of every project, funding line, loan, installment and
monthly report of the library; a district's reads its own. /dispatch/ reads the districts' dispatch tallies
of the month asked for (DispatchTally): their sums and their first flagged projects and late reports. A
tally is summed for a day (the maturity profile and the dispatch depend on it) and stays good while its
district has no TallyMark left: database triggers (portfolio/migrations/0007) add a mark in the writer's own
transaction for every row written to what the tally sums, whatever wrote it.

Refreshing a tally, in one transaction: lock its district's row (a second refresh of the same district
waits, then finds nothing to do), delete the district's marks and every tally of the district they made
stale, then sum. Marks deleted are of writes committed before the sums are read, so they are in the sums;
a write still in flight keeps its mark for the next read. The figures are the computed ones (dashboard's
reference selectors) to the 分: the rebuild command and the deep health check compare them
(tally_differences).
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
from portfolio.dispatch.summary import (
    DispatchSummary,
    dispatch_summary,
    district_dispatch,
    district_sums,
    merged_lists,
    summary_of_sums,
)
from projects.choices import ReviewStatus
from projects.deadlines import report_due
from projects.models import District, Project

from .models import DispatchTally, DistrictTally, TallyMark

# The shape of the figures: a tally of another version is summed again.
VERSION = 1
# How many flagged projects and late reports a district's dispatch tally keeps: the most /dispatch/ lists.
DISPATCH_KEPT = 100


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


def _fresh(tally, basis: dict) -> bool:
    """Whether a stored tally was summed on `basis` (its day, the flags' thresholds, the figures' shape)."""
    return tally is not None and {k: tally.figures.get(k) for k in basis} == basis


def _consume_marks(code: str) -> None:
    """Delete district `code`'s marks and every tally of it they made stale (its row locked): the caller
    sums what it needs again, and the others are summed when next read."""
    TallyMark.objects.filter(district=code).delete()
    DistrictTally.objects.filter(district=code).delete()
    DispatchTally.objects.filter(district=code).delete()


def _store(model, code: str, keys: dict, *, day: datetime.date, figures: dict):
    tally, _ = model.objects.update_or_create(
        district=code, **keys, defaults={"day": day, "figures": figures, "computed_at": timezone.now()}
    )
    return tally


@transaction.atomic
def _refreshed(model, code: str, keys: dict, *, basis: dict, day: datetime.date, compute):
    """District `code`'s tally of `model` (the row of `keys`) summed again by `compute()`, unless it is
    fresh and unmarked once the district's row is locked. Marks found make every tally of the district
    stale: they are deleted with them."""
    _lock(code)
    if TallyMark.objects.filter(district=code).exists():
        _consume_marks(code)
    else:
        tally = model.objects.filter(district=code, **keys).first()
        if _fresh(tally, basis):
            return tally  # another refresh did it while this one waited
    return _store(model, code, keys, day=day, figures=compute())


def _kept(model, codes: list[str], keys: dict, *, basis: dict, day: datetime.date, compute) -> dict:
    """The figures of `model`'s tallies (rows of `keys`) of districts `codes`, by code, each fresh on
    `basis`: two queries when none has changed, and a refresh (`compute(code)`) for each that has. The
    tallies are read before the marks, so that a tally written after a mark it missed is not served."""
    stored = {tally.district: tally for tally in model.objects.filter(district__in=codes, **keys)}
    marked = set(
        TallyMark.objects.filter(district__in=codes).order_by().values_list("district", flat=True).distinct()
    )
    result = {}
    for code in codes:
        tally = stored.get(code)
        if code in marked or not _fresh(tally, basis):
            tally = _refreshed(
                model, code, keys, basis=basis, day=day, compute=lambda code=code: compute(code)
            )
        result[code] = tally.figures
    return result


def district_codes_of(user) -> list[str]:
    """The districts whose tallies `user` may read: those its scope covers, in code order. One query."""
    return list(
        District.objects.filter(scope_q(user, "code")).order_by("code").values_list("code", flat=True)
    )


def tallies_of(*, user, day: datetime.date) -> dict[str, dict]:
    """The figures of the districts `user` sees, by code, each fresh as of `day`."""
    return _kept(
        DistrictTally,
        district_codes_of(user),
        {},
        basis=_basis(day),
        day=day,
        compute=lambda code: computed_tally(code, day=day),
    )


def _dispatch_basis(day: datetime.date, year: int, month: int) -> dict:
    return {**_basis(day), "due": report_due(datetime.date(year, month, 1)).day.isoformat()}


def computed_dispatch_tally(code: str, *, year: int, month: int, day: datetime.date) -> dict:
    """District `code`'s dispatch of `year` up to `month` computed from its records, as of `day`."""
    return {
        **_dispatch_basis(day, year, month),
        **district_dispatch(
            user=WHOLE_CITY, year=year, month=month, district=code, today=day, listed=DISPATCH_KEPT
        ),
    }


def dispatch_tallies_of(codes: list[str], *, year: int, month: int, day: datetime.date) -> dict[str, dict]:
    """The dispatch figures of districts `codes` for the month, by code, each fresh as of `day`."""
    return _kept(
        DispatchTally,
        codes,
        {"year": year, "month": month},
        basis=_dispatch_basis(day, year, month),
        day=day,
        compute=lambda code: computed_dispatch_tally(code, year=year, month=month, day=day),
    )


def tallied_dispatch_summary(
    *,
    user,
    year: int,
    month: int,
    district: str | None = None,
    today: datetime.date | None = None,
    listed: int = 0,
) -> DispatchSummary:
    """dispatch_summary (the same figures and lists) added up from the dispatch tallies of the districts
    `user` sees, or of `district` among them: what /dispatch/ and the dispatch files' size check read."""
    today = today or timezone.localdate()
    chosen = {"year": year, "month": month, "district": district, "today": today, "listed": listed}
    if listed > DISPATCH_KEPT:
        return dispatch_summary(user=user, **chosen)
    codes = [code for code in district_codes_of(user) if not district or code == district]
    tallies = dispatch_tallies_of(codes, year=year, month=month, day=today)
    sums = [[code, *row] for code, figures in tallies.items() for row in figures["sums"]]
    flagged_ids, late_ids = merged_lists(tallies, listed=listed)
    return summary_of_sums(user=user, sums=sums, flagged_ids=flagged_ids, late_ids=late_ids, **chosen)


def tallies_rebuild(*, day: datetime.date | None = None) -> tuple[int, list[str]]:
    """Sum every district's tally again; returns how many there are and those whose stored figures (fresh
    and unmarked) differed from the computed ones."""
    day = day or timezone.localdate()
    differing = tally_differences(day=day)
    codes = list(District.objects.order_by("code").values_list("code", flat=True))
    for code in codes:
        with transaction.atomic():
            _lock(code)
            _consume_marks(code)  # the dispatch tallies are summed again when next read
            _store(DistrictTally, code, {}, day=day, figures=computed_tally(code, day=day))
    return len(codes), differing


def tally_differences(*, day: datetime.date | None = None) -> list[str]:
    """The districts whose tally is held as good (fresh for `day`, no mark left) but differs from the
    computed figures: a write that no trigger marked. Nothing is written."""
    day = day or timezone.localdate()
    marked = set(TallyMark.objects.order_by().values_list("district", flat=True).distinct())
    differing = [
        tally.district
        for tally in DistrictTally.objects.order_by("district")
        if tally.district not in marked
        and _fresh(tally, _basis(day))
        and tally.figures != _as_stored(computed_tally(tally.district, day=day))
    ]
    for tally in DispatchTally.objects.order_by("district", "year", "month"):
        basis = _dispatch_basis(day, tally.year, tally.month)
        if tally.district in marked or not _fresh(tally, basis):
            continue
        computed = computed_dispatch_tally(tally.district, year=tally.year, month=tally.month, day=day)
        if tally.figures != _as_stored(computed):
            differing.append(f"{tally.district} {tally.year}-{tally.month:02d}")
    return differing


def _as_stored(figures: dict) -> dict:
    """Figures as a JSON field gives them back (tuples as lists, numbers as JSON numbers)."""
    return json.loads(json.dumps(figures))
