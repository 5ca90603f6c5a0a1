"""The 政银企 platform's pages: financing demands, credit intentions, the project summary and the figures,
for every role; what a bank never sees; a demand's whole life through the pages; bad input; queries that
do not grow with the records."""

from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from financing.models import CreditIntention, FinancingDemand
from portfolio.models import AuditEntry, Notification
from tests.factories import (
    BankFactory,
    DemandFactory,
    IntentionFactory,
    LoanFactory,
    ProcedureFactory,
    ProjectFactory,
    UserFactory,
    district,
)

pytestmark = pytest.mark.django_db
D = Decimal

# What of the world below a lender of `bank` must never read: the other bank, its answer and its loan,
# the project's contacts and remarks.
SECRETS = ("测试乙银行广州分行", "2,777.00", "1,234.56", "13800000000", "项目联系人张三", "内部备注不外传")


@pytest.fixture
def world(bank, other_bank):
    """A 黄埔 library project with a published demand answered by both banks, each bank's loan on it, and a
    draft demand on a second 黄埔 project; a 越秀 project with a published demand answered by no one."""
    hp = ProjectFactory(
        name="黄埔河涌整治项目",
        district=district("440112"),
        review_status="accepted",
        total_investment=D("100000000"),
        content="河涌清淤与碧道建设",
        contact_name="项目联系人张三",
        contact_phone="13800000000",
        remarks="内部备注不外传",
    )
    ProcedureFactory(project=hp, kind="feasibility", approval_no="穗发改〔2025〕12号")
    ProcedureFactory(project=hp, kind="eia", status="not_needed", approval_no="")
    demand = DemandFactory(
        project=hp, amount=D("50000000"), contact_name="融资对接人", contact_phone="020-88886666"
    )
    own = IntentionFactory(demand=demand, lender=bank, amount=D("31000000"), indicative_rate=D("3.1"))
    other = IntentionFactory(demand=demand, lender=other_bank, amount=D("27770000"))
    own_loan = LoanFactory(project=hp, lender=bank, principal=D("50000000"), contract_no="甲行合同-1")
    other_loan = LoanFactory(project=hp, lender=other_bank, principal=D("12345600"), contract_no="乙行合同-1")
    draft_project = ProjectFactory(
        name="黄埔草稿需求项目", district=district("440112"), review_status="accepted"
    )
    draft = DemandFactory(project=draft_project, status="draft", amount=D("10000000"))
    yx = ProjectFactory(name="越秀公园项目", district=district("440104"), review_status="accepted")
    yx_demand = DemandFactory(project=yx, amount=D("30000000"))
    return {
        "hp": hp,
        "demand": demand,
        "own": own,
        "other": other,
        "own_loan": own_loan,
        "other_loan": other_loan,
        "draft_project": draft_project,
        "draft": draft,
        "yx": yx,
        "yx_demand": yx_demand,
    }


@pytest.fixture
def users(lender_user, other_lender_user, city_user, finance_user, huangpu_user, yuexiu_user):
    return {
        "lender": lender_user,
        "other_lender": other_lender_user,
        "city": city_user,
        "finance": finance_user,
        "huangpu": huangpu_user,
        "yuexiu": yuexiu_user,
    }


def url(name, *args):
    return reverse(f"financing:{name}", args=args)


# Every page, every role: the status of a GET

ROLES = ("lender", "other_lender", "city", "finance", "huangpu", "yuexiu")


def statuses(lender, other_lender, city, finance, huangpu, yuexiu):
    return dict(zip(ROLES, (lender, other_lender, city, finance, huangpu, yuexiu), strict=True))


PAGES = [
    ("demand_list", None, statuses(200, 200, 200, 200, 200, 200)),
    ("demand_detail", "demand", statuses(200, 200, 200, 200, 200, 404)),
    ("demand_detail", "draft", statuses(404, 404, 200, 200, 200, 404)),
    ("demand_detail", "yx_demand", statuses(200, 200, 200, 200, 404, 200)),
    ("demand_create", "draft_project", statuses(403, 403, 200, 403, 200, 404)),
    ("demand_create", "yx", statuses(403, 403, 200, 403, 404, 200)),
    ("demand_edit", "draft", statuses(403, 403, 200, 403, 200, 404)),
    ("demand_publish", "draft", statuses(403, 403, 405, 405, 405, 404)),
    ("demand_close", "demand", statuses(403, 403, 405, 405, 405, 404)),
    ("intention_create", "demand", statuses(200, 200, 403, 403, 403, 404)),
    ("intention_create", "yx_demand", statuses(200, 200, 403, 403, 404, 403)),
    ("intention_edit", "own", statuses(200, 404, 403, 403, 403, 404)),
    ("intention_approve", "own", statuses(405, 404, 405, 405, 405, 404)),
    ("intention_decline", "own", statuses(405, 404, 405, 405, 405, 404)),
    ("intention_withdraw", "own", statuses(405, 404, 405, 405, 405, 404)),
    ("intention_sign", "own", statuses(403, 403, 405, 405, 405, 404)),
    ("project_summary", "hp", statuses(200, 200, 200, 200, 200, 404)),
    ("project_summary", "draft_project", statuses(404, 404, 200, 200, 200, 404)),
    ("platform", None, statuses(403, 403, 200, 200, 403, 403)),
]


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize(("name", "record", "expected"), PAGES, ids=[f"{p[0]}-{p[1]}" for p in PAGES])
def test_get_by_role(client_for, world, users, role, name, record, expected):
    address = url(name) if record is None else url(name, world[record].pk)
    assert client_for(users[role]).get(address).status_code == expected[role]


def test_anonymous_users_go_to_the_login_page_and_users_without_a_role_get_403(
    client_for, world, no_role_user
):
    for address in (url("demand_list"), url("demand_detail", world["demand"].pk), url("platform")):
        response = client_for(None).get(address)
        assert response.status_code == 302 and response["Location"].startswith(reverse("login"))
        assert client_for(no_role_user).get(address).status_code == 403


def test_a_lender_opening_a_project_page_is_sent_to_the_summary(client_for, world, lender_user):
    client = client_for(lender_user)
    response = client.get(reverse("projects:project_detail", args=[world["hp"].pk]))
    assert response.status_code == 302 and response["Location"] == url("project_summary", world["hp"].pk)
    # A project with no published demand, no answer and no loan of the bank stays hidden.
    assert client.get(reverse("projects:project_detail", args=[world["draft_project"].pk])).status_code == 404
    assert client.get(reverse("projects:project_detail", args=[ProjectFactory().pk])).status_code == 404


def test_other_roles_still_open_the_project_page(client_for, world, city_user, huangpu_user):
    for user in (city_user, huangpu_user):
        response = client_for(user).get(reverse("projects:project_detail", args=[world["hp"].pk]))
        assert response.status_code == 200 and "13800000000" in response.content.decode()


# What a lender never sees


def lender_pages(world):
    return [
        url("demand_list"),
        url("demand_detail", world["demand"].pk),
        url("project_summary", world["hp"].pk),
        url("intention_edit", world["own"].pk),
        url("intention_create", world["yx_demand"].pk),
        reverse("projects:project_detail", args=[world["hp"].pk]),
    ]


def test_a_lenders_pages_never_show_another_bank_nor_the_projects_contacts(client_for, world, lender_user):
    client = client_for(lender_user)
    for address in lender_pages(world):
        html = client.get(address, follow=True).content.decode()
        for secret in SECRETS:
            assert secret not in html, (address, secret)


def test_a_lender_reads_its_own_intention_and_loan_and_the_demands_contact(client_for, world, lender_user):
    client = client_for(lender_user)
    html = client.get(url("demand_detail", world["demand"].pk)).content.decode()
    assert "测试甲银行广州分行" in html and "3,100.00 万元" in html and "3.1%" in html
    assert "融资对接人" in html and "020-88886666" in html  # the demand's own contact is meant for banks
    assert "河涌清淤与碧道建设" in html and "穗发改〔2025〕12号" in html
    assert 'id="intentions"' not in html  # no table of every bank's answers
    summary = client.get(url("project_summary", world["hp"].pk)).content.decode()
    # The three approvals the 成熟 gate reads, from the project's procedures.
    assert '<td id="summary-feasibility">已办结 · 穗发改〔2025〕12号</td>' in summary
    assert '<td id="summary-land">未办理</td>' in summary
    assert '<td id="summary-eia">无需办理</td>' in summary
    assert url("loan_detail", world["own_loan"].pk) in summary
    assert url("loan_detail", world["other_loan"].pk) not in summary
    assert 'id="full-project"' not in summary  # no way to the library's page


def test_a_lenders_list_shows_its_own_answer_never_the_count(client_for, world, lender_user):
    html = client_for(lender_user).get(url("demand_list")).content.decode()
    assert "本行意向" in html and "对接（意向数）" not in html and "intention-count" not in html
    assert "黄埔草稿需求项目" not in html  # drafts are not published
    # Its answer's status on the 黄埔 demand, an invitation to answer the 越秀 one.
    assert "有意向" in html and url("intention_create", world["yx_demand"].pk) in html
    assert "状态</label>" not in html  # no status filter for a bank


def test_another_bank_sees_its_own_answer_only(client_for, world, other_lender_user):
    html = client_for(other_lender_user).get(url("demand_detail", world["demand"].pk)).content.decode()
    assert "2,777.00 万元" in html and "3,100.00 万元" not in html and "测试甲银行广州分行" not in html


def test_staff_and_the_district_see_every_answer_with_its_bank(
    client_for, world, city_user, finance_user, huangpu_user
):
    for user in (city_user, finance_user, huangpu_user):
        html = client_for(user).get(url("demand_detail", world["demand"].pk)).content.decode()
        assert "测试甲银行广州分行" in html and "测试乙银行广州分行" in html
        assert "3,100.00 万元" in html and "2,777.00 万元" in html
    listing = client_for(huangpu_user).get(url("demand_list")).content.decode()
    assert "越秀公园项目" not in listing and "黄埔草稿需求项目" in listing
    assert '<td class="text-end intention-count">2</td>' in listing


def test_only_staff_see_the_publish_close_and_sign_controls(
    client_for, world, city_user, huangpu_user, finance_user
):
    CreditIntention.objects.filter(pk=world["own"].pk).update(status="approved", approval_no="甲批-1")
    city = client_for(city_user)
    assert 'id="publish-demand"' in city.get(url("demand_detail", world["draft"].pk)).content.decode()
    html = city.get(url("demand_detail", world["demand"].pk)).content.decode()
    assert 'id="close-demand"' in html and url("intention_sign", world["own"].pk) in html
    assert "甲行合同-1" in html  # the bank's loan to choose; not the other bank's
    assert html.count('sign-form"') == 1
    for user in (huangpu_user, finance_user):
        html = client_for(user).get(url("demand_detail", world["demand"].pk)).content.decode()
        assert "close-demand" not in html and "sign-form" not in html


# A demand's whole life through the pages


def test_a_demand_from_draft_to_closed(
    client_for, bank, lender_user, other_lender_user, city_user, huangpu_user
):
    project = ProjectFactory(name="黄埔新融资项目", district=district("440112"), review_status="accepted")
    district_client, city, lender = client_for(huangpu_user), client_for(city_user), client_for(lender_user)

    # The district drafts it, beside what the project's funding already is.
    form_page = district_client.get(url("demand_create", project.pk)).content.decode()
    assert 'id="funding-gap"' in form_page and "10,000.00 万元" in form_page and "融资金额（元）" in form_page
    response = district_client.post(
        url("demand_create", project.pk),
        {
            "amount": "60000000",
            "term_months": "180",
            "purpose": "碧道建设",
            "contact_name": "李四",
            "contact_phone": "020-1234",
        },
    )
    demand = FinancingDemand.objects.get(project=project)
    assert response.status_code == 302 and response["Location"] == url("demand_detail", demand.pk)
    assert demand.status == "draft" and demand.created_by == huangpu_user
    assert lender.get(url("demand_detail", demand.pk)).status_code == 404
    assert (
        district_client.post(
            url("demand_edit", demand.pk), {**_demand(demand), "term_months": "120"}
        ).status_code
        == 302
    )
    demand.refresh_from_db()
    assert demand.term_months == 120

    # Only city staff publish it; every bank is told.
    assert district_client.post(url("demand_publish", demand.pk)).status_code == 403
    html = city.post(url("demand_publish", demand.pk), follow=True).content.decode()
    demand.refresh_from_db()
    assert demand.status == "published" and "融资需求已发布" in html
    assert Notification.objects.filter(user=lender_user, link=demand.get_absolute_url()).exists()
    assert "已发布，不能再修改" in district_client.get(url("demand_edit", demand.pk)).content.decode()

    # A bank answers from the demand's page, then approves it with its approval number.
    assert 'id="answer-form"' in lender.get(url("demand_detail", demand.pk)).content.decode()
    response = lender.post(
        url("intention_create", demand.pk),
        {"amount": "40000000", "term_months": "180", "indicative_rate": "2.95", "note": "可分期提款"},
    )
    intention = CreditIntention.objects.get(demand=demand)
    assert response.status_code == 302 and intention.lender == bank and intention.status == "intended"
    html = lender.post(
        url("intention_approve", intention.pk), {"approval_no": " "}, follow=True
    ).content.decode()
    intention.refresh_from_db()
    assert "请填写授信批复编号。" in html and intention.status == "intended"
    lender.post(url("intention_approve", intention.pk), {"approval_no": "甲批〔2026〕8号"})
    intention.refresh_from_db()
    assert intention.status == "approved" and intention.approval_no == "甲批〔2026〕8号"
    assert client_for(other_lender_user).post(url("intention_withdraw", intention.pk)).status_code == 404

    # City staff sign it with the loan registered for it, then close the demand.
    loan = LoanFactory(project=project, lender=bank, principal=D("40000000"), contract_no="甲行贷-2026-1")
    html = city.get(url("demand_detail", demand.pk)).content.decode()
    assert "甲行贷-2026-1" in html
    html = city.post(url("intention_sign", intention.pk), {"loan": loan.pk}, follow=True).content.decode()
    intention.refresh_from_db()
    assert intention.status == "signed" and intention.loan == loan and "已签约" in html
    city.post(url("demand_close", demand.pk))
    demand.refresh_from_db()
    assert demand.status == "closed" and demand.closed_on is not None

    # The bank still reads its closed demand and signed answer; the figures count it all.
    assert "已签约" in lender.get(url("demand_detail", demand.pk)).content.decode()
    platform = city.get(url("platform")).content.decode()
    assert 'id="platform-matched-count">1<' in platform and 'id="platform-signed-count">1<' in platform
    assert "4,000.00 万元" in platform.split('id="platform-signed-amount"')[1][:40]
    assert set(AuditEntry.objects.filter(project=project).values_list("action", flat=True)) >= {
        "demand_create",
        "demand_update",
        "demand_publish",
        "intention_create",
        "intention_approve",
        "intention_sign",
        "demand_close",
    }


def _demand(demand):
    return {
        "amount": str(demand.amount),
        "term_months": str(demand.term_months),
        "purpose": demand.purpose,
        "contact_name": demand.contact_name,
        "contact_phone": demand.contact_phone,
    }


def test_a_bank_declines_or_withdraws_its_own_answer(client_for, world, lender_user, other_lender_user):
    lender = client_for(lender_user)
    lender.post(url("intention_withdraw", world["own"].pk), {"reason": "额度调整"})
    world["own"].refresh_from_db()
    assert world["own"].status == "withdrawn"
    assert AuditEntry.objects.filter(action="intention_withdraw", note="额度调整").exists()
    # Withdrawn, it may answer again.
    assert 'id="answer-form"' in lender.get(url("demand_detail", world["demand"].pk)).content.decode()
    client_for(other_lender_user).post(url("intention_decline", world["other"].pk))
    world["other"].refresh_from_db()
    assert world["other"].status == "declined"


def test_a_bank_edits_its_answer_while_it_is_only_an_intention(client_for, world, lender_user):
    lender = client_for(lender_user)
    data = {"amount": "32000000", "term_months": "120", "indicative_rate": "3.0", "note": ""}
    assert lender.post(url("intention_edit", world["own"].pk), data).status_code == 302
    world["own"].refresh_from_db()
    assert world["own"].amount == D("32000000") and world["own"].term_months == 120
    CreditIntention.objects.filter(pk=world["own"].pk).update(status="approved", approval_no="甲批-1")
    html = lender.get(url("intention_edit", world["own"].pk)).content.decode()
    assert "授信意向当前状态为“已授信”，不能再修改。" in html
    lender.post(url("intention_edit", world["own"].pk), {**data, "amount": "1"})
    world["own"].refresh_from_db()
    assert world["own"].amount == D("32000000")


# Bad input: a Chinese message, nothing saved


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"amount": "-5"}, "融资金额必须大于零。"),
        ({"amount": "abc"}, "输入一个数字。"),
        ({"term_months": "0"}, "期限应在 1 至 600 个月之间。"),
        ({"term_months": "601"}, "期限应在 1 至 600 个月之间。"),
        ({"purpose": ""}, "该字段是必填项。"),
    ],
)
def test_bad_demands_are_refused(client_for, huangpu_user, change, message):
    project = ProjectFactory(district=district("440112"), review_status="accepted")
    data = {"amount": "1000000", "term_months": "60", "purpose": "建设", **change}
    response = client_for(huangpu_user).post(url("demand_create", project.pk), data)
    assert response.status_code == 200 and message in response.content.decode()
    assert not FinancingDemand.objects.exists()


def test_a_demand_only_for_a_library_project_and_one_open_at_a_time(client_for, world, huangpu_user):
    client = client_for(huangpu_user)
    data = {"amount": "1000000", "term_months": "60", "purpose": "建设"}
    draft_project = ProjectFactory(district=district("440112"), review_status="draft")
    response = client.post(url("demand_create", draft_project.pk), data)
    assert response.status_code == 200 and "只有已入库的项目可以发布融资需求。" in response.content.decode()
    response = client.post(url("demand_create", world["hp"].pk), data)
    assert response.status_code == 200 and "该项目已有一项未关闭的融资需求" in response.content.decode()
    assert FinancingDemand.objects.count() == 3


def test_a_published_demand_is_not_edited(client_for, world, huangpu_user):
    demand = world["demand"]
    response = client_for(huangpu_user).post(
        url("demand_edit", demand.pk), {**_demand(demand), "amount": "1"}
    )
    assert response.status_code == 200 and "融资需求已发布，不能再修改" in response.content.decode()
    demand.refresh_from_db()
    assert demand.amount == D("50000000")


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"indicative_rate": "150"}, "参考年利率应在 0% 至 100% 之间。"),
        ({"amount": "0"}, "意向金额必须大于零。"),
        ({"amount": ""}, "该字段是必填项。"),
        ({"term_months": "0"}, "期限应在 1 至 600 个月之间。"),
    ],
)
def test_bad_intentions_are_refused(client_for, world, other_lender_user, change, message):
    data = {"amount": "1000000", "term_months": "60", "indicative_rate": "3", **change}
    response = client_for(other_lender_user).post(url("intention_create", world["yx_demand"].pk), data)
    assert response.status_code == 200 and message in response.content.decode()
    assert not CreditIntention.objects.filter(demand=world["yx_demand"]).exists()


def test_no_second_live_answer_and_none_to_a_closed_demand(client_for, world, lender_user):
    client = client_for(lender_user)
    data = {"amount": "1000000", "term_months": "60", "indicative_rate": "3"}
    response = client.post(url("intention_create", world["demand"].pk), data)
    assert response.status_code == 200 and "本行对该融资需求已有一项有效意向。" in response.content.decode()
    FinancingDemand.objects.filter(pk=world["demand"].pk).update(status="closed")
    response = client.post(url("intention_create", world["demand"].pk), data)
    assert response.status_code == 200 and "只能对已发布的融资需求提出授信意向。" in response.content.decode()
    assert CreditIntention.objects.count() == 2


def test_a_lender_without_a_bank_is_told(client_for, world):
    orphan = UserFactory(role="lender")
    response = client_for(orphan).get(url("intention_create", world["yx_demand"].pk))
    assert response.status_code == 200 and "尚未关联贷款银行" in response.content.decode()


def test_signing_needs_an_approved_intention_and_the_banks_own_loan(client_for, world, city_user):
    city = client_for(city_user)
    own = world["own"]
    html = city.post(
        url("intention_sign", own.pk), {"loan": world["own_loan"].pk}, follow=True
    ).content.decode()
    assert "只有已授信的意向可以签约" in html
    CreditIntention.objects.filter(pk=own.pk).update(status="approved", approval_no="甲批-1")
    html = city.post(
        url("intention_sign", own.pk), {"loan": world["other_loan"].pk}, follow=True
    ).content.decode()
    assert "所选贷款的贷款银行不是提出意向的银行。" in html
    html = city.post(url("intention_sign", own.pk), {}, follow=True).content.decode()
    assert "请选择签约的贷款。" in html
    html = city.post(url("intention_sign", own.pk), {"loan": "x"}, follow=True).content.decode()
    assert "所选贷款不存在。" in html
    own.refresh_from_db()
    assert own.status == "approved" and own.loan is None


def test_wrong_steps_are_messages_not_errors(client_for, world, city_user, lender_user):
    city = client_for(city_user)
    html = city.post(url("demand_publish", world["demand"].pk), follow=True).content.decode()
    assert "融资需求当前状态为“已发布”，不能进行此操作。" in html
    html = city.post(url("demand_close", world["draft"].pk), follow=True).content.decode()
    assert "融资需求当前状态为“草稿”，不能进行此操作。" in html
    assert city.post(url("intention_approve", world["own"].pk), {"approval_no": "x"}).status_code == 403
    lender = client_for(lender_user)
    lender.post(url("intention_decline", world["own"].pk))
    html = lender.post(url("intention_withdraw", world["own"].pk), follow=True).content.decode()
    assert "授信意向当前状态为“未通过”，不能进行此操作。" in html
    html = lender.post(
        url("intention_decline", world["own"].pk), {"reason": "长" * 501}, follow=True
    ).content.decode()
    assert "500" in html  # the reason's length, refused on the form


# The list's filters and the platform's page


def test_the_list_filters(client_for, world, city_user):
    client = client_for(city_user)
    names = lambda **params: {  # noqa: E731
        name
        for name in ("黄埔河涌整治项目", "黄埔草稿需求项目", "越秀公园项目")
        if name in client.get(url("demand_list"), params).content.decode()
    }
    assert names() == {"黄埔河涌整治项目", "黄埔草稿需求项目", "越秀公园项目"}
    assert names(district="440104") == {"越秀公园项目"}
    assert names(status="draft") == {"黄埔草稿需求项目"}
    assert names(min_amount="40000000") == {"黄埔河涌整治项目"}
    assert names(max_amount="40000000") == {"黄埔草稿需求项目", "越秀公园项目"}
    response = client.get(url("demand_list"), {"min_amount": "很多"})
    assert response.status_code == 200 and "输入一个数字。" in response.content.decode()
    assert "融资金额不低于（元）" in response.content.decode()


def test_the_district_may_start_a_demand_from_the_list(client_for, world, huangpu_user, city_user):
    spare = ProjectFactory(name="黄埔待融资项目", district=district("440112"), review_status="accepted")
    html = client_for(huangpu_user).get(url("demand_list")).content.decode()
    assert "新建融资需求" in html and url("demand_create", spare.pk) in html
    assert url("demand_create", world["hp"].pk) not in html  # it has an open demand already
    assert 'id="new-demand"' not in client_for(city_user).get(url("demand_list")).content.decode()


def test_the_platform_page(client_for, world, finance_user):
    html = client_for(finance_user).get(url("platform")).content.decode()
    assert 'id="platform-published-count">2<' in html  # the draft is left out
    assert 'id="platform-matched-count">1<' in html
    assert "万元" in html and "测试甲银行广州分行" in html and "黄埔区" in html


def test_the_dashboard_shows_the_platform(client_for, world, city_user, huangpu_user):
    html = client_for(city_user).get(reverse("home")).content.decode()
    assert 'id="dashboard-platform"' in html and url("platform") in html
    assert 'id="dashboard-matched-count">1<' in html and 'id="dashboard-published-count">2<' in html
    html = client_for(huangpu_user).get(reverse("home")).content.decode()
    assert 'id="dashboard-published-count">1<' in html and url("platform") not in html


# Queries that do not grow with the records


def grow(world, n, bank, other_bank):
    """n more demands (in 黄埔), answered by both banks, and on the 黄埔 demand n more answers and loans."""
    for i in range(n):
        demand = DemandFactory(project=ProjectFactory(district=district("440112"), review_status="accepted"))
        IntentionFactory(demand=demand, lender=bank)
        IntentionFactory(demand=demand, lender=other_bank, status="approved", approval_no=f"乙-{i}")
        newcomer = BankFactory()
        loan = LoanFactory(project=world["hp"], lender=newcomer)
        status = ("approved", "signed")[i % 2]
        IntentionFactory(
            demand=world["demand"],
            lender=newcomer,
            status=status,
            approval_no=f"新-{i}",
            loan=loan if status == "signed" else None,
        )
        LoanFactory(project=world["hp"], lender=newcomer)  # one to sign with
        LoanFactory(project=world["hp"], lender=bank)
        DemandFactory(project=world["hp"], status="closed")


def queries(client, address):
    client.get(address)  # the same warm-up for every count
    with CaptureQueriesContext(connection) as captured:
        assert client.get(address).status_code == 200
    return len(captured)


def test_queries_do_not_grow(
    client_for, world, bank, other_bank, lender_user, city_user, huangpu_user, finance_user
):
    pages = [
        (city_user, url("demand_list")),
        (lender_user, url("demand_list")),
        (huangpu_user, url("demand_list")),
        (city_user, url("demand_detail", world["demand"].pk)),
        (lender_user, url("demand_detail", world["demand"].pk)),
        (huangpu_user, url("demand_detail", world["demand"].pk)),
        (city_user, url("project_summary", world["hp"].pk)),
        (lender_user, url("project_summary", world["hp"].pk)),
        (city_user, url("platform")),
        (finance_user, url("platform")),
    ]
    grow(world, 2, bank, other_bank)
    before = [queries(client_for(user), address) for user, address in pages]
    grow(world, 4, bank, other_bank)
    after = [queries(client_for(user), address) for user, address in pages]
    assert before == after
