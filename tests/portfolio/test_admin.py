"""The admin: city staff only, in Chinese, every write audited, the services' rules enforced."""

import datetime
from decimal import Decimal
from html.parser import HTMLParser

import pytest
from django.contrib import admin
from django.urls import reverse

from financing.models import Disbursement, Organization
from portfolio.models import AuditEntry
from projects.models import Project
from tests.factories import (
    DisbursementFactory,
    LoanFactory,
    MilestoneFactory,
    ProjectFactory,
    RepaymentFactory,
)

pytestmark = pytest.mark.django_db


class _FormReader(HTMLParser):
    """The values a browser would send for the page's main form."""

    def __init__(self):
        super().__init__()
        self.data, self._select, self._textarea = {}, None, None

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        name = attrs.get("name")
        if tag == "input" and name and attrs.get("type") not in {"submit", "button", "file"}:
            if attrs.get("type") in {"checkbox", "radio"}:
                if "checked" in attrs:
                    self.data[name] = attrs.get("value", "on")
            else:
                self.data[name] = attrs.get("value", "")
        elif tag == "select" and name:
            self._select = name
            if "multiple" not in attrs:  # a browser sends nothing for a multiple select left empty
                self.data.setdefault(name, "")
        elif tag == "option" and self._select and "selected" in attrs:
            self.data[self._select] = attrs.get("value", "")
        elif tag == "textarea" and name:
            self._textarea = name
            self.data[name] = ""

    def handle_endtag(self, tag):
        if tag == "select":
            self._select = None
        elif tag == "textarea":
            self._textarea = None

    def handle_data(self, data):
        if self._textarea:
            self.data[self._textarea] += data.removeprefix("\n") if not self.data[self._textarea] else data


def form_data(client, url) -> dict:
    response = client.get(url)
    assert response.status_code == 200, response.status_code
    reader = _FormReader()
    reader.feed(response.content.decode())
    reader.data.pop("csrfmiddlewaretoken", None)
    return reader.data


@pytest.fixture
def staff_client(client, city_user):
    client.force_login(city_user)
    return client


@pytest.mark.parametrize("user", ["finance_user", "huangpu_user", "no_role_user"])
def test_only_city_staff_reach_the_admin(client, user, request):
    account = request.getfixturevalue(user)
    account.is_staff = True  # even a staff flag does not open it without the role
    account.save()
    client.force_login(account)
    for url in (reverse("admin:index"), reverse("admin:projects_project_changelist")):
        response = client.get(url)
        assert response.status_code == 302 and "/admin/login/" in response["Location"]


def test_every_admin_list_add_and_change_page_opens(staff_client):
    project = ProjectFactory()
    MilestoneFactory(project=project)
    RepaymentFactory(loan=DisbursementFactory(loan__project=project).loan)
    index = staff_client.get(reverse("admin:index"))
    assert "数据管理" in index.content.decode()
    for model, model_admin in admin.site._registry.items():
        meta = model._meta
        changelist = staff_client.get(
            reverse(f"admin:{meta.app_label}_{meta.model_name}_changelist"), {"q": "测试"}
        )
        assert changelist.status_code == 200, model
        if model_admin.has_add_permission(changelist.wsgi_request):
            assert (
                staff_client.get(reverse(f"admin:{meta.app_label}_{meta.model_name}_add")).status_code == 200
            )
        obj = model.objects.first()
        if obj is not None:
            url = reverse(f"admin:{meta.app_label}_{meta.model_name}_change", args=[obj.pk])
            assert staff_client.get(url).status_code == 200, model


def test_admin_edit_is_audited_and_cannot_move_the_workflow(staff_client, city_user):
    project = ProjectFactory(name="原名称", total_investment=Decimal("100.00"))
    url = reverse("admin:projects_project_change", args=[project.pk])
    data = form_data(staff_client, url) | {
        "name": "新名称",
        "total_investment": "250.00",
        "stage": "completed",
    }
    response = staff_client.post(url, data)
    assert response.status_code == 302, response.context["adminform"].form.errors if response.context else ""
    project.refresh_from_db()
    assert project.name == "新名称" and project.stage == "planning"
    entry = AuditEntry.objects.get()
    assert entry.action == "admin_change" and entry.actor == city_user and entry.project == project
    assert entry.changes["name"] == ["原名称", "新名称"]
    assert entry.changes["total_investment"] == ["100.00", "250.00"]
    assert "stage" not in entry.changes


def test_admin_inline_milestone_is_audited(staff_client):
    project = ProjectFactory()
    url = reverse("admin:projects_project_change", args=[project.pk])
    data = form_data(staff_client, url) | {
        "milestones-TOTAL_FORMS": "1",
        "milestones-0-name": "施工招标",
        "milestones-0-planned_date": "2025-09-30",
        "milestones-0-project": str(project.pk),
    }
    assert staff_client.post(url, data).status_code == 302
    entry = AuditEntry.objects.get(action="admin_add")
    assert entry.changes["name"] == [None, "施工招标"] and entry.project == project


def test_admin_project_with_bad_values_shows_the_message(staff_client):
    project = ProjectFactory()
    url = reverse("admin:projects_project_change", args=[project.pk])
    data = form_data(staff_client, url) | {"start_year": "2030", "end_year": "2026"}
    response = staff_client.post(url, data)
    assert response.status_code == 200
    assert "计划完工年份不能早于计划开工年份。" in response.content.decode()
    assert not AuditEntry.objects.exists()


def test_admin_disbursement_beyond_principal_is_refused(staff_client):
    loan = LoanFactory(principal=Decimal("100.00"))
    DisbursementFactory(loan=loan, amount=Decimal("90.00"))
    url = reverse("admin:financing_disbursement_add")
    response = staff_client.post(url, {"loan": loan.pk, "date": "2025-03-01", "amount": "10.01", "note": ""})
    assert response.status_code == 200
    assert "提款金额 10.01 元超过未提款余额 10.00 元。" in response.content.decode()
    assert Disbursement.objects.count() == 1 and not AuditEntry.objects.exists()
    response = staff_client.post(url, {"loan": loan.pk, "date": "2025-03-01", "amount": "10.00", "note": ""})
    assert response.status_code == 302
    assert AuditEntry.objects.get().changes["amount"] == [None, "10.00"]


def test_admin_disbursement_correction_keeps_repaid_covered(staff_client):
    loan = LoanFactory(principal=Decimal("100.00"))
    disbursement = DisbursementFactory(loan=loan, amount=Decimal("50.00"))
    RepaymentFactory(loan=loan, principal=Decimal("30.00"))
    url = reverse("admin:financing_disbursement_change", args=[disbursement.pk])
    data = form_data(staff_client, url) | {"amount": "20.00"}
    response = staff_client.post(url, data)
    assert response.status_code == 200
    assert "修改后提款合计不能少于已偿还本金 30.00 元。" in response.content.decode()
    disbursement.refresh_from_db()
    assert disbursement.amount == Decimal("50.00")


def test_admin_repayment_beyond_outstanding_is_refused(staff_client):
    loan = LoanFactory(principal=Decimal("100.00"))
    DisbursementFactory(loan=loan, amount=Decimal("40.00"))
    response = staff_client.post(
        reverse("admin:financing_repayment_add"),
        {"loan": loan.pk, "date": "2025-06-01", "principal": "40.01", "interest": "0", "note": ""},
    )
    assert response.status_code == 200
    assert "偿还本金 40.01 元超过未偿还本金 40.00 元。" in response.content.decode()


def test_admin_loan_principal_below_disbursed_is_refused(staff_client):
    loan = LoanFactory(principal=Decimal("100.00"))
    DisbursementFactory(loan=loan, amount=Decimal("80.00"))
    url = reverse("admin:financing_loan_change", args=[loan.pk])
    data = form_data(staff_client, url) | {"principal": "70.00"}
    response = staff_client.post(url, data)
    assert response.status_code == 200
    assert "贷款金额不能小于已提款金额 80.00 元。" in response.content.decode()
    loan.refresh_from_db()
    assert loan.principal == Decimal("100.00")


def test_admin_organization_check_character(staff_client):
    url = reverse("admin:financing_organization_add")
    data = {"name": "某公司", "kind": "enterprise", "uscc": "91350100M000100Y44", "uscc_confirm_reason": ""}
    response = staff_client.post(url, data)
    assert response.status_code == 200 and "校验位应为 3" in response.content.decode()
    assert not Organization.objects.exists()
    response = staff_client.post(url, data | {"uscc_confirm_reason": "早期赋码，已核对营业执照"})
    assert response.status_code == 302
    assert Organization.objects.get().uscc_check_failed is True


def test_admin_may_not_delete_a_project_in_review(staff_client):
    project = ProjectFactory(review_status="submitted")
    response = staff_client.post(reverse("admin:projects_project_delete", args=[project.pk]), {"post": "yes"})
    assert response.status_code == 403
    assert Project.objects.filter(pk=project.pk).exists()


def test_admin_deleting_a_draft_is_audited(staff_client):
    project = ProjectFactory(name="草稿项目", review_status="draft")
    response = staff_client.post(reverse("admin:projects_project_delete", args=[project.pk]), {"post": "yes"})
    assert response.status_code == 302
    entry = AuditEntry.objects.get(action="admin_delete")
    assert entry.changes["name"] == ["草稿项目", None] and entry.object_repr.endswith("草稿项目")


def test_admin_account_edit_is_audited_without_the_password(staff_client, huangpu_user):
    url = reverse("admin:auth_user_change", args=[huangpu_user.pk])
    data = form_data(staff_client, url) | {"first_name": "小黄"}
    assert staff_client.post(url, data).status_code == 302
    entry = AuditEntry.objects.get()
    assert entry.changes["first_name"] == ["", "小黄"] and "password" not in entry.changes
    assert datetime.date.today().year >= 2025


def test_admin_is_in_chinese_whatever_the_browser_asks(staff_client):
    response = staff_client.get(
        reverse("admin:financing_loan_changelist"), HTTP_ACCEPT_LANGUAGE="en-US,en;q=0.9"
    )
    page = response.content.decode()
    assert response["Content-Language"] == "zh-hans"
    assert "选择 贷款 来修改" in page and "首页" in page


def test_english_only_when_chosen(staff_client):
    staff_client.post(reverse("set_language"), {"language": "en", "next": "/"})
    page = staff_client.get(reverse("admin:financing_loan_changelist")).content.decode()
    assert "Select Loan to change" in page


def test_a_disbursement_cannot_be_moved_to_another_loan(staff_client):
    first, second = LoanFactory(principal=Decimal("100.00")), LoanFactory(principal=Decimal("100.00"))
    disbursement = DisbursementFactory(loan=first, amount=Decimal("50.00"))
    RepaymentFactory(loan=first, principal=Decimal("40.00"))
    url = reverse("admin:financing_disbursement_change", args=[disbursement.pk])
    data = form_data(staff_client, url)
    assert "loan" not in data
    assert staff_client.post(url, data | {"loan": str(second.pk), "note": "改"}).status_code == 302
    disbursement.refresh_from_db()
    assert disbursement.loan == first and disbursement.note == "改"


def test_a_stale_admin_form_is_refused(staff_client, city_user):
    from projects import services

    project = ProjectFactory(name="原名称")
    url = reverse("admin:projects_project_change", args=[project.pk])
    opened = form_data(staff_client, url)
    services.project_update(project=project, acting_user=city_user, name="他人已改")
    response = staff_client.post(url, opened | {"name": "我的修改"})
    assert response.status_code == 200
    assert "该项目在您打开后已被他人修改，请刷新后重新编辑。" in response.content.decode()
    project.refresh_from_db()
    assert project.name == "他人已改"


def test_an_admin_save_moves_updated_at_and_version(staff_client):
    project = ProjectFactory(updated_at=datetime.datetime(2024, 1, 1, tzinfo=datetime.UTC))
    url = reverse("admin:projects_project_change", args=[project.pk])
    assert staff_client.post(url, form_data(staff_client, url) | {"name": "新"}).status_code == 302
    project.refresh_from_db()
    assert project.version == 2 and project.updated_at.year > 2024


def test_bulk_delete_of_drafts_audits_each_with_its_milestones(staff_client):
    drafts = [ProjectFactory(review_status="draft") for _ in range(2)]
    MilestoneFactory(project=drafts[0])
    response = staff_client.post(
        reverse("admin:projects_project_changelist"),
        {"action": "delete_selected", "_selected_action": [p.pk for p in drafts], "post": "yes"},
    )
    assert response.status_code == 302
    assert not Project.objects.exists()
    deleted = AuditEntry.objects.filter(action="admin_delete")
    assert deleted.count() == 3
    assert {entry.content_type.model for entry in deleted} == {"project", "milestone"}


def test_account_role_and_district_changes_are_audited(staff_client, huangpu_user):
    from django.contrib.auth.models import Group

    url = reverse("admin:auth_user_change", args=[huangpu_user.pk])
    data = form_data(staff_client, url)
    assert data["profile-0-district"] == "440112"
    data |= {"profile-0-district": "440104", "groups": str(Group.objects.get(name="finance").pk)}
    assert staff_client.post(url, data).status_code == 302
    entry = AuditEntry.objects.get()
    assert entry.changes["district"] == ["440112", "440104"]
    assert entry.changes["roles"] == [["district_user"], ["finance"]]


def test_admin_password_change_and_delete_are_audited(staff_client, huangpu_user):
    url = reverse("admin:auth_user_password_change", args=[huangpu_user.pk])
    response = staff_client.post(url, {"password1": "Xin-mima-2025!", "password2": "Xin-mima-2025!"})
    assert response.status_code == 302
    entry = AuditEntry.objects.get()
    assert entry.action == "admin_password_change" and entry.note == "修改了密码" and entry.changes == {}
    response = staff_client.post(reverse("admin:auth_user_delete", args=[huangpu_user.pk]), {"post": "yes"})
    assert response.status_code == 302
    assert AuditEntry.objects.filter(action="admin_delete", object_repr="huangpu_a").exists()
