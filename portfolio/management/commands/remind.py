import datetime

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from portfolio.dispatch.reminders import remind
from portfolio.jobs import services as jobs
from portfolio.jobs.models import JobKind


class Command(BaseCommand):
    help = (
        "每日提醒（由 cron 或 systemd timer 每天运行一次）：月报即将到期、逾期未报、问题逾期、退回待修改，"
        "以及全市每日汇总；生成站内通知，配置了 EMAIL_HOST 时同时发送邮件。同一天重复运行不会重复提醒。"
        "加 --enqueue 则交给后台任务（manage.py db_worker）执行。"
    )

    def add_arguments(self, parser):
        parser.add_argument("--date", help="按这一天提醒（YYYY-MM-DD），默认今天")
        parser.add_argument("--dry-run", action="store_true", help="只显示将生成的提醒，不保存、不发邮件")
        parser.add_argument(
            "--enqueue", action="store_true", help="排入后台任务队列，由 db_worker 执行（不在本进程中发送）"
        )

    def handle(self, *args, date=None, dry_run=False, enqueue=False, **options):
        if date:
            try:
                today = datetime.date.fromisoformat(date)
            except ValueError as error:
                raise CommandError(f"日期应为 YYYY-MM-DD：{date}") from error
        else:
            today = timezone.localdate()
        if enqueue and dry_run:
            raise CommandError("--enqueue 与 --dry-run 不能同时使用。")
        if enqueue:
            job = jobs.job_submit(owner=None, kind=JobKind.REMINDERS, params={"date": today.isoformat()})
            self.stdout.write(
                self.style.SUCCESS(
                    f"{today:%Y-%m-%d} 的提醒已排入后台任务 #{job.pk}（{job.get_status_display()}）。"
                )
            )
            return
        outcome = remind(today=today, dry_run=dry_run)
        if dry_run:
            self.stdout.write(f"{today:%Y-%m-%d} 演练（未保存、未发邮件）：")
            for reminder in outcome.new:
                self.stdout.write(f"  {reminder.user.get_username()}：{reminder.title}")
            self.stdout.write(
                f"将新建 {len(outcome.new)} 条通知，涉及 {outcome.users} 个用户"
                f"（另有 {len(outcome.planned) - len(outcome.new)} 条今天已提醒过）。"
            )
            return
        self.stdout.write(
            self.style.SUCCESS(
                f"{today:%Y-%m-%d}：新建 {len(outcome.created)} 条通知，涉及 {outcome.users} 个用户；"
                f"发送邮件 {outcome.emails} 封。"
            )
        )
        skipped = len(outcome.planned) - len(outcome.new)
        if skipped:
            self.stdout.write(f"另有 {skipped} 条今天已提醒过，未重复生成。")
        if not settings.EMAIL_HOST:
            self.stdout.write("未配置 EMAIL_HOST：只生成站内通知，不发送邮件。")
