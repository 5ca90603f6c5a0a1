"""Pages: real requests, checked in the response and in the database."""

import datetime
from decimal import Decimal

import pytest
from django.core.management import call_command
from django.urls import reverse

from financing.choices import FundingStatus
from portfolio.models import AuditEntry
from projects import services
from projects.models import Milestone, Project, ReviewRecord, StageChange
from tests.factories import (
    SPREAD_FILTERS,
    FundingLineFactory,
    LoanFactory,
    MilestoneFactory,
    ProjectFactory,
    UnitFactory,
    district,
)

pytestmark = pytest.mark.django_db
LIST = reverse("projects:project_list")


def page(client, url, **params) -> str:
    response = client.get(url, params)
    assert response.status_code == 200, response.status_code
    return response.content.decode()


# -- login -----------------------------------------------------------------------------------------


def test_anonymous_users_are_sent_to_login(client):
    for url in (reverse("home"), LIST):
        response = client.get(url, follow=True)
        assert response.redirect_chain[-1][0].startswith(reverse("login"))
    assert "登录" in client.get(reverse("login")).content.decode()


def test_login_and_logout(client, city_user):
    response = client.post(reverse("login"), {"username": "city_a", "password": "Meili-test-2025"})
    assert response.status_code == 302 and response["Location"] == reverse("home")
    client.post(reverse("logout"))
    bad = client.post(reverse("login"), {"username": "city_a", "password": "wrong"})
    assert bad.status_code == 200 and "请输入一个正确的" in bad.content.decode()


def test_navigation_by_role(client_for, city_user, huangpu_user, finance_user):
    html = page(client_for(city_user), LIST)
    assert "入库审核" in html and "新建项目" in html and "管理后台" in html and "本区概况" not in html
    html = page(client_for(huangpu_user), LIST)
    assert "本区概况" in html and "新建项目" in html and "入库审核" not in html and "管理后台" not in html
    html = page(client_for(finance_user), LIST)
    assert "新建项目" not in html and "入库审核" not in html


def test_english_labels_when_chosen(city_client):
    city_client.post(reverse("set_language"), {"language": "en", "next": LIST})
    html = page(city_client, LIST)
    assert "Project library" in html and "Total investment (10k yuan)" in html
    city_client.post(reverse("set_language"), {"language": "zh-hans", "next": LIST})
    assert "项目库" in page(city_client, LIST)


# -- library list ----------------------------------------------------------------------------------


def test_list_shows_the_real_projects_with_their_loans(city_client):
    call_command("seed")
    html = page(city_client, LIST)
    assert "广州知识城-迳下美丽单元建设项目" in html
    assert "3.00 亿元 · 国家开发银行广东省分行" in html and "4.37 亿元 · 国家开发银行广东省分行" in html
    assert "30,000.00 万元" in html
    assert "共 2 个项目 · 总投资 7.37 亿元" in html


@pytest.mark.parametrize(("params", "expected"), list(SPREAD_FILTERS.values()), ids=list(SPREAD_FILTERS))
def test_each_filter(city_client, spread, params, expected):
    html = page(city_client, LIST, **params)
    names = {key for key, project in spread.items() if project.name in html}
    assert names == expected
    assert f"共 {len(expected)} 个项目" in html


def test_unit_and_max_investment_filters(city_client, spread):
    html = page(city_client, LIST, unit=spread["unit"].unit_id)
    assert "单元项目" in html and "基准项目" not in html
    html = page(city_client, LIST, max_investment="60000000")
    assert "巨额投资项目" not in html and "基准项目" in html


def test_totals_follow_the_filter(city_client, spread):
    html = page(city_client, LIST, district="440112")
    assert "共 7 个项目 · 总投资 12.00 亿元" in html


def test_bad_filter_values_are_explained_not_500(city_client, spread):
    html = page(city_client, LIST, stage="nonsense", min_investment="abc", district="999999")
    assert "选择一个有效的选项" in html and "输入一个数字" in html


def test_filter_form_labels_only_the_boxes_it_shows(city_client, spread):
    """The project code filter (from a link such as the dispatch's) is a hidden field: it keeps its value
    through the form, and no label stands over an empty cell."""
    target = spread["unit"]
    html = page(city_client, LIST, code=target.code)
    assert f'<input type="hidden" name="code" value="{target.code}"' in html
    assert 'for="id_code"' not in html
    assert 'for="id_q"' in html and "共 1 个项目" in html


def test_sort_and_paginate(city_client):
    for i in range(25):
        ProjectFactory(code=f"S-{i:03d}", total_investment=Decimal(i + 1) * 1000)
    html = page(city_client, LIST, sort="-total_investment", per_page="20")
    assert html.index("S-024") < html.index("S-023") and "S-004" not in html and "1 / 2" in html
    html = page(city_client, LIST, sort="-total_investment", per_page="20", page="2")
    assert "S-004" in html and "S-024" not in html


def test_htmx_request_gets_only_the_results(city_client, spread):
    response = city_client.get(LIST, {"district": "440104"}, headers={"HX-Request": "true"})
    html = response.content.decode()
    assert "越秀项目" in html and "<nav" not in html and 'id="totals"' in html


@pytest.mark.parametrize("per_page", [20, 100])
def test_list_queries_do_not_grow_with_the_page(city_client, django_assert_max_num_queries, per_page):
    for _ in range(60):
        project = ProjectFactory()
        LoanFactory(project=project)
        FundingLineFactory(project=project)
    with django_assert_max_num_queries(9):
        html = page(city_client, LIST, per_page=per_page, q="测试")
    assert "共 60 个项目" in html


# -- project page ----------------------------------------------------------------------------------


def test_project_page_shows_everything(city_client, city_user, city_reviewer, huangpu_user):
    project = ProjectFactory(
        name="黄埔某项目", national_code="2020-440112-77-01-123456", total_investment=Decimal("1000000.00")
    )
    services.project_submit(project=project, acting_user=huangpu_user)
    services.project_return(project=project, acting_user=city_reviewer, comment="请补充可研批复")
    services.project_submit(project=project, acting_user=huangpu_user)
    services.project_accept(project=project, acting_user=city_user)
    services.project_transition(
        project=project, stage="mature", acting_user=city_user, override=True, reason="先行"
    )
    MilestoneFactory(project=project, name="过期节点", planned_date=datetime.date(2020, 1, 1))
    MilestoneFactory(
        project=project,
        name="完成节点",
        planned_date=datetime.date(2020, 1, 1),
        actual_date=datetime.date(2020, 2, 1),
    )
    FundingLineFactory(
        project=project,
        planned_amount=Decimal("600000"),
        approved_amount=Decimal("400000"),
        status=FundingStatus.APPROVED,
    )
    loan = LoanFactory(project=project, principal=Decimal("300000.00"))
    services.project_update(project=project, acting_user=city_user, name="黄埔某项目（调整）")
    from financing import services as money

    money.disbursement_record(
        loan=loan, amount=Decimal("100000"), on=datetime.date(2025, 3, 1), acting_user=city_user
    )
    html = page(city_client, reverse("projects:project_detail", args=[project.pk]))
    assert "黄埔某项目（调整）" in html and "2020-440112-77-01-123456" in html
    assert "谋划 → 成熟" in html and "越过条件" in html and "理由：先行" in html  # timeline
    assert "意见：请补充可研批复" in html  # review history
    assert 'class="overdue"' in html and "过期节点" in html and "逾期" in html
    assert "60.00 万元" in html and "40.00 万元" in html  # funding planned and approved
    assert "资金缺口" in html and "30.00 万元" in html  # 100 − 40 − 30 万元
    assert "10.00 万元" in html  # disbursed and outstanding
    assert "项目名称：黄埔某项目 → 黄埔某项目（调整）" in html  # change history, before and after
    assert "入库状态：已退回 → 已提交" in html


def test_returned_project_shows_the_comment_to_the_district(huangpu_client, city_user, huangpu_user):
    project = ProjectFactory()
    services.project_submit(project=project, acting_user=huangpu_user)
    services.project_return(project=project, acting_user=city_user, comment="投资估算偏高，请核实")
    html = page(huangpu_client, reverse("projects:project_detail", args=[project.pk]))
    assert "退回意见" in html and "投资估算偏高，请核实" in html and 'id="edit-project"' in html


# -- creating and editing --------------------------------------------------------------------------


def project_post(**overrides):
    data = {
        "name": "从化生态修复项目",
        "district": "440112",
        "category": "eco_restoration",
        "total_investment": "12000000.00",
        "start_year": "2025",
        "end_year": "2027",
    }
    return data | overrides


def test_district_user_creates_a_project_in_its_district(huangpu_client):
    response = huangpu_client.post(reverse("projects:project_create"), project_post(district="440104"))
    assert response.status_code == 200  # another district is not a choice
    assert "选择一个有效的选项" in response.content.decode()
    response = huangpu_client.post(reverse("projects:project_create"), project_post())
    project = Project.objects.get()
    assert response.status_code == 302 and response["Location"] == reverse(
        "projects:project_detail", args=[project.pk]
    )
    assert project.district_id == "440112" and project.review_status == "draft"


@pytest.mark.parametrize(
    ("overrides", "field_message"),
    [
        ({"name": ""}, "该字段是必填项。"),
        ({"total_investment": "abc"}, "输入一个数字。"),
        ({"total_investment": "-5"}, "总投资不能为负数。"),
        ({"start_year": "2028", "end_year": "2026"}, "计划完工年份不能早于计划开工年份。"),
        ({"national_code": "2020-110101-77-01-123456"}, "项目代码格式应为"),
        ({"unit": "999999"}, "选择一个有效的选项"),
    ],
)
def test_bad_input_is_explained_in_chinese_and_nothing_saved(city_client, overrides, field_message):
    response = city_client.post(reverse("projects:project_create"), project_post(**overrides))
    assert response.status_code == 200
    html = response.content.decode()
    assert field_message in html and ("invalid-feedback" in html or "alert-danger" in html)
    assert not Project.objects.exists()


def test_unit_of_another_district_is_refused_beside_the_field(city_client):
    unit = UnitFactory(district=district("440104"))
    response = city_client.post(reverse("projects:project_create"), project_post(unit=str(unit.pk)))
    assert "所选美丽单元不属于该项目所在的区。" in response.content.decode()
    assert not Project.objects.exists()


def test_edit_and_concurrent_edit_refusal(huangpu_client, city_user):
    project = ProjectFactory(name="原名")
    url = reverse("projects:project_edit", args=[project.pk])
    opened = huangpu_client.get(url).context["form"]
    assert opened["version"].value() == 1
    # Someone else saves first.
    services.project_update(project=project, acting_user=city_user, name="市里改过")
    data = project_post(name="区里改的", version="1")
    response = huangpu_client.post(url, data)
    assert response.status_code == 200
    assert "该项目在您打开后已被他人修改，请刷新后重新编辑。" in response.content.decode()
    project.refresh_from_db()
    assert project.name == "市里改过" and project.version == 2
    response = huangpu_client.post(url, data | {"version": "2"})
    assert response.status_code == 302
    project.refresh_from_db()
    assert project.name == "区里改的" and project.version == 3


def test_district_user_cannot_edit_a_submitted_project(huangpu_client):
    project = ProjectFactory(review_status="submitted")
    assert huangpu_client.get(reverse("projects:project_edit", args=[project.pk])).status_code == 403
    assert (
        huangpu_client.post(
            reverse("projects:project_edit", args=[project.pk]), project_post(version="1")
        ).status_code
        == 403
    )


def test_submit(huangpu_client):
    project = ProjectFactory()
    response = huangpu_client.post(reverse("projects:project_submit", args=[project.pk]))
    assert response.status_code == 302
    project.refresh_from_db()
    assert project.review_status == "submitted"
    response = huangpu_client.post(reverse("projects:project_submit", args=[project.pk]), follow=True)
    assert "当前入库状态为“已提交”，不能提交。" in response.content.decode()


# -- review and stages -----------------------------------------------------------------------------


def test_review_queue_oldest_first(city_client):
    newer = ProjectFactory(
        name="后提交",
        review_status="submitted",
        submitted_at=datetime.datetime(2025, 5, 1, tzinfo=datetime.UTC),
    )
    older = ProjectFactory(
        name="先提交",
        review_status="submitted",
        submitted_at=datetime.datetime(2025, 1, 1, tzinfo=datetime.UTC),
    )
    ProjectFactory(name="草稿不在队列", review_status="draft")
    html = page(city_client, reverse("projects:review_queue"))
    assert html.index(older.name) < html.index(newer.name) and "草稿不在队列" not in html


def test_return_needs_a_comment_then_accept(city_client, huangpu_user):
    project = ProjectFactory()
    services.project_submit(project=project, acting_user=huangpu_user)
    url = reverse("projects:project_review", args=[project.pk])
    response = city_client.post(url, {"decision": "return", "comment": "", "version": "2"})
    assert response.status_code == 200 and "退回时必须填写意见" in response.content.decode()
    assert (
        city_client.post(url, {"decision": "return", "comment": "补充材料", "version": "2"}).status_code
        == 302
    )
    project.refresh_from_db()
    assert project.review_status == "returned"
    services.project_submit(project=project, acting_user=huangpu_user)
    assert city_client.post(url, {"decision": "accept", "comment": "", "version": "4"}).status_code == 302
    project.refresh_from_db()
    assert project.review_status == "accepted"
    assert list(ReviewRecord.objects.values_list("action", flat=True)) == [
        "submit",
        "return",
        "submit",
        "accept",
    ]


def test_stage_page_lists_what_is_missing_and_override_needs_a_reason(city_client):
    project = ProjectFactory(review_status="accepted", total_investment=Decimal("100.00"))
    url = reverse("projects:project_stage", args=[project.pk])
    html = page(city_client, url)
    assert "推进到“成熟”的条件" in html and "可研批复（未办结，当前为未办理）" in html
    response = city_client.post(url, {"stage": "mature"})
    assert response.status_code == 200 and "用地（未办结，当前为未办理）" in response.content.decode()
    response = city_client.post(url, {"stage": "mature", "override": "on", "reason": ""})
    assert "越过条件推进阶段必须填写书面理由。" in response.content.decode()
    assert not StageChange.objects.exists()
    response = city_client.post(url, {"stage": "mature", "override": "on", "reason": "市领导批示先行"})
    assert response.status_code == 302
    change = StageChange.objects.get()
    assert change.overridden and change.reason == "市领导批示先行"


# -- milestones and my district --------------------------------------------------------------------


def test_district_user_adds_and_updates_milestones(huangpu_client):
    project = ProjectFactory(review_status="accepted")
    response = huangpu_client.post(
        reverse("projects:milestone_create", args=[project.pk]),
        {"name": "开工", "planned_date": "2025-06-30"},
    )
    assert response.status_code == 302
    milestone = Milestone.objects.get()
    response = huangpu_client.post(
        reverse("projects:milestone_edit", args=[milestone.pk]),
        {"name": "开工", "planned_date": "2025-06-30", "actual_date": "2025-07-03"},
    )
    assert response.status_code == 302
    milestone.refresh_from_db()
    assert milestone.actual_date == datetime.date(2025, 7, 3)
    assert AuditEntry.objects.filter(action__startswith="milestone_").count() == 2


def test_milestone_bad_date_is_explained(huangpu_client):
    project = ProjectFactory()
    response = huangpu_client.post(
        reverse("projects:milestone_create", args=[project.pk]),
        {"name": "开工", "planned_date": "2025-13-40"},
    )
    assert response.status_code == 200 and "输入一个有效的日期。" in response.content.decode()
    assert not Milestone.objects.exists()


def test_my_district_page(huangpu_client, city_user, huangpu_user):
    mine = ProjectFactory(name="本区退回项目")
    services.project_submit(project=mine, acting_user=huangpu_user)
    services.project_return(project=mine, acting_user=city_user, comment="请补充")
    MilestoneFactory(project=ProjectFactory(name="本区逾期项目"), planned_date=datetime.date(2020, 1, 1))
    MilestoneFactory(
        project=ProjectFactory(name="越秀逾期项目", district=district("440104")),
        planned_date=datetime.date(2020, 1, 1),
    )
    html = page(huangpu_client, reverse("projects:my_district"))
    assert (
        "本区退回项目" in html and "请补充" in html and "本区逾期项目" in html and "越秀逾期项目" not in html
    )


def test_edit_without_the_version_is_refused(huangpu_client):
    project = ProjectFactory(name="原名")
    response = huangpu_client.post(
        reverse("projects:project_edit", args=[project.pk]), project_post(name="改")
    )
    assert response.status_code == 200 and "该字段是必填项。" in response.content.decode()
    project.refresh_from_db()
    assert project.name == "原名"


def test_review_queue_and_my_district_queries_do_not_grow(
    city_client, huangpu_client, django_assert_max_num_queries
):
    for _ in range(40):
        MilestoneFactory(
            project=ProjectFactory(review_status="submitted"), planned_date=datetime.date(2020, 1, 1)
        )
    for _ in range(5):
        project = ProjectFactory(review_status="returned")
        ReviewRecord.objects.create(
            project=project, action="return", from_status="submitted", to_status="returned", comment="改"
        )
    for per_page in (20, 100):
        with django_assert_max_num_queries(7):
            response = city_client.get(reverse("projects:review_queue"), {"per_page": per_page})
            assert response.status_code == 200
    with django_assert_max_num_queries(10):
        html = page(huangpu_client, reverse("projects:my_district"))
    assert html.count('class="overdue"') == 40


HOSTILE = [
    "",
    " ",
    "x" * 500,
    "-1",
    "9" * 30,
    "1e999",
    "2025-13-45",
    "<script>alert(1)</script>",
    "=1+1",
    "NaN",
    "0",
]


@pytest.mark.parametrize("value", HOSTILE)
def test_no_form_answers_500_to_bad_input(city_client, huangpu_user, value):
    draft = ProjectFactory(review_status="draft")
    submitted = ProjectFactory(review_status="draft")
    accepted = ProjectFactory(review_status="accepted")
    milestone = MilestoneFactory(project=draft)
    services.project_submit(project=submitted, acting_user=huangpu_user)
    forms = {
        reverse("projects:project_create"): [
            *project_post(),
            "national_code",
            "unit",
            "implementing_org",
            "construction_started_on",
        ],
        reverse("projects:project_edit", args=[draft.pk]): [*project_post(), "version"],
        reverse("projects:project_review", args=[submitted.pk]): ["decision", "comment"],
        reverse("projects:project_stage", args=[accepted.pk]): ["stage", "on", "reason", "override"],
        reverse("projects:milestone_create", args=[draft.pk]): [
            "name",
            "planned_date",
            "actual_date",
            "responsible",
        ],
        reverse("projects:milestone_edit", args=[milestone.pk]): ["name", "planned_date", "actual_date"],
    }
    for url, fields in forms.items():
        response = city_client.post(url, dict.fromkeys(fields, value))
        assert response.status_code in (200, 302), (url, response.status_code)
    for params in (
        {"page": value},
        {"per_page": value},
        {"sort": value},
        {"min_investment": value},
        {"q": value},
        {"unit": value},
    ):
        assert city_client.get(LIST, params).status_code == 200
    assert (
        "<script>alert(1)</script>"
        not in city_client.get(reverse("projects:project_detail", args=[draft.pk])).content.decode()
    )


# -- found in review -------------------------------------------------------------------------------


def test_a_review_of_a_project_changed_meanwhile_is_refused(city_client, city_reviewer, huangpu_user):
    project = ProjectFactory(total_investment=Decimal("100.00"))
    services.project_submit(project=project, acting_user=huangpu_user)
    url = reverse("projects:project_review", args=[project.pk])
    opened = city_client.get(url).context["form"]["version"].value()
    # Meanwhile another reviewer returns it and the district raises the investment and resubmits.
    services.project_return(project=project, acting_user=city_reviewer, comment="改")
    services.project_update(project=project, acting_user=huangpu_user, total_investment=Decimal("999999999"))
    services.project_submit(project=project, acting_user=huangpu_user)
    response = city_client.post(url, {"decision": "accept", "comment": "", "version": str(opened)})
    assert response.status_code == 200
    assert "该项目在您打开后已被他人修改，请刷新后重新编辑。" in response.content.decode()
    project.refresh_from_db()
    assert project.review_status == "submitted"


def test_a_stale_submit_is_refused(huangpu_client, city_user):
    project = ProjectFactory()
    services.project_update(project=project, acting_user=city_user, name="市里改过")
    response = huangpu_client.post(
        reverse("projects:project_submit", args=[project.pk]), {"version": "1"}, follow=True
    )
    assert "该项目在您打开后已被他人修改" in response.content.decode()
    project.refresh_from_db()
    assert project.review_status == "draft"


def test_refusals_are_chinese_pages(client_for, no_role_user, huangpu_client):
    response = client_for(no_role_user).get(LIST)
    assert response.status_code == 403
    assert "无权访问" in response.content.decode() and "您的账户尚未分配角色" in response.content.decode()
    other = ProjectFactory(district=district("440104"))
    response = huangpu_client.get(reverse("projects:project_detail", args=[other.pk]))
    assert response.status_code == 404 and "页面不存在" in response.content.decode()


def test_staff_see_why_they_cannot_review_their_own_submission(city_client, city_user):
    project = ProjectFactory()
    services.project_submit(project=project, acting_user=city_user)
    html = page(city_client, reverse("projects:project_detail", args=[project.pk]))
    assert 'id="review-project"' not in html and "不能审核自己提交的项目。" in html
    assert "本人提交，须由其他人员审核" in page(city_client, reverse("projects:review_queue"))
    assert city_client.get(reverse("projects:project_review", args=[project.pk])).status_code == 403


def test_htmx_shows_filter_errors_and_varies(city_client, spread):
    response = city_client.get(LIST, {"min_investment": "abc"}, headers={"HX-Request": "true"})
    html = response.content.decode()
    assert "输入一个数字。" in html and "<nav" not in html
    assert "HX-Request" in response["Vary"]
    restore = city_client.get(LIST, headers={"HX-Request": "true", "HX-History-Restore-Request": "true"})
    assert "<nav" in restore.content.decode()


def test_district_user_without_a_district_cannot_open_the_form(client_for):
    from tests.factories import UserFactory

    response = client_for(UserFactory(role="district_user")).get(reverse("projects:project_create"))
    assert response.status_code == 403 and "您的账户尚未指定所属区" in response.content.decode()


def test_history_names_related_records(city_client, city_user):
    unit = UnitFactory(name="知识城单元")
    project = services.project_create(
        acting_user=city_user,
        district=district("440112"),
        unit=unit,
        name="某项目",
        category="park",
        total_investment=Decimal("1"),
        start_year=2025,
        end_year=2025,
    )
    history = page(city_client, reverse("projects:project_detail", args=[project.pk]))
    assert "美丽单元：— → 知识城单元" in history and "区：— → 黄埔区" in history and "版本" not in history


def test_funding_section_matches_the_plan_and_lists_lines(city_client):
    project = ProjectFactory(total_investment=Decimal("1000000"))
    FundingLineFactory(
        project=project, planned_amount=Decimal("300000"), programme="2025年第一批", status="applied"
    )
    FundingLineFactory(
        project=project, planned_amount=Decimal("500000"), programme="被否决批次", status="rejected"
    )
    html = page(city_client, reverse("projects:project_detail", args=[project.pk]))
    assert "30.00 万元" in html and "80.00 万元" not in html
    assert "2025年第一批" in html and "被否决批次" in html and "未获批" in html


def test_queue_pages_keep_their_size_and_sort_links_replace_the_sort(city_client):
    for i in range(25):
        ProjectFactory(review_status="submitted", code=f"Q-{i:02d}")
    html = page(city_client, reverse("projects:review_queue"), per_page="20")
    assert 'href="?per_page=20&page=2"' in html
    html = page(city_client, LIST, sort="code", q="Q")
    assert 'href="?q=Q&sort=-code"' in html and "sort=code&sort" not in html


def test_funding_beyond_the_investment_is_a_surplus_on_the_pages(ordered_projects, city_client):
    over = ordered_projects[4]  # 5,000 万元 invested, 5,306.73 万元 approved
    listed = page(city_client, LIST, district="440104")
    assert "−" not in listed and "-306.73" not in listed
    assert "超出 306.73 万元" in listed
    detail = page(city_client, reverse("projects:project_detail", args=[over.pk]))
    assert 'id="funding-gap">0.00 万元' in detail and 'id="funding-surplus">306.73 万元' in detail
