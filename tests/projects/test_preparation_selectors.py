"""The reads of procedures: the project page's checklist, what the 成熟 gate asks of it, and the API list in
its order and scope. (Each filter parameter of the list is tested here too, one per test.)"""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from projects import selectors
from projects.selectors.preparation import (
    mature_missing,
    procedure_list,
    procedures_by_kind,
    procedures_panel,
)
from tests.factories import ProcedureFactory, ProjectFactory, district

pytestmark = pytest.mark.django_db

KINDS = [
    "proposal",
    "feasibility",
    "land",
    "planning",
    "eia",
    "energy",
    "forest",
    "water_conservation",
    "construction_permit",
]


def test_the_panel_lists_every_kind_in_order_a_kind_without_a_row_pending(city_user):
    project = ProjectFactory()
    ProcedureFactory(project=project, kind="eia", status="not_needed", approval_no="")
    ProcedureFactory(project=project, kind="feasibility", approval_no="穗发改〔2026〕1号")
    ProcedureFactory(project=project, kind="planning", status="in_progress", approval_no="")
    panel = procedures_panel(user=city_user, project=project)
    assert [row["kind"] for row in panel["rows"]] == KINDS
    by_kind = {row["kind"]: row for row in panel["rows"]}
    assert by_kind["feasibility"]["status"] == "done"
    assert by_kind["feasibility"]["procedure"].approval_no == "穗发改〔2026〕1号"
    assert (by_kind["land"]["status"], by_kind["land"]["status_label"], by_kind["land"]["procedure"]) == (
        "pending",
        "未办理",
        None,
    )
    assert (panel["done"], panel["not_needed"], panel["total"]) == (1, 1, 9)
    # What 成熟 needs and lacks: land only (feasibility done, the EIA not needed).
    missing = [row["kind"] for row in panel["rows"] if row["missing_for_mature"]]
    assert missing == ["land"]
    assert [row["kind"] for row in panel["rows"] if row["needed_for_mature"]] == [
        "feasibility",
        "land",
        "eia",
    ]
    assert panel["mature_missing"] == ["用地（未办结，当前为未办理）"]


def test_who_may_edit_from_the_panel(city_user, finance_user, huangpu_user, yuexiu_user):
    project = ProjectFactory(district=district("440112"))
    can_edit = {
        user.username: procedures_panel(user=user, project=project)["can_edit"]
        for user in (city_user, finance_user, huangpu_user, yuexiu_user)
    }
    assert can_edit == {"city_a": True, "finance_a": False, "huangpu_a": True, "yuexiu_a": False}


def test_the_panel_runs_the_same_queries_for_two_rows_as_for_six(city_user):
    counts = []
    for count in (2, 6):
        project = ProjectFactory()
        for kind in KINDS[:count]:
            ProcedureFactory(project=project, kind=kind)
        procedures_panel(user=city_user, project=project)  # warm-up: the role is read once per user
        with CaptureQueriesContext(connection) as captured:
            panel = procedures_panel(user=city_user, project=project)
        assert panel["done"] == count
        counts.append(len(captured))
    assert counts[0] == counts[1] == 1, counts


@pytest.mark.parametrize(
    ("rows", "missing"),
    [
        ({}, ["可研批复", "用地", "环评"]),
        ({"feasibility": "done", "land": "done", "eia": "done"}, []),
        ({"feasibility": "done", "land": "done", "eia": "not_needed"}, []),
        # Feasibility and land must be done: "not needed" does not count for them.
        ({"feasibility": "not_needed", "land": "in_progress", "eia": "not_needed"}, ["可研批复", "用地"]),
        ({"feasibility": "done", "land": "done", "eia": "in_progress"}, ["环评"]),
        ({"feasibility": "done", "land": "pending", "eia": "done"}, ["用地"]),
    ],
)
def test_the_mature_gate_reads_the_checklist(rows, missing):
    project = ProjectFactory()
    for kind, status in rows.items():
        ProcedureFactory(
            project=project, kind=kind, status=status, approval_no="1号" if status == "done" else ""
        )
    found = mature_missing(procedures_by_kind(project))
    assert [text.split("（")[0] for text in found] == missing
    stage = selectors.stage_missing_conditions(project=project, stage="mature")
    assert [text for text in stage if not text.startswith("资金筹措方案")] == found


def test_the_gates_words(city_user):
    project = ProjectFactory()
    ProcedureFactory(project=project, kind="feasibility", status="in_progress", approval_no="")
    ProcedureFactory(project=project, kind="land", status="not_needed", approval_no="")
    assert mature_missing(procedures_by_kind(project)) == [
        "可研批复（未办结，当前为办理中）",
        "用地（未办结，当前为无需办理）",
        "环评（未办结，当前为未办理；不需要环评的请标为无需办理）",
    ]


# -- the API list ----------------------------------------------------------------------------------


@pytest.fixture
def procedures():
    hp = ProjectFactory(district=district("440112"))
    yx = ProjectFactory(district=district("440104"))
    return {
        "hp_land": ProcedureFactory(project=hp, kind="land"),
        "hp_proposal": ProcedureFactory(project=hp, kind="proposal", status="in_progress", approval_no=""),
        "hp_eia": ProcedureFactory(project=hp, kind="eia", status="not_needed", approval_no=""),
        "yx_feasibility": ProcedureFactory(project=yx, kind="feasibility"),
    }


def names(procedures, queryset):
    by_pk = {procedure.pk: name for name, procedure in procedures.items()}
    return [by_pk[pk] for pk in queryset.values_list("pk", flat=True)]


def test_the_list_is_by_project_in_the_checklists_order_within_scope(
    procedures, city_user, finance_user, huangpu_user, lender_user
):
    everything = ["yx_feasibility", "hp_proposal", "hp_land", "hp_eia"]  # 越秀 440104 before 黄埔 440112
    assert names(procedures, procedure_list(user=city_user)) == everything
    assert names(procedures, procedure_list(user=finance_user)) == everything
    assert names(procedures, procedure_list(user=huangpu_user)) == ["hp_proposal", "hp_land", "hp_eia"]
    assert names(procedures, procedure_list(user=lender_user)) == []


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        ({"kind": "land"}, ["hp_land"]),
        ({"status": "not_needed"}, ["hp_eia"]),
        ({"district": "440104"}, ["yx_feasibility"]),
        ("project", ["hp_proposal", "hp_land", "hp_eia"]),
    ],
)
def test_each_filter(procedures, city_user, params, expected):
    if params == "project":
        params = {"project": procedures["hp_land"].project_id}
    assert names(procedures, procedure_list(user=city_user, params=params)) == expected


@pytest.mark.parametrize("params", [{"kind": "fire"}, {"status": "x"}, {"project": "abc"}, {"district": "9"}])
def test_a_bad_filter_is_refused(procedures, city_user, refused, params):
    assert refused(procedure_list, city_user, **params) == set(params)
