from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from portfolio import access
from portfolio.services import account_upsert


class Command(BaseCommand):
    help = (
        "新建或更新一个账户及其角色："
        "adduser USERNAME --role ROLE [--district CODE] "
        "[--organization 银行名称或统一社会信用代码] [--password PW]"
    )

    def add_arguments(self, parser):
        parser.add_argument("username")
        parser.add_argument("--role", required=True, choices=access.ROLES)
        parser.add_argument("--district", help="区用户的所属区：区划代码（如 440112）或区名")
        parser.add_argument("--organization", help="贷款银行账户的所属银行：机构名称或统一社会信用代码")
        parser.add_argument("--password", help="不填时：新账户生成随机密码并打印，已有账户保留原密码")

    def handle(self, *args, username, role, district, organization, password, **options):
        try:
            user, generated = account_upsert(
                username=username,
                role=role,
                district_code=district,
                organization=organization,
                password=password,
            )
        except ValidationError as error:
            raise CommandError(" ".join(error.messages)) from error
        self.stdout.write(
            self.style.SUCCESS(
                f"账户 {user.username} 已保存，角色 {role}"
                + (f"，所属区 {district}" if district else "")
                + (f"，所属银行 {user.profile.organization}" if organization else "")
            )
        )
        if generated:
            self.stdout.write(f"生成的密码：{generated}")
