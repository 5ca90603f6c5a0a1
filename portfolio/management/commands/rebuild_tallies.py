from django.core.management.base import BaseCommand, CommandError

from portfolio.tallies import tallies_rebuild, tally_differences


class Command(BaseCommand):
    help = (
        "重新汇总每个区的看板数据（项目库、资金来源、贷款、到期分布、上月调度），写入区汇总，"
        "并清除各区的月度调度汇总（下次读取时重新汇总）；"
        "--check 只核对未标记变更的区汇总和调度汇总与计算值，不写入，有差异时以状态 1 退出。"
    )

    def add_arguments(self, parser):
        parser.add_argument("--check", action="store_true", help="只核对，不写入；有差异时以状态 1 退出")

    def handle(self, *args, check, **options):
        if check:
            differing = tally_differences()
            if differing:
                raise CommandError(
                    f"{len(differing)} 项汇总与计算值不符（{'、'.join(differing)}）；"
                    "请运行 manage.py rebuild_tallies 重建。"
                )
            self.stdout.write("各区的看板汇总和调度汇总与计算值一致")
            return
        count, differing = tallies_rebuild()
        self.stdout.write(f"已重新汇总 {count} 个区的看板数据，其中 {len(differing)} 个与原存储值不符")
        if differing:
            self.stdout.write(f"不符的汇总：{'、'.join(differing)}")
