"""Every write to projects, stages, reviews and milestones. Each writes one audit entry in its transaction."""

import datetime
import re

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Model
from django.utils import timezone
from django.utils.translation import gettext as _

from financing.totals import financing_totals_create, financing_totals_refresh
from portfolio import access
from portfolio.audit import audit_entry, audit_record, snapshot
from portfolio.constraints import validate_checks
from portfolio.db import insert_rows
from portfolio.errors import StaleObjectError, reject_unknown_fields
from portfolio.models import AuditEntry
from portfolio.records import record_create, record_update

from ..choices import ReviewAction, ReviewStatus, Stage
from ..models import NATIONAL_CODE_TAKEN, District, Milestone, Project, ReviewRecord, StageChange
from ..search import SEARCHED, search_index_create, search_index_refresh
from ..selectors.project import stage_missing_conditions

# What project_create and project_update may set; stage and review status move only through their services.
PROJECT_FIELDS = (
    "national_code",
    "name",
    "district",
    "unit",
    "category",
    "implementing_org",
    "content",
    "total_investment",
    "start_year",
    "end_year",
    "remarks",
    "contact_name",
    "contact_phone",
    "expected_revenue",
    "debt_service",
    "construction_started_on",
)
MILESTONE_FIELDS = ("name", "planned_date", "actual_date", "responsible", "note")
DISTRICT_EDITABLE = (ReviewStatus.DRAFT, ReviewStatus.RETURNED)


def project_edit_refusal(*, user, project: Project) -> str | None:
    """Why `user` may not change `project` now, or None when it may; pages ask before showing a form."""
    if not access.is_project_editor(user, project):
        return _("您无权修改该项目。")
    if access.role_of(user) == access.DISTRICT_USER and project.review_status not in DISTRICT_EDITABLE:
        return _("只有草稿或已退回的项目可以由区用户修改；该项目当前状态为“%(s)s”。") % {
            "s": project.get_review_status_display()
        }
    return None


CODE_PREFIX = "MLGZ-"


def _next_code(district: District) -> str:
    """MLGZ-<district>-<year>-<number>: the next number after the highest one taken (numerically)."""
    prefix = f"{CODE_PREFIX}{district.code}-{timezone.localdate().year}-"
    taken = Project.objects.filter(code__startswith=prefix).values_list("code", flat=True)
    numbers = [int(tail) for code in taken if (tail := code.removeprefix(prefix)).isdigit()]
    return f"{prefix}{max(numbers, default=0) + 1:04d}"


def _check_code(code: str, district: District, acting_user) -> None:
    """Only city staff choose a code, and the reserved MLGZ- codes name the project's own district."""
    if access.role_of(acting_user) != access.CITY_STAFF:
        raise ValidationError({"code": _("项目编号由系统自动分配。")})
    if code.startswith(CODE_PREFIX) and not re.fullmatch(rf"MLGZ-{district.code}-\d{{4}}-\d{{4,}}", code):
        raise ValidationError(
            {"code": _("以 MLGZ- 开头的编号为系统保留，格式为 MLGZ-%(d)s-年份-序号。") % {"d": district.code}}
        )


def project_create_refusal(*, user) -> str | None:
    """Why `user` may not create projects, or None when it may."""
    role = access.role_of(user)
    if role not in (access.CITY_STAFF, access.DISTRICT_USER):
        return _("您的角色无权新建项目。")
    if role == access.DISTRICT_USER and access.district_code_of(user) is None:
        return _("您的账户尚未指定所属区，请联系市项目办。")
    return None


def project_create(*, acting_user, code: str = "", **fields) -> Project:
    """A new draft. District users create only in their own district; the code is assigned when blank."""
    reject_unknown_fields(fields, PROJECT_FIELDS)
    refusal = project_create_refusal(user=acting_user)
    if refusal:
        raise PermissionDenied(refusal)
    district = _district_for(fields, _own_district_code(acting_user))
    if code:
        _check_code(code, district, acting_user)
    for attempt in range(5):
        try:
            with transaction.atomic():
                project = Project(
                    code=code or _next_code(district),
                    created_by=acting_user,
                    review_status=ReviewStatus.DRAFT,
                    stage=Stage.PLANNING,
                    **fields,
                )
                record_create(project, acting_user=acting_user, action="project_create", project=project)
                financing_totals_create(projects=[project])
                search_index_create(projects=[project])
                return project
        except IntegrityError:
            # Two creations picked the same code at once; the unique constraint caught it. Try the next one.
            if code or attempt == 4:
                raise
    raise AssertionError("unreachable")


class BatchRefused(ValidationError):
    """Some items of a batch are wrong; `errors` maps each one's index to its ValidationError."""

    def __init__(self, errors: dict[int, ValidationError]):
        super().__init__(_("批量新建被拒绝：%(n)d 项有误。") % {"n": len(errors)})
        self.errors = errors


def _own_district_code(user) -> str | None:
    """A district user's district, to which its new projects are held; None for city staff."""
    return access.district_code_of(user) if access.role_of(user) == access.DISTRICT_USER else None


def _district_for(fields: dict, own_code: str | None, own: District | None = None) -> District:
    """The district of a new project (set in `fields`): a district user's own, by default and only."""
    district = fields.get("district")
    if own_code is not None:
        if district is None:
            fields["district"] = district = own or District.objects.get(pk=own_code)
        elif district.pk != own_code:
            raise ValidationError({"district": _("区用户只能为本区新建项目。")})
    if district is None:
        raise ValidationError({"district": _("请选择项目所在的区。")})
    return district


def _draft(acting_user, fields: dict, own_code: str | None, own: District | None) -> Project:
    """An unsaved draft of `fields`, checked as project_create checks it, without a query per rule."""
    reject_unknown_fields(fields, PROJECT_FIELDS)
    fields = dict(fields)
    _district_for(fields, own_code, own)
    project = Project(
        created_by=acting_user, review_status=ReviewStatus.DRAFT, stage=Stage.PLANNING, **fields
    )
    # Every field is checked as full_clean would, but the code (numbered at insert) and related rows given
    # as instances loaded from the database, which exist: no query to check each one again.
    loaded = {name for name, value in fields.items() if isinstance(value, Model) and not value._state.adding}
    project.clean_fields(exclude={"code", "created_by", *loaded})
    project.clean_row()
    validate_checks(project)
    return project


def project_create_many(*, acting_user, items: list[dict]) -> list[Project]:
    """Many new drafts at once (a district's batch submission), all or none.

    Each item is checked as project_create checks one, every error is collected (BatchRefused), and only
    when all are right are they written: codes numbered on from each district's highest, one INSERT per
    batch for the projects and one for their audit entries, in one transaction. District users create in
    their own district only; the national codes are checked against the library in one query.
    """
    refusal = project_create_refusal(user=acting_user)
    if refusal:
        raise PermissionDenied(refusal)
    own_code = _own_district_code(acting_user)
    own = District.objects.get(pk=own_code) if own_code is not None else None
    errors, drafts = {}, {}
    for index, fields in enumerate(items):
        try:
            drafts[index] = _draft(acting_user, fields, own_code, own)
        except ValidationError as error:
            errors[index] = error
    codes = {project.national_code: index for index, project in drafts.items() if project.national_code}
    for code in Project.objects.filter(national_code__in=list(codes)).values_list("national_code", flat=True):
        errors.setdefault(codes[code], ValidationError({"national_code": NATIONAL_CODE_TAKEN}))
    if errors:
        raise BatchRefused(errors)
    projects = list(drafts.values())
    with transaction.atomic():
        try:
            with transaction.atomic():
                _number(projects)
                insert_rows(Project, projects)
        except IntegrityError:
            # Another writer took a code or a national code meanwhile: create them one by one instead, each
            # with project_create's own retry and messages.
            created, late = [], {}
            for index, item in enumerate(items):
                try:
                    with transaction.atomic():
                        created.append(project_create(acting_user=acting_user, **item))
                except ValidationError as error:
                    late[index] = error
            if late:
                raise BatchRefused(late) from None
            return created
        ids = {}
        codes = [project.code for project in projects]
        for start in range(0, len(codes), 900):
            chunk = codes[start : start + 900]
            ids.update(Project.objects.filter(code__in=chunk).values_list("code", "pk"))
        for project in projects:
            project.pk = ids[project.code]
            project._state.adding, project._state.db = False, "default"
        insert_rows(
            AuditEntry,
            [
                audit_entry(
                    actor=acting_user, action="project_create", instance=project, before=None, project=project
                )
                for project in projects
            ],
        )
        financing_totals_create(projects=projects)
        search_index_create(projects=projects)
    return projects


def _number(projects: list[Project]) -> None:
    """Give each project the next free code of its district and year, in the order given."""
    following = {}
    for project in projects:
        district = project.district
        if district.pk not in following:
            prefix, number = _next_code(district).rsplit("-", 1)
            following[district.pk] = [prefix, int(number)]
        prefix, number = following[district.pk]
        project.code = f"{prefix}-{number:04d}"
        following[district.pk][1] += 1


@transaction.atomic
def project_update(
    *, project: Project, acting_user, expected_version: int | None = None, **fields
) -> Project:
    """Change a project's fields; refused when it changed since `expected_version` was read."""
    reject_unknown_fields(fields, PROJECT_FIELDS)
    project = Project.objects.select_for_update().get(pk=project.pk)
    access.require_project_editor(acting_user, project)
    refusal = project_edit_refusal(user=acting_user, project=project)
    if refusal:
        raise ValidationError(refusal)
    _check_version(project, expected_version)
    moving = "district" in fields and getattr(fields["district"], "pk", None) != project.district_id
    if moving and access.role_of(acting_user) == access.DISTRICT_USER:
        raise ValidationError({"district": _("区用户不能把项目移到其他区。")})
    # A change that changes nothing gets no new version.
    record_update(
        project,
        fields=fields,
        acting_user=acting_user,
        action="project_update",
        project=project,
        bookkeeping=_new_version,
    )
    if "total_investment" in fields:
        financing_totals_refresh(project_ids=[project.pk])
    if fields.keys() & set(SEARCHED):
        search_index_refresh(project_ids=[project.pk])
    return project


def _new_version(project: Project) -> list[str]:
    project.version += 1
    project.updated_at = timezone.now()
    return ["version", "updated_at"]


def _check_version(project: Project, expected_version: int | None) -> None:
    if expected_version is not None and expected_version != project.version:
        raise StaleObjectError(_("该项目在您打开后已被他人修改，请刷新后重新编辑。"), code="stale")


def _review_step(*, project, acting_user, action, allowed_from, to_status, comment="", expected_version=None):
    project = Project.objects.select_for_update().get(pk=project.pk)
    _check_version(project, expected_version)
    if project.review_status not in allowed_from:
        raise ValidationError(
            _("当前入库状态为“%(status)s”，不能%(action)s。")
            % {"status": project.get_review_status_display(), "action": ReviewAction(action).label}
        )
    before = snapshot(project)
    record = ReviewRecord.objects.create(
        project=project,
        action=action,
        from_status=project.review_status,
        to_status=to_status,
        comment=comment,
        by=acting_user,
    )
    project.review_status = to_status
    project.version += 1
    project.updated_at = timezone.now()
    update_fields = ["review_status", "version", "updated_at"]
    if action == ReviewAction.SUBMIT:
        project.submitted_at = record.at
        update_fields.append("submitted_at")
    project.save(update_fields=update_fields)
    audit_record(
        actor=acting_user,
        action=f"project_{action}",
        instance=project,
        before=before,
        project=project,
        note=comment,
    )
    return project


def project_review_refusal(*, user, project: Project) -> str | None:
    """Why `user` may not review `project`, or None when it may."""
    if access.role_of(user) != access.CITY_STAFF:
        return _("您的角色无权进行此操作。")
    last = project.review_records.filter(action=ReviewAction.SUBMIT).order_by("-at", "-pk").first()
    if last is not None and last.by_id == user.pk:
        return _("不能审核自己提交的项目。")
    return None


def _check_not_own_submission(project: Project, acting_user) -> None:
    refusal = project_review_refusal(user=acting_user, project=project)
    if refusal:
        raise PermissionDenied(refusal)


@transaction.atomic
def project_submit(*, project: Project, acting_user, expected_version: int | None = None) -> Project:
    """Submit for review; with `expected_version`, refused if the project changed since it was read."""
    project = Project.objects.select_for_update().get(pk=project.pk)
    access.require_project_editor(acting_user, project)
    return _review_step(
        project=project,
        acting_user=acting_user,
        action=ReviewAction.SUBMIT,
        allowed_from=DISTRICT_EDITABLE,
        to_status=ReviewStatus.SUBMITTED,
        expected_version=expected_version,
    )


@transaction.atomic
def project_return(
    *, project: Project, acting_user, comment: str, expected_version: int | None = None
) -> Project:
    access.require_role(acting_user, access.CITY_STAFF)
    if not (comment or "").strip():
        raise ValidationError({"comment": _("退回时必须填写意见，说明需要修改的内容。")})
    _check_not_own_submission(project, acting_user)
    return _review_step(
        project=project,
        acting_user=acting_user,
        action=ReviewAction.RETURN,
        allowed_from=(ReviewStatus.SUBMITTED,),
        to_status=ReviewStatus.RETURNED,
        comment=comment.strip(),
        expected_version=expected_version,
    )


@transaction.atomic
def project_accept(
    *, project: Project, acting_user, comment: str = "", expected_version: int | None = None
) -> Project:
    """Accept into the library; with `expected_version`, refused if the project changed during the review."""
    access.require_role(acting_user, access.CITY_STAFF)
    _check_not_own_submission(project, acting_user)
    return _review_step(
        project=project,
        acting_user=acting_user,
        action=ReviewAction.ACCEPT,
        allowed_from=(ReviewStatus.SUBMITTED,),
        to_status=ReviewStatus.ACCEPTED,
        comment=(comment or "").strip(),
        expected_version=expected_version,
    )


@transaction.atomic
def project_transition(
    *,
    project: Project,
    stage: str,
    acting_user,
    reason: str = "",
    override: bool = False,
    on: datetime.date | None = None,
    expected_version: int | None = None,
) -> StageChange:
    """Move an accepted project one stage forward when its conditions hold, or back with a reason.

    City staff may move it forward without the conditions by giving a written reason (override);
    what was missing is kept with the move.
    """
    access.require_role(acting_user, access.CITY_STAFF)
    project = Project.objects.select_for_update().get(pk=project.pk)
    _check_version(project, expected_version)
    reason = (reason or "").strip()
    if stage not in Stage.values:
        raise ValidationError({"stage": _("未知的阶段：%(stage)s") % {"stage": stage}})
    if project.review_status != ReviewStatus.ACCEPTED:
        raise ValidationError(_("只有已入库的项目才能变更阶段。"))
    current, target = Stage.order(project.stage), Stage.order(stage)
    if target == current:
        raise ValidationError({"stage": _("项目已处于“%(stage)s”阶段。") % {"stage": Stage(stage).label}})
    missing: list[str] = []
    if target > current:
        if target != current + 1:
            next_label = Stage(Stage.values[current + 1]).label
            raise ValidationError(
                {"stage": _("阶段须逐级推进：下一阶段是“%(next)s”。") % {"next": next_label}}
            )
        missing = stage_missing_conditions(project=project, stage=stage)
        if missing and not override:
            raise ValidationError(
                {"stage": [_("推进到“%(stage)s”的条件尚未满足：") % {"stage": Stage(stage).label}, *missing]},
                code="conditions_missing",
            )
        if missing and not reason:
            raise ValidationError({"reason": _("越过条件推进阶段必须填写书面理由。")})
    elif not reason:
        raise ValidationError({"reason": _("退回到前一阶段必须填写理由。")})
    before = snapshot(project)
    change = StageChange(
        project=project,
        from_stage=project.stage,
        to_stage=stage,
        on=on or timezone.localdate(),
        by=acting_user,
        reason=reason,
        overridden=bool(missing),
        missing=missing,
    )
    change.full_clean()
    change.save()
    project.stage = stage
    project.version += 1
    project.updated_at = timezone.now()
    project.save(update_fields=["stage", "version", "updated_at"])
    note = reason if not missing else _("越过条件：%(reason)s") % {"reason": reason}
    audit_record(
        actor=acting_user,
        action="project_transition",
        instance=project,
        before=before,
        project=project,
        note=note,
    )
    return change


@transaction.atomic
def milestone_record(
    *, acting_user, project: Project | None = None, milestone: Milestone | None = None, **fields
) -> Milestone:
    """Add a milestone to `project`, or change `milestone`.

    City staff may on any project; a district user on its own district's projects, whatever their status.
    """
    reject_unknown_fields(fields, MILESTONE_FIELDS)
    if milestone is not None:
        milestone = Milestone.objects.select_for_update().select_related("project").get(pk=milestone.pk)
        access.require_project_editor(acting_user, milestone.project)
        changed = record_update(
            milestone,
            fields=fields,
            acting_user=acting_user,
            action="milestone_update",
            project=milestone.project,
        )
        if changed:
            _touch(milestone.project)
        return milestone
    if project is None:
        raise ValidationError(_("请指定节点所属的项目。"))
    access.require_project_editor(acting_user, project)
    milestone = Milestone(project=project, **fields)
    record_create(milestone, acting_user=acting_user, action="milestone_create", project=project)
    _touch(project)
    return milestone


def _touch(project: Project) -> None:
    """A change to a project's milestones is a change to the project for "not updated for N days"."""
    Project.objects.filter(pk=project.pk).update(updated_at=timezone.now())
