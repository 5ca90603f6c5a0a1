"""The library's keyword search through its index (projects.search): it finds what a LIKE over every
project's texts finds, reads the index to do it, and the index stays in step with every write of a text."""

import importlib

import pytest
from django.apps import apps as django_apps
from django.core.management import CommandError, call_command
from django.db.models import Q
from django.test import Client
from django.urls import reverse

from projects.models import Project, SearchGram
from projects.search import (
    SEARCHED,
    _rarest_first,
    keyword_search,
    search_grams,
    search_index_differences,
)
from projects.selectors import project_list
from projects.services import project_create, project_create_many, project_update
from tests.factories import OrganizationFactory, ProjectFactory, district

pytestmark = pytest.mark.django_db


def like_everywhere(value: str) -> set[int]:
    """The reference: what the search found before it had an index."""
    condition = Q(implementing_org__name__icontains=value)
    for field in SEARCHED:
        condition |= Q(**{f"{field}__icontains": value})
    return set(Project.objects.filter(condition).values_list("pk", flat=True))


def searched(value: str) -> set[int]:
    return set(keyword_search(Project.objects.all(), value).values_list("pk", flat=True))


def in_step(*projects):
    for project in projects:
        project.refresh_from_db()
        stored = set(SearchGram.objects.filter(project=project).values_list("gram", flat=True))
        assert stored == search_grams(*(getattr(project, field) for field in SEARCHED)), project.name


def fields(**values) -> dict:
    return {"category": "river_lake", "total_investment": 1, "start_year": 2025, "end_year": 2027} | values


@pytest.fixture
def texts():
    org = OrganizationFactory(name="广州碧水建设公司")
    return [
        ProjectFactory(name="增江画廊河湖治理项目", content="碧道建设，水系连通"),
        ProjectFactory(name="流溪河碧道", content="河湖长制", code="HP-ZJ-01"),
        ProjectFactory(name="湖泊清淤", content="清淤河道", national_code="2021-440112-77-01-000042"),
        ProjectFactory(name="Greenway 绿道", content="ABC river"),
        ProjectFactory(name="岭头项目", implementing_org=org),
        ProjectFactory(name="河", content="湖"),  # a pair across two fields is no match
    ]


KEYWORDS = [
    "河",  # one character: every text is read
    "湖",
    "河湖",  # one pair: the index answers alone
    "碧道",
    "项目",
    "zj",
    "ZJ-0",  # any case
    "greenway",
    "REEN",
    "000042",
    "2021-440112",
    "河湖治理",  # longer: the index's candidates, tested with LIKE
    "治理项目",
    "河道碧",  # every pair is held somewhere, the keyword nowhere
    "碧水建设",  # the implementing organisation
    "碧水",
    "不存在",
    "岭头项目",
    "%",
    "_河",
    "a\\b",
]


@pytest.mark.parametrize("value", KEYWORDS)
def test_the_search_finds_what_like_over_every_text_finds(texts, value):
    assert searched(value) == like_everywhere(value)


def test_the_search_reads_the_index(texts):
    """A project whose index rows are gone is not found by a keyword of two characters or more: the
    search read the index (and the deep check says so)."""
    flowing = texts[1]
    assert flowing.pk in searched("碧道") and flowing.pk in searched("流溪河")
    SearchGram.objects.filter(project=flowing).delete()
    assert flowing.pk not in searched("碧道")
    assert flowing.pk not in searched("流溪河")
    assert flowing.pk in searched("流")  # one character: read from the texts
    assert search_index_differences() == [flowing.pk]


def test_a_long_keyword_is_one_query_more_whatever_its_length(texts, django_assert_num_queries):
    with django_assert_num_queries(2):  # the pairs ranked, then the projects
        assert len(searched("增江画廊河湖治理项目碧道建设水系连通")) == 0
    expected = like_everywhere("河湖")
    with django_assert_num_queries(1):
        assert searched("河湖") == expected


def test_a_common_pair_does_not_lead(texts):
    """The candidates come from the rarest pair: with 项目 in every name, 岭头 leads."""
    for n in range(5):
        ProjectFactory(name=f"示范项目{n}")
    assert _rarest_first(["项目", "岭头", "不存"]) == ["不存", "岭头", "项目"]
    assert searched("岭头项目") == {texts[4].pk}


# -- the writers keep the index in step ------------------------------------------------------------------


def test_a_new_project_and_an_edit_are_found_by_their_new_words(city_user):
    project = project_create(
        acting_user=city_user, district=district("440105"), **fields(name="海珠湿地修复")
    )
    in_step(project)
    assert project.pk in searched("湿地")
    project_update(project=project, acting_user=city_user, name="海珠湖公园", content="环湖碧道")
    in_step(project)
    assert project.pk not in searched("湿地")
    assert project.pk in searched("湖公") and project.pk in searched("环湖碧道")


def test_a_batch_of_new_projects_is_indexed(city_user):
    made = project_create_many(
        acting_user=city_user,
        items=[fields(name=f"白云山生态修复{n}", district=district("440111")) for n in range(3)],
    )
    in_step(*made)
    assert {p.pk for p in made} <= searched("白云山")


def test_the_admin_keeps_the_index_in_step(city_client, form_data):
    project = ProjectFactory(name="旧名称")
    url = reverse("admin:projects_project_change", args=[project.pk])
    response = city_client.post(url, form_data(city_client, url) | {"name": "南沙湿地公园"})
    assert response.status_code == 302
    in_step(project)
    assert project.name == "南沙湿地公园" and project.pk in searched("湿地")
    assert project.pk not in searched("旧名")


def test_the_demo_seed_is_indexed():
    from portfolio.seed import seed_demo

    seed_demo(20, rng_seed=3)
    assert Project.objects.count() >= 20
    assert search_index_differences() == []


# -- the rebuild command, the deep check, the migration ------------------------------------------------------


def test_rebuild_check_reports_and_the_rebuild_fixes(texts, capsys):
    call_command("rebuild_search_index", "--check")
    SearchGram.objects.filter(project=texts[0]).delete()
    SearchGram.objects.create(project=texts[1], gram="假的")
    with pytest.raises(CommandError, match="2 个项目") as failure:
        call_command("rebuild_search_index", "--check")
    assert failure.value.returncode == 1
    assert not SearchGram.objects.filter(project=texts[0]).exists()  # --check writes nothing
    call_command("rebuild_search_index")
    assert "其中 2 个与原索引不符" in capsys.readouterr().out
    in_step(*texts)
    call_command("rebuild_search_index", "--check")


def test_healthz_deep_reports_a_stale_index(texts):
    client = Client()
    assert client.get("/healthz", {"deep": "1"}).status_code == 200
    SearchGram.objects.filter(project=texts[2]).delete()
    response = client.get("/healthz", {"deep": "1"})
    assert response.status_code == 503 and "search_index" in response.json()["failed"]


def test_the_migration_fills_every_project(texts):
    SearchGram.objects.all().delete()
    migration = importlib.import_module("projects.migrations.0009_search_index")
    migration.fill_index(django_apps, None)
    in_step(*texts)
    assert search_index_differences() == []


def test_a_deleted_project_takes_its_rows_with_it(texts):
    gone = texts[3]
    Project.objects.filter(pk=gone.pk).delete()
    assert not SearchGram.objects.filter(project_id=gone.pk).exists()


# -- the library page and the API ---------------------------------------------------------------------


def test_the_library_page_and_the_api_search_through_the_index(texts, city_user, client):
    client.force_login(city_user)
    page = client.get("/projects/", {"q": "河湖"})
    assert page.status_code == 200
    listed = {p.pk for p in page.context["page"]}
    assert listed == like_everywhere("河湖")
    api = client.get("/api/v1/projects/", {"q": "河湖治理"}).json()
    assert {row["id"] for row in api["results"]} == like_everywhere("河湖治理")
    assert {p.pk for p in project_list(user=city_user, params={"q": "碧水建设"})} == {texts[4].pk}
