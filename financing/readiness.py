"""Readiness (申报条件): whether a project meets each funding programme's rules, and what it lacks; and
the reads of the 申报 batches.

One function decides it, `missing_for(project, rule, procedures)`, and everything else calls it: the
project page's section, `GET /api/v1/projects/{id}/readiness/`, the list of ready projects not yet put
forward, and the batch service that refuses an unready project. The rules are the city's data
(ProgrammeRule, edited in the admin); only active rules are checked. Reads are a constant number of
queries whatever the number of projects: the rules once, the procedures of all the projects once.

"Not yet put forward" (未申报) for a programme and a year: the project has no entry in any batch of that
programme and year that is still pending or was approved. A project refused (未获批) in an earlier batch
of the year is listed again: it may be put forward in the next one.
"""

from collections import defaultdict
from dataclasses import dataclass, field
from decimal import ROUND_DOWN, Decimal

import django_filters
from django.db.models import Count, Prefetch, Q, QuerySet, Sum
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from portfolio import access
from portfolio.filters import IdFilter, IntegerFilter, ScopedFilterSet, filtered
from projects.choices import (
    PROCEDURE_SATISFIED,
    Category,
    ProcedureKind,
    ProcedureStatus,
    ReviewStatus,
    Stage,
)
from projects.models import District, Procedure, Project

from .choices import BatchStatus, EntryOutcome, SourceType
from .models import ApplicationBatch, BatchEntry, ProgrammeRule

# The outcomes under which a project counts as put forward in a batch (a refused one may go again).
SUBMITTED_OUTCOMES = (EntryOutcome.PENDING, EntryOutcome.APPROVED)
CENT = Decimal("0.01")


@dataclass
class Verdict:
    """A project against one programme's rule."""

    programme: str
    label: str
    missing: list[str] = field(default_factory=list)
    note: str = ""

    @property
    def ready(self) -> bool:
        return not self.missing


def active_rules() -> list[ProgrammeRule]:
    """The active rules, in the order of the source types (超长期特别国债, 专项债, 中央预算内投资…)."""
    order = {code: n for n, code in enumerate(SourceType.values)}
    return sorted(ProgrammeRule.objects.filter(active=True), key=lambda rule: order[rule.programme])


def rule_for(programme: str) -> ProgrammeRule | None:
    """The active rule of `programme`, or None (a programme without one asks only that the project be in
    the library)."""
    return ProgrammeRule.objects.filter(programme=programme, active=True).first()


def coverage_of(project: Project) -> Decimal | None:
    """本息覆盖倍数: the project's expected revenue over its debt service, or None without both."""
    if project.expected_revenue is None or not project.debt_service:
        return None
    return project.expected_revenue / project.debt_service


def coverage_text(value: Decimal) -> str:
    # Rounded down: 1.199 reads 1.19, never the 1.20 it falls short of.
    return str(value.quantize(CENT, rounding=ROUND_DOWN))


def _labels(choices, codes) -> str:
    shown = dict(choices.choices)
    return "、".join(str(shown.get(code, code)) for code in codes)


def procedure_statuses(procedures) -> dict[str, str]:
    """kind → status of a project's recorded procedures; a kind without a row is pending."""
    return {procedure.kind: procedure.status for procedure in procedures}


def missing_for(project: Project, rule: ProgrammeRule | None, statuses: dict[str, str]) -> list[str]:
    """What `project` lacks to be put forward under `rule`, in Chinese; empty when it is ready."""
    missing = []
    if project.review_status != ReviewStatus.ACCEPTED:
        missing.append(_("项目尚未入库"))
    if rule is None:
        return missing
    kinds = dict(ProcedureKind.choices)
    status_labels = dict(ProcedureStatus.choices)
    lacking = []
    for kind in ProcedureKind.values:  # in the checklist's order, whatever the rule's
        if kind not in rule.required_procedures:
            continue
        status = statuses.get(kind, ProcedureStatus.PENDING)
        if status not in PROCEDURE_SATISFIED:
            lacking.append(f"{kinds[kind]}（{status_labels[status]}）")
    if lacking:
        missing.append(_("前期手续未办结：%(list)s") % {"list": "、".join(lacking)})
    if rule.requires_national_code and not project.national_code:
        missing.append(_("缺少全国投资项目代码"))
    if rule.stages and project.stage not in rule.stages:
        missing.append(
            _("当前阶段为%(stage)s，该渠道支持：%(stages)s")
            % {"stage": project.get_stage_display(), "stages": _labels(Stage, rule.stages)}
        )
    if rule.categories and project.category not in rule.categories:
        missing.append(
            _("项目类别为%(category)s，该渠道支持：%(categories)s")
            % {"category": project.get_category_display(), "categories": _labels(Category, rule.categories)}
        )
    if rule.min_revenue_coverage is not None:
        coverage = coverage_of(project)
        if coverage is None:
            missing.append(_("未填写预期收益或融资本息（收益与融资自求平衡）"))
        elif coverage < rule.min_revenue_coverage:
            missing.append(
                _("本息覆盖倍数 %(value)s 倍，低于要求的 %(required)s 倍")
                % {"value": coverage_text(coverage), "required": coverage_text(rule.min_revenue_coverage)}
            )
    return missing


def verdicts_for(project: Project, rules: list[ProgrammeRule], statuses: dict[str, str]) -> list[Verdict]:
    return [
        Verdict(
            programme=rule.programme,
            label=rule.get_programme_display(),
            missing=missing_for(project, rule, statuses),
            note=rule.note,
        )
        for rule in rules
    ]


def with_procedures(projects: QuerySet) -> QuerySet:
    """The projects with their procedures, in one more query for all of them."""
    return projects.prefetch_related(
        Prefetch("procedures", queryset=Procedure.objects.order_by(), to_attr="recorded_procedures")
    )


def project_readiness(*, project: Project, rules: list[ProgrammeRule] | None = None) -> list[Verdict]:
    """The project against every active programme: two queries (the rules, its procedures)."""
    rules = active_rules() if rules is None else rules
    statuses = dict(Procedure.objects.filter(project=project).values_list("kind", "status"))
    return verdicts_for(project, rules, statuses)


def readiness_panel(*, user, project) -> dict:
    """What the project page's 申报条件 section shows: a verdict per active programme, the coverage figure,
    and the batches the project is in (those the user sees) with their outcome. Three queries."""
    if access.role_of(user) not in access.MEMBERS:
        return {}
    entries = list(
        BatchEntry.objects.visible_to(user)
        .filter(project=project)
        .select_related("batch")
        .order_by("-batch__year", "-added_at", "-pk")
    )
    return {
        "verdicts": project_readiness(project=project),
        "coverage": coverage_of(project),
        "coverage_text": coverage_text(coverage_of(project)) if coverage_of(project) is not None else None,
        "entries": entries,
        "can_add": access.role_of(user) == access.CITY_STAFF,
    }


# The list of ready projects not yet put forward


@dataclass
class ReadyRow:
    project: Project
    verdict: Verdict
    coverage: Decimal | None = None
    refused_before: bool = False  # refused in an earlier batch of this programme and year

    @property
    def coverage_text(self) -> str | None:
        return None if self.coverage is None else coverage_text(self.coverage)


def submitted_projects(*, programme: str, year: int) -> set[int]:
    """The projects in a batch of `programme` and `year` that is pending or approved: one query."""
    return set(
        BatchEntry.objects.filter(
            batch__programme=programme, batch__year=year, outcome__in=SUBMITTED_OUTCOMES
        ).values_list("project_id", flat=True)
    )


def ready_list(*, user, programme: str, year: int, district: str | None = None) -> dict:
    """The library projects `user` sees, against `programme`'s rule for `year`: those ready and not yet
    put forward, those not ready (with what they lack), and the counts. A constant number of queries: the
    rule, the projects, their procedures, the batch entries of the programme and year."""
    rule = rule_for(programme)
    projects = Project.objects.visible_to(user).filter(review_status=ReviewStatus.ACCEPTED)
    if district:
        projects = projects.filter(district=district)
    projects = with_procedures(projects.select_related("district").order_by("district", "code"))
    entries = BatchEntry.objects.filter(batch__programme=programme, batch__year=year).values_list(
        "project_id", "outcome"
    )
    submitted, refused = set(), set()
    for project_id, outcome in entries:
        (submitted if outcome in SUBMITTED_OUTCOMES else refused).add(project_id)
    ready, unready = [], []
    label = str(SourceType(programme).label)
    for project in projects:
        if project.pk in submitted:
            continue
        verdict = Verdict(
            programme=programme,
            label=label,
            missing=missing_for(project, rule, procedure_statuses(project.recorded_procedures)),
        )
        row = ReadyRow(
            project=project,
            verdict=verdict,
            coverage=coverage_of(project),
            refused_before=project.pk in refused,
        )
        (ready if verdict.ready else unready).append(row)
    return {
        "rule": rule,
        "ready": ready,
        "unready": unready,
        "submitted_count": len(submitted),
    }


def readiness_of_projects(projects: QuerySet, rules: list[ProgrammeRule]) -> dict[int, list[Verdict]]:
    """Every project of `projects` against every rule: one query for the projects, one for their
    procedures."""
    return {
        project.pk: verdicts_for(project, rules, procedure_statuses(project.recorded_procedures))
        for project in with_procedures(projects)
    }


# The batches


class BatchFilterSet(ScopedFilterSet):
    programme = django_filters.ChoiceFilter(choices=SourceType.choices, label=gettext_lazy("资金渠道"))
    year = IntegerFilter(label=gettext_lazy("年度"), min_value=2000, max_value=2100)
    status = django_filters.ChoiceFilter(choices=BatchStatus.choices, label=gettext_lazy("状态"))

    class Meta:
        model = ApplicationBatch
        fields = []


class BatchEntryFilterSet(ScopedFilterSet):
    batch = IdFilter(field_name="batch_id", label=gettext_lazy("申报批次"))
    project = IdFilter(field_name="project_id", label=gettext_lazy("项目"))
    district = django_filters.ModelChoiceFilter(
        field_name="project__district", queryset=District.objects.all(), label=gettext_lazy("区")
    )
    outcome = django_filters.ChoiceFilter(choices=EntryOutcome.choices, label=gettext_lazy("批复结果"))
    programme = django_filters.ChoiceFilter(
        field_name="batch__programme", choices=SourceType.choices, label=gettext_lazy("资金渠道")
    )

    class Meta:
        model = BatchEntry
        fields = []


def batch_list(*, user, params=None, strict: bool = True) -> QuerySet:
    """The batches, each with the count and amounts of the entries `user` sees in it."""
    seen = access.scope_q(user, "entries__project__district")
    approved = seen & Q(entries__outcome=EntryOutcome.APPROVED)
    batches = (
        ApplicationBatch.objects.visible_to(user)
        .select_related("opened_by")
        .annotate(
            entry_count=Count("entries", filter=seen or None),
            requested_total=Sum("entries__requested_amount", filter=seen or None),
            approved_total=Sum("entries__approved_amount", filter=approved),
        )
        .order_by("-year", "programme", "name", "pk")
    )
    return filtered(BatchFilterSet, params, batches, user=user, strict=strict)


def batch_entry_list(*, user, params=None, strict: bool = True) -> QuerySet:
    entries = (
        BatchEntry.objects.visible_to(user)
        .select_related("batch", "project__district", "added_by")
        .order_by("batch", "project__district", "project__code", "pk")
    )
    return filtered(BatchEntryFilterSet, params, entries, user=user, strict=strict)


@dataclass
class ProcedureLine:
    kind: str
    label: str
    status: str
    status_label: str
    approval_no: str = ""


def batch_entries(*, user, batch: ApplicationBatch) -> list[BatchEntry]:
    """The entries of `batch` that `user` sees, each with its project, the project's procedures and its
    verdict now against the batch's programme (`verdict`), and `procedure_lines`, the state of the
    procedures the programme asks for (all kinds recorded when it asks for none). Four queries."""
    rule = rule_for(batch.programme)
    entries = list(
        BatchEntry.objects.visible_to(user)
        .filter(batch=batch)
        .select_related("project__district", "funding_line", "added_by")
        .prefetch_related(
            Prefetch(
                "project__procedures",
                queryset=Procedure.objects.order_by(),
                to_attr="recorded_procedures",
            )
        )
        .order_by("project__district", "project__code", "pk")
    )
    label = str(SourceType(batch.programme).label)
    kinds = dict(ProcedureKind.choices)
    status_labels = dict(ProcedureStatus.choices)
    for entry in entries:
        procedures = {p.kind: p for p in entry.project.recorded_procedures}
        statuses = {kind: p.status for kind, p in procedures.items()}
        entry.verdict = Verdict(
            programme=batch.programme, label=label, missing=missing_for(entry.project, rule, statuses)
        )
        wanted = rule.required_procedures if rule is not None and rule.required_procedures else None
        lines = []
        for kind in ProcedureKind.values:
            if (wanted is not None and kind not in wanted) or (wanted is None and kind not in procedures):
                continue
            procedure = procedures.get(kind)
            status = procedure.status if procedure else ProcedureStatus.PENDING
            lines.append(
                ProcedureLine(
                    kind=kind,
                    label=str(kinds[kind]),
                    status=status,
                    status_label=str(status_labels[status]),
                    approval_no=procedure.approval_no if procedure else "",
                )
            )
        entry.procedure_lines = lines
    return entries


def batch_totals(entries: list[BatchEntry]) -> dict:
    totals = defaultdict(lambda: Decimal(0))
    counts = defaultdict(int)
    for entry in entries:
        totals["requested"] += entry.requested_amount
        counts[entry.outcome] += 1
        if entry.outcome == EntryOutcome.APPROVED:
            totals["approved"] += entry.approved_amount or 0
    return {
        "count": len(entries),
        "requested": totals["requested"],
        "approved": totals["approved"],
        "approved_count": counts[EntryOutcome.APPROVED],
        "rejected_count": counts[EntryOutcome.REJECTED],
        "pending_count": counts[EntryOutcome.PENDING],
    }


def current_year() -> int:
    return timezone.localdate().year
