"""Projects' selectors: the lists in their order and scope, the review queue, a district's overview, and what
a stage move still lacks. (Each filter parameter is tested in test_filtersets.py.)"""

import datetime
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError

from projects import selectors, services
from tests.factories import (
    FundingLineFactory,
    MilestoneFactory,
    ProcedureFactory,
    ProjectFactory,
    UnitFactory,
    district,
)

pytestmark = pytest.mark.django_db
D = Decimal
PAST = datetime.date(2020, 1, 1)


def test_project_list_is_in_the_librarys_order_within_the_users_scope(city_user, huangpu_user):
    made = [
        ProjectFactory(code="B", district=district("440112")),
        ProjectFactory(code="A", district=district("440112")),
        ProjectFactory(code="C", district=district("440104")),
    ]
    assert [p.code for p in selectors.project_list(user=city_user)] == ["C", "A", "B"]  # district, code
    assert [p.code for p in selectors.project_list(user=huangpu_user)] == ["A", "B"]
    assert (
        selectors.project_list(user=huangpu_user).get(pk=made[0].pk).funding_gap == made[0].total_investment
    )


def test_project_list_leaves_out_an_invalid_value_unless_strict(city_user):
    ProjectFactory(category="park")
    ProjectFactory(category="river_lake")
    lenient = selectors.project_list(
        user=city_user, params={"stage": "done", "category": "park"}, strict=False
    )
    assert [p.category for p in lenient] == ["park"]
    with pytest.raises(ValidationError) as error:
        selectors.project_list(user=city_user, params={"stage": "done", "category": "park"})
    assert set(error.value.message_dict) == {"stage"}


def test_unit_and_milestone_lists_are_ordered_and_scoped(city_user, huangpu_user):
    UnitFactory(name="单元2", district=district("440112"))
    UnitFactory(name="单元3", district=district("440104"))
    UnitFactory(name="单元1", district=district("440112"))
    assert [u.name for u in selectors.unit_list(user=city_user)] == [
        "单元3",
        "单元1",
        "单元2",
    ]  # district, name
    assert [u.name for u in selectors.unit_list(user=huangpu_user)] == ["单元1", "单元2"]
    project = ProjectFactory(district=district("440112"))
    later = MilestoneFactory(project=project, planned_date=datetime.date(2025, 9, 1))
    sooner = MilestoneFactory(project=project, planned_date=datetime.date(2025, 3, 1))
    MilestoneFactory(project=ProjectFactory(district=district("440104")))
    assert list(selectors.milestone_list(user=huangpu_user)) == [sooner, later]


def test_review_queue_holds_submitted_projects_oldest_first_with_their_submitter(
    city_user, huangpu_user, yuexiu_user
):
    first = ProjectFactory(district=district("440104"))
    second = ProjectFactory()
    ProjectFactory(name="草稿")
    services.project_submit(project=first, acting_user=yuexiu_user)
    services.project_submit(project=second, acting_user=huangpu_user)
    queue = list(selectors.review_queue(user=city_user))
    assert [(p.pk, p.submitted_by) for p in queue] == [
        (first.pk, yuexiu_user.pk),
        (second.pk, huangpu_user.pk),
    ]
    assert [p.pk for p in selectors.review_queue(user=huangpu_user)] == [second.pk]


def test_district_overview_counts_the_districts_own_projects(city_user, huangpu_user):
    returned = ProjectFactory(name="本区退回")
    services.project_submit(project=returned, acting_user=huangpu_user)
    services.project_return(project=returned, acting_user=city_user, comment="请补充")
    ProjectFactory(review_status="accepted", stage="implementation")
    MilestoneFactory(project=ProjectFactory(), planned_date=PAST)
    MilestoneFactory(project=ProjectFactory(district=district("440104")), planned_date=PAST)
    overview = selectors.district_overview(user=huangpu_user)
    by_status = {code: n for _label, n, code in overview["by_status"]}
    assert by_status == {"draft": 1, "submitted": 0, "returned": 1, "accepted": 1}
    by_stage = {code: n for _label, n, code in overview["by_stage"]}  # the library only: accepted projects
    assert by_stage == {"planning": 0, "mature": 0, "implementation": 1, "completed": 0}
    assert [m.project.district_id for m in overview["overdue"]] == ["440112"]
    assert [[r.comment for r in p.returns] for p in overview["returned"]] == [["请补充"]]


def test_stage_missing_conditions_per_stage():
    project = ProjectFactory(total_investment=D("1000.00"))
    ProcedureFactory(project=project, kind="feasibility", approval_no="穗发改〔2025〕1号")
    ProcedureFactory(project=project, kind="land", approval_no="穗规划资源〔2025〕2号")
    ProcedureFactory(project=project, kind="eia", status="not_needed", approval_no="")
    FundingLineFactory(project=project, planned_amount=D("1000.00"))
    assert selectors.stage_missing_conditions(project=project, stage="mature") == []
    assert selectors.stage_missing_conditions(project=project, stage="implementation") == [
        "开工记录（未填写开工日期）"
    ]
    MilestoneFactory(project=project, actual_date=None)
    assert selectors.stage_missing_conditions(project=project, stage="completed") == [
        "仍有 1 个节点未完成（无实际完成日期）"
    ]
    assert selectors.stage_missing_conditions(project=project, stage="planning") == []
