import datetime
from decimal import Decimal

import factory
from django.contrib.auth.models import Group, User

from financing.choices import DemandStatus, FundingStatus, OrganizationKind, SourceType
from financing.models import (
    ApplicationBatch,
    BatchEntry,
    CreditIntention,
    Disbursement,
    FinancingDemand,
    FundingLine,
    Loan,
    Organization,
    Repayment,
)
from portfolio.models import Profile
from projects.choices import Category, ProcedureStatus
from projects.models import District, Milestone, Procedure, Project, Unit


def district(code: str = "440112") -> District:
    return District.objects.get(code=code)


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    password = factory.django.Password("Meili-test-2025")

    @factory.post_generation
    def role(self, create, extracted, **kwargs):
        if extracted:
            self.groups.add(Group.objects.get(name=extracted))

    @factory.post_generation
    def district_code(self, create, extracted, **kwargs):
        if extracted:
            Profile.objects.update_or_create(user=self, defaults={"district": district(extracted)})

    @factory.post_generation
    def bank(self, create, extracted, **kwargs):
        """A lender's bank: UserFactory(role="lender", bank=organization)."""
        if extracted:
            Profile.objects.update_or_create(user=self, defaults={"organization": extracted})


# The users of the shared fixtures (tests/conftest.py), by fixture name; a module that builds its records
# once (tests/module_rows.py) makes the same users with role_users().
NAMED_USERS = {
    "city_user": {"username": "city_a", "role": "city_staff", "is_staff": True},
    "city_reviewer": {"username": "city_b", "role": "city_staff", "is_staff": True},
    "finance_user": {"username": "finance_a", "role": "finance"},
    "huangpu_user": {"username": "huangpu_a", "role": "district_user", "district_code": "440112"},
    "yuexiu_user": {"username": "yuexiu_a", "role": "district_user", "district_code": "440104"},
    "no_role_user": {"username": "nobody"},
    "lender_user": {"username": "bank_a", "role": "lender"},  # with bank=
}
BANK_NAMES = {"bank": "测试甲银行广州分行", "other_bank": "测试乙银行广州分行"}


def named_user(name: str, **extra) -> User:
    return UserFactory(**NAMED_USERS[name], **extra)


def named_bank(name: str):
    return BankFactory(name=BANK_NAMES[name])


def role_users(bank) -> dict:
    """One user per role, by the role's code (the district user's district is 黄埔, 440112); the lender is
    `bank`'s."""
    return {
        "no_role": named_user("no_role_user"),
        "lender": named_user("lender_user", bank=bank),
        "city_staff": named_user("city_user"),
        "finance": named_user("finance_user"),
        "district_user": named_user("huangpu_user"),
    }


class OrganizationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Organization

    name = factory.Sequence(lambda n: f"测试机构{n}有限公司")
    kind = OrganizationKind.ENTERPRISE


class BankFactory(OrganizationFactory):
    name = factory.Sequence(lambda n: f"测试银行{n}分行")
    kind = OrganizationKind.BANK


class UnitFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Unit

    name = factory.Sequence(lambda n: f"测试美丽单元{n}")
    district = factory.LazyFunction(district)


class ProjectFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Project
        skip_postgeneration_save = True

    code = factory.Sequence(lambda n: f"TEST-{n:05d}")
    name = factory.Sequence(lambda n: f"测试项目{n}")
    district = factory.LazyFunction(district)
    category = Category.RIVER_LAKE
    total_investment = Decimal("100000000.00")
    start_year = 2025
    end_year = 2027
    stored_totals = factory.PostGeneration(lambda obj, create, *args, **kwargs: refresh_totals(obj, create))
    search_index = factory.PostGeneration(lambda obj, create, *args, **kwargs: refresh_search(obj, create))


class MilestoneFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Milestone

    project = factory.SubFactory(ProjectFactory)
    name = "开工"
    planned_date = datetime.date(2025, 6, 30)


class FundingLineFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = FundingLine
        skip_postgeneration_save = True

    project = factory.SubFactory(ProjectFactory)
    source_type = SourceType.SPECIAL_BOND
    year = 2025
    planned_amount = Decimal("10000000.00")
    status = FundingStatus.PLANNED
    stored_totals = factory.PostGeneration(lambda obj, create, *args, **kwargs: refresh_totals(obj, create))


class LoanFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Loan
        skip_postgeneration_save = True

    project = factory.SubFactory(ProjectFactory)
    lender = factory.SubFactory(BankFactory)
    borrower = factory.SubFactory(OrganizationFactory)
    principal = Decimal("100.00")
    signed_on = datetime.date(2025, 1, 10)
    term_months = 120
    annual_rate = Decimal("3.0000")
    stored_totals = factory.PostGeneration(lambda obj, create, *args, **kwargs: refresh_totals(obj, create))
    stored_schedule = factory.PostGeneration(lambda obj, create, *_args, **_kw: rebuild_schedule(obj, create))


class DisbursementFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Disbursement
        skip_postgeneration_save = True

    loan = factory.SubFactory(LoanFactory)
    date = datetime.date(2025, 2, 1)
    amount = Decimal("10.00")
    stored_schedule = factory.PostGeneration(lambda obj, create, *_args, **_kw: rebuild_schedule(obj, create))


class DemandFactory(factory.django.DjangoModelFactory):
    """A financing demand of a library project, published unless told otherwise."""

    class Meta:
        model = FinancingDemand

    project = factory.SubFactory(ProjectFactory, review_status="accepted")
    amount = Decimal("50000000.00")
    term_months = 180
    purpose = "生态修复工程建设"
    status = DemandStatus.PUBLISHED
    published_on = factory.LazyAttribute(
        lambda o: None if o.status == DemandStatus.DRAFT else datetime.date(2026, 3, 1)
    )


class IntentionFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = CreditIntention

    demand = factory.SubFactory(DemandFactory)
    lender = factory.SubFactory(BankFactory)
    amount = Decimal("30000000.00")
    term_months = 180
    indicative_rate = Decimal("3.1000")


class RepaymentFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Repayment
        skip_postgeneration_save = True

    loan = factory.SubFactory(LoanFactory)
    date = datetime.date(2025, 6, 1)
    principal = Decimal("1.00")
    stored_schedule = factory.PostGeneration(lambda obj, create, *_args, **_kw: rebuild_schedule(obj, create))


class ProcedureFactory(factory.django.DjangoModelFactory):
    """A preparatory procedure, done (with its approval number) unless told otherwise."""

    class Meta:
        model = Procedure

    project = factory.SubFactory(ProjectFactory)
    kind = "feasibility"
    status = ProcedureStatus.DONE
    approval_no = factory.Sequence(lambda n: f"穗发改〔2026〕{n + 1}号")
    authority = "广州市发展和改革委员会"


class BatchFactory(factory.django.DjangoModelFactory):
    """An open 申报 batch of 2026's special bonds."""

    class Meta:
        model = ApplicationBatch

    programme = SourceType.SPECIAL_BOND
    year = 2026
    name = factory.Sequence(lambda n: f"2026年第{n + 1}批专项债券")


class BatchEntryFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = BatchEntry

    batch = factory.SubFactory(BatchFactory)
    project = factory.SubFactory(ProjectFactory, review_status="accepted")
    requested_amount = Decimal("20000000.00")


def spread_projects() -> dict:
    """Projects that differ from a plain 黄埔 river project in one attribute each, by what differs; and a
    small one in 海珠, outside both districts. SPREAD_FILTERS says which of them each filter selects."""
    base = {"district": district("440112"), "category": "river_lake", "total_investment": Decimal("50000000")}
    made = {
        "plain": ProjectFactory(name="基准项目", **base),
        "district": ProjectFactory(name="越秀项目", **base | {"district": district("440104")}),
        "unit": ProjectFactory(name="单元项目", unit=UnitFactory(name="萝岗单元"), **base),
        "stage": ProjectFactory(name="实施项目", stage="implementation", review_status="accepted", **base),
        "review": ProjectFactory(name="已提交项目", review_status="submitted", **base),
        "category": ProjectFactory(name="园区项目", **base | {"category": "park"}),
        "big": ProjectFactory(name="巨额投资项目", **base | {"total_investment": Decimal("900000000")}),
        "text": ProjectFactory(name="增江画廊", content="碧道建设", **base),
        "small": ProjectFactory(name="小额项目", district=district("440105"), total_investment=Decimal("5")),
    }
    FundingLineFactory(project=made["plain"], source_type="central_budget")
    FundingLineFactory(project=made["plain"], source_type="central_budget")
    return made


# Filter parameters → the projects of spread_projects() they select, on the page and in the API list.
SPREAD_FILTERS = {
    "district": ({"district": "440104"}, {"district"}),
    "stage": ({"stage": "implementation"}, {"stage"}),
    "review_status": ({"review_status": "submitted"}, {"review"}),
    "category": ({"category": "park"}, {"category"}),
    "source_type": ({"source_type": "central_budget"}, {"plain"}),
    "min_investment": ({"min_investment": "800000000"}, {"big"}),
    "max_investment": ({"max_investment": "10"}, {"small"}),
    "q-content": ({"q": "碧道"}, {"text"}),
    "q-name": ({"q": "增江"}, {"text"}),
}


def dispatch_world() -> dict:
    """The dispatch of June 2026 (序时进度 50.0%), seen on 2026-07-20, when June's reports were due on
    2026-07-07, computed by hand:

    | district | project | plan (元)  | year to date (元) | rate  | gap   | June report        | flag   |
    | 越秀 440104 | Y1   | 10,000,000 | 6,000,000         | 60.0  | +10.0 | on time, accepted  | green  |
    | 黄埔 440112 | H1   | 20,000,000 | 7,600,000         | 38.0  | −12.0 | on time, submitted | yellow |
    | 天河 440106 | T1   |  5,000,000 | 2,500,000         | 50.0  |   0.0 | missing: late      | red    |
    | 全市        |      | 35,000,000 | 16,100,000        | 46.0  |  −4.0 |                    | green  |

    Ranking: 越秀 60.0, 天河 50.0, 黄埔 38.0. Y1 has also 2,000,000 reported in December 2025 (since start
    8,000,000) and a draft for July that counts nowhere; H1 and T1 reported nothing invested in December
    2025, so no earlier month is missing. 开工率: H1 and T1 are planned new starts, H1 started 2026-03-01:
    50.0. 资金到位率: approved 10,000,000 + 6,000,000, received 4,000,000 + 3,000,000: 43.8.
    按期竣工率: Y1 is to complete in 2026 and has not: 0.0. H1 has a problem (用地, 黄埔区自然资源局) overdue
    since 2026-07-01, and T1 one due 2026-08-31 (open, not overdue).
    """
    from projects.models import InvestmentPlan, Problem, ProgressReport

    def submitted(day):
        return datetime.datetime(*day, 2, 0, tzinfo=datetime.UTC)

    def project(code, district_code, name, **extra):
        return ProjectFactory(
            code=code,
            name=name,
            district=district(district_code),
            review_status="accepted",
            stage="implementation",
            start_year=2025,
            end_year=2027,
            **extra,
        )

    y1 = project("DISP-Y1", "440104", "越秀调度测试项目")
    h1 = project("DISP-H1", "440112", "黄埔调度测试项目", construction_started_on=datetime.date(2026, 3, 1))
    t1 = project("DISP-T1", "440106", "天河调度测试项目")
    InvestmentPlan.objects.create(
        project=y1, year=2026, planned_amount=Decimal("10000000"), kind="continuing", completes_this_year=True
    )
    InvestmentPlan.objects.create(project=h1, year=2026, planned_amount=Decimal("20000000"), kind="new_start")
    InvestmentPlan.objects.create(project=t1, year=2026, planned_amount=Decimal("5000000"), kind="new_start")

    def report(project, month, amount, *, year=2026, status="accepted", on=None, percent="10.0", text=""):
        first = submitted(on or ((year, month + 1, 3) if month < 12 else (year + 1, 1, 5)))
        return ProgressReport.objects.create(
            project=project,
            period=datetime.date(year, month, 1),
            completed_amount=Decimal(amount),
            status=status,
            progress_percent=Decimal(percent),
            physical_progress=text,
            first_submitted_at=None if status == "draft" else first,
            submitted_at=None if status == "draft" else first,
        )

    report(y1, 12, "2000000", year=2025)
    # The other two reported December 2025 too, with nothing invested: no earlier month is missing.
    report(h1, 12, "0", year=2025)
    report(t1, 12, "0", year=2025)
    for month in range(1, 7):
        report(y1, month, "1000000", percent=str(10 * month), text=f"越秀第{month}月形象进度")
    report(y1, 7, "9000000", status="draft", on=(2026, 7, 15))
    for month in range(1, 6):
        report(h1, month, "1200000")
    report(h1, 6, "1600000", status="submitted", percent="40.0", text="黄埔主体施工")
    for month in range(1, 6):
        report(t1, month, "500000")
    FundingLineFactory(project=y1, approved_amount=Decimal("10000000"), received_amount=Decimal("4000000"))
    FundingLineFactory(project=h1, approved_amount=Decimal("6000000"), received_amount=Decimal("3000000"))
    overdue = Problem.objects.create(
        project=h1,
        category="land",
        description="用地指标未落实",
        responsible_unit="黄埔区自然资源局",
        raised_on=datetime.date(2026, 5, 10),
        due_on=datetime.date(2026, 7, 1),
    )
    Problem.objects.create(
        project=t1,
        category="funding",
        description="配套资金未到位",
        responsible_unit="天河区财政局",
        raised_on=datetime.date(2026, 6, 1),
        due_on=datetime.date(2026, 8, 31),
    )
    return {
        "year": 2026,
        "month": 6,
        "today": datetime.date(2026, 7, 20),
        "y1": y1,
        "h1": h1,
        "t1": t1,
        "overdue_problem": overdue,
    }


# Part H2 (stored financing totals): a project, funding line or loan made by a factory leaves its project's
# stored totals in step, as the services would.
def refresh_totals(obj, create: bool) -> None:
    from financing.totals import financing_totals_refresh

    if create:
        financing_totals_refresh(project_ids=[obj.pk if isinstance(obj, Project) else obj.project_id])


# A project made by a factory is found by the library's keyword search, as the services would leave it.
def refresh_search(obj, create: bool) -> None:
    from projects.search import search_index_create

    if create:
        search_index_create(projects=[obj])


# Part H1 (stored repayment schedules): a loan, drawing or repayment made by a factory leaves the loan's
# stored installments in step, as the services would.
def rebuild_schedule(obj, create: bool) -> None:
    from financing.installments import schedule_rebuild

    if create:
        schedule_rebuild(loan=obj if isinstance(obj, Loan) else obj.loan)
