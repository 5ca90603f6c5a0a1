"""project_create_many: a batch of drafts, each checked as project_create checks one, written all or none."""

from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from portfolio.models import AuditEntry
from projects import services
from projects.choices import ReviewStatus, Stage
from projects.models import Project
from tests.factories import OrganizationFactory, ProjectFactory, UnitFactory, district

pytestmark = pytest.mark.django_db


def item(n, **overrides):
    fields = {
        "name": f"批量项目{n}",
        "district": district("440112"),
        "category": "river_lake",
        "total_investment": Decimal("1000000.00") + n,
        "start_year": 2025,
        "end_year": 2027,
    }
    return fields | overrides


def test_a_batch_becomes_drafts_numbered_on_with_one_audit_entry_each(city_user):
    year = timezone.localdate().year
    ProjectFactory(code=f"MLGZ-440112-{year}-0041", district=district("440112"))
    unit = UnitFactory(district=district("440112"))
    organization = OrganizationFactory()
    items = [item(0, unit=unit, implementing_org=organization), item(1), item(2, district=district("440104"))]
    created = services.project_create_many(acting_user=city_user, items=items)
    assert [p.code for p in created] == [
        f"MLGZ-440112-{year}-0042",
        f"MLGZ-440112-{year}-0043",
        f"MLGZ-440104-{year}-0001",
    ]
    for project in created:
        project.refresh_from_db()
        assert (project.review_status, project.stage, project.created_by) == (
            ReviewStatus.DRAFT,
            Stage.PLANNING,
            city_user,
        )
        entry = AuditEntry.objects.get(project=project)
        assert entry.action == "project_create" and entry.actor == city_user
        assert entry.changes["name"] == [None, project.name]
        assert entry.changes["total_investment"] == [None, str(project.total_investment)]
    assert created[0].unit == unit and created[0].implementing_org == organization


def test_every_wrong_item_is_reported_and_nothing_is_written(city_user):
    ProjectFactory(national_code="2020-440112-77-01-123456")
    before = (Project.objects.count(), AuditEntry.objects.count())
    items = [
        item(0),
        item(1, end_year=2024),
        item(2, total_investment=Decimal("-1")),
        item(3, national_code="2020-440112-77-01-123456"),
        item(4, national_code="not a code"),
        item(5, category="nonsense"),
        item(6, unit=UnitFactory(district=district("440104"))),
        item(7, district=None),
        item(8, code="X"),
        {key: value for key, value in item(9).items() if key != "name"},
    ]
    with pytest.raises(services.BatchRefused) as refused:
        services.project_create_many(acting_user=city_user, items=items)
    errors = {index: error.messages for index, error in refused.value.errors.items()}
    assert sorted(errors) == [1, 2, 3, 4, 5, 6, 7, 8, 9]
    assert errors[1] == ["计划完工年份不能早于计划开工年份。"]
    assert errors[2] == ["总投资不能为负数。"]
    assert errors[3] == ["该全国投资项目代码已被其他项目使用。"]
    assert refused.value.errors[6].message_dict == {"unit": ["所选美丽单元不属于该项目所在的区。"]}
    assert refused.value.errors[7].message_dict == {"district": ["请选择项目所在的区。"]}
    assert refused.value.errors[9].message_dict == {"name": ["此字段不能为空。"]}
    assert (Project.objects.count(), AuditEntry.objects.count()) == before


def test_district_users_batch_in_their_own_district_only(huangpu_user, finance_user):
    with pytest.raises(services.BatchRefused) as refused:
        services.project_create_many(
            acting_user=huangpu_user, items=[item(0), item(1, district=district("440104"))]
        )
    assert refused.value.errors[1].message_dict == {"district": ["区用户只能为本区新建项目。"]}
    created = services.project_create_many(acting_user=huangpu_user, items=[item(0, district=None), item(1)])
    assert {p.district_id for p in created} == {"440112"}
    with pytest.raises(PermissionDenied):
        services.project_create_many(acting_user=finance_user, items=[item(2)])


def test_queries_do_not_grow_with_the_batch(city_user):
    def queries(first, count):
        items = [item(n) for n in range(first, first + count)]
        with CaptureQueriesContext(connection) as captured:
            services.project_create_many(acting_user=city_user, items=items)
        return len(captured)

    queries(1000, 1)  # the first call also looks up the audit's content type, which stays cached
    few, many = queries(0, 10), queries(100, 200)
    assert few == many <= 12, (few, many)


def test_a_code_taken_meanwhile_falls_back_to_one_by_one(city_user, monkeypatch):
    taken = ProjectFactory(district=district("440112"))

    def collide(projects):
        for project in projects:
            project.code = taken.code

    monkeypatch.setattr(services, "_number", collide)
    created = services.project_create_many(acting_user=city_user, items=[item(0), item(1)])
    codes = [p.code for p in created]
    assert taken.code not in codes and len(set(codes)) == 2
    assert AuditEntry.objects.filter(action="project_create").count() == 2


def test_the_fallback_still_reports_and_writes_nothing(city_user, monkeypatch):
    taken = ProjectFactory(district=district("440112"))
    monkeypatch.setattr(
        services, "_number", lambda projects: [setattr(p, "code", taken.code) for p in projects]
    )
    original = services.project_create

    def late_refusal(*, acting_user, **fields):
        if fields["name"] == "批量项目1":
            raise ValidationError({"national_code": "该全国投资项目代码已被其他项目使用。"})
        return original(acting_user=acting_user, **fields)

    monkeypatch.setattr(services, "project_create", late_refusal)
    before = Project.objects.count()
    with pytest.raises(services.BatchRefused) as refused:
        services.project_create_many(acting_user=city_user, items=[item(0), item(1)])
    assert list(refused.value.errors) == [1]
    assert Project.objects.count() == before
