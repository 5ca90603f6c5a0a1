"""Composed reads of projects: the one read path of each list, and what a stage move still lacks."""

from django.db.models import Count, OuterRef, Prefetch, QuerySet, Subquery
from django.utils.translation import gettext as _

from financing.selectors import funding_plan_total, with_stored_financing_totals
from portfolio.filters import filtered

from ..choices import ReviewAction, ReviewStatus, Stage
from ..filtersets import MilestoneFilterSet, ProjectFilterSet, UnitFilterSet
from ..models import Milestone, Project, ReviewRecord, Unit
from .preparation import mature_missing, procedures_by_kind


def project_list(*, user, params=None, strict: bool = True) -> QuerySet:
    """The projects `user` may see, with their financing totals (as stored, so that sorting by 资金缺口 adds
    nothing up), narrowed and sorted by `params` (the library page's query, the API list's, the exports'),
    in the library's order: district, code."""
    projects = (
        with_stored_financing_totals(Project.objects.visible_to(user))
        .select_related("district", "unit", "implementing_org")
        # By the district's code held on the project (the same order as by the district), so that the
        # (district, code) index serves the ORDER BY and a page stops at its LIMIT.
        .order_by("district_id", "code", "pk")
    )
    return filtered(ProjectFilterSet, params, projects, user=user, strict=strict)


def unit_list(*, user, params=None, strict: bool = True) -> QuerySet:
    units = Unit.objects.visible_to(user).select_related("district").order_by("district", "name")
    return filtered(UnitFilterSet, params, units, user=user, strict=strict)


def milestone_list(*, user, params=None, strict: bool = True) -> QuerySet:
    milestones = Milestone.objects.visible_to(user).order_by("project", "planned_date", "pk")
    return filtered(MilestoneFilterSet, params, milestones, user=user, strict=strict)


def review_queue(*, user) -> QuerySet:
    """Submitted projects, oldest submission first, with who submitted each."""
    last_submitter = (
        ReviewRecord.objects.filter(project=OuterRef("pk"), action=ReviewAction.SUBMIT)
        .order_by("-at", "-pk")
        .values("by")[:1]
    )
    return (
        Project.objects.visible_to(user)
        .filter(review_status=ReviewStatus.SUBMITTED)
        .select_related("district", "unit")
        .annotate(submitted_by=Subquery(last_submitter))
        .order_by("submitted_at", "pk")
    )


def district_overview(*, user, listed: int = 200) -> dict:
    """A district user's own projects by review status and stage, its returned projects with their
    comments, and its overdue milestones."""
    projects = Project.objects.visible_to(user)
    by_status = dict(projects.order_by().values_list("review_status").annotate(n=Count("pk")))
    by_stage = dict(projects.in_library().order_by().values_list("stage").annotate(n=Count("pk")))
    returns = ReviewRecord.objects.filter(action=ReviewAction.RETURN)
    return {
        "by_status": [(s.label, by_status.get(s.value, 0), s.value) for s in ReviewStatus],
        "by_stage": [(s.label, by_stage.get(s.value, 0), s.value) for s in Stage],
        "overdue": Milestone.objects.visible_to(user)
        .overdue()
        .select_related("project")
        .order_by("planned_date")[:listed],
        "returned": projects.filter(review_status=ReviewStatus.RETURNED).prefetch_related(
            Prefetch("review_records", queryset=returns, to_attr="returns")
        ),
    }


def stage_missing_conditions(*, project: Project, stage: str) -> list[str]:
    """What a move of `project` into `stage` still lacks, in words for the person who asked."""
    missing = []
    if stage == Stage.MATURE:
        # The checklist of preparatory procedures: feasibility and land done, the EIA done or not needed.
        missing += mature_missing(procedures_by_kind(project))
        planned = funding_plan_total(project=project)
        if planned < project.total_investment:
            missing.append(
                _("资金筹措方案未覆盖总投资（已落实计划 %(planned)s 元，总投资 %(total)s 元）")
                % {"planned": f"{planned:,.2f}", "total": f"{project.total_investment:,.2f}"}
            )
    elif stage == Stage.IMPLEMENTATION:
        if project.construction_started_on is None:
            missing.append(_("开工记录（未填写开工日期）"))
    elif stage == Stage.COMPLETED:
        open_count = project.milestones.filter(actual_date__isnull=True).count()
        if open_count:
            missing.append(_("仍有 %(n)d 个节点未完成（无实际完成日期）") % {"n": open_count})
    return missing
