"""projects/0005 moves the project's three approval numbers (and whether it needs an EIA) into its
procedures, and back, losing nothing: a copy of demo-like data built at the 0004 state through the
historical models, migrated forward, checked, migrated back and compared field for field."""

import random

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)

BEFORE = [("projects", "0004_monthly_dispatch"), ("financing", "0006_financing_platform")]
OLD_FIELDS = ("feasibility_approval_no", "land_approval_no", "eia_required", "eia_approval_no")

# The cases by name: (feasibility, land, eia required, eia number) and the rows expected after, as
# {kind: (status, approval_no)}.
CASES = {
    "all numbers": (
        ("穗发改〔2024〕1号", "穗规划资源〔2024〕2号", True, "穗环评〔2024〕3号"),
        {
            "feasibility": ("done", "穗发改〔2024〕1号"),
            "land": ("done", "穗规划资源〔2024〕2号"),
            "eia": ("done", "穗环评〔2024〕3号"),
        },
    ),
    "blank": (("", "", True, ""), {}),
    "whitespace only": (
        ("  ", "\t", True, " "),
        {"feasibility": ("pending", "  "), "land": ("pending", "\t"), "eia": ("pending", " ")},
    ),
    "padded number": (
        (" 穗发改〔2024〕9号 ", "", True, ""),
        {"feasibility": ("done", " 穗发改〔2024〕9号 ")},
    ),
    "no eia, no number": (
        ("穗发改〔2024〕4号", "", False, ""),
        {
            "feasibility": ("done", "穗发改〔2024〕4号"),
            "eia": ("not_needed", ""),
        },
    ),
    "no eia, a number": (("", "", False, "穗环评〔2023〕7号"), {"eia": ("not_needed", "穗环评〔2023〕7号")}),
    "no eia, whitespace": (("", "", False, "  "), {"eia": ("not_needed", "  ")}),
}


def migrate(targets):
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(targets)
    return executor.loader.project_state(targets).apps


def latest():
    return MigrationExecutor(connection).loader.graph.leaf_nodes()


def old_values(apps) -> dict:
    Project = apps.get_model("projects", "Project")
    return {row["code"]: row for row in Project.objects.values("code", *OLD_FIELDS)}


def test_approval_numbers_move_into_procedures_and_back():
    try:
        apps = migrate(BEFORE)
        Project = apps.get_model("projects", "Project")
        # A transactional test before this one may have flushed the districts the data migrations seeded.
        district, _ = apps.get_model("projects", "District").objects.get_or_create(
            code="440112", defaults={"name": "黄埔区"}
        )

        def make(code, feasibility, land, eia_required, eia):
            Project.objects.create(
                code=code,
                name=f"项目{code}",
                district=district,
                category="river_lake",
                total_investment=100,
                start_year=2024,
                end_year=2026,
                feasibility_approval_no=feasibility,
                land_approval_no=land,
                eia_required=eia_required,
                eia_approval_no=eia,
                is_demo=True,
            )

        for index, (values, _rows) in enumerate(CASES.values()):
            make(f"CASE-{index}", *values)
        # And demo-like data: every combination drawn at random, as the demo seed made them.
        rng = random.Random(15)
        numbers = ["", " ", "穗发改（演示）{n}号", "穗规划资源（演示）{n}号"]
        for n in range(60):
            make(
                f"DEMO-{n:06d}",
                rng.choice(numbers).format(n=n),
                rng.choice(numbers).format(n=n),
                rng.random() < 0.6,
                rng.choice(numbers).format(n=n),
            )
        before = old_values(apps)

        apps = migrate(latest())
        Procedure = apps.get_model("projects", "Procedure")
        rows = {}
        for row in Procedure.objects.values("project__code", "kind", "status", "approval_no", "approved_on"):
            assert row["approved_on"] is None
            rows.setdefault(row["project__code"], {})[row["kind"]] = (row["status"], row["approval_no"])
        for index, (name, (_values, expected)) in enumerate(CASES.items()):
            assert rows.get(f"CASE-{index}", {}) == expected, name
        # Every demo project: a done row exactly where the 成熟 gate counted a number.
        for code, old in before.items():
            mine = rows.get(code, {})
            for kind, field in (("feasibility", "feasibility_approval_no"), ("land", "land_approval_no")):
                status = mine.get(kind, (None, ""))[0]
                assert (status == "done") == bool(old[field].strip()), (code, kind)
            if not old["eia_required"]:
                assert mine["eia"] == ("not_needed", old["eia_approval_no"]), code
        assert not {"feasibility_approval_no", "eia_required"} & {
            field.name for field in apps.get_model("projects", "Project")._meta.fields
        }

        apps = migrate(BEFORE)
        assert old_values(apps) == before
    finally:
        migrate(latest())


def test_the_latest_state_is_restored():
    from projects.models import Procedure

    assert Procedure.objects.count() == 0  # the table exists again, empty
