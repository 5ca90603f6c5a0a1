"""The real seed data of the library, and generated demo data for trying things out and benchmarks.

The real data is the 2024 environment bulletin's: the first two projects financed by 国家开发银行广东省分行.
The bulletin gives the units, loans, borrowers and construction content; total investment and years are not
published, so they are entered as provisional values and the project's remarks say so.
"""

import datetime
import random
from decimal import Decimal

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


def _get_or_create(model, lookup: dict, defaults: dict):
    obj = model.objects.filter(**lookup).first()
    if obj is not None:
        return obj, False
    obj = model(**lookup, **defaults)
    obj.full_clean()
    obj.save()
    audit_record(actor=None, action="seed", instance=obj, before=None)
    return obj, True


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


@transaction.atomic
def seed_demo(count: int, *, rng_seed: int | None = None) -> int:
    """Add `count` generated projects, marked as demo, with their funding, loans and milestones (bulk)."""
    if count <= 0:
        return 0
    last = Project.objects.filter(code__startswith=DEMO_PREFIX).aggregate(m=Max("code"))["m"]
    start = int(last.removeprefix(DEMO_PREFIX)) + 1 if last else 1
    rng = random.Random(rng_seed if rng_seed is not None else start)
    today = timezone.localdate()
    now = timezone.now()
    districts = list(District.objects.all())
    units = {}
    for district in districts:
        units[district.code] = [
            Unit.objects.get_or_create(district=district, name=f"{DEMO_MARK}{district.name}美丽单元{i}")[0]
            for i in (1, 2, 3)
        ]
    banks = [
        Organization.objects.get_or_create(name=name, defaults={"kind": OrganizationKind.BANK})[0]
        for name in DEMO_BANKS
    ]
    borrowers = {
        d.code: Organization.objects.get_or_create(
            name=f"{DEMO_MARK}{d.name}城市建设投资有限公司", defaults={"kind": OrganizationKind.ENTERPRISE}
        )[0]
        for d in districts
    }

    projects = []
    for n in range(start, start + count):
        district = rng.choice(districts)
        category = rng.choice(Category.values)
        review = _pick(
            rng,
            [
                (ReviewStatus.ACCEPTED, 70),
                (ReviewStatus.SUBMITTED, 10),
                (ReviewStatus.DRAFT, 10),
                (ReviewStatus.RETURNED, 10),
            ],
        )
        stage = Stage.PLANNING
        if review == ReviewStatus.ACCEPTED:
            stage = _pick(
                rng,
                [(Stage.PLANNING, 35), (Stage.MATURE, 25), (Stage.IMPLEMENTATION, 30), (Stage.COMPLETED, 10)],
            )
        start_year = rng.randint(2023, 2028)
        advanced = Stage.order(stage) >= Stage.order(Stage.MATURE)
        projects.append(
            Project(
                code=f"{DEMO_PREFIX}{n:06d}",
                name=f"{DEMO_MARK}{district.name}{Category(category).label}项目{n}",
                district=district,
                unit=rng.choice(units[district.code] + [None]),
                category=category,
                implementing_org=borrowers[district.code],
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
        )
    Project.objects.bulk_create(projects, batch_size=1000)

    lines, loans, milestones, records = [], [], [], []
    for project in projects:
        total = project.total_investment
        for _i in range(rng.randint(1, 3)):
            planned = (total * Decimal(rng.randint(20, 60)) / 100).quantize(Decimal("0.01"))
            status = _pick(
                rng,
                [
                    (FundingStatus.PLANNED, 2),
                    (FundingStatus.APPLIED, 2),
                    (FundingStatus.APPROVED, 3),
                    (FundingStatus.RECEIVED, 2),
                    (FundingStatus.REJECTED, 1),
                ],
            )
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
                    document_no=f"演示文号{project.code}-{_i}",
                )
            )
        if Stage.order(project.stage) >= Stage.order(Stage.IMPLEMENTATION) and rng.random() < 0.5:
            principal = (total * Decimal(rng.randint(30, 70)) / 100).quantize(Decimal("0.01"))
            loans.append(
                Loan(
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
            )
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
        if project.review_status != ReviewStatus.DRAFT:
            records.append(
                ReviewRecord(
                    project=project,
                    action=ReviewAction.SUBMIT,
                    from_status=ReviewStatus.DRAFT,
                    to_status=ReviewStatus.SUBMITTED,
                    at=project.submitted_at,
                )
            )
        if project.review_status == ReviewStatus.RETURNED:
            records.append(
                ReviewRecord(
                    project=project,
                    action=ReviewAction.RETURN,
                    from_status=ReviewStatus.SUBMITTED,
                    to_status=ReviewStatus.RETURNED,
                    comment="请补充资金筹措方案（演示）",
                    at=project.submitted_at + datetime.timedelta(days=3),
                )
            )
        if project.review_status == ReviewStatus.ACCEPTED:
            records.append(
                ReviewRecord(
                    project=project,
                    action=ReviewAction.ACCEPT,
                    from_status=ReviewStatus.SUBMITTED,
                    to_status=ReviewStatus.ACCEPTED,
                    at=project.submitted_at + datetime.timedelta(days=5),
                )
            )
    FundingLine.objects.bulk_create(lines, batch_size=2000)
    Milestone.objects.bulk_create(milestones, batch_size=2000)
    ReviewRecord.objects.bulk_create(records, batch_size=2000)
    Loan.objects.bulk_create(loans, batch_size=1000)

    disbursements, repayments = [], []
    for loan in loans:
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
        if disbursed and rng.random() < 0.5:
            repaid = (disbursed * Decimal(rng.randint(5, 20)) / 100).quantize(Decimal("0.01"))
            interest = (disbursed * loan.annual_rate / 100).quantize(Decimal("0.01"))
            repayments.append(
                Repayment(
                    loan=loan, date=day + datetime.timedelta(days=365), principal=repaid, interest=interest
                )
            )
    Disbursement.objects.bulk_create(disbursements, batch_size=2000)
    Repayment.objects.bulk_create(repayments, batch_size=2000)
    audit_record(
        actor=None,
        action="seed_demo",
        instance=projects[0],
        before=None,
        note=f"生成演示项目 {count} 个（{projects[0].code} 至 {projects[-1].code}）",
    )
    return count
