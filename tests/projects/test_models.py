"""One-row rules: each is a database constraint (raw saves fail) and a clear message through full_clean."""

from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from projects.models import District, Project
from projects.validators import validate_national_code
from tests.factories import ProjectFactory, UnitFactory, district

BAD_PROJECT_VALUES = [
    ({"total_investment": Decimal("-1")}, "总投资不能为负数"),
    ({"start_year": 2027, "end_year": 2025}, "计划完工年份不能早于计划开工年份"),
    ({"start_year": 1999, "end_year": 2001}, "年份应在 2000 至 2100 年之间"),
    ({"stage": "finished"}, "finished"),
    ({"review_status": "approved"}, "approved"),
    ({"category": "forest"}, "forest"),
    ({"national_code": "2020-440312-77-01-123456"}, "项目代码格式"),
]


@pytest.mark.django_db
@pytest.mark.parametrize(("values", "message"), BAD_PROJECT_VALUES)
def test_project_full_clean_rejects_bad_values_with_a_message(values, message):
    project = ProjectFactory.build(**values)
    with pytest.raises(ValidationError) as error:
        project.full_clean()
    assert message in " ".join(error.value.messages)


@pytest.mark.django_db
@pytest.mark.parametrize(("values", "message"), BAD_PROJECT_VALUES)
def test_project_database_rejects_bad_values(values, message):
    with pytest.raises(IntegrityError), transaction.atomic():
        ProjectFactory(**values)


@pytest.mark.django_db
def test_project_code_is_unique():
    ProjectFactory(code="MLGZ-1")
    duplicate = ProjectFactory.build(code="MLGZ-1")
    with pytest.raises(ValidationError) as error:
        duplicate.full_clean()
    assert "code" in error.value.message_dict
    with pytest.raises(IntegrityError), transaction.atomic():
        duplicate.save()


@pytest.mark.django_db
def test_national_code_unique_when_present_and_blank_allowed_many_times():
    ProjectFactory(national_code="2020-440112-77-01-123456")
    ProjectFactory(national_code=None)
    ProjectFactory(national_code=None)
    duplicate = ProjectFactory.build(national_code="2020-440112-77-01-123456")
    with pytest.raises(ValidationError) as error:
        duplicate.full_clean()
    assert "该全国投资项目代码已被其他项目使用" in " ".join(error.value.messages)
    with pytest.raises(IntegrityError), transaction.atomic():
        duplicate.save()


@pytest.mark.django_db
def test_blank_national_code_is_stored_as_null():
    project = ProjectFactory.build(national_code="")
    project.full_clean()
    assert project.national_code is None


@pytest.mark.django_db
def test_unit_must_belong_to_the_project_district():
    unit = UnitFactory(district=district("440104"))
    project = ProjectFactory.build(district=district("440112"), unit=unit)
    with pytest.raises(ValidationError) as error:
        project.full_clean()
    assert error.value.message_dict["unit"] == ["所选美丽单元不属于该项目所在的区。"]


@pytest.mark.django_db
def test_unit_names_unique_within_a_district():
    UnitFactory(name="同名单元", district=district("440112"))
    UnitFactory(name="同名单元", district=district("440104"))
    with pytest.raises(IntegrityError), transaction.atomic():
        UnitFactory(name="同名单元", district=district("440112"))


@pytest.mark.django_db
def test_the_eleven_districts_come_from_the_migration():
    assert dict(District.objects.values_list("code", "name")) == {
        "440103": "荔湾区",
        "440104": "越秀区",
        "440105": "海珠区",
        "440106": "天河区",
        "440111": "白云区",
        "440112": "黄埔区",
        "440113": "番禺区",
        "440114": "花都区",
        "440115": "南沙区",
        "440117": "从化区",
        "440118": "增城区",
    }


@pytest.mark.parametrize(
    "value", ["2020-440112-77-01-123456", "2024-440100-48-02-000001", "2019-440118-77-03-654321"]
)
def test_national_code_accepts_guangzhou_codes(value):
    validate_national_code(value)


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("2020-440112-77-01-12345", "格式"),  # 23 characters
        ("2020440112-77-01-123456", "格式"),
        ("2020-440112-7A-01-123456", "格式"),
        ("2020-440312-77-01-123456", "格式"),  # Shenzhen
        ("2020-440199-77-01-123456", "不是广州市或其所辖区的代码"),
        ("1890-440112-77-01-123456", "年份"),
        ("", "格式"),
    ],
)
def test_national_code_rejects_with_a_message(value, message):
    with pytest.raises(ValidationError) as error:
        validate_national_code(value)
    assert message in error.value.messages[0]


@pytest.mark.django_db
def test_overdue_milestone(settings):
    from tests.factories import MilestoneFactory

    overdue = MilestoneFactory(planned_date="2000-01-01", actual_date=None)
    done = MilestoneFactory(planned_date="2000-01-01", actual_date="2000-02-01")
    future = MilestoneFactory(planned_date="2999-01-01")
    overdue.refresh_from_db()
    done.refresh_from_db()
    future.refresh_from_db()
    assert overdue.is_overdue and not done.is_overdue and not future.is_overdue
    from projects.models import Milestone

    assert list(Milestone.objects.overdue()) == [overdue]
    assert Project.objects.count() == 3


@pytest.mark.django_db
def test_history_rows_keep_their_reasons(city_user):
    from projects.models import ReviewRecord, StageChange

    project = ProjectFactory()
    override = StageChange(
        project=project, from_stage="planning", to_stage="mature", on="2025-01-01", overridden=True
    )
    with pytest.raises(ValidationError) as error:
        override.full_clean()
    assert "越过条件推进阶段必须填写理由。" in error.value.messages
    with pytest.raises(IntegrityError), transaction.atomic():
        override.save()
    returned = ReviewRecord(project=project, action="return", from_status="submitted", to_status="returned")
    with pytest.raises(ValidationError) as error:
        returned.full_clean()
    assert "退回时必须填写意见。" in error.value.messages
    with pytest.raises(IntegrityError), transaction.atomic():
        returned.save()
