"""Benchmark of the monthly dispatch, printed as figures (not a timed test).

    DATABASE_URL=sqlite:////tmp/bench.sqlite3 SECRET_KEY=bench python manage.py bench_dispatch

Run it with DEBUG off, as production runs. It fills the scratch database with `seed --demo` as needed (each
demo project has its plans and monthly reports of the last and the current year), then requests, as a city
user through the whole stack (middleware, view, template or renderer), the page /dispatch/, the API
/api/v1/dispatch/, the 调度表 and the 通报 for the last month, and prints for each the seconds (median), the
queries and the peak traced memory. The 调度表 is set against bare xlsxwriter (constant_memory) writing the
same cells with the same number formats, and the page's queries are counted for the first and the last
month of the year as well.
"""

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError
from django.db import connection
from django.test import Client
from django.utils import timezone

from portfolio.dispatch.excel import dispatch_workbook
from portfolio.dispatch.selectors import default_month, dispatch_figures
from portfolio.excel import save_to_temp
from portfolio.services import account_upsert
from projects.models import InvestmentPlan, ProgressReport, Project

from .bench_excel import bare_write, cells_of, measure


def queries_of(work) -> int:
    """The queries `work` runs, counted at the cursor: a request clears the debug query log as it starts,
    so CaptureQueriesContext would count nothing of it."""
    count = 0

    def counting(execute, sql, params, many, context):
        nonlocal count
        count += 1
        return execute(sql, params, many, context)

    with connection.execute_wrapper(counting):
        work()
    return count


class Command(BaseCommand):
    help = "月度调度的基准测试：页面、API、调度表和通报的耗时、查询次数和内存峰值（只在临时数据库上运行）。"

    def add_arguments(self, parser):
        parser.add_argument("--projects", type=int, default=10_000)
        parser.add_argument("--repeat", type=int, default=3)
        parser.add_argument("--force", action="store_true", help="也在名称不含 bench 的数据库上运行")

    def handle(self, *args, projects, repeat, force, **options):
        name = str(settings.DATABASES["default"]["NAME"])
        if "bench" not in name and not force:
            raise CommandError(f"基准测试会写入大量演示数据；请用临时数据库（名称含 bench），当前为 {name}。")
        call_command("migrate", verbosity=0)
        call_command("collectstatic", interactive=False, verbosity=0)  # the pages' manifest, DEBUG off
        have = Project.objects.count()
        if have < projects:
            call_command("seed", "--demo", str(projects - have), "--random-seed", "1", verbosity=0)
        user, _password = account_upsert(
            username="bench_city", role="city_staff", password="Bench-city-2025!"
        )
        settings.ALLOWED_HOSTS = [*settings.ALLOWED_HOSTS, "testserver"]
        client = Client()
        client.force_login(user)
        year, month = default_month(timezone.localdate())
        query = {"year": year, "month": month}
        dispatch = dispatch_figures(user=user, **query)
        self.stdout.write(
            f"数据库 {connection.vendor}，项目 {Project.objects.count()} 个，"
            f"{InvestmentPlan.objects.count()} 份年度计划，{ProgressReport.objects.count()} 份月报；"
            f"调度 {year} 年 1—{month} 月：{len(dispatch.projects)} 个项目"
        )
        line = "{:<30}{:>9.3f} s{:>8} 次查询{:>12.1f} MB 峰值{:>12,} 字节"

        def get(path):
            def work():
                response = client.get(path, query, secure=True)
                if response.status_code != 200:
                    raise CommandError(f"{path} 返回 {response.status_code}")
                return b"".join(response) if response.streaming else response.content

            return work

        results = {}
        for label, path in (
            ("页面 /dispatch/", "/dispatch/"),
            ("API /api/v1/dispatch/", "/api/v1/dispatch/"),
            ("调度表 dispatch.xlsx", "/api/v1/exports/dispatch.xlsx"),
            ("通报 dispatch.pdf", "/api/v1/reports/dispatch.pdf"),
        ):
            content, seconds, _uncounted, peak = measure(get(path), memory=True, repeat=repeat)
            queries = queries_of(get(path))
            results[label] = (content, seconds)
            self.stdout.write(line.format(label, seconds, queries, peak, len(content)))

        content, seconds = results["调度表 dispatch.xlsx"]
        sheets = cells_of(content)
        _, bare_seconds, _, _ = measure(lambda: bare_write(sheets), repeat=repeat)

        def write():
            save_to_temp(dispatch_workbook(dispatch, scope="全市")).close()

        _, write_seconds, write_queries, _ = measure(write, repeat=repeat)
        _, select_seconds, _, _ = measure(lambda: dispatch_figures(user=user, **query), repeat=repeat)
        self.stdout.write(f"  其中读取调度数据（dispatch_figures）{select_seconds:.3f} s")
        self.stdout.write(f"  其中写工作簿（dispatch_workbook，{write_queries} 次查询）{write_seconds:.3f} s")
        self.stdout.write(f"  下限：裸 xlsxwriter 写同样的单元格 {bare_seconds:.3f} s")
        self.stdout.write(
            f"  写工作簿 / 下限 = {write_seconds / bare_seconds:.2f}（目标 ≤ 1.5）；"
            f"整个请求 / 下限 = {seconds / bare_seconds:.2f}"
        )

        counts = []
        for number in (1, 12):
            period = {"year": year - 1 if number == 12 else year, "month": number}
            queries = queries_of(lambda period=period: client.get("/dispatch/", period, secure=True))
            counts.append(f"{period['year']}-{number:02d} {queries} 次")
        self.stdout.write("  页面的查询次数与月份无关：" + "，".join(counts))
