"""Every write of the monthly dispatch: annual investment plans, monthly progress reports with their review,
and the problem ledger. Each checks the role and scope, locks what its rule depends on, validates, saves and
writes its audit entry in one transaction."""

import datetime
from decimal import Decimal

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Sum
from django.utils import timezone
from django.utils.translation import gettext as _

from portfolio import access
from portfolio.errors import StaleObjectError, reject_unknown_fields
from portfolio.money import format_wan
from portfolio.records import record_create, record_update

from ..choices import PlanStatus, ProblemCategory, ProblemStatus, ReportStatus
from ..models import InvestmentPlan, Problem, ProgressReport, Project
from ..selectors.progress import report_refusal

PLAN_FIELDS = ("planned_amount", "kind", "completes_this_year", "target")
REPORT_FIELDS = ("completed_amount", "progress_percent", "physical_progress", "problems_note")
PROBLEM_FIELDS = (
    "category",
    "description",
    "responsible_unit",
    "raised_on",
    "due_on",
    "status",
    "resolved_on",
    "resolution",
)
# A report is written while it is a draft or returned; submitted it waits for review, accepted it is locked.
REPORT_EDITABLE = (ReportStatus.DRAFT, ReportStatus.RETURNED)


def _library_project(project: Project, acting_user) -> Project:
    """The project locked, once the user may change its records and it is in the library."""
    project = Project.objects.select_for_update().get(pk=project.pk)
    access.require_project_editor(acting_user, project)
    if not project.in_library:
        raise ValidationError(_("只有已入库的项目才能填报投资计划、月报和问题。"))
    return project


def _touch(record) -> list[str]:
    record.updated_at = timezone.now()
    return ["updated_at"]


def _new_version(report: ProgressReport) -> list[str]:
    report.version += 1
    report.updated_at = timezone.now()
    return ["version", "updated_at"]


def _check_version(report: ProgressReport, expected_version: int | None) -> None:
    if expected_version is not None and expected_version != report.version:
        raise StaleObjectError(_("该月报在您打开后已被他人修改，请刷新后重新填写。"), code="stale")


# Annual plans


def completed_before(project: Project, year: int) -> Decimal:
    """What the project's monthly reports say it completed before `year`."""
    reports = ProgressReport.objects.filter(project=project, period__lt=datetime.date(year, 1, 1))
    return reports.aggregate(total=Sum("completed_amount"))["total"] or Decimal(0)


def _check_remaining(plan: InvestmentPlan) -> None:
    """A year's plan may not exceed what remains of the total investment after the earlier years."""
    project = plan.project
    done = completed_before(project, plan.year)
    remaining = project.total_investment - done
    if plan.planned_amount is not None and plan.planned_amount > remaining:
        raise ValidationError(
            {
                "planned_amount": _(
                    "年度计划投资超出剩余投资 %(over)s：总投资 %(total)s，以前年度已完成 %(done)s，"
                    "剩余 %(remaining)s。"
                )
                % {
                    "over": format_wan(plan.planned_amount - remaining),
                    "total": format_wan(project.total_investment),
                    "done": format_wan(done),
                    "remaining": format_wan(remaining),
                }
            }
        )


def plan_edit_refusal(*, user, plan: InvestmentPlan) -> str | None:
    """Why `user` may not change `plan` now, or None: a confirmed plan is the city's to adjust."""
    if not access.is_project_editor(user, plan.project):
        return _("您无权修改该项目的投资计划。")
    if plan.status == PlanStatus.CONFIRMED and access.role_of(user) != access.CITY_STAFF:
        return _("年度投资计划已由市项目办确认，区用户不能再修改；如需调整请联系市项目办。")
    return None


@transaction.atomic
def plan_create(*, acting_user, project: Project, year: int, **fields) -> InvestmentPlan:
    """A draft plan for one year of a library project (one per project and year)."""
    reject_unknown_fields(fields, PLAN_FIELDS)
    project = _library_project(project, acting_user)
    plan = InvestmentPlan(project=project, year=year, **fields)
    plan.full_clean()
    _check_remaining(plan)
    return record_create(plan, acting_user=acting_user, action="plan_create", project=project)


@transaction.atomic
def plan_update(*, acting_user, plan: InvestmentPlan, reason: str = "", **fields) -> InvestmentPlan:
    """Change a plan: the district while it is a draft; city staff always, a confirmed one with a reason
    (调整), which the audit entry keeps."""
    reject_unknown_fields(fields, PLAN_FIELDS)
    Project.objects.select_for_update().filter(pk=plan.project_id).first()
    plan = InvestmentPlan.objects.select_for_update().select_related("project").get(pk=plan.pk)
    refusal = plan_edit_refusal(user=acting_user, plan=plan)
    if refusal:
        raise PermissionDenied(refusal)
    adjusting = plan.status == PlanStatus.CONFIRMED
    reason = (reason or "").strip()
    if adjusting and not reason:
        raise ValidationError({"reason": _("调整已确认的年度投资计划须填写理由。")})
    record_update(
        plan,
        fields=fields,
        acting_user=acting_user,
        action="plan_adjust" if adjusting else "plan_update",
        project=plan.project,
        check=_check_remaining,
        bookkeeping=_touch,
        note=reason,
    )
    return plan


@transaction.atomic
def plan_confirm(*, acting_user, plan: InvestmentPlan) -> InvestmentPlan:
    """City staff fix a district's plan; from then on only they change it."""
    access.require_role(acting_user, access.CITY_STAFF)
    plan = InvestmentPlan.objects.select_for_update().select_related("project").get(pk=plan.pk)
    if plan.status == PlanStatus.CONFIRMED:
        raise ValidationError(_("该年度投资计划已确认。"))
    record_update(
        plan,
        fields={"status": PlanStatus.CONFIRMED, "confirmed_by": acting_user, "confirmed_at": timezone.now()},
        acting_user=acting_user,
        action="plan_confirm",
        project=plan.project,
        bookkeeping=_touch,
    )
    return plan


# Monthly reports


def _check_progress(report: ProgressReport) -> None:
    """The physical progress never goes down from one month to the next."""
    others = ProgressReport.objects.filter(project_id=report.project_id).exclude(pk=report.pk)
    before = others.filter(period__lt=report.period).order_by("-period").first()
    after = others.filter(period__gt=report.period).order_by("period").first()
    percent = report.progress_percent
    if before is not None and percent < before.progress_percent:
        raise ValidationError(
            {
                "progress_percent": _("形象进度不能低于 %(p)s 月报的 %(v)s%%。")
                % {"p": before.period_label, "v": before.progress_percent}
            }
        )
    if after is not None and percent > after.progress_percent:
        raise ValidationError(
            {
                "progress_percent": _("形象进度不能高于 %(p)s 月报已填的 %(v)s%%。")
                % {"p": after.period_label, "v": after.progress_percent}
            }
        )


@transaction.atomic
def report_create(*, acting_user, project: Project, period: datetime.date, **fields) -> ProgressReport:
    """A draft report of `project` for the month `period` (its first day)."""
    reject_unknown_fields(fields, REPORT_FIELDS)
    project = _library_project(project, acting_user)
    if period is None or period.day != 1:
        raise ValidationError({"period": _("月份应为 YYYY-MM。")})
    refusal = report_refusal(project=project, period=period)
    if refusal:
        raise ValidationError({"period": refusal})
    report = ProgressReport(project=project, period=period, created_by=acting_user, **fields)
    report.full_clean()
    _check_progress(report)
    return record_create(report, acting_user=acting_user, action="report_create", project=project)


def report_edit_refusal(*, user, report: ProgressReport) -> str | None:
    """Why `user` may not change `report` now, or None when it may."""
    if not access.is_project_editor(user, report.project):
        return _("您无权修改该项目的月报。")
    if report.status == ReportStatus.SUBMITTED:
        return _("该月报已报送，正在审核，不能修改。")
    if report.status == ReportStatus.ACCEPTED:
        return _("该月报已审核通过并锁定；如需更正，请市项目办重新打开。")
    return None


def _locked_report(report: ProgressReport, expected_version: int | None) -> ProgressReport:
    report = ProgressReport.objects.select_for_update().select_related("project").get(pk=report.pk)
    _check_version(report, expected_version)
    return report


@transaction.atomic
def report_update(
    *, acting_user, report: ProgressReport, expected_version: int | None = None, **fields
) -> ProgressReport:
    """Change a draft or returned report; refused when it changed since `expected_version` was read."""
    reject_unknown_fields(fields, REPORT_FIELDS)
    report = _locked_report(report, expected_version)
    access.require_project_editor(acting_user, report.project)
    refusal = report_edit_refusal(user=acting_user, report=report)
    if refusal:
        raise ValidationError(refusal)
    record_update(
        report,
        fields=fields,
        acting_user=acting_user,
        action="report_update",
        project=report.project,
        check=_check_progress,
        bookkeeping=_new_version,
    )
    return report


def _report_step(
    report: ProgressReport,
    *,
    acting_user,
    action: str,
    allowed_from: tuple,
    to_status: str,
    expected_version: int | None,
    comment: str = "",
    **changes,
) -> ProgressReport:
    report = _locked_report(report, expected_version)
    if report.status not in allowed_from:
        raise ValidationError(
            _("月报当前状态为“%(s)s”，不能进行此操作。") % {"s": report.get_status_display()}
        )
    record_update(
        report,
        fields={"status": to_status, **changes},
        acting_user=acting_user,
        action=action,
        project=report.project,
        bookkeeping=_new_version,
        note=comment,
    )
    return report


@transaction.atomic
def report_submit(
    *, acting_user, report: ProgressReport, expected_version: int | None = None
) -> ProgressReport:
    """The district sends its report to the city (again, after a return)."""
    access.require_project_editor(acting_user, report.project)
    now = timezone.now()
    return _report_step(
        report,
        acting_user=acting_user,
        action="report_submit",
        allowed_from=REPORT_EDITABLE,
        to_status=ReportStatus.SUBMITTED,
        expected_version=expected_version,
        submitted_at=now,
        first_submitted_at=report.first_submitted_at or now,
    )


def _review_step(report: ProgressReport, *, acting_user, comment: str, **step) -> ProgressReport:
    """A step of the city's review: the comment (or reason) is kept on the report, with who and when."""
    access.require_role(acting_user, access.CITY_STAFF)
    return _report_step(
        report,
        acting_user=acting_user,
        comment=comment,
        review_comment=comment,
        reviewed_by=acting_user,
        reviewed_at=timezone.now(),
        **step,
    )


def _required(text: str, field: str, message: str) -> str:
    text = (text or "").strip()
    if not text:
        raise ValidationError({field: message})
    return text


@transaction.atomic
def report_return(
    *, acting_user, report: ProgressReport, comment: str, expected_version: int | None = None
) -> ProgressReport:
    """City staff send a submitted report back, saying what to fix."""
    access.require_role(acting_user, access.CITY_STAFF)
    comment = _required(comment, "comment", _("退回月报时必须填写意见，说明需要修改的内容。"))
    return _review_step(
        report,
        acting_user=acting_user,
        action="report_return",
        allowed_from=(ReportStatus.SUBMITTED,),
        to_status=ReportStatus.RETURNED,
        expected_version=expected_version,
        comment=comment,
    )


@transaction.atomic
def report_accept(
    *, acting_user, report: ProgressReport, comment: str = "", expected_version: int | None = None
) -> ProgressReport:
    """City staff accept a submitted report, which locks it."""
    access.require_role(acting_user, access.CITY_STAFF)
    comment = (comment or "").strip()
    return _review_step(
        report,
        acting_user=acting_user,
        action="report_accept",
        allowed_from=(ReportStatus.SUBMITTED,),
        to_status=ReportStatus.ACCEPTED,
        expected_version=expected_version,
        comment=comment,
    )


@transaction.atomic
def report_reopen(
    *, acting_user, report: ProgressReport, reason: str, expected_version: int | None = None
) -> ProgressReport:
    """City staff reopen an accepted report for a correction: it goes back to the district as returned."""
    access.require_role(acting_user, access.CITY_STAFF)
    reason = _required(reason, "reason", _("重新打开已审核的月报须填写理由。"))
    return _review_step(
        report,
        acting_user=acting_user,
        action="report_reopen",
        allowed_from=(ReportStatus.ACCEPTED,),
        to_status=ReportStatus.RETURNED,
        expected_version=expected_version,
        comment=reason,
    )


# The problem ledger


@transaction.atomic
def problem_create(
    *, acting_user, project: Project, report: ProgressReport | None = None, **fields
) -> Problem:
    """A problem of a library project: its district raises its own, city staff any."""
    reject_unknown_fields(fields, PROBLEM_FIELDS)
    project = _library_project(project, acting_user)
    if report is not None and report.project_id != project.pk:
        raise ValidationError({"report": _("来源月报不属于该项目。")})
    problem = Problem(project=project, report=report, created_by=acting_user, **fields)
    return record_create(problem, acting_user=acting_user, action="problem_create", project=project)


@transaction.atomic
def problem_update(*, acting_user, problem: Problem, **fields) -> Problem:
    """Change a problem, or resolve it (status resolved with the resolution and its date)."""
    reject_unknown_fields(fields, PROBLEM_FIELDS)
    problem = Problem.objects.select_for_update().select_related("project").get(pk=problem.pk)
    access.require_project_editor(acting_user, problem.project)
    record_update(
        problem, fields=fields, acting_user=acting_user, action="problem_update", project=problem.project
    )
    return problem


@transaction.atomic
def problem_from_report(*, acting_user, report: ProgressReport) -> Problem:
    """The problems a report names, as an entry of the ledger (category 其他, to be refined)."""
    report = ProgressReport.objects.select_related("project").get(pk=report.pk)
    text = (report.problems_note or "").strip()
    if not text:
        raise ValidationError({"problems_note": _("该月报没有填写存在问题。")})
    if Problem.objects.filter(report=report, description=text).exists():
        raise ValidationError(_("该月报的问题已登记到问题台账。"))
    return problem_create(
        acting_user=acting_user,
        project=report.project,
        report=report,
        category=ProblemCategory.OTHER,
        description=text,
        status=ProblemStatus.OPEN,
    )
