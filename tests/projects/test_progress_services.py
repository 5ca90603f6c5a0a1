"""The monthly dispatch's services (projects/services/progress.py): annual plans within the remaining
investment, the months a project reports, progress that never goes down, the review of a report with its
lock, reopen and versions, the problem ledger; each write with its audit entry under its project."""

import datetime
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from portfolio.errors import StaleObjectError
from portfolio.models import AuditEntry
from projects.choices import PlanStatus, ProblemStatus, ReportStatus, Stage
from projects.models import InvestmentPlan, Problem, ProgressReport, StageChange
from projects.services import progress as services
from tests.factories import ProjectFactory, district

pytestmark = pytest.mark.django_db
D = Decimal


# -- builders ----------------------------------------------------------------------------------------


def library_project(**values):
    """A project in the library, under construction (it reports every month from its start year)."""
    values = {"review_status": "accepted", "stage": Stage.IMPLEMENTATION, "start_year": 2025} | values
    return ProjectFactory(**values)


def month(text: str) -> datetime.date:
    year, number = text.split("-")
    return datetime.date(int(year), int(number), 1)


def report_of(project, period: str, **values) -> ProgressReport:
    """A report written straight into the table (a dataset, not a write under test)."""
    return ProgressReport.objects.create(project=project, period=month(period), **values)


def accepted_report(project, period: str, city_user, **values) -> ProgressReport:
    """A report taken through the services to accepted."""
    report = services.report_create(acting_user=city_user, project=project, period=month(period), **values)
    report = services.report_submit(acting_user=city_user, report=report)
    return services.report_accept(acting_user=city_user, report=report)


def plan_fields(**values):
    return {"planned_amount": D("10000000.00"), "kind": "continuing", "target": "完成主体工程"} | values


# -- annual plans ------------------------------------------------------------------------------------


def test_a_plan_beyond_the_remaining_investment_is_refused_with_the_amount_over(huangpu_user):
    project = library_project(total_investment=D("100000000.00"))
    report_of(project, "2025-06", completed_amount=D("20000000.00"))
    report_of(project, "2025-12", completed_amount=D("10000000.00"))
    with pytest.raises(ValidationError) as refused:
        services.plan_create(
            acting_user=huangpu_user,
            project=project,
            year=2026,
            **plan_fields(planned_amount=D("70000000.01")),
        )
    message = refused.value.message_dict["planned_amount"][0]
    assert "超出剩余投资 0.00 万元" in message  # 0.01 元 over
    assert "剩余 7,000.00 万元" in message and "以前年度已完成 3,000.00 万元" in message
    with pytest.raises(ValidationError) as refused:
        services.plan_create(
            acting_user=huangpu_user,
            project=project,
            year=2026,
            **plan_fields(planned_amount=D("80000000.00")),
        )
    assert "超出剩余投资 1,000.00 万元" in refused.value.message_dict["planned_amount"][0]
    assert not InvestmentPlan.objects.exists()
    plan = services.plan_create(
        acting_user=huangpu_user, project=project, year=2026, **plan_fields(planned_amount=D("70000000.00"))
    )
    assert plan.planned_amount == D("70000000.00") and plan.status == PlanStatus.DRAFT


def test_one_plan_per_project_and_year(huangpu_user):
    project = library_project()
    services.plan_create(acting_user=huangpu_user, project=project, year=2026, **plan_fields())
    with pytest.raises(ValidationError) as refused:
        services.plan_create(acting_user=huangpu_user, project=project, year=2026, **plan_fields())
    assert "该项目该年度已有投资计划。" in refused.value.messages
    services.plan_create(acting_user=huangpu_user, project=project, year=2027, **plan_fields())
    assert InvestmentPlan.objects.filter(project=project).count() == 2


def test_a_district_drafts_its_own_projects_plans_only(huangpu_user):
    own = library_project()
    other = library_project(district=district("440104"))
    plan = services.plan_create(acting_user=huangpu_user, project=own, year=2026, **plan_fields())
    services.plan_update(acting_user=huangpu_user, plan=plan, target="改后的目标")
    plan.refresh_from_db()
    assert plan.target == "改后的目标"
    with pytest.raises(PermissionDenied):
        services.plan_create(acting_user=huangpu_user, project=other, year=2026, **plan_fields())
    assert not InvestmentPlan.objects.filter(project=other).exists()


def test_a_plan_of_a_project_outside_the_library_is_refused(huangpu_user):
    draft = ProjectFactory()
    with pytest.raises(ValidationError):
        services.plan_create(acting_user=huangpu_user, project=draft, year=2026, **plan_fields())


def test_a_confirmed_plan_is_changed_by_city_staff_only_with_a_reason(huangpu_user, city_user):
    plan = services.plan_create(
        acting_user=huangpu_user, project=library_project(), year=2026, **plan_fields()
    )
    with pytest.raises(PermissionDenied):
        services.plan_confirm(acting_user=huangpu_user, plan=plan)
    services.plan_confirm(acting_user=city_user, plan=plan)
    plan.refresh_from_db()
    assert plan.status == PlanStatus.CONFIRMED and plan.confirmed_by == city_user
    with pytest.raises(ValidationError):
        services.plan_confirm(acting_user=city_user, plan=plan)
    with pytest.raises(PermissionDenied):
        services.plan_update(acting_user=huangpu_user, plan=plan, reason="区里想改", target="区改")
    with pytest.raises(ValidationError) as refused:
        services.plan_update(acting_user=city_user, plan=plan, planned_amount=D("20000000.00"))
    assert set(refused.value.message_dict) == {"reason"}
    plan.refresh_from_db()
    assert plan.planned_amount == D("10000000.00")
    services.plan_update(
        acting_user=city_user, plan=plan, reason="年中调整：征拆延后", planned_amount=D("20000000.00")
    )
    plan.refresh_from_db()
    assert plan.planned_amount == D("20000000.00")
    entry = AuditEntry.objects.get(action="plan_adjust")
    assert entry.note == "年中调整：征拆延后" and entry.project_id == plan.project_id
    assert entry.changes["planned_amount"] == ["10000000.00", "20000000.00"]


# -- which months a project reports ------------------------------------------------------------------


def test_a_planning_stage_project_does_not_report(huangpu_user):
    project = library_project(stage=Stage.PLANNING)
    with pytest.raises(ValidationError) as refused:
        services.report_create(acting_user=huangpu_user, project=project, period=month("2025-03"))
    assert refused.value.message_dict == {"period": ["谋划阶段的项目不填报月报。"]}
    assert not ProgressReport.objects.exists()


def test_a_month_before_the_start_year_is_refused(huangpu_user):
    project = library_project(start_year=2025)
    with pytest.raises(ValidationError) as refused:
        services.report_create(acting_user=huangpu_user, project=project, period=month("2024-12"))
    assert "早于项目计划开工年份 2025 年" in refused.value.message_dict["period"][0]
    services.report_create(acting_user=huangpu_user, project=project, period=month("2025-01"))


def test_a_future_month_is_refused(huangpu_user):
    project = library_project()
    this_month = timezone.localdate().replace(day=1)
    next_month = (this_month + datetime.timedelta(days=31)).replace(day=1)
    with pytest.raises(ValidationError) as refused:
        services.report_create(acting_user=huangpu_user, project=project, period=next_month)
    assert "不能填报未来的月份" in refused.value.message_dict["period"][0]
    services.report_create(acting_user=huangpu_user, project=project, period=this_month)


def test_a_completed_project_reports_only_for_the_month_it_completed(huangpu_user):
    project = library_project(stage=Stage.COMPLETED)
    StageChange.objects.create(
        project=project, from_stage=Stage.IMPLEMENTATION, to_stage=Stage.COMPLETED, on="2025-08-20"
    )
    for other in ("2025-07", "2025-09"):
        with pytest.raises(ValidationError) as refused:
            services.report_create(acting_user=huangpu_user, project=project, period=month(other))
        assert refused.value.message_dict == {"period": ["项目已完工，只填报完工当月的月报。"]}
    report = services.report_create(acting_user=huangpu_user, project=project, period=month("2025-08"))
    assert list(ProgressReport.objects.all()) == [report]


def test_a_second_report_of_the_same_month_is_refused(huangpu_user):
    project = library_project()
    services.report_create(acting_user=huangpu_user, project=project, period=month("2025-03"))
    with pytest.raises(ValidationError) as refused:
        services.report_create(acting_user=huangpu_user, project=project, period=month("2025-03"))
    assert "该项目该月已有月报。" in refused.value.messages


def test_progress_never_below_the_previous_month_nor_above_a_later_one(huangpu_user):
    project = library_project()
    report_of(project, "2025-03", progress_percent=D("30.0"))
    report_of(project, "2025-05", progress_percent=D("50.0"))
    with pytest.raises(ValidationError) as refused:
        services.report_create(
            acting_user=huangpu_user, project=project, period=month("2025-04"), progress_percent=D("29.9")
        )
    assert refused.value.message_dict == {"progress_percent": ["形象进度不能低于 2025-03 月报的 30.0%。"]}
    with pytest.raises(ValidationError) as refused:
        services.report_create(
            acting_user=huangpu_user, project=project, period=month("2025-04"), progress_percent=D("50.1")
        )
    assert refused.value.message_dict == {"progress_percent": ["形象进度不能高于 2025-05 月报已填的 50.0%。"]}
    april = services.report_create(
        acting_user=huangpu_user, project=project, period=month("2025-04"), progress_percent=D("50.0")
    )
    with pytest.raises(ValidationError):
        services.report_update(acting_user=huangpu_user, report=april, progress_percent=D("20.0"))
    april.refresh_from_db()
    assert april.progress_percent == D("50.0")


# -- review: submit, return, accept, reopen ------------------------------------------------------------


def test_an_accepted_report_is_locked_until_staff_reopen_it_with_a_reason(huangpu_user, city_user):
    project = library_project()
    report = services.report_create(
        acting_user=huangpu_user, project=project, period=month("2025-03"), completed_amount=D("100.00")
    )
    report = services.report_submit(acting_user=huangpu_user, report=report)
    assert report.status == ReportStatus.SUBMITTED and report.first_submitted_at is not None
    with pytest.raises(PermissionDenied):
        services.report_accept(acting_user=huangpu_user, report=report)
    report = services.report_accept(acting_user=city_user, report=report)
    assert report.status == ReportStatus.ACCEPTED
    with pytest.raises(ValidationError) as refused:
        services.report_update(acting_user=huangpu_user, report=report, completed_amount=D("200.00"))
    assert "已审核通过并锁定" in refused.value.messages[0]
    with pytest.raises(PermissionDenied):
        services.report_reopen(acting_user=huangpu_user, report=report, reason="想改")
    with pytest.raises(ValidationError) as refused:
        services.report_reopen(acting_user=city_user, report=report, reason="  ")
    assert set(refused.value.message_dict) == {"reason"}
    report = services.report_reopen(acting_user=city_user, report=report, reason="数据更正")
    assert report.status == ReportStatus.RETURNED and report.review_comment == "数据更正"
    services.report_update(acting_user=huangpu_user, report=report, completed_amount=D("200.00"))
    report.refresh_from_db()
    assert report.completed_amount == D("200.00")
    assert AuditEntry.objects.get(action="report_reopen").note == "数据更正"


def test_a_return_needs_a_comment(huangpu_user, city_user):
    report = services.report_create(
        acting_user=huangpu_user, project=library_project(), period=month("2025-03")
    )
    report = services.report_submit(acting_user=huangpu_user, report=report)
    with pytest.raises(ValidationError) as refused:
        services.report_return(acting_user=city_user, report=report, comment=" ")
    assert set(refused.value.message_dict) == {"comment"}
    report.refresh_from_db()
    assert report.status == ReportStatus.SUBMITTED
    report = services.report_return(acting_user=city_user, report=report, comment="补充形象进度")
    assert report.status == ReportStatus.RETURNED and report.review_comment == "补充形象进度"
    services.report_submit(acting_user=huangpu_user, report=report)
    report.refresh_from_db()
    assert report.status == ReportStatus.SUBMITTED


def test_a_stale_version_is_refused(huangpu_user, city_user):
    report = services.report_create(
        acting_user=huangpu_user, project=library_project(), period=month("2025-03")
    )
    assert report.version == 1
    services.report_update(
        acting_user=huangpu_user, report=report, expected_version=1, physical_progress="基础施工"
    )
    with pytest.raises(StaleObjectError):
        services.report_update(
            acting_user=huangpu_user, report=report, expected_version=1, physical_progress="旧的"
        )
    with pytest.raises(StaleObjectError):
        services.report_submit(acting_user=huangpu_user, report=report, expected_version=1)
    report.refresh_from_db()
    assert report.physical_progress == "基础施工" and report.version == 2
    assert report.status == ReportStatus.DRAFT


def test_the_review_steps_follow_the_status(huangpu_user, city_user):
    report = services.report_create(
        acting_user=huangpu_user, project=library_project(), period=month("2025-03")
    )
    for step in (services.report_accept, services.report_reopen):
        with pytest.raises(ValidationError):
            step(
                acting_user=city_user,
                report=report,
                **({"reason": "x"} if step is services.report_reopen else {}),
            )
    report.refresh_from_db()
    assert report.status == ReportStatus.DRAFT


# -- audit -------------------------------------------------------------------------------------------


def test_every_write_leaves_an_audit_entry_with_its_project(huangpu_user, city_user):
    project = library_project()
    plan = services.plan_create(acting_user=huangpu_user, project=project, year=2026, **plan_fields())
    services.plan_update(acting_user=huangpu_user, plan=plan, target="新目标")
    services.plan_confirm(acting_user=city_user, plan=plan)
    services.plan_update(acting_user=city_user, plan=plan, reason="调整", target="再调")
    report = services.report_create(
        acting_user=huangpu_user, project=project, period=month("2025-03"), problems_note="征拆未完成"
    )
    services.report_update(acting_user=huangpu_user, report=report, physical_progress="完成 30%")
    services.report_submit(acting_user=huangpu_user, report=report)
    services.report_return(acting_user=city_user, report=report, comment="补充")
    services.report_submit(acting_user=huangpu_user, report=report)
    services.report_accept(acting_user=city_user, report=report)
    services.report_reopen(acting_user=city_user, report=report, reason="更正")
    problem = services.problem_from_report(acting_user=huangpu_user, report=report)
    services.problem_update(
        acting_user=huangpu_user,
        problem=problem,
        status=ProblemStatus.RESOLVED,
        resolved_on=datetime.date(2025, 4, 1),
        resolution="已协调",
        raised_on=datetime.date(2025, 3, 20),
    )
    services.problem_create(
        acting_user=city_user, project=project, category="land", description="用地指标不足"
    )
    actions = list(AuditEntry.objects.order_by("pk").values_list("action", "project_id", "actor_id"))
    assert [action for action, _p, _a in actions] == [
        "plan_create",
        "plan_update",
        "plan_confirm",
        "plan_adjust",
        "report_create",
        "report_update",
        "report_submit",
        "report_return",
        "report_submit",
        "report_accept",
        "report_reopen",
        "problem_create",
        "problem_update",
        "problem_create",
    ]
    assert {project_id for _a, project_id, _u in actions} == {project.pk}
    assert all(actor_id in (huangpu_user.pk, city_user.pk) for _a, _p, actor_id in actions)


def test_a_refused_write_leaves_no_audit_entry(huangpu_user):
    project = library_project(stage=Stage.PLANNING)
    with pytest.raises(ValidationError):
        services.report_create(acting_user=huangpu_user, project=project, period=month("2025-03"))
    assert not AuditEntry.objects.exists()


# -- the problem ledger ------------------------------------------------------------------------------


def test_problem_from_report_makes_one_entry_and_refuses_a_second(huangpu_user):
    project = library_project()
    report = services.report_create(
        acting_user=huangpu_user, project=project, period=month("2025-03"), problems_note=" 征拆未完成 "
    )
    problem = services.problem_from_report(acting_user=huangpu_user, report=report)
    assert (problem.project, problem.report, problem.description) == (project, report, "征拆未完成")
    assert problem.status == ProblemStatus.OPEN and problem.category == "other"
    with pytest.raises(ValidationError) as refused:
        services.problem_from_report(acting_user=huangpu_user, report=report)
    assert refused.value.messages == ["该月报的问题已登记到问题台账。"]
    assert Problem.objects.count() == 1


def test_problem_from_a_report_without_problems_is_refused(huangpu_user):
    report = services.report_create(
        acting_user=huangpu_user, project=library_project(), period=month("2025-03")
    )
    with pytest.raises(ValidationError) as refused:
        services.problem_from_report(acting_user=huangpu_user, report=report)
    assert set(refused.value.message_dict) == {"problems_note"}
    assert not Problem.objects.exists()


def test_a_resolved_problem_needs_its_date_and_resolution(huangpu_user, yuexiu_user):
    project = library_project()
    problem = services.problem_create(
        acting_user=huangpu_user, project=project, category="land", description="用地指标不足"
    )
    with pytest.raises(ValidationError):
        services.problem_update(acting_user=huangpu_user, problem=problem, status=ProblemStatus.RESOLVED)
    with pytest.raises(PermissionDenied):
        services.problem_update(acting_user=yuexiu_user, problem=problem, responsible_unit="越秀")
    problem.refresh_from_db()
    assert problem.status == ProblemStatus.OPEN and problem.responsible_unit == ""
