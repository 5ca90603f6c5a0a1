"""procedure_record, procedure_create, procedure_update: who may record a project's procedures, one row per
kind, the rules of a row, and the audit entry in the same transaction."""

import datetime

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from portfolio.models import AuditEntry
from projects.models import Procedure, Project
from projects.services import preparation as services
from tests.factories import ProcedureFactory, ProjectFactory, district

pytestmark = pytest.mark.django_db


@pytest.fixture
def project():
    return ProjectFactory(district=district("440112"), review_status="accepted")


def test_the_first_record_creates_the_row_and_is_audited(project, huangpu_user, only_audit_entry):
    before = Project.objects.get(pk=project.pk).updated_at
    procedure = services.procedure_record(
        acting_user=huangpu_user,
        project=project,
        kind="feasibility",
        status="done",
        approval_no="穗发改〔2026〕8号",
        approved_on=datetime.date(2026, 3, 2),
        authority="广州市发展和改革委员会",
    )
    row = Procedure.objects.get()
    assert (row.pk, row.kind, row.status, row.approval_no, row.approved_on) == (
        procedure.pk,
        "feasibility",
        "done",
        "穗发改〔2026〕8号",
        datetime.date(2026, 3, 2),
    )
    entry = only_audit_entry()
    assert entry.action == "procedure_create" and entry.project_id == project.pk
    assert entry.actor == huangpu_user and entry.changes["approval_no"] == [None, "穗发改〔2026〕8号"]
    assert Project.objects.get(pk=project.pk).updated_at > before


def test_a_second_record_of_the_kind_changes_the_row(project, city_user):
    services.procedure_record(acting_user=city_user, project=project, kind="land", status="in_progress")
    services.procedure_record(
        acting_user=city_user,
        project=project,
        kind="land",
        status="done",
        approval_no="穗规划资源〔2026〕3号",
    )
    row = Procedure.objects.get()
    assert (row.status, row.approval_no) == ("done", "穗规划资源〔2026〕3号")
    entries = list(AuditEntry.objects.order_by("pk").values_list("action", flat=True))
    assert entries == ["procedure_create", "procedure_update"]
    update = AuditEntry.objects.get(action="procedure_update")
    assert update.changes["status"] == ["in_progress", "done"]


def test_a_change_that_changes_nothing_writes_nothing(project, city_user):
    procedure = ProcedureFactory(project=project, kind="eia", approval_no="穗环评〔2026〕1号")
    stamp = procedure.updated_at
    services.procedure_record(
        acting_user=city_user, project=project, kind="eia", status="done", approval_no="穗环评〔2026〕1号"
    )
    procedure.refresh_from_db()
    assert procedure.updated_at == stamp and not AuditEntry.objects.exists()


def test_a_change_moves_the_rows_updated_at(project, city_user):
    procedure = ProcedureFactory(project=project, kind="eia", approval_no="穗环评〔2026〕1号")
    stamp = procedure.updated_at
    services.procedure_update(acting_user=city_user, procedure=procedure, authority="广州市生态环境局")
    procedure.refresh_from_db()
    assert procedure.authority == "广州市生态环境局" and procedure.updated_at > stamp


@pytest.mark.parametrize("user", ["finance_user", "yuexiu_user", "lender_user", "no_role_user"])
def test_who_may_not_record(project, user, request):
    acting_user = request.getfixturevalue(user)
    with pytest.raises(PermissionDenied):
        services.procedure_record(acting_user=acting_user, project=project, kind="land", status="in_progress")
    assert not Procedure.objects.exists() and not AuditEntry.objects.exists()


def test_city_staff_record_any_districts_project(city_user):
    other = ProjectFactory(district=district("440104"))
    services.procedure_record(acting_user=city_user, project=other, kind="planning", status="in_progress")
    assert Procedure.objects.get().project == other


def test_a_district_user_records_its_own_whatever_the_review_status(huangpu_user):
    draft = ProjectFactory(district=district("440112"), review_status="draft")
    submitted = ProjectFactory(district=district("440112"), review_status="submitted")
    for project in (draft, submitted):
        services.procedure_record(
            acting_user=huangpu_user, project=project, kind="energy", status="not_needed"
        )
    assert Procedure.objects.count() == 2


@pytest.mark.parametrize(
    ("fields", "field", "message"),
    [
        ({"status": "done"}, "approval_no", "已办结的手续须填写批复文号。"),
        ({"status": "done", "approval_no": "   "}, "approval_no", "已办结的手续须填写批复文号。"),
        (
            {"status": "in_progress", "approved_on": datetime.date(2026, 1, 1)},
            "approved_on",
            "只有已办结的手续才有批复日期。",
        ),
        (
            {"status": "done", "approval_no": "1号", "approved_on": datetime.date(1900, 1, 1)},
            "approved_on",
            "日期应在 1990 年至 2100 年之间。",
        ),
        ({"status": "finished"}, "status", "finished"),
        ({"approval_no": "号" * 101}, "approval_no", "100"),
    ],
)
def test_bad_input_is_refused_with_its_message_and_nothing_saved(project, city_user, fields, field, message):
    with pytest.raises(ValidationError) as error:
        services.procedure_record(acting_user=city_user, project=project, kind="feasibility", **fields)
    assert any(message in text for text in error.value.message_dict[field])
    assert not Procedure.objects.exists() and not AuditEntry.objects.exists()


def test_an_unknown_kind_or_field_is_refused(project, city_user):
    with pytest.raises(ValidationError) as error:
        services.procedure_record(acting_user=city_user, project=project, kind="fire_safety", status="done")
    assert error.value.message_dict["kind"] == ["未知的前期手续：fire_safety"]
    with pytest.raises(ValidationError) as error:
        services.procedure_record(acting_user=city_user, project=project, kind="land", project_id=1)
    assert "project_id" in error.value.messages[0]
    assert not Procedure.objects.exists()


def test_create_refuses_a_second_row_of_a_kind(project, city_user):
    ProcedureFactory(project=project, kind="land", status="in_progress", approval_no="")
    with pytest.raises(ValidationError) as error:
        services.procedure_create(acting_user=city_user, project=project, kind="land", status="done")
    assert error.value.message_dict["kind"] == ["该项目已有“用地”的记录，请修改该记录。"]
    assert Procedure.objects.get().status == "in_progress" and not AuditEntry.objects.exists()


def test_update_checks_the_user_against_the_rows_project(city_user, yuexiu_user, finance_user):
    procedure = ProcedureFactory(project__district=district("440112"), kind="land")
    for user in (yuexiu_user, finance_user):
        with pytest.raises(PermissionDenied):
            services.procedure_update(acting_user=user, procedure=procedure, note="改")
    assert Procedure.objects.get().note == ""
