from django.core.management.base import BaseCommand, CommandError

from financing.totals import financing_totals_differences, financing_totals_rebuild

# How many differing projects are named in the output.
LISTED = 20


class Command(BaseCommand):
    help = (
        "按资金来源与贷款重新计算每个项目的资金汇总（已批复或已签约、资金缺口、超出总投资、贷款金额），"
        "分批写入；--check 只核对存储值与计算值，不写入，有差异时以状态 1 退出。"
    )

    def add_arguments(self, parser):
        parser.add_argument("--check", action="store_true", help="只核对，不写入；有差异时以状态 1 退出")

    def handle(self, *args, check, **options):
        if check:
            differing = financing_totals_differences()
            if differing:
                raise CommandError(
                    f"{len(differing)} 个项目的资金汇总与计算值不符（项目 id：{_listed(differing)}）；"
                    "请运行 manage.py rebuild_financing_totals 重建。"
                )
            self.stdout.write("所有项目的资金汇总与计算值一致")
            return
        count, differing = financing_totals_rebuild()
        self.stdout.write(f"已重建 {count} 个项目的资金汇总，其中 {len(differing)} 个与原存储值不符")
        if differing:
            self.stdout.write(f"不符的项目 id：{_listed(differing)}")


def _listed(ids: list[int]) -> str:
    shown = "、".join(str(pk) for pk in ids[:LISTED])
    return shown + (f" 等 {len(ids)} 个" if len(ids) > LISTED else "")
