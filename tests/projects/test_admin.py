"""The admin of projects' models: every write audited, the workflow and the services' rules kept."""

import datetime
from decimal import Decimal

import pytest
from django.urls import reverse

from portfolio.models import AuditEntry
from projects.models import Project
from tests.factories import MilestoneFactory, ProjectFactory

pytestmark = pytest.mark.django_db


def test_admin_edit_is_audited_and_cannot_move_the_workflow(city_client, city_user, form_data):
    project = ProjectFactory(name="原名称", total_investment=Decimal("100.00"))
    url = reverse("admin:projects_project_change", args=[project.pk])
    data = form_data(city_client, url) | {
        "name": "新名称",
        "total_investment": "250.00",
        "stage": "completed",
    }
    response = city_client.post(url, data)
    assert response.status_code == 302, response.context["adminform"].form.errors if response.context else ""
    project.refresh_from_db()
    assert project.name == "新名称" and project.stage == "planning"
    entry = AuditEntry.objects.get()
    assert entry.action == "admin_change" and entry.actor == city_user and entry.project == project
    assert entry.changes["name"] == ["原名称", "新名称"]
    assert entry.changes["total_investment"] == ["100.00", "250.00"]
    assert "stage" not in entry.changes


def test_admin_inline_milestone_is_audited(city_client, form_data):
    project = ProjectFactory()
    url = reverse("admin:projects_project_change", args=[project.pk])
    data = form_data(city_client, url) | {
        "milestones-TOTAL_FORMS": "1",
        "milestones-0-name": "施工招标",
        "milestones-0-planned_date": "2025-09-30",
        "milestones-0-project": str(project.pk),
    }
    assert city_client.post(url, data).status_code == 302
    entry = AuditEntry.objects.get(action="admin_add")
    assert entry.changes["name"] == [None, "施工招标"] and entry.project == project


def test_admin_project_with_bad_values_shows_the_message(city_client, form_data):
    project = ProjectFactory()
    url = reverse("admin:projects_project_change", args=[project.pk])
    data = form_data(city_client, url) | {"start_year": "2030", "end_year": "2026"}
    response = city_client.post(url, data)
    assert response.status_code == 200
    assert "计划完工年份不能早于计划开工年份。" in response.content.decode()
    assert not AuditEntry.objects.exists()


def test_admin_may_not_delete_a_project_in_review(city_client):
    project = ProjectFactory(review_status="submitted")
    response = city_client.post(reverse("admin:projects_project_delete", args=[project.pk]), {"post": "yes"})
    assert response.status_code == 403
    assert Project.objects.filter(pk=project.pk).exists()


def test_admin_deleting_a_draft_is_audited(city_client):
    project = ProjectFactory(name="草稿项目", review_status="draft")
    response = city_client.post(reverse("admin:projects_project_delete", args=[project.pk]), {"post": "yes"})
    assert response.status_code == 302
    entry = AuditEntry.objects.get(action="admin_delete")
    assert entry.changes["name"] == ["草稿项目", None] and entry.object_repr.endswith("草稿项目")


def test_a_stale_admin_form_is_refused(city_client, city_user, form_data):
    from projects import services

    project = ProjectFactory(name="原名称")
    url = reverse("admin:projects_project_change", args=[project.pk])
    opened = form_data(city_client, url)
    services.project_update(project=project, acting_user=city_user, name="他人已改")
    response = city_client.post(url, opened | {"name": "我的修改"})
    assert response.status_code == 200
    assert "该项目在您打开后已被他人修改，请刷新后重新编辑。" in response.content.decode()
    project.refresh_from_db()
    assert project.name == "他人已改"


def test_an_admin_save_moves_updated_at_and_version(city_client, form_data):
    project = ProjectFactory(updated_at=datetime.datetime(2024, 1, 1, tzinfo=datetime.UTC))
    url = reverse("admin:projects_project_change", args=[project.pk])
    assert city_client.post(url, form_data(city_client, url) | {"name": "新"}).status_code == 302
    project.refresh_from_db()
    assert project.version == 2 and project.updated_at.year > 2024


def test_bulk_delete_of_drafts_audits_each_with_its_milestones(city_client):
    drafts = [ProjectFactory(review_status="draft") for _ in range(2)]
    MilestoneFactory(project=drafts[0])
    response = city_client.post(
        reverse("admin:projects_project_changelist"),
        {"action": "delete_selected", "_selected_action": [p.pk for p in drafts], "post": "yes"},
    )
    assert response.status_code == 302
    assert not Project.objects.exists()
    deleted = AuditEntry.objects.filter(action="admin_delete")
    assert deleted.count() == 3
    assert {entry.content_type.model for entry in deleted} == {"project", "milestone"}
