"""The real seed data of the library, and generated demo data for trying things out and benchmarks.

The real data is the 2024 environment bulletin's: the first two projects financed by 国家开发银行广东省分行.
The bulletin gives the units, loans, borrowers and construction content; total investment and years are not
published, so they are entered as provisional values and the project's remarks say so.
"""

import datetime
import random
from decimal import Decimal
from typing import NamedTuple

from django.db import transaction
from django.db.models import Max
from django.utils import timezone

from financing.choices import (
    GRANTED_STATUSES,
    LOAN_SOURCE_TYPES,
    FundingStatus,
    LoanStatus,
    OrganizationKind,
    RepaymentMethod,
    SourceType,
)
from financing.models import Disbursement, FundingLine, Loan, Organization, Repayment
from projects.choices import Category, ReviewAction, ReviewStatus, Stage
from projects.models import District, Milestone, Project, ReviewRecord, Unit

from .audit import audit_record

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
    return created


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
    """The unsaved demo project number `n` (the keyword order below is the order of its random draws)."""
    district = rng.choice(ref.districts)
    category = rng.choice(Category.values)
    review, stage = _demo_review_and_stage(rng)
    start_year = rng.randint(2023, 2028)
    advanced = Stage.order(stage) >= Stage.order(Stage.MATURE)
    return Project(
        code=f"{DEMO_PREFIX}{n:06d}",
        name=f"{DEMO_MARK}{district.name}{Category(category).label}项目{n}",
        district=district,
        unit=rng.choice(ref.units[district.code] + [None]),
        category=category,
        implementing_org=ref.borrowers[district.code],
        content=f"{Category(category).label}建设（演示数据）",
        total_investment=Decimal(rng.randrange(500, 200_000)) * 10_000,
        start_year=start_year,
        end_year=start_year + rng.randint(1, 5),
        stage=stage,
        review_status=review,
        feasibility_approval_no=f"穗发改（演示）{n}号" if advanced else "",
        land_approval_no=f"穗规划资源（演示）{n}号" if advanced else "",
        eia_required=rng.random() < 0.6,
        eia_approval_no=f"穗环评（演示）{n}号" if advanced else "",
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


def _create_demo_projects(
    rng: random.Random, numbers: range, ref: _DemoReference, now: datetime.datetime
) -> list[Project]:
    """Build and bulk-insert the demo projects numbered `numbers`."""
    projects = [_demo_project(rng, n, ref, now) for n in numbers]
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
    FundingLine.objects.bulk_create(lines, batch_size=2000)
    Milestone.objects.bulk_create(milestones, batch_size=2000)
    ReviewRecord.objects.bulk_create(records, batch_size=2000)
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


def _create_demo_loan_ledgers(rng: random.Random, loans: list[Loan]) -> None:
    """Build and bulk-insert the saved loans' disbursements and repayments."""
    disbursements, repayments = [], []
    for loan in loans:
        drawn, repayment = _demo_loan_ledger(rng, loan)
        disbursements += drawn
        if repayment is not None:
            repayments.append(repayment)
    Disbursement.objects.bulk_create(disbursements, batch_size=2000)
    Repayment.objects.bulk_create(repayments, batch_size=2000)


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


@transaction.atomic
def seed_demo(count: int, *, rng_seed: int | None = None) -> int:
    """Add `count` generated projects, marked as demo, with their funding, loans and milestones (bulk)."""
    if count <= 0:
        return 0
    start = _next_demo_number()
    rng = random.Random(rng_seed if rng_seed is not None else start)
    today = timezone.localdate()
    now = timezone.now()
    ref = _demo_reference()
    projects = _create_demo_projects(rng, range(start, start + count), ref, now)
    loans = _create_demo_project_records(rng, projects, ref.banks, today)
    _create_demo_loan_ledgers(rng, loans)
    _audit_demo_seed(projects)
    return count
