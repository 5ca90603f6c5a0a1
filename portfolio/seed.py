"""The real seed data of the library, and generated demo data for trying things out and benchmarks.

The real data is the 2024 environment bulletin's: the first two projects financed by 国家开发银行广东省分行.
The bulletin gives the units, loans, borrowers and construction content; total investment and years are not
published, so they are entered as provisional values and the project's remarks say so. Each gets a draft
annual plan for the current year (the total spread evenly over its years, to be verified) and no monthly
reports: nothing the bulletin does not say is invented beyond that.

The demo projects in 成熟/实施 also get the monthly dispatch's records (plans, reports, problems), drawn after
all the other demo records so that those stay the same for a given random seed.
"""

import datetime
import random
from decimal import ROUND_FLOOR, Decimal
from typing import NamedTuple

from django.contrib.auth import get_user_model
from django.contrib.contenttypes.models import ContentType
from django.db import connection, transaction
from django.db.models import Max, Q
from django.urls import reverse
from django.utils import timezone

from financing.choices import (
    CREDIT_APPROVED,
    GRANTED_STATUSES,
    LOAN_SOURCE_TYPES,
    DemandStatus,
    FundingStatus,
    IntentionStatus,
    LoanStatus,
    OrganizationKind,
    RepaymentMethod,
    SourceType,
)
from financing.installments import computed_schedule, schedule_rebuild, schedules_sync
from financing.models import (
    CreditIntention,
    Disbursement,
    FinancingDemand,
    FundingLine,
    Loan,
    Organization,
    Repayment,
)
from financing.selectors import loan_schedule
from financing.totals import financing_totals_refresh
from portfolio.workdays import first_of_next_month, month_of
from projects.choices import (
    Category,
    PlanKind,
    PlanStatus,
    ProblemCategory,
    ProblemStatus,
    ProcedureKind,
    ProcedureStatus,
    ReportStatus,
    ReviewAction,
    ReviewStatus,
    Stage,
)
from projects.deadlines import report_due
from projects.models import (
    District,
    InvestmentPlan,
    Milestone,
    Problem,
    Procedure,
    ProgressReport,
    Project,
    ReviewRecord,
    Unit,
)
from projects.search import search_index_create, search_index_refresh
from projects.services.progress import completed_before

from . import access
from .audit import audit_record
from .db import insert_rows
from .models import AuditEntry, Notification, NotificationKind

LENDER = "国家开发银行广东省分行"
PROVISIONAL = (
    "《2024年广州市生态环境状况公报》仅披露贷款金额、贷款主体和建设内容；"
    "总投资暂按贷款金额登记、起止年份为暂定值，贷款条件（期限、利率、还款方式、签约日期）待补录，请核实后更新。"
)
REAL_PROJECTS = [
    {
        "code": "MLGZ-440112-2024-0001",
        "name": "广州知识城-迳下美丽单元建设项目",
        "unit": "知识城-迳下美丽单元",
        "category": Category.VILLAGE,
        "borrower": "知识城（广州）现代农业发展集团有限公司",
        "content": "实施生境花园、水系连通、高标准农田改造、美丽乡村产业转型升级等工程项目。",
        "loan": Decimal("300000000.00"),
    },
    {
        "code": "MLGZ-440112-2024-0002",
        "name": "黄埔区岭头片区全域土地综合整治暨“美丽广州”建设项目",
        "unit": "黄埔岭头片区美丽单元",
        "category": Category.LAND_CONSOLIDATION,
        "borrower": "广州市岭头投资有限公司",
        "content": "开展耕地提质增量工程、岭头风貌提升、人居环境整治工程及实施农业生态综合体项目。",
        "loan": Decimal("437000000.00"),
    },
]


def _get_or_create(model, lookup: dict, defaults: dict, *, project=None):
    """The record of `lookup`, or a new one audited under `project` (the project itself when it is one)."""
    obj = model.objects.filter(**lookup).first()
    if obj is not None:
        return obj, False
    obj = model(**lookup, **defaults)
    obj.full_clean()
    obj.save()
    audit_record(actor=None, action="seed", instance=obj, before=None, project=project or _as_project(obj))
    return obj, True


def _as_project(obj):
    return obj if isinstance(obj, Project) else None


@transaction.atomic
def seed_real() -> int:
    """Load the two real projects with their units, organisations, funding lines and loans. Idempotent."""
    created = 0
    huangpu = District.objects.get(code="440112")
    lender, new = _get_or_create(Organization, {"name": LENDER}, {"kind": OrganizationKind.BANK})
    created += new
    for spec in REAL_PROJECTS:
        unit, new = _get_or_create(Unit, {"district": huangpu, "name": spec["unit"]}, {})
        created += new
        borrower, new = _get_or_create(
            Organization, {"name": spec["borrower"]}, {"kind": OrganizationKind.ENTERPRISE}
        )
        created += new
        project, new = _get_or_create(
            Project,
            {"code": spec["code"]},
            {
                "name": spec["name"],
                "district": huangpu,
                "unit": unit,
                "category": spec["category"],
                "implementing_org": borrower,
                "content": spec["content"],
                "total_investment": spec["loan"],
                "start_year": 2024,
                "end_year": 2027,
                "stage": Stage.IMPLEMENTATION,
                "review_status": ReviewStatus.ACCEPTED,
                "remarks": PROVISIONAL,
            },
        )
        created += new
        _, new = _get_or_create(
            FundingLine,
            {"project": project, "source_type": SourceType.POLICY_LOAN},
            {
                "programme": f"美丽中国城市样板建设融资（{LENDER}）",
                "year": 2024,
                "planned_amount": spec["loan"],
                "approved_amount": spec["loan"],
                "status": FundingStatus.APPROVED,
            },
            project=project,
        )
        created += new
        _, new = _get_or_create(
            Loan,
            {"project": project, "lender": lender},
            {
                "borrower": borrower,
                "principal": spec["loan"],
                "status": LoanStatus.SIGNED,
                "note": PROVISIONAL,
            },
            project=project,
        )
        created += new
        created += _real_plan(project, timezone.localdate().year)
    real = Project.objects.filter(code__in=[spec["code"] for spec in REAL_PROJECTS])
    financing_totals_refresh(project_ids=real.values_list("pk", flat=True))
    search_index_refresh(project_ids=real.values_list("pk", flat=True))
    schedules_sync(Loan.objects.filter(project__in=real), write=True)  # their balances (no terms yet)
    return created


REAL_PLAN_TARGET = (
    "年度建设目标待区项目办填报；年度计划投资暂按总投资在建设年限内平均分摊（公报未披露分年计划），"
    "请核实后更新。"
)


def _real_plan(project: Project, year: int) -> int:
    """A draft plan for `year`: the total spread evenly over the project's years, within what remains."""
    years = max(project.end_year - project.start_year + 1, 1)
    remaining = project.total_investment - completed_before(project, year)
    share = (project.total_investment / years).quantize(Decimal("0.01"))
    _, new = _get_or_create(
        InvestmentPlan,
        {"project": project, "year": year},
        {
            "planned_amount": max(min(share, remaining), Decimal(0)),
            "kind": PlanKind.NEW_START if year == project.start_year else PlanKind.CONTINUING,
            "completes_this_year": project.end_year == year,
            "target": REAL_PLAN_TARGET,
            "status": PlanStatus.DRAFT,
        },
        project=project,
    )
    return new


DEMO_PREFIX = "DEMO-"
DEMO_MARK = "【演示】"
DEMO_BANKS = ["【演示】农业发展银行广州分行", "【演示】工商银行广州分行", "【演示】建设银行广州分行"]
MILESTONE_NAMES = ["可研批复", "用地预审", "环评批复", "施工招标", "开工", "主体完工", "竣工验收"]
NON_LOAN_SOURCES = [s for s in SourceType.values if s not in LOAN_SOURCE_TYPES]


def _pick(rng: random.Random, weighted: list[tuple]):
    values, weights = zip(*weighted, strict=True)
    return rng.choices(values, weights)[0]


REVIEW_WEIGHTS = [
    (ReviewStatus.ACCEPTED, 70),
    (ReviewStatus.SUBMITTED, 10),
    (ReviewStatus.DRAFT, 10),
    (ReviewStatus.RETURNED, 10),
]
ACCEPTED_STAGE_WEIGHTS = [
    (Stage.PLANNING, 35),
    (Stage.MATURE, 25),
    (Stage.IMPLEMENTATION, 30),
    (Stage.COMPLETED, 10),
]
FUNDING_STATUS_WEIGHTS = [
    (FundingStatus.PLANNED, 2),
    (FundingStatus.APPLIED, 2),
    (FundingStatus.APPROVED, 3),
    (FundingStatus.RECEIVED, 2),
    (FundingStatus.REJECTED, 1),
]


class _DemoReference(NamedTuple):
    """The rows every demo project points at, made once per run."""

    districts: list[District]
    units: dict[str, list[Unit]]
    banks: list[Organization]
    borrowers: dict[str, Organization]


def _next_demo_number() -> int:
    """The number after the highest existing demo code, so repeated runs continue the numbering."""
    last = Project.objects.filter(code__startswith=DEMO_PREFIX).aggregate(m=Max("code"))["m"]
    return int(last.removeprefix(DEMO_PREFIX)) + 1 if last else 1


def _demo_units(districts: list[District]) -> dict[str, list[Unit]]:
    """Three demo units per district, by district code."""
    return {
        district.code: [
            Unit.objects.get_or_create(district=district, name=f"{DEMO_MARK}{district.name}美丽单元{i}")[0]
            for i in (1, 2, 3)
        ]
        for district in districts
    }


def _demo_banks() -> list[Organization]:
    """The demo lenders."""
    return [
        Organization.objects.get_or_create(name=name, defaults={"kind": OrganizationKind.BANK})[0]
        for name in DEMO_BANKS
    ]


def _demo_borrowers(districts: list[District]) -> dict[str, Organization]:
    """One demo city-construction company per district, which implements and borrows for its projects."""
    return {
        d.code: Organization.objects.get_or_create(
            name=f"{DEMO_MARK}{d.name}城市建设投资有限公司", defaults={"kind": OrganizationKind.ENTERPRISE}
        )[0]
        for d in districts
    }


def _demo_reference() -> _DemoReference:
    """Get or create the reference rows (units, then banks, then borrowers: that order fixes their ids)."""
    districts = list(District.objects.all())
    return _DemoReference(districts, _demo_units(districts), _demo_banks(), _demo_borrowers(districts))


def _demo_review_and_stage(rng: random.Random) -> tuple[str, str]:
    """A review status and a stage; only accepted projects get past planning."""
    review = _pick(rng, REVIEW_WEIGHTS)
    stage = Stage.PLANNING
    if review == ReviewStatus.ACCEPTED:
        stage = _pick(rng, ACCEPTED_STAGE_WEIGHTS)
    return review, stage


def _demo_project(rng: random.Random, n: int, ref: _DemoReference, now: datetime.datetime) -> Project:
    """The unsaved demo project number `n` (the order below is the order of its random draws). Whether it
    needs an EIA is drawn where the project's old eia_required field was, so that the draws after it stay
    those of earlier runs; its procedures record it (_demo_procedures reads `demo_eia_needed`)."""
    district = rng.choice(ref.districts)
    category = rng.choice(Category.values)
    review, stage = _demo_review_and_stage(rng)
    start_year = rng.randint(2023, 2028)
    unit = rng.choice(ref.units[district.code] + [None])
    total_investment = Decimal(rng.randrange(500, 200_000)) * 10_000
    end_year = start_year + rng.randint(1, 5)
    eia_needed = rng.random() < 0.6
    project = Project(
        code=f"{DEMO_PREFIX}{n:06d}",
        name=f"{DEMO_MARK}{district.name}{Category(category).label}项目{n}",
        district=district,
        unit=unit,
        category=category,
        implementing_org=ref.borrowers[district.code],
        content=f"{Category(category).label}建设（演示数据）",
        total_investment=total_investment,
        start_year=start_year,
        end_year=end_year,
        stage=stage,
        review_status=review,
        construction_started_on=datetime.date(start_year, rng.randint(1, 12), 1)
        if Stage.order(stage) >= Stage.order(Stage.IMPLEMENTATION)
        else None,
        submitted_at=now - datetime.timedelta(days=rng.randint(1, 400))
        if review != ReviewStatus.DRAFT
        else None,
        is_demo=True,
        created_at=now,
        updated_at=now - datetime.timedelta(days=rng.randint(0, 200)),
    )
    project.demo_eia_needed = eia_needed
    return project


def _create_demo_projects(
    rng: random.Random,
    numbers: range,
    ref: _DemoReference,
    now: datetime.datetime,
    history: "_History | None" = None,
) -> list[Project]:
    """Build and bulk-insert the demo projects numbered `numbers` (with `history`, those being built reach
    back to its first year)."""
    projects = [_demo_project(rng, n, ref, now) for n in numbers]
    if history is not None:
        for project in projects:
            _reach_back(project, history)
    Project.objects.bulk_create(projects, batch_size=1000)
    return projects


def _demo_funding_lines(rng: random.Random, project: Project) -> list[FundingLine]:
    """One to three non-loan funding lines; only granted ones carry an approved amount."""
    lines = []
    for i in range(rng.randint(1, 3)):
        planned = (project.total_investment * Decimal(rng.randint(20, 60)) / 100).quantize(Decimal("0.01"))
        status = _pick(rng, FUNDING_STATUS_WEIGHTS)
        approved = planned if status in GRANTED_STATUSES else Decimal(0)
        lines.append(
            FundingLine(
                project=project,
                source_type=rng.choice(NON_LOAN_SOURCES),
                programme=f"{project.start_year}年第{rng.randint(1, 4)}批（演示）",
                year=project.start_year,
                planned_amount=planned,
                approved_amount=approved,
                received_amount=approved if status == FundingStatus.RECEIVED else Decimal(0),
                status=status,
                document_no=f"演示文号{project.code}-{i}",
            )
        )
    return lines


def _demo_loan(rng: random.Random, project: Project, banks: list[Organization]) -> Loan | None:
    """A loan for half the projects under implementation or later (no draw at all for earlier stages)."""
    if not (Stage.order(project.stage) >= Stage.order(Stage.IMPLEMENTATION) and rng.random() < 0.5):
        return None
    principal = (project.total_investment * Decimal(rng.randint(30, 70)) / 100).quantize(Decimal("0.01"))
    return Loan(
        project=project,
        lender=rng.choice(banks),
        borrower=project.implementing_org,
        contract_no=f"演示合同{project.code}",
        signed_on=datetime.date(project.start_year, 1, 15),
        principal=principal,
        term_months=rng.choice([120, 180, 240]),
        annual_rate=Decimal(rng.choice(["2.8000", "3.1000", "3.4500"])),
        grace_months=rng.choice([0, 12, 24, 36]),
        repayment_method=rng.choice(RepaymentMethod.values),
    )


def _demo_milestones(rng: random.Random, project: Project, today: datetime.date) -> list[Milestone]:
    """Two to four milestones a quarter apart; most past ones are done."""
    milestones = []
    for i, name in enumerate(rng.sample(MILESTONE_NAMES, rng.randint(2, 4))):
        planned = datetime.date(project.start_year, 1, 1) + datetime.timedelta(
            days=90 * (i + 1) + rng.randint(0, 60)
        )
        done = planned < today and rng.random() < 0.7
        milestones.append(
            Milestone(
                project=project,
                name=name,
                planned_date=planned,
                actual_date=planned + datetime.timedelta(days=rng.randint(-10, 30)) if done else None,
                responsible=project.implementing_org.name,
            )
        )
    return milestones


# The review steps behind each demo review status: (action, from, to, days after submission, comment).
DEMO_REVIEW_STEPS = {
    ReviewStatus.DRAFT: [],
    ReviewStatus.SUBMITTED: [(ReviewAction.SUBMIT, ReviewStatus.DRAFT, ReviewStatus.SUBMITTED, 0, "")],
    ReviewStatus.RETURNED: [
        (ReviewAction.SUBMIT, ReviewStatus.DRAFT, ReviewStatus.SUBMITTED, 0, ""),
        (ReviewAction.RETURN, ReviewStatus.SUBMITTED, ReviewStatus.RETURNED, 3, "请补充资金筹措方案（演示）"),
    ],
    ReviewStatus.ACCEPTED: [
        (ReviewAction.SUBMIT, ReviewStatus.DRAFT, ReviewStatus.SUBMITTED, 0, ""),
        (ReviewAction.ACCEPT, ReviewStatus.SUBMITTED, ReviewStatus.ACCEPTED, 5, ""),
    ],
}


def _demo_review_records(project: Project) -> list[ReviewRecord]:
    """The review history that leads to the project's review status (no random draws)."""
    return [
        ReviewRecord(
            project=project,
            action=action,
            from_status=before,
            to_status=after,
            comment=comment,
            at=project.submitted_at + datetime.timedelta(days=days),
        )
        for action, before, after, days, comment in DEMO_REVIEW_STEPS[project.review_status]
    ]


def _create_demo_project_records(
    rng: random.Random, projects: list[Project], banks: list[Organization], today: datetime.date
) -> list[Loan]:
    """Bulk-insert each project's funding lines, milestones, review records and loan; returns the loans.

    They are built project by project, in one loop, because their random draws interleave per project."""
    lines, loans, milestones, records = [], [], [], []
    for project in projects:
        lines += _demo_funding_lines(rng, project)
        loan = _demo_loan(rng, project, banks)
        if loan is not None:
            loans.append(loan)
        milestones += _demo_milestones(rng, project, today)
        records += _demo_review_records(project)
    _insert_in_batches(FundingLine, lines)
    _insert_in_batches(Milestone, milestones)
    _insert_in_batches(ReviewRecord, records)
    Loan.objects.bulk_create(loans, batch_size=1000)
    return loans


def _demo_loan_ledger(rng: random.Random, loan: Loan) -> tuple[list[Disbursement], Repayment | None]:
    """Up to three draw-downs of part of what remains, then for half of the drawn loans a first repayment."""
    disbursements = []
    remaining, disbursed = loan.principal, Decimal(0)
    day = loan.signed_on
    for _i in range(rng.randint(1, 3)):
        amount = (remaining * Decimal(rng.randint(20, 60)) / 100).quantize(Decimal("0.01"))
        if amount <= 0:
            break
        day = day + datetime.timedelta(days=rng.randint(30, 120))
        disbursements.append(Disbursement(loan=loan, date=day, amount=amount))
        remaining -= amount
        disbursed += amount
    if not (disbursed and rng.random() < 0.5):
        return disbursements, None
    repaid = (disbursed * Decimal(rng.randint(5, 20)) / 100).quantize(Decimal("0.01"))
    interest = (disbursed * loan.annual_rate / 100).quantize(Decimal("0.01"))
    return disbursements, Repayment(
        loan=loan, date=day + datetime.timedelta(days=365), principal=repaid, interest=interest
    )


def _create_demo_loan_ledgers(
    rng: random.Random, loans: list[Loan], history: "_History | None" = None
) -> None:
    """Build and bulk-insert the saved loans' disbursements and repayments (with `history`, also those of
    the years since, each audited on its day)."""
    disbursements, repayments = [], []
    for loan in loans:
        drawn, repayment = _demo_loan_ledger(rng, loan)
        disbursements += drawn
        if repayment is not None:
            repayments.append(repayment)
        if history is not None:
            more_drawn, more_paid = _history_ledger(history, loan, drawn, repayment)
            disbursements += more_drawn
            repayments += more_paid
    Disbursement.objects.bulk_create(disbursements, batch_size=BATCH)
    Repayment.objects.bulk_create(repayments, batch_size=BATCH)
    if history is not None:
        _audit_ledger(disbursements, repayments)


# The monthly dispatch of the demo projects in 成熟/实施: annual plans, monthly reports, problems.

DISPATCH_STAGES = (Stage.MATURE, Stage.IMPLEMENTATION)
WAN = Decimal(10_000)
CENT = Decimal("0.01")
# How a project keeps to its plan: (monthly completed as a share of the plan's twelfth, in %: low, high).
PACE_WEIGHTS = [((40, 75), 25), ((85, 110), 50), ((110, 135), 25)]
CURRENT_PLAN_STATUS_WEIGHTS = [(PlanStatus.CONFIRMED, 6), (PlanStatus.DRAFT, 4)]
# The last month's report: None is a report not (yet) written, late once its due date has passed.
LAST_REPORT_WEIGHTS = [
    (ReportStatus.SUBMITTED, 35),
    (ReportStatus.DRAFT, 20),
    (ReportStatus.RETURNED, 20),
    (None, 25),
]
LATE_SHARE = 0.05  # of the older months' reports, submitted after their due date
RECENT_MONTHS = 6  # a problem is raised in one of the project's last six reports, or up to 150 days ago
RETURN_COMMENTS = [
    "本月完成投资与形象进度不匹配，请核实后重新报送（演示）",
    "请补充存在问题及下一步工作安排（演示）",
    "累计完成投资与财务支付数据不一致，请核对后重新报送（演示）",
]
PROBLEM_TEXTS = {
    ProblemCategory.LAND: "部分地块农转用手续未办结，影响施工作业面",
    ProblemCategory.APPROVAL: "施工图审查及施工许可办理进度滞后",
    ProblemCategory.FUNDING: "专项债券资金未及时到位，影响工程款支付",
    ProblemCategory.DEMOLITION: "沿线征地拆迁及青苗补偿未完成",
    ProblemCategory.CONSTRUCTION: "雨季连续降雨，主体工程施工受阻",
    ProblemCategory.OTHER: "与周边在建项目交叉施工，需统筹协调",
}
# Who is to solve a problem of each category ({d} the district's name, {org} the implementing company).
PROBLEM_UNITS = {
    ProblemCategory.LAND: "广州市规划和自然资源局{d}分局",
    ProblemCategory.APPROVAL: "{d}住房和城乡建设局",
    ProblemCategory.FUNDING: "{d}财政局",
    ProblemCategory.DEMOLITION: "{d}土地开发中心",
    ProblemCategory.CONSTRUCTION: "{org}",
    ProblemCategory.OTHER: "{d}发展和改革局",
}
PHASES = [
    (10, "前期工作及场地准备"),
    (40, "主体工程施工"),
    (80, "主体工程推进，部分节点完成"),
    (101, "收尾及附属工程"),
]


def _at(day: datetime.date, hour: int) -> datetime.datetime:
    """`hour` o'clock of `day` in the current time zone (Asia/Shanghai: no daylight saving to mind)."""
    # The default zone is the current one here (no request activates another); it is cached, the current
    # one is looked up per call, which across years of reports is a good part of the seed's time.
    return datetime.datetime.combine(day, datetime.time(hour), tzinfo=timezone.get_default_timezone())


def _between(rng: random.Random, start: datetime.datetime, end: datetime.datetime) -> datetime.datetime:
    return start + (end - start) * rng.random()


def _wan_floor(amount: Decimal) -> Decimal:
    """Down to whole 万元, as plans are written."""
    return max((amount / WAN).to_integral_value(rounding=ROUND_FLOOR) * WAN, Decimal(0))


def _months(first: datetime.date, last: datetime.date) -> list[datetime.date]:
    months = []
    while first <= last:
        months.append(first)
        first = first_of_next_month(first)
    return months


class _DispatchClock(NamedTuple):
    """The run's today and now, and the months the demo reports cover."""

    today: datetime.date
    now: datetime.datetime
    years: tuple[int, int]  # the previous and the current year
    last_month: datetime.date  # the last month reported (the one before today's)


def _demo_plan(
    rng: random.Random, project: Project, year: int, remaining: Decimal, clock: _DispatchClock
) -> InvestmentPlan:
    """The project's plan for `year`, at most `remaining` (the total less what earlier years completed)."""
    total = project.total_investment
    if project.stage == Stage.MATURE:
        kind, amount = PlanKind.PREPARATORY, total * rng.randint(2, 8) / 100
    else:
        kind = PlanKind.NEW_START if year == project.start_year else PlanKind.CONTINUING
        # Its even share of the total, more or less; what earlier years did unreported is taken as done.
        years = max(project.end_year - project.start_year + 1, 1)
        amount = total * rng.randint(70, 130) / 100 / years
    created = min(_at(datetime.date(year, 1, 5), 9) + datetime.timedelta(days=rng.randint(0, 25)), clock.now)
    current = year == clock.years[1]
    status = _pick(rng, CURRENT_PLAN_STATUS_WEIGHTS) if current else PlanStatus.CONFIRMED
    confirmed = None
    if status == PlanStatus.CONFIRMED:
        confirmed = min(created + datetime.timedelta(days=rng.randint(10, 40)), clock.now)
    goal = "完成可研、用地、环评等前期工作" if kind == PlanKind.PREPARATORY else "完成年度投资和形象进度目标"
    return InvestmentPlan(
        project=project,
        year=year,
        planned_amount=_wan_floor(min(amount, remaining)),
        kind=kind,
        completes_this_year=project.end_year == year,
        target=f"{year}年{goal}{'并竣工' if project.end_year == year else ''}（演示）",
        status=status,
        confirmed_at=confirmed,
        created_at=created,
        updated_at=confirmed or created,
    )


def _submitted_at(
    rng: random.Random, period: datetime.date, late: bool, now: datetime.datetime
) -> datetime.datetime | None:
    """When the report of `period` was first submitted: from the 28th of the month to its due date, or (late)
    up to ten days after that; None when that time has not come yet."""
    due = report_due(period).day
    if late:
        start, end = _at(due + datetime.timedelta(days=1), 9), _at(due + datetime.timedelta(days=10), 18)
    else:
        start, end = _at(period + datetime.timedelta(days=27), 8), _at(due, 18)
    end = min(end, now - datetime.timedelta(minutes=5))
    return _between(rng, start, end) if end > start else None


def _review_after(rng: random.Random, submitted: datetime.datetime, now: datetime.datetime):
    return min(submitted + datetime.timedelta(hours=rng.randint(4, 120)), now - datetime.timedelta(minutes=1))


def _report_steps(rng: random.Random, report: ProgressReport, last: bool, clock: _DispatchClock) -> bool:
    """Set the report's status, times, version and comment; False when it is not written at all."""
    if last:
        status = _pick(rng, LAST_REPORT_WEIGHTS)
        if status is None:
            return False
        late = False
    else:
        status, late = ReportStatus.ACCEPTED, rng.random() < LATE_SHARE
    submitted = _submitted_at(rng, report.period, late, clock.now) if status != ReportStatus.DRAFT else None
    if submitted is None:
        status = ReportStatus.DRAFT
    report.status = status
    report.first_submitted_at = report.submitted_at = submitted
    report.version = {ReportStatus.DRAFT: 1, ReportStatus.SUBMITTED: 2}.get(status, 3)
    if status in (ReportStatus.ACCEPTED, ReportStatus.RETURNED):
        report.reviewed_at = _review_after(rng, submitted, clock.now)
    if status == ReportStatus.RETURNED:
        report.review_comment = rng.choice(RETURN_COMMENTS)
    report.updated_at = report.reviewed_at or submitted or report.created_at
    return True


def _physical(period: datetime.date, percent: Decimal) -> str:
    phase = next(text for bound, text in PHASES if percent < bound)
    return f"{period.year}年{period.month}月：{phase}，形象进度{percent}%（演示）"


def _demo_year_reports(
    rng: random.Random,
    project: Project,
    plan: InvestmentPlan,
    pace: tuple[int, int],
    done: Decimal,
    clock: _DispatchClock,
    since: datetime.date | None = None,
) -> tuple[list[ProgressReport], Decimal]:
    """The reports of the plan's year up to the last month (from `since` on), `done` completed before; and
    the new `done`."""
    first = max(datetime.date(plan.year, 1, 1), datetime.date(project.start_year, 1, 1), since or EPOCH)
    last = min(datetime.date(plan.year, 12, 1), clock.last_month)
    reports = []
    twelfth = plan.planned_amount / 12
    for period in _months(first, last):
        amount = (twelfth * rng.randint(*pace) / 100 * rng.randint(50, 150) / 100).quantize(CENT)
        amount = max(min(amount, project.total_investment - done), Decimal(0))
        percent = min((done + amount) * 100 / project.total_investment, Decimal(100)).quantize(
            Decimal("0.1"), rounding=ROUND_FLOOR
        )
        report = ProgressReport(
            project=project,
            period=period,
            completed_amount=amount,
            progress_percent=percent,
            physical_progress=_physical(period, percent),
            created_at=_at(period + datetime.timedelta(days=24), 10),
        )
        if _report_steps(rng, report, period == clock.last_month, clock):
            reports.append(report)
            done += amount
    return reports, done


def _demo_problems(
    rng: random.Random, project: Project, reports: list[ProgressReport], clock: _DispatchClock
) -> list[Problem]:
    """For two projects in five, one to three problems raised in the last months: half in a monthly report
    (its 存在问题 says the same), the others on a day of their own; about half resolved by today."""
    if not (reports and rng.random() < 0.4):
        return []
    problems = []
    for _i in range(rng.randint(1, 3)):
        category = rng.choice(ProblemCategory.values)
        description = f"{DEMO_MARK}{PROBLEM_TEXTS[category]}"
        free = [r for r in reports[-RECENT_MONTHS:] if not r.problems_note]
        report = rng.choice(free) if free and rng.random() < 0.5 else None
        if report is not None:
            report.problems_note = description
            raised = timezone.localdate(report.first_submitted_at or report.created_at)
        else:
            raised = max(clock.today - datetime.timedelta(days=rng.randint(5, 150)), reports[0].period)
        due = raised + datetime.timedelta(days=rng.randint(15, 90))
        resolved = raised + datetime.timedelta(days=rng.randint(3, 60))
        done = resolved <= clock.today and rng.random() < 0.5
        problems.append(
            Problem(
                project=project,
                report=report,
                category=category,
                description=description,
                responsible_unit=PROBLEM_UNITS[category].format(
                    d=project.district.name, org=project.implementing_org.name
                ),
                raised_on=raised,
                due_on=due,
                status=ProblemStatus.RESOLVED if done else ProblemStatus.OPEN,
                resolved_on=resolved if done else None,
                resolution="经区重点项目协调会研究，已落实解决（演示）" if done else "",
                created_at=min(_at(raised, 11), clock.now),
            )
        )
    return problems


def _demo_dispatch(
    rng: random.Random, project: Project, clock: _DispatchClock, done: Decimal = Decimal(0)
) -> tuple[list[InvestmentPlan], list[ProgressReport], list[Problem]]:
    """A project's plans for the previous and the current year (from its start year), the reports of those
    years up to the last month, and its problems; `done` is what earlier years' reports completed. Each
    year's plan is within what the earlier years left."""
    pace = _pick(rng, PACE_WEIGHTS)
    plans, reports = [], []
    for year in clock.years:
        if project.start_year > year:
            continue
        plan = _demo_plan(rng, project, year, project.total_investment - done, clock)
        year_reports, done = _demo_year_reports(rng, project, plan, pace, done, clock)
        plans.append(plan)
        reports += year_reports
    return plans, reports, _demo_problems(rng, project, reports, clock)


def _insert_reports(reports: list[ProgressReport]) -> None:
    """Insert the reports by the bulk path that compiles no statement per row, then read back their ids (by
    project and month, which are unique) for the problems and audit entries that point at them."""
    _insert_in_batches(ProgressReport, reports)
    ids = {
        (project, period): pk
        for pk, project, period in ProgressReport.objects.filter(
            project_id__in={r.project_id for r in reports}
        ).values_list("pk", "project_id", "period")
    }
    for report in reports:
        report.pk = ids[(report.project_id, report.period)]


def _create_demo_dispatch(
    rng: random.Random, projects: list[Project], today: datetime.date, history: "_History | None" = None
) -> None:
    """Build and bulk-insert the dispatch records of the accepted demo projects in 成熟/实施 (with `history`,
    those being built also have the plans and reports of the years before, and every report its audit
    entries), a slice of projects at a time so that years of reports never sit in memory at once."""
    last_month = month_of(month_of(today) - datetime.timedelta(days=1))
    clock = _DispatchClock(today, timezone.now(), (today.year - 1, today.year), last_month)
    plans, reports, problems = [], [], []
    for index, project in enumerate(projects, 1):
        if project.review_status == ReviewStatus.ACCEPTED and project.stage in DISPATCH_STAGES:
            done = Decimal(0)
            if history is not None and project.stage == Stage.IMPLEMENTATION:
                old_plans, old_reports, done = _history_dispatch(history, project, clock)
                plans += old_plans
                reports += old_reports
            more_plans, more_reports, more_problems = _demo_dispatch(rng, project, clock, done)
            plans += more_plans
            reports += more_reports
            problems += more_problems
        if index % DISPATCH_SLICE == 0 or index == len(projects):
            _insert_in_batches(InvestmentPlan, plans)
            _insert_reports(reports)
            _insert_in_batches(Problem, problems)
            if history is not None:
                _audit_reports(reports)
            plans, reports, problems = [], [], []


# The demo projects' preparatory procedures (前期手续) and financing-balance figures (收益与融资自求平衡),
# drawn after every other demo record so that those stay the same for a given random seed.

# Each kind's approval number (n the project's number, {d} its district) and authority.
PROCEDURE_PAPERS = {
    ProcedureKind.PROPOSAL: ("{d}发改（演示）〔{y}〕{n}号", "{d}发展和改革局"),
    ProcedureKind.FEASIBILITY: ("穗发改（演示）{n}号", "广州市发展和改革委员会"),
    ProcedureKind.LAND: ("穗规划资源（演示）{n}号", "广州市规划和自然资源局"),
    ProcedureKind.PLANNING: ("建字（演示）第{y}{n:06d}号", "广州市规划和自然资源局{d}分局"),
    ProcedureKind.EIA: ("穗环评（演示）{n}号", "广州市生态环境局"),
    ProcedureKind.ENERGY: ("{d}发改能审（演示）〔{y}〕{n}号", "{d}发展和改革局"),
    ProcedureKind.FOREST: ("粤林地许（演示）〔{y}〕{n}号", "广东省林业局"),
    ProcedureKind.WATER_CONSERVATION: ("穗水保（演示）〔{y}〕{n}号", "广州市水务局"),
    ProcedureKind.CONSTRUCTION_PERMIT: ("施（演示）{y}{n:06d}", "{d}住房和城乡建设局"),
}
# How far an advanced project (成熟 or later) has come with each kind beyond the three the 成熟 gate reads:
# weights of done, in progress, not needed, pending.
ADVANCED_PROCEDURE_WEIGHTS = {
    ProcedureKind.PROPOSAL: [("done", 9), ("not_needed", 1)],
    ProcedureKind.PLANNING: [("done", 6), ("in_progress", 3), ("pending", 1)],
    ProcedureKind.ENERGY: [("done", 5), ("in_progress", 2), ("not_needed", 3)],
    ProcedureKind.FOREST: [("done", 1), ("in_progress", 1), ("not_needed", 8)],
    ProcedureKind.WATER_CONSERVATION: [("done", 5), ("in_progress", 3), ("not_needed", 2)],
}
# The coverage of debt service by the project's own revenue (收益 ÷ 融资本息), around the 1.20 the city asks
# of 专项债 by default: both sides of it.
DEMO_COVERAGES = ["0.95", "1.08", "1.15", "1.22", "1.35", "1.60", "2.10"]


def _demo_procedure(project: Project, kind: str, status: str, day: datetime.date, n: int) -> Procedure:
    number, authority = PROCEDURE_PAPERS[kind]
    district = project.district.name
    done = status == ProcedureStatus.DONE
    return Procedure(
        project=project,
        kind=kind,
        status=status,
        approval_no=number.format(d=district[:2], y=day.year, n=n) if done else "",
        approved_on=day if done else None,
        authority=authority.format(d=district) if status != ProcedureStatus.NOT_NEEDED else "",
        updated_at=project.updated_at,
    )


def _demo_procedures(rng: random.Random, project: Project, n: int, today: datetime.date) -> list[Procedure]:
    """An advanced project (成熟 or later) has its feasibility, land and EIA (or no need of one) done, most of
    the rest done, some in progress or not needed, and a construction permit once it is being built. An
    earlier one has a proposal perhaps and its feasibility under way; one that needs no EIA says so."""
    advanced = Stage.order(project.stage) >= Stage.order(Stage.MATURE)
    first = min(datetime.date(project.start_year - 1, 3, 1), today)
    statuses = {}
    if advanced:
        statuses[ProcedureKind.PROPOSAL] = _pick(rng, ADVANCED_PROCEDURE_WEIGHTS[ProcedureKind.PROPOSAL])
        statuses[ProcedureKind.FEASIBILITY] = ProcedureStatus.DONE
        statuses[ProcedureKind.LAND] = ProcedureStatus.DONE
        statuses[ProcedureKind.PLANNING] = _pick(rng, ADVANCED_PROCEDURE_WEIGHTS[ProcedureKind.PLANNING])
        statuses[ProcedureKind.EIA] = (
            ProcedureStatus.DONE if project.demo_eia_needed else ProcedureStatus.NOT_NEEDED
        )
        for kind in (ProcedureKind.ENERGY, ProcedureKind.FOREST, ProcedureKind.WATER_CONSERVATION):
            statuses[kind] = _pick(rng, ADVANCED_PROCEDURE_WEIGHTS[kind])
        building = Stage.order(project.stage) >= Stage.order(Stage.IMPLEMENTATION)
        statuses[ProcedureKind.CONSTRUCTION_PERMIT] = (
            ProcedureStatus.DONE if building else _pick(rng, [("in_progress", 1), ("pending", 1)])
        )
    else:
        if rng.random() < 0.5:
            statuses[ProcedureKind.PROPOSAL] = ProcedureStatus.DONE
            if rng.random() < 0.6:
                statuses[ProcedureKind.FEASIBILITY] = ProcedureStatus.IN_PROGRESS
        if not project.demo_eia_needed:
            statuses[ProcedureKind.EIA] = ProcedureStatus.NOT_NEEDED
    procedures = []
    for index, kind in enumerate(ProcedureKind):
        status = statuses.get(kind)
        if status is None or status == ProcedureStatus.PENDING:
            continue  # a kind without a row is 未办理
        day = min(first + datetime.timedelta(days=45 * index + rng.randint(0, 30)), today)
        procedures.append(_demo_procedure(project, kind, status, day, n))
    return procedures


def _demo_balance(rng: random.Random, project: Project) -> bool:
    """Financing-balance figures for most advanced projects and some earlier ones in the library: the debt
    service a share of the investment, the revenue that times one of DEMO_COVERAGES. Whether it set them."""
    advanced = Stage.order(project.stage) >= Stage.order(Stage.MATURE)
    if rng.random() >= (0.7 if advanced else 0.2):
        return False
    debt = (project.total_investment * Decimal(rng.randint(30, 80)) / 100).quantize(CENT)
    project.debt_service = debt
    project.expected_revenue = (debt * Decimal(rng.choice(DEMO_COVERAGES))).quantize(CENT)
    return True


def _create_demo_procedures(rng: random.Random, projects: list[Project], today: datetime.date) -> None:
    """Bulk-insert the demo projects' procedures and set their financing-balance figures (one UPDATE per
    batch)."""
    procedures, balanced = [], []
    for project in projects:
        n = int(project.code.removeprefix(DEMO_PREFIX))
        procedures += _demo_procedures(rng, project, n, today)
        if _demo_balance(rng, project):
            balanced.append(project)
    _insert_in_batches(Procedure, procedures)
    Project.objects.bulk_update(balanced, ["expected_revenue", "debt_service"], batch_size=1000)


def _audit_demo_seed(projects: list[Project]) -> None:
    """One audit entry for the whole run (bulk inserts write none), under its first project."""
    audit_record(
        actor=None,
        action="seed_demo",
        instance=projects[0],
        before=None,
        project=projects[0],
        note=f"生成演示项目 {len(projects)} 个（{projects[0].code} 至 {projects[-1].code}）",
    )


# Years of history (seed --demo N --history-years Y): what a library that has run for years holds, for the
# growth benchmark. The projects being built reach back to the first year of it and report every month
# since; their loans are drawn quarter by quarter and repaid as their schedules fall due; every report and
# ledger row has the audit entries its service would have written; the users reminded today have the
# reminders of those months. Drawn from random generators of their own, so that the records above stay
# those of the same random seed without history.

BATCH = 5000  # rows per INSERT statement of the bulk paths
DISPATCH_SLICE = 2000  # projects whose dispatch records are built and inserted together
EPOCH = datetime.date(2000, 1, 1)
LATE_PAYMENT_SHARE = 0.05  # of the installments due, paid a few days late
MISSED_PAYMENT_SHARE = 0.02  # of the installments due, not paid at all (past dues)


class _History(NamedTuple):
    years: int
    since: datetime.date  # the first month of history: `years` years before the current month
    today: datetime.date
    now: datetime.datetime
    reports_rng: random.Random
    ledger_rng: random.Random


def _history(years: int, seed: int, today: datetime.date) -> _History:
    months = today.year * 12 + today.month - 1 - 12 * years
    since = datetime.date(months // 12, months % 12 + 1, 1)
    return _History(
        years,
        since,
        today,
        timezone.now(),
        random.Random(f"{seed}:history:reports"),
        random.Random(f"{seed}:history:ledger"),
    )


def _reach_back(project: Project, history: _History) -> None:
    """A project being built starts by the first year of history at the latest and is still underway."""
    if project.review_status != ReviewStatus.ACCEPTED or project.stage != Stage.IMPLEMENTATION:
        return
    first = history.since.year
    if project.start_year <= first:
        return
    project.start_year = first
    project.end_year = max(project.end_year, history.today.year)
    if project.construction_started_on is not None:
        project.construction_started_on = project.construction_started_on.replace(year=first)


def _history_drawings(history: _History, loan: Loan, drawn: list[Disbursement]) -> list[Disbursement]:
    """A drawing every two to four months after the first ones, of a share of what is still undrawn, up to
    yesterday and within the loan's term, until (nearly) all is drawn."""
    rng, total = history.ledger_rng, sum((d.amount for d in drawn), Decimal(0))
    day = max((d.date for d in drawn), default=loan.signed_on)
    maturity = loan.maturity
    more = []
    while True:
        day += datetime.timedelta(days=rng.randint(60, 120))
        if day >= history.today or (maturity is not None and day > maturity):
            return more
        amount = ((loan.principal - total) * Decimal(rng.randint(10, 30)) / 100).quantize(CENT)
        if amount < WAN:
            return more
        more.append(Disbursement(loan=loan, date=day, amount=amount, note="按工程进度提款（演示）"))
        total += amount


def _history_ledger(
    history: _History, loan: Loan, drawn: list[Disbursement], repayment: Repayment | None
) -> tuple[list[Disbursement], list[Repayment]]:
    """The loan's drawings since its first ones, and the repayment of each installment its schedule made due
    before today, on its day (a few late, a few missed), never more principal than is outstanding."""
    if loan.signed_on is None or loan.signed_on >= history.today:
        return [], []
    rng = history.ledger_rng
    more = _history_drawings(history, loan, drawn)
    every = sorted([*drawn, *more], key=lambda d: d.date)
    schedule = computed_schedule(loan=loan, disbursements=every, repayments=[])
    if schedule is None:
        return more, []
    repaid = repayment.principal if repayment is not None else Decimal(0)
    paid = []
    for installment in schedule.installments:
        if installment.due >= history.today:
            break
        if installment.total <= 0 or rng.random() < MISSED_PAYMENT_SHARE:
            continue
        day = installment.due
        if rng.random() < LATE_PAYMENT_SHARE:
            day = min(day + datetime.timedelta(days=rng.randint(1, 10)), history.today - DAY)
        drawn_by = sum((d.amount for d in every if d.date <= day), Decimal(0))
        principal = max(min(installment.principal, drawn_by - repaid), Decimal(0))
        if principal == 0 and installment.interest == 0:
            continue
        paid.append(
            Repayment(
                loan=loan,
                date=day,
                principal=principal,
                interest=installment.interest,
                note="按计划还本付息（演示）",
            )
        )
        repaid += principal
    return more, paid


def _history_dispatch(
    history: _History, project: Project, clock: _DispatchClock
) -> tuple[list[InvestmentPlan], list[ProgressReport], Decimal]:
    """The confirmed plans and the (accepted) reports of the years of history before the dispatch's two,
    and what they completed."""
    rng, total = history.reports_rng, project.total_investment
    pace = _pick(rng, PACE_WEIGHTS)
    plans, reports, done = [], [], Decimal(0)
    for year in range(max(history.since.year, project.start_year), clock.years[0]):
        plan = _demo_plan(rng, project, year, total - done, clock)
        year_reports, done = _demo_year_reports(rng, project, plan, pace, done, clock, since=history.since)
        plans.append(plan)
        reports += year_reports
    return plans, reports, done


def _entry(model_type: int, obj, action: str, at: datetime.datetime, changes: dict, project_id):
    return AuditEntry(
        at=at,
        action=action,
        content_type_id=model_type,
        object_id=str(obj.pk),
        object_repr=str(obj)[:250],
        project_id=project_id,
        changes=changes,
    )


def _insert_in_batches(model, rows: list) -> None:
    for start in range(0, len(rows), BATCH):
        insert_rows(model, rows[start : start + BATCH])


def _audit_reports(reports: list[ProgressReport]) -> None:
    """The entries report_create, report_submit and report_accept or report_return would have written."""
    kind = ContentType.objects.get_for_model(ProgressReport).pk
    entries = []
    for r in reports:
        figures = {"completed_amount": [None, str(r.completed_amount)], "status": [None, ReportStatus.DRAFT]}
        entries.append(_entry(kind, r, "report_create", r.created_at, figures, r.project_id))
        if r.first_submitted_at is not None:
            step = {"status": [ReportStatus.DRAFT, ReportStatus.SUBMITTED]}
            entries.append(_entry(kind, r, "report_submit", r.first_submitted_at, step, r.project_id))
        if r.reviewed_at is not None:
            action = "report_accept" if r.status == ReportStatus.ACCEPTED else "report_return"
            step = {"status": [ReportStatus.SUBMITTED, r.status]}
            entries.append(_entry(kind, r, action, r.reviewed_at, step, r.project_id))
    _insert_in_batches(AuditEntry, entries)


def _audit_ledger(disbursements: list[Disbursement], repayments: list[Repayment]) -> None:
    """The entries disbursement_record and repayment_record would have written, on the day of each."""
    now = timezone.now()
    entries = []
    for action, rows in (("disbursement_record", disbursements), ("repayment_record", repayments)):
        kind = ContentType.objects.get_for_model(rows[0]).pk if rows else None
        for row in rows:
            figures = {"date": [None, row.date.isoformat()]}
            if isinstance(row, Disbursement):
                figures["amount"] = [None, str(row.amount)]
            else:
                figures |= {"principal": [None, str(row.principal)], "interest": [None, str(row.interest)]}
            at = min(_at(row.date, 10), now)
            entries.append(_entry(kind, row, action, at, figures, row.loan.project_id))
    _insert_in_batches(AuditEntry, entries)


def _history_users() -> tuple[list, list]:
    """The active city staff and district users (as the reminders find them): (city, district)."""
    users = (
        get_user_model()
        .objects.filter(is_active=True)
        .filter(Q(is_superuser=True) | Q(groups__name__in=(access.CITY_STAFF, access.DISTRICT_USER)))
        .distinct()
        .order_by("pk")
    )
    city, district = [], []
    for user in users:
        (city if access.role_of(user) == access.CITY_STAFF else district).append(user)
    return city, district


def _create_demo_notifications(history: _History) -> None:
    """Each month of history: every district user was reminded of the report coming due, and of it being
    late one month in four; city staff had the daily summary on the due day. All read since."""
    rng = history.ledger_rng
    city, district = _history_users()
    if not city and not district:
        return
    link = reverse("projects:monthly")
    last = month_of(month_of(history.today) - DAY)
    rows = []
    for period in _months(history.since, last):
        label = f"{period:%Y-%m}"
        due = report_due(period).day
        notices = [
            (user, NotificationKind.REPORT_DUE, due - 2 * DAY, f"{label} 月报即将到期") for user in district
        ]
        notices += [
            (user, NotificationKind.REPORT_LATE, due + DAY, f"{label} 月报逾期未报")
            for user in district
            if rng.random() < 0.25
        ]
        notices += [(user, NotificationKind.CITY_SUMMARY, due, f"{label} 全市月报汇总") for user in city]
        for user, kind, day, title in notices:
            at = min(_at(day, 8), history.now)
            rows.append(
                Notification(
                    user=user,
                    kind=kind,
                    title=title,
                    body="（演示历史数据）",
                    link=f"{link}?period={label}",
                    key=f"{kind}:history:{label}:{day.isoformat()}",
                    created_at=at,
                    read_at=min(at + datetime.timedelta(hours=rng.randint(1, 72)), history.now),
                )
            )
    Notification.objects.bulk_create(rows, batch_size=BATCH, ignore_conflicts=True)


@transaction.atomic
def seed_demo(count: int, *, rng_seed: int | None = None, history_years: int = 0) -> int:
    """Add `count` generated projects, marked as demo, with their funding, loans and milestones, for those
    in 成熟/实施 their plans, monthly reports and problems, and their preparatory procedures and
    financing-balance figures (bulk). With `history_years`, those being built have that many years of
    monthly reports, drawings and repayments before the current month, with their audit entries, and the
    users reminded today have their notifications of those months."""
    if count <= 0:
        return 0
    start = _next_demo_number()
    seed = rng_seed if rng_seed is not None else start
    rng = random.Random(seed)
    today = timezone.localdate()
    now = timezone.now()
    history = _history(history_years, seed, today) if history_years > 0 else None
    ref = _demo_reference()
    # Each step reads what the steps before it wrote: the planner's statistics are refreshed between them.
    projects = _create_demo_projects(rng, range(start, start + count), ref, now, history)
    refresh_statistics()
    loans = _create_demo_project_records(rng, projects, ref.banks, today)
    refresh_statistics()
    _create_demo_loan_ledgers(rng, loans, history)
    refresh_statistics()
    # After the records above: its draws leave them unchanged.
    _create_demo_dispatch(rng, projects, today, history)
    refresh_statistics()
    _create_demo_procedures(rng, projects, today)  # last, for the same reason
    if history is not None:
        _create_demo_notifications(history)
    refresh_statistics()
    financing_totals_refresh(project_ids=[project.pk for project in projects])
    search_index_create(projects=projects)
    schedules_sync(Loan.objects.filter(pk__in=[loan.pk for loan in loans]), write=True)  # stored schedules
    _audit_demo_seed(projects)
    refresh_statistics()
    return count


def refresh_statistics() -> None:
    """After a bulk load, PostgreSQL's planner statistics (ANALYZE) for the rows just written, as autovacuum
    would gather them a little later. Without them a table analysed while it was empty is planned as holding
    one row, and the nested loops chosen for the ledger's subqueries over thousands of rows take minutes;
    so are the tally triggers' lookups (a plan cached by the session is planned again after ANALYZE). Inside
    a transaction ANALYZE sees that transaction's own rows."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")


# The 政银企 platform's demo: financing demands of demo library projects and the three banks' answers.

# Each demand: its status, how many days ago it was published, and the intentions on it as (bank, status).
# Bank 0 is the real 国家开发银行广东省分行, 1 and 2 the first two demo banks. A signed intention comes with
# the loan its bank registered for the project: drawn and repaid as its schedule fell due, but bank 1's last
# installment, left past due.
# (status, published days ago, [(bank, status of its intention)…]); bank 0 is 国家开发银行广东省分行, whose
# lending stays the real seed's (its two loans): it signs nothing in the demo.
PLATFORM_DEMANDS = [
    ("published", 60, [(0, "intended"), (1, "approved"), (2, "declined")]),
    ("published", 45, [(1, "intended"), (2, "approved"), (0, "withdrawn")]),
    ("published", 210, [(2, "signed"), (0, "intended")]),
    ("closed", 480, [(1, "signed"), (0, "declined"), (2, "withdrawn")]),
    ("published", 330, [(0, "approved"), (1, "withdrawn")]),
    ("draft", None, []),
]
PLATFORM_PURPOSES = [
    "河湖水系综合整治及生态修复工程建设",
    "美丽乡村人居环境整治及配套设施建设",
    "城市公园及绿道网络提升工程建设",
    "全域土地综合整治及耕地提质改造",
    "碧道及滨水空间建设",
    "生态产业导入及配套基础设施建设",
]
PLATFORM_RATES = ["3.1000", "2.9500", "3.2500"]
# The stages whose projects ask for credit first: those being built or about to be.
PLATFORM_STAGES = (Stage.IMPLEMENTATION, Stage.MATURE)
DAY = datetime.timedelta(days=1)


def _platform_banks() -> list[Organization]:
    """国家开发银行广东省分行 (the real seed's bank) and the first two demo banks."""
    real, _new = _get_or_create(Organization, {"name": LENDER}, {"kind": OrganizationKind.BANK})
    return [real, *_demo_banks()[:2]]


def _platform_projects(count: int) -> list[Project]:
    """Accepted demo projects with no demand yet, those being built or about to be first, by code."""
    candidates = list(
        Project.objects.filter(is_demo=True, review_status=ReviewStatus.ACCEPTED)
        .exclude(financing_demands__isnull=False)
        .select_related("district", "implementing_org")
        .order_by("code")
    )
    candidates.sort(key=lambda p: p.stage not in PLATFORM_STAGES)  # stable: by code within each group
    return candidates[:count]


def _saved(obj):
    """`obj` checked by its model's rules and constraints, then saved."""
    obj.full_clean()
    obj.save()
    return obj


def _platform_demand(
    project: Project, status: str, days_ago: int | None, index: int, today
) -> FinancingDemand:
    published = today - days_ago * DAY if days_ago is not None else None
    return _saved(
        FinancingDemand(
            project=project,
            amount=max(_wan_floor(project.total_investment * Decimal("0.4")), WAN * 100),
            term_months=180,
            purpose=f"{PLATFORM_PURPOSES[index % len(PLATFORM_PURPOSES)]}（演示）",
            contact_name=f"{DEMO_MARK}{project.district.name}项目办",
            contact_phone=f"020-8300{index:04d}",
            status=status,
            published_on=published,
            closed_on=published + 120 * DAY if status == DemandStatus.CLOSED else None,
            created_at=_at((published or today) - 7 * DAY, 10),
        )
    )


def _platform_loan(intention: CreditIntention, *, behind: bool, today: datetime.date) -> Loan:
    """The loan registered for a signed intention, ten days after the bank's decision: half drawn 20 days
    after signing, 30% more after 120; each installment due before today repaid on its day, the last one
    left unpaid when `behind`."""
    project = intention.demand.project
    signed = timezone.localdate(intention.decided_at) + 10 * DAY
    loan = _saved(
        Loan(
            project=project,
            lender=intention.lender,
            borrower=project.implementing_org,
            contract_no=f"演示合同{project.code}-政银企",
            signed_on=signed,
            principal=intention.amount,
            term_months=intention.term_months,
            annual_rate=intention.indicative_rate,
            grace_months=12,
            repayment_method=RepaymentMethod.EQUAL_PRINCIPAL,
            note="政银企对接签约（演示）",
        )
    )
    for days, share in ((20, Decimal("0.5")), (120, Decimal("0.3"))):
        if signed + days * DAY < today:
            amount = (loan.principal * share).quantize(CENT)
            _saved(Disbursement(loan=loan, date=signed + days * DAY, amount=amount, note="（演示）"))
    drawn = list(loan.disbursements.order_by("date", "pk"))
    schedule = loan_schedule(loan=loan, disbursements=drawn, repayments=[])
    due = [i for i in schedule.installments if i.due < today and i.total > 0]
    for installment in due[:-1] if behind else due:
        _saved(
            Repayment(
                loan=loan,
                date=installment.due,
                principal=installment.principal,
                interest=installment.interest,
                note="按计划还本付息（演示）",
            )
        )
    schedule_rebuild(loan=loan)
    return loan


def _platform_intention(demand, bank, status: str, *, n: int, behind: bool, today) -> CreditIntention:
    """The `n`th intention of the demo: made a few days after the demand was published, decided 20 days
    later unless it is still an intention."""
    now = timezone.now()
    created = min(_at(demand.published_on + (5 + 2 * n % 7) * DAY, 15), now)
    decided = min(created + 20 * DAY, now)
    intention = CreditIntention(
        demand=demand,
        lender=bank,
        amount=_wan_floor(demand.amount * Decimal("0.8")),
        term_months=demand.term_months,
        indicative_rate=Decimal(PLATFORM_RATES[n % len(PLATFORM_RATES)]),
        note="拟以项目经营收益及土地整治指标收益作为还款来源提供授信（演示）",
        status=status,
        approval_no=f"（演示）授信批复〔{decided.year}〕{n + 1}号" if status in CREDIT_APPROVED else "",
        created_at=created,
        decided_at=decided if status != IntentionStatus.INTENDED else None,
    )
    if status == IntentionStatus.SIGNED:
        intention.loan = _platform_loan(intention, behind=behind, today=today)
    return _saved(intention)


@transaction.atomic
def seed_demo_platform() -> int:
    """The platform's demo, once: demands of demo library projects (published, a draft, a closed one) and
    intentions of the three banks in every status, each signed one tied to the loan its bank registered for
    the project. Nothing when demo demands exist already, or without demo projects. Returns the demands
    made; one audit entry for the batch, as for the demo projects."""
    if FinancingDemand.objects.filter(project__is_demo=True).exists():
        return 0
    projects = _platform_projects(len(PLATFORM_DEMANDS))
    if not projects:
        return 0
    today = timezone.localdate()
    banks = _platform_banks()
    demands, intentions = [], []
    for index, (project, (status, days_ago, answers)) in enumerate(
        zip(projects, PLATFORM_DEMANDS, strict=False)
    ):
        demand = _platform_demand(project, status, days_ago, index, today)
        demands.append(demand)
        for bank, answer in answers:
            intentions.append(
                _platform_intention(
                    demand, banks[bank], answer, n=len(intentions), behind=bank == 1, today=today
                )
            )
    loans = sum(1 for intention in intentions if intention.loan_id)
    financing_totals_refresh(project_ids=[demand.project_id for demand in demands])
    audit_record(
        actor=None,
        action="seed_demo",
        instance=demands[0],
        before=None,
        project=demands[0].project,
        note=f"生成政银企演示数据：融资需求 {len(demands)} 项，授信意向 {len(intentions)} 项，"
        f"签约贷款 {loans} 笔",
    )
    return len(demands)
