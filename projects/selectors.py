"""Composed reads of projects."""

from decimal import Decimal

from django.utils.translation import gettext as _

from .choices import Stage
from .models import Project


def funding_plan_total(*, project: Project) -> Decimal:
    """What the project's funding plan covers (see ProjectQuerySet.with_financing_totals)."""
    return Project.objects.with_financing_totals().values_list("planned_cover", flat=True).get(pk=project.pk)


def stage_missing_conditions(*, project: Project, stage: str) -> list[str]:
    """What a move of `project` into `stage` still lacks, in words for the person who asked."""
    missing = []
    if stage == Stage.MATURE:
        if not project.feasibility_approval_no.strip():
            missing.append(_("可研批复（未填写可研批复文号）"))
        if not project.land_approval_no.strip():
            missing.append(_("用地手续（未填写用地批复文号）"))
        if project.eia_required and not project.eia_approval_no.strip():
            missing.append(_("环评批复（项目需要环评，未填写环评批复文号）"))
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
