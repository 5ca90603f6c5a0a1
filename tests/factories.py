import datetime
from decimal import Decimal

import factory
from django.contrib.auth.models import Group, User

from financing.choices import FundingStatus, OrganizationKind, SourceType
from financing.models import Disbursement, FundingLine, Loan, Organization, Repayment
from portfolio.models import Profile
from projects.choices import Category
from projects.models import District, Milestone, Project, Unit


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

    code = factory.Sequence(lambda n: f"TEST-{n:05d}")
    name = factory.Sequence(lambda n: f"测试项目{n}")
    district = factory.LazyFunction(district)
    category = Category.RIVER_LAKE
    total_investment = Decimal("100000000.00")
    start_year = 2025
    end_year = 2027


class MilestoneFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Milestone

    project = factory.SubFactory(ProjectFactory)
    name = "开工"
    planned_date = datetime.date(2025, 6, 30)


class FundingLineFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = FundingLine

    project = factory.SubFactory(ProjectFactory)
    source_type = SourceType.SPECIAL_BOND
    year = 2025
    planned_amount = Decimal("10000000.00")
    status = FundingStatus.PLANNED


class LoanFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Loan

    project = factory.SubFactory(ProjectFactory)
    lender = factory.SubFactory(BankFactory)
    borrower = factory.SubFactory(OrganizationFactory)
    principal = Decimal("100.00")
    signed_on = datetime.date(2025, 1, 10)
    term_months = 120
    annual_rate = Decimal("3.0000")


class DisbursementFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Disbursement

    loan = factory.SubFactory(LoanFactory)
    date = datetime.date(2025, 2, 1)
    amount = Decimal("10.00")


class RepaymentFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Repayment

    loan = factory.SubFactory(LoanFactory)
    date = datetime.date(2025, 6, 1)
    principal = Decimal("1.00")


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
