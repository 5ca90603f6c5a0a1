"""The library's keyword search, and keeping its index (SearchGram) in step with the projects' texts.

Every write of a project's name, code, national code or content (a new project, an edit, the admin, an
import, the seed) calls search_index_refresh for the projects it wrote, in its own transaction. What the
index should hold is search_grams of the texts; the rebuild command and the deep health check compare the
rows with it.
"""

from collections.abc import Iterable

from django.db import connection, transaction
from django.db.models import Exists, OuterRef, Q, QuerySet

from portfolio.db import insert_values

from .models import Project, SearchGram

# The fields a keyword is looked for in, besides the implementing organisation's name (a small table,
# searched directly).
SEARCHED = ("name", "code", "national_code", "content")
# Projects per statement: under every database's limit of bound parameters, and a bounded read per chunk.
CHUNK = 2000
# A longer keyword's candidates are the projects holding its rarest pair (and its other probed pairs): the
# pairs are ranked by their first PROBE_LIMIT rows, and at most PROBED pairs of a keyword are looked at.
PROBE_LIMIT = 1000
PROBED = 8


def _folded(text: str) -> str:
    return text.lower()


def search_grams(*texts: str | None) -> set[str]:
    """The pairs of adjacent characters, lower-cased, of each text (pairs do not span two texts)."""
    grams = set()
    for text in texts:
        text = _folded(text or "")
        grams.update(text[i : i + 2] for i in range(len(text) - 1))
    return grams


def _computed(ids: list[int]) -> dict[int, set[str]]:
    rows = Project.objects.filter(pk__in=ids).order_by().values_list("pk", *SEARCHED)
    return {pk: search_grams(*texts) for pk, *texts in rows}


def _stored(ids: list[int]) -> dict[int, set[str]]:
    stored: dict[int, set[str]] = {pk: set() for pk in ids}
    for pk, gram in SearchGram.objects.filter(project__in=ids).order_by().values_list("project", "gram"):
        stored[pk].add(gram)
    return stored


def _write(ids: list[int], computed: dict[int, set[str]]) -> None:
    SearchGram.objects.filter(project__in=ids).delete()
    insert_values(
        SearchGram,
        ["project_id", "gram"],
        [(pk, gram) for pk, grams in computed.items() for gram in sorted(grams)],
    )


def _lock(ids: list[int]) -> None:
    """Lock the projects' rows, in id order, where the database locks rows: two refreshes of one project
    would otherwise both delete its pairs and both insert them."""
    if connection.features.has_select_for_update:
        list(Project.objects.select_for_update().filter(pk__in=ids).order_by("pk").values_list("pk"))


def _chunks(ids: list[int]) -> Iterable[list[int]]:
    for start in range(0, len(ids), CHUNK):
        yield ids[start : start + CHUNK]


def search_index_create(*, projects: Iterable[Project]) -> None:
    """The index rows of new projects (saved, with no rows yet), from the instances: one query."""
    insert_values(
        SearchGram,
        ["project_id", "gram"],
        [
            (project.pk, gram)
            for project in projects
            for gram in sorted(search_grams(*(getattr(project, field) for field in SEARCHED)))
        ],
    )


@transaction.atomic
def search_index_refresh(*, project_ids: Iterable[int]) -> None:
    """Rewrite the index rows of the projects `project_ids` from their texts (unknown ids are passed over).
    Three queries per 2,000 projects, besides the lock."""
    for chunk in _chunks(sorted(set(project_ids))):
        _lock(chunk)
        _write(chunk, _computed(chunk))


def _all_ids() -> list[int]:
    return list(Project.objects.order_by("pk").values_list("pk", flat=True))


def search_index_differences() -> list[int]:
    """The projects whose index rows differ from their texts' pairs, in id order; nothing is written."""
    differing = []
    for chunk in _chunks(_all_ids()):
        computed, stored = _computed(chunk), _stored(chunk)
        differing += [pk for pk in chunk if pk in computed and stored[pk] != computed[pk]]
    return differing


def search_index_rebuild() -> tuple[int, list[int]]:
    """Rewrite every project's index rows, a chunk of projects per transaction; returns how many projects
    there are and those whose rows differed."""
    ids = _all_ids()
    differing = []
    for chunk in _chunks(ids):
        with transaction.atomic():
            _lock(chunk)
            computed, stored = _computed(chunk), _stored(chunk)
            differing += [pk for pk in chunk if pk in computed and stored[pk] != computed[pk]]
            _write(chunk, computed)
    return len(ids), differing


def _in_texts(value: str) -> Q:
    condition = Q()
    for field in SEARCHED:
        condition |= Q(**{f"{field}__icontains": value})
    return condition


def _rarest_first(grams: list[str]) -> list[str]:
    """The pairs ordered by how many projects hold them, as far as PROBE_LIMIT tells: one query."""
    table = connection.ops.quote_name(SearchGram._meta.db_table)
    probe = f"(SELECT COUNT(*) FROM (SELECT 1 FROM {table} WHERE gram = %s LIMIT {PROBE_LIMIT}) AS held)"
    with connection.cursor() as cursor:
        cursor.execute("SELECT " + ", ".join([probe] * len(grams)), grams)
        counts = cursor.fetchone()
    return [gram for _count, gram in sorted(zip(counts, grams, strict=True))]


def keyword_search(queryset: QuerySet, value: str) -> QuerySet:
    """The projects of `queryset` whose name, code, national code, content or implementing organisation's
    name contains `value`, case aside.

    A keyword of one character, or with a character whose lower case is not one character, is looked for
    in every project's texts. Otherwise the index gives the candidates: a two-character keyword is one
    pair, and the projects holding it are exactly those whose texts contain it; a longer one is tested
    with LIKE on the projects holding its rarest pair and its other probed pairs.
    """
    folded = _folded(value)
    organizations = Project._meta.get_field("implementing_org").related_model.objects.filter(
        name__icontains=value
    )
    if len(value) < 2 or len(folded) != len(value):
        return queryset.filter(_in_texts(value) | Q(implementing_org__in=organizations))
    if len(value) == 2:
        found = SearchGram.objects.filter(gram=folded).values("project")
    else:
        # The keyword's first PROBED distinct pairs narrow the candidates to those that LIKE then tests.
        pairs = dict.fromkeys(folded[i : i + 2] for i in range(len(folded) - 1))
        rarest, *others = _rarest_first(list(pairs)[:PROBED])
        candidates = Q(pk__in=SearchGram.objects.filter(gram=rarest).values("project"))
        for gram in others:
            candidates &= Q(Exists(SearchGram.objects.filter(gram=gram, project=OuterRef("pk"))))
        found = Project.objects.filter(candidates & _in_texts(value)).order_by().values("pk")
    # One set of ids, so that the database reads it by index rather than testing every project for either.
    by_organization = Project.objects.filter(implementing_org__in=organizations).order_by().values("pk")
    return queryset.filter(pk__in=found.order_by().union(by_organization))
