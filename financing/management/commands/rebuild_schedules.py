import time

from django.core.management.base import BaseCommand, CommandError

from financing.installments import CHUNK, schedules_sync

# How many differing loans are named in the output.
LISTED = 20


class Command(BaseCommand):
    help = (
        "按贷款条件、提款和还款重新计算每笔贷款的还款计划及已提款、已还本金，分批写入与计算值不符的贷款；"
        "--check 只核对存储的还款计划、余额与计算值，不写入，有差异时以状态 1 退出。"
    )

    def add_arguments(self, parser):
        parser.add_argument("--check", action="store_true", help="只核对，不写入；有差异时以状态 1 退出")
        parser.add_argument("--chunk-size", type=int, default=CHUNK, help=f"每批贷款笔数（默认 {CHUNK}）")

    def handle(self, *args, check, chunk_size, **options):
        started = time.perf_counter()
        result = schedules_sync(write=not check, chunk_size=max(chunk_size, 1))
        seconds = time.perf_counter() - started
        differed = len(result.differed)
        summary = f"贷款 {result.loans} 笔，还款计划 {result.rows} 期，与存储值不符的贷款 {differed} 笔"
        if check:
            if result.differed:
                listed = _listed(result.differed)
                raise CommandError(f"{summary}（贷款 id：{listed}）；请运行 rebuild_schedules 重建。")
            self.stdout.write(f"{summary}，存储的还款计划及余额与计算值一致（用时 {seconds:.1f} 秒）")
            return
        self.stdout.write(f"{summary}，不符的已按计算值重写（用时 {seconds:.1f} 秒）")
        if result.differed:
            self.stdout.write(f"不符的贷款 id：{_listed(result.differed)}")


def _listed(ids: list[int]) -> str:
    shown = "、".join(str(pk) for pk in ids[:LISTED])
    return shown + (f" 等 {len(ids)} 个" if len(ids) > LISTED else "")
