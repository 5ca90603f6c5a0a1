"""Project services: rules, scope, and exactly one audit entry each with its before and after values; a
batch of drafts (project_create_many) written all or none."""

import datetime
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from financing.choices import FundingStatus, SourceType
from portfolio.errors import StaleObjectError
from portfolio.models import AuditEntry
from projects import services
from projects.choices import ReviewStatus, Stage
from projects.models import Milestone, Project, ReviewRecord, StageChange
from projects.services import project as project_services
from tests.factories import (
    FundingLineFactory,
    MilestoneFactory,
    OrganizationFactory,
    ProcedureFactory,
    ProjectFactory,
    UnitFactory,
    district,
)

pytestmark = pytest.mark.django_db


def new_project_fields(**overrides):
    fields = {
        "name": "增江画廊美丽河湖提升工程",
        "category": "river_lake",
        "total_investment": Decimal("250000000.00"),
        "start_year": 2025,
        "end_year": 2027,
    }
    return fields | overrides


def accepted_project(**values) -> Project:
    return ProjectFactory(review_status=ReviewStatus.ACCEPTED, **values)


# -- create and update ---------------------------------------------------------------------------


def test_district_user_creates_a_draft_in_its_own_district(huangpu_user, only_audit_entry):
    project = services.project_create(acting_user=huangpu_user, **new_project_fields())
    assert project.district_id == "440112"
    assert project.review_status == ReviewStatus.DRAFT and project.stage == Stage.PLANNING
    assert project.code.startswith("MLGZ-440112-")
    entry = only_audit_entry()
    assert entry.action == "project_create" and entry.actor == huangpu_user and entry.project == project
    assert entry.changes["name"] == [None, "增江画廊美丽河湖提升工程"]
    assert entry.changes["total_investment"] == [None, "250000000.00"]


def test_codes_are_assigned_in_sequence(city_user):
    first = services.project_create(
        acting_user=city_user, district=district("440104"), **new_project_fields()
    )
    second = services.project_create(
        acting_user=city_user, district=district("440104"), **new_project_fields()
    )
    assert int(second.code[-4:]) == int(first.code[-4:]) + 1


def test_codes_count_numerically_past_9999(city_user):
    year = datetime.date.today().year
    ProjectFactory(code=f"MLGZ-440104-{year}-9999", district=district("440104"))
    project = services.project_create(
        acting_user=city_user, district=district("440104"), **new_project_fields()
    )
    assert project.code == f"MLGZ-440104-{year}-10000"


def test_only_city_staff_choose_a_code(huangpu_user, city_user):
    with pytest.raises(ValidationError) as error:
        services.project_create(acting_user=huangpu_user, code="MLGZ-440104-2026-X", **new_project_fields())
    assert error.value.message_dict == {"code": ["项目编号由系统自动分配。"]}
    with pytest.raises(ValidationError) as error:
        services.project_create(
            acting_user=city_user,
            code="MLGZ-440104-2026-0001",
            district=district("440112"),
            **new_project_fields(),
        )
    assert "以 MLGZ- 开头的编号为系统保留" in error.value.message_dict["code"][0]
    project = services.project_create(
        acting_user=city_user, code="HP-2025-ZX01", district=district("440112"), **new_project_fields()
    )
    assert project.code == "HP-2025-ZX01"
    assert Project.objects.count() == 1


def test_district_user_cannot_create_in_another_district(huangpu_user):
    with pytest.raises(ValidationError) as error:
        services.project_create(acting_user=huangpu_user, district=district("440104"), **new_project_fields())
    assert error.value.message_dict == {"district": ["区用户只能为本区新建项目。"]}
    assert not Project.objects.exists() and not AuditEntry.objects.exists()


@pytest.mark.parametrize("user", ["finance_user", "no_role_user"])
def test_roles_that_may_not_create(user, request):
    with pytest.raises(PermissionDenied):
        services.project_create(
            acting_user=request.getfixturevalue(user), district=district(), **new_project_fields()
        )
    assert not Project.objects.exists()


def test_district_user_without_a_district_may_not_create():
    from tests.factories import UserFactory

    orphan = UserFactory(role="district_user")
    with pytest.raises(PermissionDenied):
        services.project_create(acting_user=orphan, **new_project_fields())
    assert not Project.objects.exists()


def test_create_with_bad_values_saves_nothing(city_user):
    with pytest.raises(ValidationError) as error:
        services.project_create(
            acting_user=city_user, district=district(), **new_project_fields(start_year=2028, end_year=2026)
        )
    assert "计划完工年份不能早于计划开工年份。" in error.value.messages
    assert not Project.objects.exists() and not AuditEntry.objects.exists()


def test_update_records_before_and_after_and_bumps_version(huangpu_user, only_audit_entry):
    project = ProjectFactory(name="旧名称", total_investment=Decimal("100.00"))
    updated = services.project_update(
        project=project,
        acting_user=huangpu_user,
        expected_version=1,
        name="新名称",
        total_investment=Decimal("200.50"),
    )
    assert updated.version == 2
    project.refresh_from_db()
    assert project.name == "新名称" and project.total_investment == Decimal("200.50")
    entry = only_audit_entry()
    assert entry.action == "project_update"
    assert entry.changes["name"] == ["旧名称", "新名称"]
    assert entry.changes["total_investment"] == ["100.00", "200.50"]
    assert entry.changes["version"] == [1, 2]


def test_unchanged_amounts_are_no_change(city_user):
    project = ProjectFactory(total_investment=Decimal("100.00"))
    services.project_update(
        project=project, acting_user=city_user, total_investment=Decimal("100"), name="新"
    )
    assert "total_investment" not in AuditEntry.objects.get().changes


def test_update_with_no_district_is_a_clear_error(city_user):
    project = ProjectFactory()
    with pytest.raises(ValidationError) as error:
        services.project_update(project=project, acting_user=city_user, district=None)
    assert "district" in error.value.message_dict


def test_stale_update_is_refused_and_nothing_is_overwritten(city_user):
    project = ProjectFactory(name="原名")
    services.project_update(project=project, acting_user=city_user, expected_version=1, name="甲改")
    with pytest.raises(StaleObjectError):
        services.project_update(project=project, acting_user=city_user, expected_version=1, name="乙改")
    project.refresh_from_db()
    assert project.name == "甲改" and project.version == 2
    assert AuditEntry.objects.count() == 1


def test_district_user_cannot_touch_another_district(yuexiu_user):
    project = ProjectFactory(district=district("440112"))
    with pytest.raises(PermissionDenied):
        services.project_update(project=project, acting_user=yuexiu_user, name="改")
    with pytest.raises(PermissionDenied):
        services.project_submit(project=project, acting_user=yuexiu_user)
    with pytest.raises(PermissionDenied):
        services.milestone_record(
            acting_user=yuexiu_user, project=project, name="开工", planned_date="2025-01-01"
        )
    assert not AuditEntry.objects.exists()


def test_district_user_cannot_edit_a_submitted_project(huangpu_user):
    project = ProjectFactory(review_status=ReviewStatus.SUBMITTED)
    with pytest.raises(ValidationError) as error:
        services.project_update(project=project, acting_user=huangpu_user, name="改")
    assert "只有草稿或已退回的项目可以由区用户修改" in error.value.messages[0]


def test_update_refuses_workflow_fields(city_user):
    project = ProjectFactory()
    with pytest.raises(ValidationError) as error:
        services.project_update(project=project, acting_user=city_user, stage=Stage.COMPLETED)
    assert "stage" in error.value.messages[0]
    project.refresh_from_db()
    assert project.stage == Stage.PLANNING


# -- review ----------------------------------------------------------------------------------------


def test_submit_return_resubmit_accept(huangpu_user, city_user):
    project = ProjectFactory()
    services.project_submit(project=project, acting_user=huangpu_user)
    services.project_return(project=project, acting_user=city_user, comment="请补充用地手续")
    project.refresh_from_db()
    assert project.review_status == ReviewStatus.RETURNED
    services.project_submit(project=project, acting_user=huangpu_user)
    services.project_accept(project=project, acting_user=city_user)
    project.refresh_from_db()
    assert project.review_status == ReviewStatus.ACCEPTED and project.in_library
    records = list(
        ReviewRecord.objects.filter(project=project).values_list("action", "comment", "by__username")
    )
    assert records == [
        ("submit", "", "huangpu_a"),
        ("return", "请补充用地手续", "city_a"),
        ("submit", "", "huangpu_a"),
        ("accept", "", "city_a"),
    ]
    actions = list(AuditEntry.objects.order_by("pk").values_list("action", flat=True))
    assert actions == ["project_submit", "project_return", "project_submit", "project_accept"]
    entries = AuditEntry.objects.order_by("pk")
    assert [e.changes["review_status"] for e in entries] == [
        ["draft", "submitted"],
        ["submitted", "returned"],
        ["returned", "submitted"],
        ["submitted", "accepted"],
    ]
    assert [e.changes["version"] for e in entries] == [[1, 2], [2, 3], [3, 4], [4, 5]]
    assert [e.actor.username for e in entries] == ["huangpu_a", "city_a", "huangpu_a", "city_a"]
    assert entries[1].note == "请补充用地手续"


def test_return_needs_a_comment(huangpu_user, city_user):
    project = ProjectFactory()
    services.project_submit(project=project, acting_user=huangpu_user)
    with pytest.raises(ValidationError) as error:
        services.project_return(project=project, acting_user=city_user, comment="  ")
    assert error.value.message_dict == {"comment": ["退回时必须填写意见，说明需要修改的内容。"]}
    project.refresh_from_db()
    assert project.review_status == ReviewStatus.SUBMITTED


def test_only_a_submitted_project_can_be_accepted(city_user):
    project = ProjectFactory(review_status=ReviewStatus.DRAFT)
    with pytest.raises(ValidationError) as error:
        services.project_accept(project=project, acting_user=city_user)
    assert "当前入库状态为“草稿”，不能入库。" in error.value.messages


def test_district_user_may_not_review(huangpu_user):
    project = ProjectFactory(review_status=ReviewStatus.SUBMITTED)
    with pytest.raises(PermissionDenied):
        services.project_accept(project=project, acting_user=huangpu_user)
    with pytest.raises(PermissionDenied):
        services.project_return(project=project, acting_user=huangpu_user, comment="x")


def test_staff_may_not_review_their_own_submission(city_user, city_reviewer):
    project = ProjectFactory()
    services.project_submit(project=project, acting_user=city_user)
    with pytest.raises(PermissionDenied):
        services.project_accept(project=project, acting_user=city_user)
    services.project_accept(project=project, acting_user=city_reviewer)


# -- stages ----------------------------------------------------------------------------------------


def test_move_to_mature_lists_every_missing_condition(city_user):
    project = accepted_project(total_investment=Decimal("1000.00"))
    # Feasibility under way, land not recorded (未办理), the EIA neither done nor marked not needed.
    ProcedureFactory(project=project, kind="feasibility", status="in_progress", approval_no="")
    ProcedureFactory(project=project, kind="proposal")  # done, and not one the gate reads
    FundingLineFactory(project=project, planned_amount=Decimal("400.00"))
    with pytest.raises(ValidationError) as error:
        services.project_transition(project=project, stage=Stage.MATURE, acting_user=city_user)
    assert error.value.message_dict["stage"] == [
        "推进到“成熟”的条件尚未满足：",
        "可研批复（未办结，当前为办理中）",
        "用地（未办结，当前为未办理）",
        "环评（未办结，当前为未办理；不需要环评的请标为无需办理）",
        "资金筹措方案未覆盖总投资（已落实计划 400.00 元，总投资 1,000.00 元）",
    ]
    project.refresh_from_db()
    assert project.stage == Stage.PLANNING
    assert not StageChange.objects.exists() and not AuditEntry.objects.exists()


def test_move_to_mature_when_conditions_hold(city_user, only_audit_entry):
    project = accepted_project(total_investment=Decimal("1000.00"))
    ProcedureFactory(project=project, kind="feasibility", approval_no="穗发改〔2025〕1号")
    ProcedureFactory(project=project, kind="land", approval_no="穗规划资源〔2025〕2号")
    ProcedureFactory(project=project, kind="eia", status="not_needed", approval_no="")
    FundingLineFactory(project=project, planned_amount=Decimal("600.00"))
    FundingLineFactory(project=project, source_type=SourceType.POLICY_LOAN, planned_amount=Decimal("400.00"))
    FundingLineFactory(project=project, planned_amount=Decimal("999.00"), status=FundingStatus.REJECTED)
    change = services.project_transition(
        project=project, stage=Stage.MATURE, acting_user=city_user, on=datetime.date(2025, 3, 1)
    )
    assert (change.from_stage, change.to_stage, change.overridden, change.missing) == (
        "planning",
        "mature",
        False,
        [],
    )
    entry = only_audit_entry()
    assert entry.action == "project_transition" and entry.changes["stage"] == ["planning", "mature"]


def test_override_needs_a_reason_and_records_it(city_user, only_audit_entry):
    project = accepted_project()
    with pytest.raises(ValidationError) as error:
        services.project_transition(project=project, stage=Stage.MATURE, acting_user=city_user, override=True)
    assert error.value.message_dict == {"reason": ["越过条件推进阶段必须填写书面理由。"]}
    change = services.project_transition(
        project=project,
        stage=Stage.MATURE,
        acting_user=city_user,
        override=True,
        reason="市政府常务会议决定先行推进",
    )
    change.refresh_from_db()
    assert change.overridden is True and change.reason == "市政府常务会议决定先行推进"
    assert "可研批复（未办结，当前为未办理）" in change.missing
    assert change.by == city_user
    entry = only_audit_entry()
    assert entry.note == "越过条件：市政府常务会议决定先行推进"
    assert entry.changes["stage"] == ["planning", "mature"]


def test_override_with_nothing_missing_needs_no_reason(city_user):
    project = accepted_project(stage=Stage.MATURE, construction_started_on=datetime.date(2025, 5, 1))
    change = services.project_transition(
        project=project, stage=Stage.IMPLEMENTATION, acting_user=city_user, override=True
    )
    assert change.overridden is False and change.missing == []


def test_implementation_needs_a_construction_start(city_user):
    project = accepted_project(stage=Stage.MATURE)
    with pytest.raises(ValidationError) as error:
        services.project_transition(project=project, stage=Stage.IMPLEMENTATION, acting_user=city_user)
    assert "开工记录（未填写开工日期）" in error.value.message_dict["stage"]
    project.construction_started_on = datetime.date(2025, 5, 1)
    project.save()
    services.project_transition(project=project, stage=Stage.IMPLEMENTATION, acting_user=city_user)
    project.refresh_from_db()
    assert project.stage == Stage.IMPLEMENTATION


def test_completion_needs_every_milestone_done(city_user):
    project = accepted_project(stage=Stage.IMPLEMENTATION)
    MilestoneFactory(project=project, actual_date=None)
    with pytest.raises(ValidationError) as error:
        services.project_transition(project=project, stage=Stage.COMPLETED, acting_user=city_user)
    assert "仍有 1 个节点未完成（无实际完成日期）" in error.value.message_dict["stage"]


@pytest.mark.parametrize(
    ("values", "target", "message"),
    [
        ({"review_status": ReviewStatus.SUBMITTED}, Stage.MATURE, "只有已入库的项目才能变更阶段。"),
        ({}, Stage.IMPLEMENTATION, "阶段须逐级推进：下一阶段是“成熟”。"),
        ({}, Stage.PLANNING, "项目已处于“谋划”阶段。"),
        ({}, "done", "未知的阶段：done"),
        ({"stage": Stage.MATURE}, Stage.PLANNING, "退回到前一阶段必须填写理由。"),
    ],
)
def test_refused_moves(city_user, values, target, message):
    project = ProjectFactory(**({"review_status": ReviewStatus.ACCEPTED} | values))
    with pytest.raises(ValidationError) as error:
        services.project_transition(project=project, stage=target, acting_user=city_user)
    assert message in error.value.messages
    assert not StageChange.objects.exists()


def test_only_city_staff_move_stages(huangpu_user, finance_user):
    project = accepted_project()
    for user in (huangpu_user, finance_user):
        with pytest.raises(PermissionDenied):
            services.project_transition(
                project=project, stage=Stage.MATURE, acting_user=user, override=True, reason="x"
            )


# -- milestones ------------------------------------------------------------------------------------


def test_milestone_create_and_update_each_write_one_audit_entry(huangpu_user, only_audit_entry):
    project = ProjectFactory(review_status=ReviewStatus.ACCEPTED)
    milestone = services.milestone_record(
        acting_user=huangpu_user, project=project, name="开工", planned_date=datetime.date(2025, 6, 30)
    )
    created = only_audit_entry(action="milestone_create")
    assert created.changes["name"] == [None, "开工"] and created.project == project
    services.milestone_record(
        acting_user=huangpu_user, milestone=milestone, actual_date=datetime.date(2025, 7, 2)
    )
    updated = only_audit_entry(action="milestone_update")
    assert updated.changes == {"actual_date": [None, "2025-07-02"]}
    assert Milestone.objects.get().actual_date == datetime.date(2025, 7, 2)


def test_milestone_with_bad_values_saves_nothing(city_user):
    project = ProjectFactory()
    with pytest.raises(ValidationError) as error:
        services.milestone_record(acting_user=city_user, project=project, name="", planned_date=None)
    assert set(error.value.message_dict) == {"name", "planned_date"}
    assert not Milestone.objects.exists() and not AuditEntry.objects.exists()


# -- batches: project_create_many, each item checked as project_create checks one, all or none -------


def item(n, **overrides):
    return new_project_fields(
        **{
            "name": f"批量项目{n}",
            "district": district("440112"),
            "total_investment": Decimal("1000000.00") + n,
            **overrides,
        }
    )


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

    monkeypatch.setattr(project_services, "_number", collide)
    created = services.project_create_many(acting_user=city_user, items=[item(0), item(1)])
    codes = [p.code for p in created]
    assert taken.code not in codes and len(set(codes)) == 2
    assert AuditEntry.objects.filter(action="project_create").count() == 2


def test_the_fallback_still_reports_and_writes_nothing(city_user, monkeypatch):
    taken = ProjectFactory(district=district("440112"))
    monkeypatch.setattr(
        project_services, "_number", lambda projects: [setattr(p, "code", taken.code) for p in projects]
    )
    original = services.project_create

    def late_refusal(*, acting_user, **fields):
        if fields["name"] == "批量项目1":
            raise ValidationError({"national_code": "该全国投资项目代码已被其他项目使用。"})
        return original(acting_user=acting_user, **fields)

    monkeypatch.setattr(project_services, "project_create", late_refusal)
    before = Project.objects.count()
    with pytest.raises(services.BatchRefused) as refused:
        services.project_create_many(acting_user=city_user, items=[item(0), item(1)])
    assert list(refused.value.errors) == [1]
    assert Project.objects.count() == before
