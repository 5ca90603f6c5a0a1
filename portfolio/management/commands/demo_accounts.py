from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from portfolio import access
from portfolio.services import account_upsert

# One account per role, for trying the product locally. Never created with DEBUG off.
DEMO_ACCOUNTS = [
    ("city", access.CITY_STAFF, None, "Meili-city-2025"),
    ("finance", access.FINANCE, None, "Meili-finance-2025"),
    ("huangpu", access.DISTRICT_USER, "440112", "Meili-huangpu-2025"),
    ("yuexiu", access.DISTRICT_USER, "440104", "Meili-yuexiu-2025"),
]


class Command(BaseCommand):
    help = "仅限开发环境（DEBUG=1）：为每个角色建立演示账户并打印用户名和密码。"

    def handle(self, *args, **options):
        if not settings.DEBUG:
            raise CommandError("演示账户只在 DEBUG=1 的开发环境中建立。")
        self.stdout.write("演示账户（仅限本机开发环境）：")
        for username, role, district, password in DEMO_ACCOUNTS:
            account_upsert(username=username, role=role, district_code=district, password=password)
            where = f"，{district}" if district else ""
            self.stdout.write(f"  {username:<8} 密码 {password:<20} 角色 {role}{where}")
