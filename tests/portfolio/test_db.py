"""insert_rows writes what bulk_create writes, value for value, on SQLite and on PostgreSQL."""

import datetime
import gc
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, connection, transaction
from django.utils import timezone

from portfolio.audit import snapshot
from portfolio.db import cyclic_gc_paused, insert_rows, insert_values
from portfolio.models import AuditEntry
from projects.choices import Category
from projects.models import Project
from tests.factories import OrganizationFactory, UnitFactory, district

pytestmark = pytest.mark.django_db


def project(code, user, **values):
    fields = {"total_investment": Decimal("123456789.01")} | values
    fields.setdefault("unit", UnitFactory(district=district("440112")))
    return Project(
        code=code,
        name=f"项目{code}",
        district=district("440112"),
        implementing_org=OrganizationFactory(),
        category="river_lake",
        content="碧道\n建设",
        start_year=2025,
        end_year=2027,
        expected_revenue=Decimal("0.00"),
        construction_started_on=datetime.date(2025, 3, 1),
        submitted_at=timezone.make_aware(datetime.datetime(2025, 3, 2, 9, 30)),
        created_by=user,
        **fields,
    )


def test_the_same_rows_as_bulk_create(city_user):
    Project.objects.bulk_create([project("A-1", city_user)])
    insert_rows(Project, [project("B-1", city_user)])
    by_bulk = snapshot(Project.objects.get(code="A-1"))
    by_rows = snapshot(Project.objects.get(code="B-1"))
    differing = {name for name in by_bulk if by_bulk[name] != by_rows[name]}
    assert differing <= {"code", "name", "unit_id", "implementing_org_id", "created_at", "updated_at"}
    assert (
        by_rows["total_investment"] == "123456789.01" and by_rows["construction_started_on"] == "2025-03-01"
    )
    assert by_rows["expected_revenue"] == "0.00" and by_rows["debt_service"] is None
    assert by_rows["is_demo"] is False
    assert by_rows["content"] == "碧道\n建设"
    assert by_rows["submitted_at"] == by_bulk["submitted_at"]

    changes = {"total_investment": [None, "1.00"], "name": [None, "引号\"与'撇号"], "list": [1, None]}
    entry = AuditEntry(
        actor=city_user, action="x", content_type_id=1, object_id="1", object_repr="对象", changes=changes
    )
    insert_rows(AuditEntry, [entry])
    stored = AuditEntry.objects.get(action="x")
    assert stored.changes == changes and stored.actor == city_user and stored.at == entry.at


def test_a_broken_constraint_is_an_integrity_error(city_user):
    insert_rows(Project, [project("C-1", city_user)])
    with pytest.raises(IntegrityError), transaction.atomic():
        insert_rows(Project, [project("C-1", city_user)])
    with pytest.raises(IntegrityError), transaction.atomic():
        insert_rows(Project, [project("C-2", city_user, total_investment=Decimal("-1"))])
    assert Project.objects.filter(code__startswith="C-").count() == 1


def test_the_collector_pause_restores_what_it_found():
    assert gc.isenabled()
    with pytest.raises(RuntimeError), cyclic_gc_paused():
        assert not gc.isenabled()
        raise RuntimeError
    assert gc.isenabled()
    gc.disable()
    try:
        with cyclic_gc_paused():
            pass
        assert not gc.isenabled()
    finally:
        gc.enable()


@pytest.mark.postgres
@pytest.mark.skipif(connection.vendor != "postgresql", reason="JIT is PostgreSQL's; CI runs this there")
def test_the_apps_postgresql_connections_have_jit_off():
    with connection.cursor() as cursor:
        cursor.execute("SHOW jit")
        assert cursor.fetchone()[0] == "off"


@pytest.mark.django_db
@pytest.mark.skipif(connection.vendor != "sqlite", reason="a memory map is SQLite's; the SQLite run has it")
def test_the_apps_sqlite_connections_read_the_file_through_a_memory_map():
    with connection.cursor() as cursor:
        cursor.execute("PRAGMA mmap_size")
        assert cursor.fetchone()[0] >= 256 * 1024**2


@pytest.mark.postgres
@pytest.mark.skipif(connection.vendor != "postgresql", reason="planner statistics are PostgreSQL's")
def test_a_demo_seed_leaves_the_planner_statistics_of_its_rows():
    """A table analysed while it held only dead rows is planned as holding one row, whatever it holds
    later; the ledger's subqueries then ran for minutes in financing.xlsx. The seed analyses what it wrote."""
    from portfolio.seed import seed_demo

    try:
        with transaction.atomic():
            seed_demo(20, rng_seed=5)
            raise RuntimeError
    except RuntimeError:
        pass
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE projects_project")
        seed_demo(20, rng_seed=6)
        cursor.execute("SELECT reltuples FROM pg_class WHERE relname = 'projects_project'")
        assert cursor.fetchone()[0] >= 20


def test_rows_given_as_tuples_are_written_as_instances_would_be(city_user):
    """insert_values: the named columns from the tuples, the others from their fields' defaults."""
    at = timezone.make_aware(datetime.datetime(2025, 3, 2, 9, 30))
    before = timezone.now()
    insert_values(
        AuditEntry,
        ["action", "content_type_id", "object_id", "object_repr", "actor_id", "at"],
        [("y1", 1, "1", "对象", city_user.pk, at), ("y2", 1, "2", "对象", None, at)],
    )
    insert_values(
        AuditEntry, ["action", "content_type_id", "object_id", "object_repr"], [("y3", 1, "3", "对象")]
    )
    first, second, third = AuditEntry.objects.filter(action__startswith="y").order_by("action")
    assert (first.actor, first.at, first.changes) == (city_user, at, {})
    assert second.actor is None and second.project is None
    assert third.at >= before  # the field's default, for the row
    with pytest.raises(TypeError, match="no columns"):
        insert_values(AuditEntry, ["action", "colour"], [("z", "red")])
    with pytest.raises(IntegrityError), transaction.atomic():  # content_type_id, NOT NULL, left out
        insert_values(AuditEntry, ["action", "object_id", "object_repr"], [("z", "4", "对象")])
    assert not AuditEntry.objects.filter(action="z").exists()


def test_the_shortcuts_send_what_the_fields_would(city_user):
    """Text choices, amounts given as text, and a foreign key set to an instance before it was saved: the
    same stored values as by bulk_create, and an amount that is not a number is refused."""
    unit = UnitFactory.build(district=district("440112"))
    late = project("D-1", city_user, total_investment="1000.50", unit=unit)
    late.category = Category.BAY
    unit.save()
    insert_rows(Project, [late])
    stored = Project.objects.get(code="D-1")
    assert stored.unit == unit and stored.total_investment == Decimal("1000.50")
    assert stored.category == "bay"
    with pytest.raises(ValidationError):
        insert_rows(Project, [project("D-2", city_user, total_investment=Decimal("NaN"))])
