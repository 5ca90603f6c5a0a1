from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from financing.models import Organization
from portfolio import access
from portfolio.seed import DEMO_BANKS, LENDER
from portfolio.services import account_upsert

# One account per role, for trying the product locally, and a second bank to try the banks' separation:
# (username, role, district, bank, password). Never created with DEBUG off.
DEMO_ACCOUNTS = [
    ("city", access.CITY_STAFF, None, None, "Meili-city-2025"),
    ("finance", access.FINANCE, None, None, "Meili-finance-2025"),
    ("huangpu", access.DISTRICT_USER, "440112", None, "Meili-huangpu-2025"),
    ("yuexiu", access.DISTRICT_USER, "440104", None, "Meili-yuexiu-2025"),
    ("bank", access.LENDER, None, LENDER, "Meili-bank-2025"),
    ("bank2", access.LENDER, None, DEMO_BANKS[0], "Meili-bank2-2025"),
]


class Command(BaseCommand):
    help = "仅限开发环境（DEBUG=1）：为每个角色建立演示账户并打印用户名和密码。"

    def handle(self, *args, **options):
        if not settings.DEBUG:
            raise CommandError("演示账户只在 DEBUG=1 的开发环境中建立。")
        self.stdout.write("演示账户（仅限本机开发环境）：")
        for username, role, district, bank, password in DEMO_ACCOUNTS:
            # The banks come with the seed (the real one with `seed`, the demo ones with `seed --demo N`).
            if bank and not Organization.objects.filter(name=bank).exists():
                self.stdout.write(
                    f"  {username:<8} 未建立：尚无银行“{bank}”，请先运行 manage.py seed --demo N"
                )
                continue
            account_upsert(
                username=username, role=role, district_code=district, organization=bank, password=password
            )
            where = f"，{district or bank}" if district or bank else ""
            self.stdout.write(f"  {username:<8} 密码 {password:<20} 角色 {role}{where}")
