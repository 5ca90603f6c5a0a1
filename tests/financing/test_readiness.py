"""Readiness (申报条件): each default programme's rule on a ready and an unready project, each kind of
missing condition, the project page's section, the API read, the ready list page, and constant queries."""

from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from financing import readiness
from financing.models import ProgrammeRule
from portfolio import access
from projects.choices import ProcedureStatus
from tests.factories import BatchEntryFactory, BatchFactory, ProcedureFactory, ProjectFactory, district

D = Decimal
ALL_KINDS = [
    "proposal",
    "feasibility",
    "land",
    "planning",
    "eia",
    "energy",
    "forest",
    "water_conservation",
    "construction_permit",
]
# A national code of Guangzhou's shape (project_national_code_shape).
CODES = iter(f"2026-440112-77-01-{n:06d}" for n in range(1, 10_000))


def ready_project(**fields) -> "ProjectFactory":
    """A library project with every procedure done, a national code, in the 成熟 stage, with coverage 1.5."""
    values = {
        "review_status": "accepted",
        "stage": "mature",
        "national_code": next(CODES),
        "expected_revenue": D("150000000"),
        "debt_service": D("100000000"),
        "district": district("440112"),
        **fields,
    }
    project = ProjectFactory(**values)
    for kind in ALL_KINDS:
        ProcedureFactory(project=project, kind=kind)
    return project


def verdict(project, programme):
    return next(v for v in readiness.project_readiness(project=project) if v.programme == programme)


PROGRAMMES = ["special_treasury_bond", "special_bond", "central_budget", "preparatory_fund", "policy_loan"]


@pytest.mark.django_db
@pytest.mark.parametrize("programme", PROGRAMMES)
def test_each_default_rule_passes_a_ready_project(programme):
    project = ready_project(stage="mature")
    result = verdict(project, programme)
    assert result.ready, result.missing
    assert result.missing == []


# An unready project for each programme, and what it lacks then.
UNREADY = {
    "special_treasury_bond": (
        {"stage": "planning"},
        {"planning": ProcedureStatus.IN_PROGRESS},
        ["前期手续未办结：规划许可（办理中）", "当前阶段为谋划，该渠道支持：成熟、实施"],
    ),
    "special_bond": (
        {"expected_revenue": D("105000000")},
        {},
        ["本息覆盖倍数 1.05 倍，低于要求的 1.20 倍"],
    ),
    "central_budget": (
        {"national_code": None},
        {"energy": ProcedureStatus.PENDING},
        ["前期手续未办结：节能审查（未办理）", "缺少全国投资项目代码"],
    ),
    "preparatory_fund": ({"stage": "implementation"}, {}, ["当前阶段为实施，该渠道支持：谋划、成熟"]),
    "policy_loan": (
        {},
        {"feasibility": ProcedureStatus.IN_PROGRESS, "land": ProcedureStatus.PENDING},
        ["前期手续未办结：可研批复（办理中）、用地（未办理）"],
    ),
}


@pytest.mark.django_db
@pytest.mark.parametrize("programme", PROGRAMMES)
def test_each_default_rule_lists_what_an_unready_project_lacks(programme):
    fields, procedures, expected = UNREADY[programme]
    project = ready_project(**fields)
    for kind, status in procedures.items():
        project.procedures.filter(kind=kind).update(status=status, approval_no="")
    result = verdict(project, programme)
    assert not result.ready
    assert result.missing == expected


@pytest.mark.django_db
def test_a_project_outside_the_library_and_a_kind_without_a_row():
    project = ProjectFactory(review_status="submitted", stage="mature", national_code=next(CODES))
    ProcedureFactory(project=project, kind="feasibility")
    ProcedureFactory(project=project, kind="land", status=ProcedureStatus.NOT_NEEDED, approval_no="")
    result = verdict(project, "policy_loan")
    # No eia row at all counts as 未办理; not_needed counts as satisfied.
    assert result.missing == ["项目尚未入库", "前期手续未办结：环评（未办理）"]


@pytest.mark.django_db
def test_coverage_needs_both_figures_and_rounds_down():
    project = ready_project(debt_service=None)
    assert verdict(project, "special_bond").missing == ["未填写预期收益或融资本息（收益与融资自求平衡）"]
    project = ready_project(expected_revenue=D("119900000"))
    assert verdict(project, "special_bond").missing == ["本息覆盖倍数 1.19 倍，低于要求的 1.20 倍"]
    project = ready_project(expected_revenue=D("120000000"))
    assert verdict(project, "special_bond").ready


@pytest.mark.django_db
def test_categories_and_inactive_rules():
    ProgrammeRule.objects.filter(programme="policy_loan").update(categories=["park", "low_carbon"])
    ProgrammeRule.objects.filter(programme="central_budget").update(active=False)
    project = ready_project(category="river_lake")
    verdicts = readiness.project_readiness(project=project)
    assert "central_budget" not in [v.programme for v in verdicts]
    assert verdict(project, "policy_loan").missing == ["项目类别为美丽河湖，该渠道支持：美丽园区、绿色低碳"]


@pytest.mark.django_db
def test_rules_validate_their_codes():
    rule = ProgrammeRule.objects.get(programme="special_bond")
    rule.required_procedures = ["feasibility", "nonsense"]
    with pytest.raises(Exception, match="无效的代码"):
        rule.full_clean()


# The API


@pytest.mark.django_db
def test_api_readiness(api_client, city_user, finance_user, huangpu_user, yuexiu_user, lender_user):
    project = ready_project(expected_revenue=D("100000000"))
    address = f"/api/v1/projects/{project.pk}/readiness/"
    response = api_client(city_user).get(address)
    assert response.status_code == 200
    programmes = {p["programme"]: p for p in response.json()["programmes"]}
    assert set(programmes) == set(PROGRAMMES)
    assert programmes["special_bond"] == {
        "programme": "special_bond",
        "label": "地方政府专项债券",
        "ready": False,
        "missing": ["本息覆盖倍数 1.00 倍，低于要求的 1.20 倍"],
    }
    assert programmes["policy_loan"]["ready"] is True
    assert api_client(finance_user).get(address).status_code == 200
    assert api_client(huangpu_user).get(address).status_code == 200
    assert api_client(yuexiu_user).get(address).status_code == 404
    assert api_client(lender_user).get(address).status_code == 403
    assert api_client(None).get(address).status_code in (401, 403)


# The project page's section


@pytest.mark.django_db
def test_the_project_page_shows_readiness_and_batches(client_for, city_user):
    project = ready_project(expected_revenue=D("105000000"))
    batch = BatchFactory(name="2026年第一批专项债券")
    BatchEntryFactory(
        batch=batch,
        project=project,
        outcome="approved",
        approved_amount=D("15000000"),
        document_no="穗财债〔2026〕8号",
        decided_on="2026-05-01",
    )
    response = client_for(city_user).get(reverse("projects:project_detail", args=[project.pk]))
    assert response.status_code == 200
    html = response.content.decode()
    assert 'id="readiness"' in html
    assert "本息覆盖倍数 1.05 倍，低于要求的 1.20 倍" in html
    assert "1.05 倍" in html
    assert "2026年第一批专项债券" in html and "穗财债〔2026〕8号" in html


@pytest.mark.django_db
def test_the_panel_is_a_constant_number_of_queries(city_user, django_assert_num_queries):
    project = ready_project()
    BatchEntryFactory(project=project)
    access.role_of(city_user)  # the role, read once per request
    with django_assert_num_queries(3):
        panel = readiness.readiness_panel(user=city_user, project=project)
    assert len(panel["verdicts"]) == 5 and len(panel["entries"]) == 1


@pytest.mark.django_db
def test_the_panel_hides_another_districts_entries_from_a_district_user(huangpu_user, yuexiu_user):
    project = ready_project()
    BatchEntryFactory(project=project)
    assert len(readiness.readiness_panel(user=huangpu_user, project=project)["entries"]) == 1
    assert readiness.readiness_panel(user=yuexiu_user, project=project)["entries"] == []


# The ready list


def ready_url(**params):
    from urllib.parse import urlencode

    return reverse("financing:ready_list") + ("?" + urlencode(params) if params else "")


@pytest.mark.django_db
def test_the_ready_list_shows_ready_projects_not_yet_put_forward(client_for, city_user):
    ready = ready_project(name="可申报项目甲")
    submitted = ready_project(name="已申报项目乙")
    refused = ready_project(name="曾未获批项目丙")
    unready = ready_project(name="不满足项目丁", national_code=None)
    BatchEntryFactory(project=submitted, batch=BatchFactory(programme="policy_loan", year=2026))
    BatchEntryFactory(
        project=refused, batch=BatchFactory(programme="policy_loan", year=2026), outcome="rejected"
    )
    response = client_for(city_user).get(ready_url(programme="policy_loan", year=2026))
    assert response.status_code == 200
    html = response.content.decode()
    assert ready.name in html and refused.name in html and "本年曾未获批" in html
    assert submitted.name not in html and unready.name not in html
    # Another year: the one in a 2026 batch is not submitted for 2027.
    html = client_for(city_user).get(ready_url(programme="policy_loan", year=2027)).content.decode()
    assert submitted.name in html
    # The unready ones, with what they lack.
    html = client_for(city_user).get(ready_url(programme="policy_loan", year=2026, show="unready"))
    html = html.content.decode()
    assert unready.name in html and "缺少全国投资项目代码" in html and ready.name not in html


@pytest.mark.django_db
def test_the_ready_list_is_scoped_and_filters_by_district(client_for, huangpu_user, city_user, lender_user):
    own = ready_project(name="黄埔项目")
    other = ready_project(name="越秀项目", district=district("440104"))
    html = client_for(huangpu_user).get(ready_url(programme="policy_loan")).content.decode()
    assert own.name in html and other.name not in html
    html = client_for(city_user).get(ready_url(programme="policy_loan", district="440104")).content.decode()
    assert other.name in html and own.name not in html
    assert client_for(lender_user).get(ready_url()).status_code == 403
    assert client_for(None).get(ready_url()).status_code == 302


@pytest.mark.django_db
def test_the_ready_list_ignores_bad_filters(client_for, city_user):
    response = client_for(city_user).get(ready_url(programme="nonsense", year="x", district="999999"))
    assert response.status_code == 200


def _queries(client, address):
    client.get(address)
    with CaptureQueriesContext(connection) as captured:
        assert client.get(address).status_code == 200
    return len(captured)


def _grow(n):
    for _i in range(n):
        project = ready_project()
        BatchEntryFactory(project=project, batch=BatchFactory(programme="special_bond", year=2026))
        ready_project(national_code=None)


@pytest.mark.django_db
def test_the_ready_list_and_the_project_page_are_constant_queries(client_for, city_user, huangpu_user):
    project = ready_project()
    BatchEntryFactory(project=project)
    pages = [
        (city_user, ready_url(programme="special_bond", year=2026)),
        (city_user, ready_url(programme="special_bond", year=2026, show="unready")),
        (huangpu_user, ready_url(programme="policy_loan")),
    ]
    _grow(2)
    before = [_queries(client_for(user), address) for user, address in pages]
    _grow(4)
    after = [_queries(client_for(user), address) for user, address in pages]
    assert before == after
