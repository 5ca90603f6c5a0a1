from decimal import Decimal

import pytest
from django.contrib.auth.models import User
from django.core.management import CommandError, call_command

from financing.models import Disbursement, FundingLine, Loan, Organization, Repayment
from portfolio import access
from portfolio.models import AuditEntry
from portfolio.seed import DEMO_PREFIX
from projects.models import Milestone, Project, ReviewRecord, Unit

pytestmark = pytest.mark.django_db


def counts() -> dict:
    models = [
        Project,
        Unit,
        Organization,
        FundingLine,
        Loan,
        Disbursement,
        Repayment,
        Milestone,
        ReviewRecord,
        AuditEntry,
    ]
    return {model.__name__: model.objects.count() for model in models}


# -- adduser ---------------------------------------------------------------------------------------


def test_adduser_creates_a_district_user(capsys):
    call_command(
        "adduser", "hp1", "--role", "district_user", "--district", "440112", "--password", "Meili-hp1-2025"
    )
    user = User.objects.get(username="hp1")
    assert user.check_password("Meili-hp1-2025")
    assert access.role_of(user) == "district_user" and access.district_code_of(user) == "440112"
    assert "账户 hp1 已保存" in capsys.readouterr().out


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--role", "district_user"], "区用户必须指定所属区"),
        (["--role", "district_user", "--district", "440399"], "没有区划代码为“440399”的区"),
        (["--role", "finance", "--district", "440112"], "只有区用户（district_user）需要指定所属区"),
    ],
)
def test_adduser_refuses_a_bad_district(args, message):
    with pytest.raises(CommandError) as error:
        call_command("adduser", "hp2", *args, "--password", "Meili-hp2-2025")
    assert message in str(error.value)
    assert not User.objects.filter(username="hp2").exists()


def test_adduser_refuses_a_weak_password():
    with pytest.raises(CommandError) as error:
        call_command("adduser", "weak", "--role", "finance", "--password", "123")
    assert not User.objects.filter(username="weak").exists()
    assert str(error.value)


def test_adduser_again_updates_the_account():
    call_command(
        "adduser", "acc", "--role", "district_user", "--district", "440112", "--password", "Meili-acc-2025"
    )
    call_command("adduser", "acc", "--role", "city_staff")
    user = User.objects.get(username="acc")
    user._portfolio_role = False  # the role is cached per object; read it afresh
    user._portfolio_district = False
    assert access.role_of(user) == "city_staff" and access.district_code_of(user) is None
    assert list(user.groups.values_list("name", flat=True)) == ["city_staff"]
    assert user.is_staff and user.check_password("Meili-acc-2025")
    assert User.objects.filter(username="acc").count() == 1
    entries = AuditEntry.objects.filter(action="account_upsert", object_id=str(user.pk))
    assert entries.count() == 2 and all("password" not in e.changes for e in entries)


def test_adduser_generates_a_password_when_none_is_given(capsys):
    call_command("adduser", "gen", "--role", "finance")
    out = capsys.readouterr().out
    password = out.split("生成的密码：")[1].strip()
    assert User.objects.get(username="gen").check_password(password)


# -- adduser: a lender and its bank -----------------------------------------------------------------


def test_adduser_makes_a_lender_of_a_bank_named_by_its_name(capsys, bank):
    call_command(
        "adduser",
        "bk1",
        "--role",
        "lender",
        "--organization",
        "测试甲银行广州分行",
        "--password",
        "Meili-bk1-2025",
    )
    user = User.objects.get(username="bk1")
    assert access.role_of(user) == "lender" and access.bank_id_of(user) == bank.pk
    assert not user.is_staff
    assert "所属银行 测试甲银行广州分行" in capsys.readouterr().out
    entry = AuditEntry.objects.get(action="account_upsert")
    assert entry.changes["organization"] == [None, bank.pk] and "password" not in entry.changes


def test_adduser_finds_a_bank_by_its_uscc_in_lower_case():
    from tests.factories import BankFactory

    bank = BankFactory(uscc="91440101190428327W")
    call_command("adduser", "bk2", "--role", "lender", "--organization", " 91440101190428327w ")
    assert access.bank_id_of(User.objects.get(username="bk2")) == bank.pk


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--role", "lender", "--organization", "某建设投资有限公司"], "不是银行：贷款银行账户只能属于银行"),
        (
            ["--role", "lender", "--organization", "不存在的银行"],
            "没有名称或统一社会信用代码为“不存在的银行”的机构",
        ),
        (["--role", "lender"], "贷款银行账户必须指定所属银行"),
        (["--role", "lender", "--organization", "  "], "贷款银行账户必须指定所属银行"),
        (
            ["--role", "finance", "--organization", "测试甲银行广州分行"],
            "只有贷款银行账户（lender）需要指定所属银行",
        ),
        (
            ["--role", "district_user", "--district", "440112", "--organization", "测试甲银行广州分行"],
            "只有贷款银行账户（lender）需要指定所属银行",
        ),
    ],
)
def test_adduser_refuses_a_lender_without_a_bank_and_a_bank_for_others(bank, args, message):
    from tests.factories import OrganizationFactory

    OrganizationFactory(name="某建设投资有限公司")
    with pytest.raises(CommandError) as error:
        call_command("adduser", "bk3", *args, "--password", "Meili-bk3-2025")
    assert message in str(error.value)
    assert not User.objects.filter(username="bk3").exists() and not AuditEntry.objects.exists()


def test_adduser_moves_a_lender_to_another_role_and_drops_its_bank(bank):
    call_command("adduser", "bk4", "--role", "lender", "--organization", bank.name)
    call_command("adduser", "bk4", "--role", "finance")
    user = User.objects.get(username="bk4")
    assert access.role_of(user) == "finance" and access.bank_id_of(user) is None


# -- seed ------------------------------------------------------------------------------------------


def test_seed_loads_the_two_real_projects_and_loans():
    call_command("seed")
    loans = {
        loan.project.name: loan
        for loan in Loan.objects.select_related("project__district", "project__unit", "lender", "borrower")
    }
    zhishicheng = loans["广州知识城-迳下美丽单元建设项目"]
    lingtou = loans["黄埔区岭头片区全域土地综合整治暨“美丽广州”建设项目"]
    assert zhishicheng.principal == Decimal("300000000.00")
    assert lingtou.principal == Decimal("437000000.00")
    for loan in (zhishicheng, lingtou):
        assert loan.lender.name == "国家开发银行广东省分行" and loan.lender.kind == "bank"
        assert loan.project.district.name == "黄埔区"
        assert loan.project.review_status == "accepted"
    assert zhishicheng.borrower.name == "知识城（广州）现代农业发展集团有限公司"
    assert lingtou.borrower.name == "广州市岭头投资有限公司"
    assert zhishicheng.project.unit.name == "知识城-迳下美丽单元"
    assert lingtou.project.unit.name == "黄埔岭头片区美丽单元"
    assert "生境花园、水系连通、高标准农田改造、美丽乡村产业转型升级" in zhishicheng.project.content
    assert "耕地提质增量工程、岭头风貌提升、人居环境整治工程" in lingtou.project.content
    assert not Project.objects.filter(is_demo=True).exists()


def test_seed_twice_changes_nothing(capsys):
    call_command("seed")
    first = counts()
    snapshot = list(Project.objects.values())
    call_command("seed")
    assert counts() == first
    assert list(Project.objects.values()) == snapshot
    assert "真实种子数据已存在，未作改动" in capsys.readouterr().out


def test_seed_demo_adds_marked_projects_with_their_records():
    call_command("seed", "--demo", "300", "--random-seed", "7")
    demo = Project.objects.filter(is_demo=True)
    assert demo.count() == 300 and demo.filter(code__startswith=DEMO_PREFIX).count() == 300
    assert all(name.startswith("【演示】") for name in demo.values_list("name", flat=True))
    assert set(demo.values_list("district", flat=True)).__len__() == 11
    assert set(demo.values_list("stage", flat=True)) == {"planning", "mature", "implementation", "completed"}
    assert set(demo.values_list("review_status", flat=True)) == {"draft", "submitted", "returned", "accepted"}
    assert set(demo.values_list("category", flat=True)) >= {"river_lake", "village", "park"}
    assert FundingLine.objects.filter(project__is_demo=True).count() >= 300
    assert Loan.objects.filter(project__is_demo=True).exists()
    assert Disbursement.objects.exists() and Repayment.objects.exists()
    assert Milestone.objects.overdue().exists()
    for loan in Loan.objects.all():
        assert loan.disbursed_total() <= loan.principal
        assert loan.repaid_principal_total() <= loan.disbursed_total()


def test_seed_demo_continues_the_numbering_and_demo_once_adds_nothing_more():
    call_command("seed", "--demo", "5")
    call_command("seed", "--demo", "5")
    assert Project.objects.filter(is_demo=True).count() == 10
    assert Project.objects.filter(code=f"{DEMO_PREFIX}000010").exists()
    call_command("seed", "--demo", "200", "--demo-once")
    assert Project.objects.filter(is_demo=True).count() == 10


def test_seed_demo_ten_thousand(capsys):
    # The time is printed by the command (and given in the README), not asserted: timings flake.
    call_command("seed", "--demo", "10000")
    assert Project.objects.filter(is_demo=True).count() == 10_000
    assert "生成演示项目 10000 个，用时" in capsys.readouterr().out


# -- demo accounts ---------------------------------------------------------------------------------


def test_demo_accounts_only_with_debug(settings):
    settings.DEBUG = False
    with pytest.raises(CommandError):
        call_command("demo_accounts")
    assert not User.objects.exists()


def test_demo_accounts_one_per_role_and_rerun_is_harmless(settings, capsys):
    settings.DEBUG = True
    call_command("demo_accounts")
    call_command("demo_accounts")
    out = capsys.readouterr().out
    assert "Meili-city-2025" in out
    roles = {u.username: access.role_of(u) for u in User.objects.all()}
    assert roles == {
        "city": "city_staff",
        "finance": "finance",
        "huangpu": "district_user",
        "yuexiu": "district_user",
    }
    assert User.objects.get(username="huangpu").check_password("Meili-huangpu-2025")
    # Without the seed there is no bank to put the bank accounts in: they are named, not made.
    assert "bank     未建立：尚无银行“国家开发银行广东省分行”" in out


def test_demo_accounts_of_two_banks_after_the_seed(settings, capsys):
    from portfolio.seed import DEMO_BANKS

    settings.DEBUG = True
    call_command("seed", "--demo", "5", "--random-seed", "3")
    call_command("demo_accounts")
    call_command("demo_accounts")
    out = capsys.readouterr().out
    assert "bank     密码 Meili-bank-2025" in out and "国家开发银行广东省分行" in out
    assert "bank2    密码 Meili-bank2-2025" in out
    bank, bank2 = User.objects.get(username="bank"), User.objects.get(username="bank2")
    assert access.role_of(bank) == access.role_of(bank2) == "lender"
    assert bank.check_password("Meili-bank-2025") and bank2.check_password("Meili-bank2-2025")
    assert bank.profile.organization == Organization.objects.get(name="国家开发银行广东省分行")
    assert bank2.profile.organization.name == DEMO_BANKS[0] and DEMO_BANKS[0].startswith("【演示】")
    assert User.objects.count() == 6
