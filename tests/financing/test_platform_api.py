"""The 政银企 platform's API (financing-demands, credit-intentions and their steps): real requests, checked
in the response and the database: scope, roles, error shapes, ETags, filters and query counts."""

from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from financing.models import CreditIntention, FinancingDemand
from portfolio.models import AuditEntry
from tests.factories import (
    DemandFactory,
    FundingLineFactory,
    IntentionFactory,
    LoanFactory,
    ProjectFactory,
    district,
)

pytestmark = pytest.mark.django_db
D = Decimal
DEMANDS = "/api/v1/financing-demands/"
INTENTIONS = "/api/v1/credit-intentions/"
NOT_FOUND = {"detail": "未找到。"}


def library_project(code="440112", **values):
    return ProjectFactory(district=district(code), review_status="accepted", **values)


def ids(response) -> set[int]:
    assert response.status_code == 200, response.content[:300]
    return {row["id"] for row in response.json()["results"]}


def demand_body(project, **values):
    return {
        "project": project.pk,
        "amount": "50000000.00",
        "term_months": 180,
        "purpose": "碧道建设",
    } | values


def intention_body(demand, **values):
    return {
        "demand": demand.pk,
        "amount": "30000000.00",
        "term_months": 120,
        "indicative_rate": "3.1",
    } | values


# -- query counts ------------------------------------------------------------------------------------


def list_queries(client, url) -> tuple[int, int]:
    client.get(url)  # the same warm-up for both: the role and the bank are read once per user
    with CaptureQueriesContext(connection) as captured:
        response = client.get(url, {"page_size": 50})
    assert response.status_code == 200
    return len(captured), response.json()["count"]


@pytest.mark.parametrize("who", ["city_user", "huangpu_user", "lender_user"])
def test_the_demand_list_runs_the_same_queries_for_2_and_6(request, api_client, bank, who):
    client = api_client(request.getfixturevalue(who))

    def add(n):
        for _ in range(n):
            demand = DemandFactory(project=library_project())
            FundingLineFactory(project=demand.project, approved_amount=D("10"), status="approved")
            IntentionFactory(demand=demand, lender=bank)

    add(2)
    few = list_queries(client, DEMANDS)
    add(4)
    many = list_queries(client, DEMANDS)
    assert (few[1], many[1]) == (2, 6)
    assert few[0] == many[0], (few, many)


@pytest.mark.parametrize("who", ["city_user", "huangpu_user", "lender_user"])
def test_the_intention_list_runs_the_same_queries_for_2_and_6(request, api_client, bank, who):
    client = api_client(request.getfixturevalue(who))

    def add(n):
        for _ in range(n):
            demand = DemandFactory(project=library_project())
            loan = LoanFactory(project=demand.project, lender=bank)
            IntentionFactory(demand=demand, lender=bank, status="signed", approval_no="SX", loan=loan)

    add(2)
    few = list_queries(client, INTENTIONS)
    add(4)
    many = list_queries(client, INTENTIONS)
    assert (few[1], many[1]) == (2, 6)
    assert few[0] == many[0], (few, many)


# -- financing demands -------------------------------------------------------------------------------


def test_a_district_drafts_a_demand(api_client, huangpu_user, only_audit_entry):
    project = library_project(total_investment=D("100000000.00"), category="park")
    FundingLineFactory(project=project, approved_amount=D("30000000.00"), status="approved")
    response = api_client(huangpu_user).post(
        DEMANDS, demand_body(project, contact_name="王工", contact_phone="020-1"), format="json"
    )
    assert response.status_code == 201, response.content
    data = response.json()
    demand = FinancingDemand.objects.get()
    assert data["id"] == demand.pk and demand.created_by == huangpu_user
    assert {key: data[key] for key in ("status", "published_on", "closed_on", "amount")} == {
        "status": "draft",
        "published_on": None,
        "closed_on": None,
        "amount": "50000000.00",
    }
    assert (data["project_code"], data["project_name"], data["district"]) == (
        project.code,
        project.name,
        "440112",
    )
    assert (data["category"], data["stage"], data["district_name"]) == ("park", project.stage, "黄埔区")
    assert (data["total_investment"], data["approved_funding"], data["funding_gap"]) == (
        "100000000.00",
        "30000000.00",
        "70000000.00",
    )
    assert data["intention_count"] == 0 and data["contact_name"] == "王工"
    assert only_audit_entry(action="demand_create").actor == huangpu_user


def test_status_and_dates_are_read_only(api_client, huangpu_user):
    body = demand_body(library_project(), status="published", published_on="2026-01-01")
    response = api_client(huangpu_user).post(DEMANDS, body, format="json")
    assert response.status_code == 201 and response.json()["status"] == "draft"
    assert FinancingDemand.objects.get().published_on is None


def test_a_demand_for_another_districts_project_is_a_400(api_client, huangpu_user):
    response = api_client(huangpu_user).post(DEMANDS, demand_body(library_project("440104")), format="json")
    assert response.status_code == 400 and list(response.json()) == ["project"]
    assert not FinancingDemand.objects.exists()


def test_a_demand_for_a_project_not_in_the_library_is_a_400(api_client, huangpu_user):
    project = ProjectFactory(district=district("440112"), review_status="submitted")
    response = api_client(huangpu_user).post(DEMANDS, demand_body(project), format="json")
    assert response.status_code == 400
    assert response.json() == {"project": ["只有已入库的项目可以发布融资需求。"]}


def test_a_second_open_demand_is_a_400(api_client, huangpu_user):
    project = library_project()
    DemandFactory(project=project)
    response = api_client(huangpu_user).post(DEMANDS, demand_body(project), format="json")
    assert response.status_code == 400
    assert response.json() == {"non_field_errors": ["该项目已有一项未关闭的融资需求。"]}
    assert FinancingDemand.objects.count() == 1


def test_bad_input_is_a_400_naming_the_field(api_client, huangpu_user):
    body = demand_body(library_project(), amount="-1", term_months=0)
    response = api_client(huangpu_user).post(DEMANDS, body, format="json")
    assert response.status_code == 400 and {"amount", "term_months"} <= set(response.json())
    assert not FinancingDemand.objects.exists()


@pytest.mark.parametrize("who", ["finance_user", "lender_user"])
def test_neither_finance_nor_a_bank_creates_a_demand(request, api_client, who):
    response = api_client(request.getfixturevalue(who)).post(
        DEMANDS, demand_body(library_project()), format="json"
    )
    assert response.status_code == 403 and "detail" in response.json()


def test_etag_and_if_match_on_a_demand(api_client, huangpu_user):
    client = api_client(huangpu_user)
    demand = DemandFactory(project=library_project(), status="draft")
    url = f"{DEMANDS}{demand.pk}/"
    etag = client.get(url)["ETag"]
    assert etag.startswith('"')
    changed = client.patch(url, {"purpose": "改为湿地修复"}, format="json", HTTP_IF_MATCH=etag)
    assert changed.status_code == 200 and changed["ETag"] != etag
    assert changed.json()["purpose"] == "改为湿地修复"
    stale = client.patch(url, {"purpose": "晚到的修改"}, format="json", HTTP_IF_MATCH=etag)
    assert stale.status_code == 412
    demand.refresh_from_db()
    assert demand.purpose == "改为湿地修复"
    assert client.put(url, demand_body(demand.project, term_months=240), format="json").status_code == 200
    demand.refresh_from_db()
    assert demand.term_months == 240 and demand.project_id == demand.project.pk


def test_a_published_demand_is_not_changed(api_client, city_user):
    demand = DemandFactory()
    response = api_client(city_user).patch(f"{DEMANDS}{demand.pk}/", {"purpose": "改"}, format="json")
    assert response.status_code == 400
    assert response.json() == {"non_field_errors": ["融资需求已发布，不能再修改；如需变更请关闭后重新填报。"]}


def test_a_demand_is_never_deleted(api_client, city_user):
    demand = DemandFactory()
    assert api_client(city_user).delete(f"{DEMANDS}{demand.pk}/").status_code == 405
    assert FinancingDemand.objects.filter(pk=demand.pk).exists()


def test_another_districts_demand_is_a_404(api_client, yuexiu_user):
    demand = DemandFactory(project=library_project(), status="draft")
    client = api_client(yuexiu_user)
    assert client.get(f"{DEMANDS}{demand.pk}/").json() == NOT_FOUND
    assert client.patch(f"{DEMANDS}{demand.pk}/", {"purpose": "改"}, format="json").status_code == 404
    assert client.post(f"{DEMANDS}{demand.pk}/publish/").status_code == 404


def test_city_staff_publish_and_close(api_client, city_user):
    demand = DemandFactory(project=library_project(), status="draft")
    client = api_client(city_user)
    published = client.post(f"{DEMANDS}{demand.pk}/publish/")
    assert published.status_code == 200 and published.json()["status"] == "published"
    assert published.json()["published_on"] is not None
    closed = client.post(f"{DEMANDS}{demand.pk}/close/")
    assert closed.status_code == 200 and closed.json()["status"] == "closed"
    assert closed.json()["intention_count"] == 0
    demand.refresh_from_db()
    assert demand.status == "closed"
    assert list(AuditEntry.objects.order_by("pk").values_list("action", "actor")) == [
        ("demand_publish", city_user.pk),
        ("demand_close", city_user.pk),
    ]


def test_a_refused_step_is_a_400_naming_why(api_client, city_user):
    draft = DemandFactory(status="draft")
    response = api_client(city_user).post(f"{DEMANDS}{draft.pk}/close/")
    assert response.status_code == 400
    assert response.json() == {"status": ["融资需求当前状态为“草稿”，不能进行此操作。"]}


@pytest.mark.parametrize("who", ["huangpu_user", "finance_user", "lender_user"])
def test_only_city_staff_publish_and_close(request, api_client, who):
    draft = DemandFactory(project=library_project(), status="draft")
    published = DemandFactory(project=library_project())
    client = api_client(request.getfixturevalue(who))
    # A lender does not see the draft at all: 404; the others see it, and may not publish it.
    expected = 404 if who == "lender_user" else 403
    assert client.post(f"{DEMANDS}{draft.pk}/publish/").status_code == expected
    response = client.post(f"{DEMANDS}{published.pk}/close/")
    assert response.status_code == 403 and "detail" in response.json()
    assert set(FinancingDemand.objects.values_list("status", flat=True)) == {"draft", "published"}


def test_banks_see_published_demands_and_those_they_answered(api_client, lender_user, bank, other_bank):
    made = {
        "published": DemandFactory(contact_name="张经理", contact_phone="020-2"),
        "draft": DemandFactory(status="draft"),
        "closed": DemandFactory(status="closed"),
        "closed-answered": DemandFactory(status="closed"),
        "closed-answered-by-another": DemandFactory(status="closed"),
    }
    IntentionFactory(demand=made["closed-answered"], lender=bank)
    IntentionFactory(demand=made["closed-answered-by-another"], lender=other_bank)
    client = api_client(lender_user)
    listed = ids(client.get(DEMANDS))
    assert {name for name, d in made.items() if d.pk in listed} == {"published", "closed-answered"}
    for name, demand in made.items():
        assert client.get(f"{DEMANDS}{demand.pk}/").status_code == (200 if demand.pk in listed else 404), name
    # A published demand's own contact is meant for the banks.
    record = client.get(f"{DEMANDS}{made['published'].pk}/").json()
    assert (record["contact_name"], record["contact_phone"]) == ("张经理", "020-2")


def test_a_lender_never_learns_how_many_intentions_a_demand_has(api_client, lender_user, city_user, bank):
    demand = DemandFactory()
    IntentionFactory(demand=demand, lender=bank)
    IntentionFactory(demand=demand)
    IntentionFactory(demand=demand, status="withdrawn")
    bank_client = api_client(lender_user)
    for record in [
        bank_client.get(f"{DEMANDS}{demand.pk}/").json(),
        *bank_client.get(DEMANDS).json()["results"],
    ]:
        assert "intention_count" not in record
    assert b"intention_count" not in bank_client.get(f"{DEMANDS}{demand.pk}/").content
    assert api_client(city_user).get(f"{DEMANDS}{demand.pk}/").json()["intention_count"] == 3


def test_a_district_sees_its_own_districts_demands_with_their_count(api_client, huangpu_user):
    own = DemandFactory(project=library_project())
    IntentionFactory(demand=own)
    other = DemandFactory(project=library_project("440104"))
    response = api_client(huangpu_user).get(DEMANDS)
    assert ids(response) == {own.pk} and other.pk
    assert response.json()["results"][0]["intention_count"] == 1


@pytest.fixture
def spread_demands(db):
    """Published demands that differ from a plain 黄埔 river one in one attribute each."""
    return {
        "plain": DemandFactory(project=library_project(category="river_lake")),
        "district": DemandFactory(project=library_project("440104", category="river_lake")),
        "category": DemandFactory(project=library_project(category="park")),
        "stage": DemandFactory(project=library_project(category="river_lake", stage="implementation")),
        "big": DemandFactory(project=library_project(category="river_lake"), amount=D("900000000.00")),
        "small": DemandFactory(project=library_project(category="river_lake"), amount=D("1000000.00")),
        "draft": DemandFactory(project=library_project(category="river_lake"), status="draft"),
    }


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        ({"district": "440104"}, {"district"}),
        ({"category": "park"}, {"category"}),
        ({"stage": "implementation"}, {"stage"}),
        ({"min_amount": "100000000"}, {"big"}),
        ({"max_amount": "1000000"}, {"small"}),
        (
            {
                "min_amount": "1000000",
                "max_amount": "50000000",
                "district": "440112",
                "category": "river_lake",
            },
            {"plain", "stage", "small", "draft"},
        ),
        ({"status": "draft"}, {"draft"}),
    ],
    ids=["district", "category", "stage", "min_amount", "max_amount", "combined", "status"],
)
def test_demand_filters(api_client, city_user, spread_demands, params, expected):
    listed = ids(api_client(city_user).get(DEMANDS, params))
    assert {name for name, demand in spread_demands.items() if demand.pk in listed} == expected


def test_a_lenders_filters_narrow_its_own_scope(api_client, lender_user, spread_demands):
    listed = ids(api_client(lender_user).get(DEMANDS, {"max_amount": "50000000"}))
    # The draft is not the bank's to see, whatever the filter.
    assert {name for name, d in spread_demands.items() if d.pk in listed} == {
        "plain",
        "district",
        "category",
        "stage",
        "small",
    }


@pytest.mark.parametrize(
    ("params", "field"),
    [({"min_amount": "lots"}, "min_amount"), ({"stage": "done"}, "stage"), ({"category": "zoo"}, "category")],
)
def test_an_invalid_demand_filter_is_a_400_naming_it(api_client, city_user, params, field):
    response = api_client(city_user).get(DEMANDS, params)
    assert response.status_code == 400 and field in response.json()


# -- credit intentions -------------------------------------------------------------------------------


def test_a_bank_answers_a_published_demand(api_client, lender_user, bank, only_audit_entry):
    demand = DemandFactory()
    response = api_client(lender_user).post(INTENTIONS, intention_body(demand, note="可授信"), format="json")
    assert response.status_code == 201, response.content
    data = response.json()
    intention = CreditIntention.objects.get()
    assert (data["id"], data["lender"], data["lender_name"], data["status"]) == (
        intention.pk,
        bank.pk,
        bank.name,
        "intended",
    )
    assert (data["demand"], data["project"], data["indicative_rate"]) == (
        demand.pk,
        demand.project_id,
        "3.1000",
    )
    assert (data["approval_no"], data["loan"]) == ("", None)
    assert only_audit_entry(action="intention_create").actor == lender_user


def test_the_bank_is_the_servers_to_set(api_client, lender_user, bank, other_bank):
    body = intention_body(DemandFactory(), lender=other_bank.pk, status="approved", approval_no="X", loan=1)
    response = api_client(lender_user).post(INTENTIONS, body, format="json")
    assert response.status_code == 201
    intention = CreditIntention.objects.get()
    assert (intention.lender, intention.status, intention.approval_no, intention.loan) == (
        bank,
        "intended",
        "",
        None,
    )


@pytest.mark.parametrize("status", ["draft", "closed"])
def test_a_demand_the_bank_cannot_see_is_a_400(api_client, lender_user, status):
    demand = DemandFactory(status=status)
    response = api_client(lender_user).post(INTENTIONS, intention_body(demand), format="json")
    assert response.status_code == 400 and list(response.json()) == ["demand"]
    assert not CreditIntention.objects.exists()


def test_a_closed_demand_the_bank_answered_takes_no_new_intention(api_client, lender_user, bank):
    demand = DemandFactory(status="closed")
    IntentionFactory(demand=demand, lender=bank, status="withdrawn")
    response = api_client(lender_user).post(INTENTIONS, intention_body(demand), format="json")
    assert response.status_code == 400
    assert response.json() == {"demand": ["只能对已发布的融资需求提出授信意向。"]}


def test_a_second_live_intention_is_a_400(api_client, lender_user, bank):
    demand = DemandFactory()
    IntentionFactory(demand=demand, lender=bank)
    response = api_client(lender_user).post(INTENTIONS, intention_body(demand), format="json")
    assert response.status_code == 400
    assert response.json() == {"non_field_errors": ["本行对该融资需求已有一项有效意向。"]}


@pytest.mark.parametrize("who", ["city_user", "huangpu_user", "finance_user"])
def test_only_a_bank_answers(request, api_client, who):
    demand = DemandFactory(project=library_project())
    response = api_client(request.getfixturevalue(who)).post(
        INTENTIONS, intention_body(demand), format="json"
    )
    assert response.status_code == 403 and "detail" in response.json()


def test_a_bank_changes_its_own_intention(api_client, lender_user, other_lender_user, city_user, bank):
    intention = IntentionFactory(lender=bank, demand__project=library_project())
    url = f"{INTENTIONS}{intention.pk}/"
    etag = api_client(lender_user).get(url)["ETag"]
    changed = api_client(lender_user).patch(url, {"amount": "1000.00"}, format="json", HTTP_IF_MATCH=etag)
    assert changed.status_code == 200 and changed.json()["amount"] == "1000.00"
    stale = api_client(lender_user).patch(url, {"amount": "2000.00"}, format="json", HTTP_IF_MATCH=etag)
    assert stale.status_code == 412
    assert api_client(other_lender_user).patch(url, {"note": "改"}, format="json").json() == NOT_FOUND
    assert api_client(city_user).patch(url, {"note": "改"}, format="json").status_code == 403
    intention.refresh_from_db()
    assert intention.amount == D("1000.00") and intention.note == ""


def test_the_demand_of_an_intention_stays(api_client, lender_user, bank):
    intention = IntentionFactory(lender=bank)
    other = DemandFactory()
    response = api_client(lender_user).patch(
        f"{INTENTIONS}{intention.pk}/", {"demand": other.pk}, format="json"
    )
    assert response.status_code == 200
    intention.refresh_from_db()
    assert intention.demand_id != other.pk


def test_the_bank_approves_declines_withdraws(api_client, lender_user, bank):
    client = api_client(lender_user)
    approved = IntentionFactory(lender=bank)
    response = client.post(f"{INTENTIONS}{approved.pk}/approve/", {"approval_no": "SX-2026-7"}, format="json")
    assert response.status_code == 200
    assert (response.json()["status"], response.json()["approval_no"]) == ("approved", "SX-2026-7")
    declined = IntentionFactory(lender=bank)
    response = client.post(f"{INTENTIONS}{declined.pk}/decline/", {"reason": "评级不足"}, format="json")
    assert response.status_code == 200 and response.json()["status"] == "declined"
    response = client.post(f"{INTENTIONS}{approved.pk}/withdraw/", {}, format="json")
    assert response.status_code == 200 and response.json()["status"] == "withdrawn"
    assert list(AuditEntry.objects.order_by("pk").values_list("action", "actor", "note")) == [
        ("intention_approve", lender_user.pk, ""),
        ("intention_decline", lender_user.pk, "评级不足"),
        ("intention_withdraw", lender_user.pk, ""),
    ]


def test_approving_needs_the_approval_number(api_client, lender_user, bank):
    intention = IntentionFactory(lender=bank)
    client = api_client(lender_user)
    missing = client.post(f"{INTENTIONS}{intention.pk}/approve/", {}, format="json")
    assert missing.status_code == 400 and list(missing.json()) == ["approval_no"]
    blank = client.post(f"{INTENTIONS}{intention.pk}/approve/", {"approval_no": "  "}, format="json")
    assert blank.status_code == 400 and list(blank.json()) == ["approval_no"]
    intention.refresh_from_db()
    assert intention.status == "intended" and not AuditEntry.objects.exists()


def test_a_refused_intention_step_is_a_400_naming_why(api_client, lender_user, bank):
    intention = IntentionFactory(lender=bank, status="declined")
    response = api_client(lender_user).post(f"{INTENTIONS}{intention.pk}/withdraw/", {}, format="json")
    assert response.status_code == 400
    assert response.json() == {"status": ["授信意向当前状态为“未通过”，不能进行此操作。"]}


@pytest.mark.parametrize("step", ["approve", "decline", "withdraw"])
def test_another_banks_intention_is_a_404_and_city_staff_get_403(
    api_client, other_lender_user, city_user, huangpu_user, bank, step
):
    intention = IntentionFactory(lender=bank, demand__project=library_project())
    body = {"approval_no": "SX-1"}
    url = f"{INTENTIONS}{intention.pk}/{step}/"
    assert api_client(other_lender_user).post(url, body, format="json").json() == NOT_FOUND
    for user in (city_user, huangpu_user):
        response = api_client(user).post(url, body, format="json")
        assert response.status_code == 403 and "detail" in response.json()
    intention.refresh_from_db()
    assert intention.status == "intended"


def test_city_staff_sign_with_the_loan_registered(api_client, city_user, bank, other_bank, lender_user):
    intention = IntentionFactory(lender=bank, status="approved", approval_no="SX-1")
    project = intention.demand.project
    client = api_client(city_user)
    url = f"{INTENTIONS}{intention.pk}/sign/"
    wrong = client.post(url, {"loan": LoanFactory(project=project, lender=other_bank).pk}, format="json")
    assert wrong.status_code == 400 and wrong.json() == {"loan": ["所选贷款的贷款银行不是提出意向的银行。"]}
    assert client.post(url, {"loan": 0}, format="json").status_code == 400
    assert client.post(url, {}, format="json").status_code == 400
    loan = LoanFactory(project=project, lender=bank)
    assert api_client(lender_user).post(url, {"loan": loan.pk}, format="json").status_code == 403
    signed = client.post(url, {"loan": loan.pk}, format="json")
    assert signed.status_code == 200
    assert (signed.json()["status"], signed.json()["loan"]) == ("signed", loan.pk)
    intention.refresh_from_db()
    assert intention.loan == loan


def test_a_bank_never_sees_another_banks_intentions(api_client, lender_user, bank, other_bank, city_user):
    demand = DemandFactory()
    own = IntentionFactory(demand=demand, lender=bank)
    theirs = IntentionFactory(demand=demand, lender=other_bank, note="乙行内部意见")
    client = api_client(lender_user)
    response = client.get(INTENTIONS, {"page_size": 200})
    assert ids(response) == {own.pk}
    assert (
        other_bank.name.encode() not in response.content and "乙行内部意见".encode() not in response.content
    )
    assert client.get(f"{INTENTIONS}{theirs.pk}/").json() == NOT_FOUND
    # Its filters cannot widen its scope.
    assert ids(client.get(INTENTIONS, {"lender": other_bank.pk})) == set()
    assert ids(client.get(INTENTIONS, {"demand": demand.pk})) == {own.pk}
    assert ids(api_client(city_user).get(INTENTIONS)) == {own.pk, theirs.pk}


def test_a_district_sees_the_intentions_on_its_own_projects(api_client, huangpu_user):
    own = IntentionFactory(demand__project=library_project())
    other = IntentionFactory(demand__project=library_project("440104"))
    client = api_client(huangpu_user)
    assert ids(client.get(INTENTIONS)) == {own.pk}
    assert client.get(f"{INTENTIONS}{other.pk}/").json() == NOT_FOUND


def test_intention_filters(api_client, city_user, bank):
    hp, yx = DemandFactory(project=library_project()), DemandFactory(project=library_project("440104"))
    made = {
        "hp-bank": IntentionFactory(demand=hp, lender=bank),
        "hp-other": IntentionFactory(demand=hp, status="withdrawn"),
        "yx-bank": IntentionFactory(demand=yx, lender=bank, status="approved", approval_no="SX"),
    }

    def listed(**params):
        found = ids(api_client(city_user).get(INTENTIONS, params))
        return {name for name, intention in made.items() if intention.pk in found}

    assert listed(district="440104") == {"yx-bank"}
    assert listed(demand=hp.pk) == {"hp-bank", "hp-other"}
    assert listed(project=yx.project_id) == {"yx-bank"}
    assert listed(lender=bank.pk) == {"hp-bank", "yx-bank"}
    assert listed(status="withdrawn") == {"hp-other"}
    assert api_client(city_user).get(INTENTIONS, {"status": "maybe"}).status_code == 400
