"""The admin site (portfolio.admin): city staff only, in Chinese, every page of every model opens, and the
accounts' changes audited without their passwords."""

import datetime

import pytest
from django.contrib import admin
from django.urls import reverse

from portfolio.models import AuditEntry
from projects.models import InvestmentPlan, Problem, ProgressReport
from tests.factories import DisbursementFactory, MilestoneFactory, ProjectFactory, RepaymentFactory

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("user", ["finance_user", "huangpu_user", "no_role_user"])
def test_only_city_staff_reach_the_admin(client_for, user, request):
    account = request.getfixturevalue(user)
    account.is_staff = True  # even a staff flag does not open it without the role
    account.save()
    client = client_for(account)
    for url in (reverse("admin:index"), reverse("admin:projects_project_changelist")):
        response = client.get(url)
        assert response.status_code == 302 and "/admin/login/" in response["Location"]


def test_every_admin_list_add_and_change_page_opens(city_client):
    project = ProjectFactory()
    MilestoneFactory(project=project)
    RepaymentFactory(loan=DisbursementFactory(loan__project=project).loan)
    report = ProgressReport.objects.create(project=project, period=datetime.date(2025, 3, 1))
    InvestmentPlan.objects.create(project=project, year=2025, planned_amount=1, kind="continuing")
    Problem.objects.create(project=project, report=report, category="land", description="征地未完成")
    index = city_client.get(reverse("admin:index"))
    assert "数据管理" in index.content.decode()
    for model, model_admin in admin.site._registry.items():
        meta = model._meta
        changelist = city_client.get(
            reverse(f"admin:{meta.app_label}_{meta.model_name}_changelist"), {"q": "测试"}
        )
        assert changelist.status_code == 200, model
        if model_admin.has_add_permission(changelist.wsgi_request):
            assert (
                city_client.get(reverse(f"admin:{meta.app_label}_{meta.model_name}_add")).status_code == 200
            )
        obj = model.objects.first()
        if obj is not None:
            url = reverse(f"admin:{meta.app_label}_{meta.model_name}_change", args=[obj.pk])
            assert city_client.get(url).status_code == 200, model


def test_admin_account_edit_is_audited_without_the_password(city_client, huangpu_user, form_data):
    url = reverse("admin:auth_user_change", args=[huangpu_user.pk])
    data = form_data(city_client, url) | {"first_name": "小黄"}
    assert city_client.post(url, data).status_code == 302
    entry = AuditEntry.objects.get()
    assert entry.changes["first_name"] == ["", "小黄"] and "password" not in entry.changes
    assert datetime.date.today().year >= 2025


def test_admin_is_in_chinese_whatever_the_browser_asks(city_client):
    response = city_client.get(
        reverse("admin:financing_loan_changelist"), HTTP_ACCEPT_LANGUAGE="en-US,en;q=0.9"
    )
    page = response.content.decode()
    assert response["Content-Language"] == "zh-hans"
    assert "选择 贷款 来修改" in page and "首页" in page


def test_english_only_when_chosen(city_client):
    city_client.post(reverse("set_language"), {"language": "en", "next": "/"})
    page = city_client.get(reverse("admin:financing_loan_changelist")).content.decode()
    assert "Select Loan to change" in page


def test_account_role_and_district_changes_are_audited(city_client, huangpu_user, form_data):
    from django.contrib.auth.models import Group

    url = reverse("admin:auth_user_change", args=[huangpu_user.pk])
    data = form_data(city_client, url)
    assert data["profile-0-district"] == "440112"
    data |= {"profile-0-district": "440104", "groups": str(Group.objects.get(name="finance").pk)}
    assert city_client.post(url, data).status_code == 302
    entry = AuditEntry.objects.get()
    assert entry.changes["district"] == ["440112", "440104"]
    assert entry.changes["roles"] == [["district_user"], ["finance"]]


def test_admin_password_change_and_delete_are_audited(city_client, huangpu_user):
    url = reverse("admin:auth_user_password_change", args=[huangpu_user.pk])
    response = city_client.post(url, {"password1": "Xin-mima-2025!", "password2": "Xin-mima-2025!"})
    assert response.status_code == 302
    entry = AuditEntry.objects.get()
    assert entry.action == "admin_password_change" and entry.note == "修改了密码" and entry.changes == {}
    response = city_client.post(reverse("admin:auth_user_delete", args=[huangpu_user.pk]), {"post": "yes"})
    assert response.status_code == 302
    assert AuditEntry.objects.filter(action="admin_delete", object_repr="huangpu_a").exists()


# -- a lender's bank -------------------------------------------------------------------------------


def lender_group_pk() -> str:
    from django.contrib.auth.models import Group

    return str(Group.objects.get(name="lender").pk)


def test_the_account_page_shows_and_changes_a_lenders_bank_audited(
    city_client, lender_user, bank, other_bank, form_data
):
    from financing.models import Organization
    from tests.factories import OrganizationFactory

    company = OrganizationFactory(name="某建设投资有限公司")
    url = reverse("admin:auth_user_change", args=[lender_user.pk])
    page = city_client.get(url).content.decode()
    assert "所属银行" in page and bank.name in page and other_bank.name in page
    assert company.name not in page  # only banks are offered
    data = form_data(city_client, url)
    assert data["profile-0-organization"] == str(bank.pk)
    assert city_client.post(url, data | {"profile-0-organization": str(other_bank.pk)}).status_code == 302
    lender_user.profile.refresh_from_db()
    assert lender_user.profile.organization == other_bank
    entry = AuditEntry.objects.get()
    assert entry.action == "admin_change" and entry.actor.username == "city_a"
    assert entry.changes["organization"] == [bank.pk, other_bank.pk]
    changelist = city_client.get(reverse("admin:auth_user_changelist")).content.decode()
    assert other_bank.name in changelist
    assert Organization.objects.filter(kind="bank").count() == 2


def test_a_lender_without_a_bank_is_refused(city_client, lender_user, bank, form_data):
    url = reverse("admin:auth_user_change", args=[lender_user.pk])
    data = form_data(city_client, url) | {"profile-0-organization": ""}
    response = city_client.post(url, data)
    assert response.status_code == 200 and "贷款银行账户必须指定所属银行。" in response.content.decode()
    lender_user.profile.refresh_from_db()
    assert lender_user.profile.organization == bank and not AuditEntry.objects.exists()


def test_a_new_lender_role_needs_a_bank_and_gets_one(city_client, finance_user, bank, form_data):
    url = reverse("admin:auth_user_change", args=[finance_user.pk])
    data = form_data(city_client, url) | {"groups": lender_group_pk()}
    response = city_client.post(url, data)
    assert response.status_code == 200 and "贷款银行账户必须指定所属银行。" in response.content.decode()
    assert list(finance_user.groups.values_list("name", flat=True)) == ["finance"]
    response = city_client.post(url, data | {"profile-0-organization": str(bank.pk)})
    assert response.status_code == 302
    entry = AuditEntry.objects.get()
    assert entry.changes["roles"] == [["finance"], ["lender"]]
    assert entry.changes["organization"] == [None, bank.pk]


@pytest.mark.parametrize("role", ["finance", "city_staff", "district_user"])
def test_only_a_lender_names_a_bank(city_client, huangpu_user, bank, form_data, role):
    from django.contrib.auth.models import Group

    url = reverse("admin:auth_user_change", args=[huangpu_user.pk])
    groups = str(Group.objects.get(name=role).pk)
    if role == "district_user":  # a lender's group besides a member's: the member's role wins
        groups = [groups, lender_group_pk()]
    data = form_data(city_client, url) | {"groups": groups, "profile-0-organization": str(bank.pk)}
    response = city_client.post(url, data)
    assert response.status_code == 200
    assert "只有贷款银行账户（lender）需要指定所属银行。" in response.content.decode()
    huangpu_user.profile.refresh_from_db()
    assert huangpu_user.profile.organization is None and not AuditEntry.objects.exists()


def test_an_organisation_that_is_not_a_bank_is_refused(city_client, lender_user, bank, form_data):
    from tests.factories import OrganizationFactory

    company = OrganizationFactory()
    url = reverse("admin:auth_user_change", args=[lender_user.pk])
    data = form_data(city_client, url) | {"profile-0-organization": str(company.pk)}
    response = city_client.post(url, data)
    assert response.status_code == 200 and "选择一个有效的选项" in response.content.decode()
    lender_user.profile.refresh_from_db()
    assert lender_user.profile.organization == bank
