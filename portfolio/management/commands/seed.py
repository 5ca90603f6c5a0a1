import time

from django.core.management.base import BaseCommand

from portfolio.seed import DEMO_PREFIX, seed_demo, seed_demo_platform, seed_real
from portfolio.seed_readiness import seed_demo_batches
from projects.models import Project


class Command(BaseCommand):
    help = (
        "载入真实种子数据（两个首开项目及其贷款）；--demo N 另外生成 N 个演示项目，"
        "以及一次政银企演示数据（融资需求、授信意向）。重复运行不会重复载入真实数据和政银企演示数据。"
    )

    def add_arguments(self, parser):
        parser.add_argument("--demo", type=int, default=0, metavar="N", help="生成 N 个演示项目")
        parser.add_argument(
            "--demo-once", action="store_true", help="只在库中还没有演示项目时才生成（供 make run 使用）"
        )
        parser.add_argument("--random-seed", type=int, default=None, help="演示数据的随机种子，便于复现")
        parser.add_argument(
            "--history-years",
            type=int,
            default=0,
            metavar="Y",
            help="演示项目另带本月之前 Y 年的历史：月报、提款与还款、审计记录和通知（供增长基准测试使用）",
        )

    def handle(self, *args, demo, demo_once, random_seed, history_years, **options):
        created = seed_real()
        self.stdout.write(
            f"真实种子数据：新建 {created} 条记录" if created else "真实种子数据已存在，未作改动"
        )
        if not demo:
            return
        if demo_once and Project.objects.filter(code__startswith=DEMO_PREFIX).exists():
            self.stdout.write("已有演示项目，未再生成")
        else:
            started = time.perf_counter()
            seed_demo(demo, rng_seed=random_seed, history_years=history_years)
            history = f"（含 {history_years} 年历史）" if history_years > 0 else ""
            self.stdout.write(f"生成演示项目 {demo} 个{history}，用时 {time.perf_counter() - started:.1f} 秒")
        # Once, on the demo projects there are (also those of a library seeded before the platform came).
        demands = seed_demo_platform()
        if demands:
            self.stdout.write(f"生成政银企演示数据：融资需求 {demands} 项及各银行的授信意向")
        batch = seed_demo_batches()
        if batch is not None:
            self.stdout.write(f"演示申报批次：{batch.name}")
