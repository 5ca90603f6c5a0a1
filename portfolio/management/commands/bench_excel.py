"""Benchmark of Excel out and in, printed as figures (not a timed test).

    DATABASE_URL=sqlite:////tmp/bench.sqlite3 SECRET_KEY=bench python manage.py bench_excel --projects 10000

Run it with DEBUG off, as production runs: with DEBUG on, Django logs every query with its parameters.

It fills the scratch database with `seed --demo` as needed and times, each through the real code path and
against a lower bound: the projects and financing exports against bare xlsxwriter (constant_memory, as the
exports write) writing the same cells with the same number formats from memory; the import of a 5,000-row
file (a dry run: every row checked and created, then rolled back) against bare openpyxl read-only parsing
of the same file; and, when django-import-export is installed (the `bench` extra), its export of the same
projects as a peer. Each line gives the seconds (median), the rows a second, the queries and the peak traced
memory. Whether openpyxl parses with lxml is printed too: OPENPYXL_LXML=False turns it off, to compare.
"""

import datetime
import gc
import io
import statistics
import tempfile
import time
import tracemalloc

import openpyxl
import xlsxwriter
from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError
from django.db import connection
from django.test.utils import CaptureQueriesContext
from openpyxl import Workbook, load_workbook

from financing.excel import financing_workbook
from portfolio.excel import save_to_temp
from portfolio.services import account_upsert
from projects.excel import HEADERS, projects_workbook
from projects.models import District, Project
from projects.selectors import project_list


def measure(work, *, memory=False, repeat=1):
    """Seconds (the median of `repeat` calls), queries and (with `memory`) peak traced memory in MB of `work`.

    The time is taken from calls of their own: counting queries logs each one with its parameters, which
    would be timed too.
    """
    times = []
    for _ in range(repeat):
        gc.collect()
        started = time.perf_counter()
        result = work()
        times.append(time.perf_counter() - started)
    seconds = statistics.median(times)
    with CaptureQueriesContext(connection) as queries:
        work()
    peak = None
    if memory:
        gc.collect()
        tracemalloc.start()
        work()
        peak = tracemalloc.get_traced_memory()[1] / 1024 / 1024
        tracemalloc.stop()
    return result, seconds, len(queries), peak


def cells_of(content: bytes) -> list[tuple[str, list[list]]]:
    """Every sheet's cells: None, text, or (value, number format) for a number or a date (the format None
    where it is General)."""
    book = load_workbook(io.BytesIO(content), read_only=True)
    sheets = []
    for ws in book.worksheets:
        rows = []
        for row in ws.iter_rows():
            values = []
            for cell in row:
                value = getattr(cell, "value", None)
                if value is None or isinstance(value, str):
                    values.append(value)
                else:
                    number_format = cell.number_format
                    values.append((value, None if number_format == "General" else number_format))
            rows.append(values)
        sheets.append((ws.title, rows))
    book.close()
    return sheets


def bare_write(sheets) -> None:
    """The cells of `sheets` written by bare xlsxwriter in constant_memory mode, each number format made once:
    the floor of writing them."""
    with tempfile.TemporaryFile(suffix=".xlsx") as handle:
        workbook = xlsxwriter.Workbook(handle, {"constant_memory": True, "strings_to_formulas": False})
        formats = {}
        for title, rows in sheets:
            ws = workbook.add_worksheet(title)
            for number, row in enumerate(rows):
                for column, value in enumerate(row):
                    if value is None:
                        continue
                    if type(value) is str:
                        ws.write_string(number, column, value)
                        continue
                    value, number_format = value
                    look = None
                    if number_format is not None:
                        look = formats.get(number_format)
                        if look is None:
                            look = formats[number_format] = workbook.add_format({"num_format": number_format})
                    if isinstance(value, datetime.date):
                        ws.write_datetime(number, column, value, look)
                    else:
                        ws.write_number(number, column, value, look)
        workbook.close()


class Command(BaseCommand):
    help = (
        "Excel 导出与导入的基准测试，打印耗时、每秒行数、内存峰值、查询次数及比值（只在临时数据库上运行）。"
    )

    def add_arguments(self, parser):
        parser.add_argument("--projects", type=int, default=10_000)
        parser.add_argument("--import-rows", type=int, default=5_000)
        parser.add_argument("--force", action="store_true", help="也在名称不含 bench 的数据库上运行")

    def handle(self, *args, projects, import_rows, force, **options):
        name = str(settings.DATABASES["default"]["NAME"])
        if "bench" not in name and not force:
            raise CommandError(f"基准测试会写入大量演示数据；请用临时数据库（名称含 bench），当前为 {name}。")
        call_command("migrate", verbosity=0)
        have = Project.objects.count()
        if have < projects:
            call_command("seed", "--demo", str(projects - have), "--random-seed", "1", verbosity=0)
        user, _password = account_upsert(
            username="bench_city", role="city_staff", password="Bench-city-2025!"
        )
        everything = project_list(user=user)
        total = everything.count()
        self.stdout.write(f"数据库 {connection.vendor}，项目 {total} 个")
        self.stdout.write(
            f"openpyxl {openpyxl.__version__}，解析 {'用' if openpyxl.LXML else '不用'} lxml；"
            f"xlsxwriter {xlsxwriter.__version__}（constant_memory）"
        )
        line = "{:<34}{:>9.2f} s{:>12,.0f} 行/秒{:>10} 次查询{:>12}"

        for label, build in (("projects.xlsx", projects_workbook), ("financing.xlsx", financing_workbook)):
            repeat = 3 if label == "projects.xlsx" else 1  # financing.xlsx takes long enough to be steady

            def export(build=build, keep=False):
                """The export as the view sends it, from its file on disk; the file's content with `keep`
                (read after the measures, so that the peak is the export's own)."""
                workbook, counts = build(rows=everything, user=user, filters={}, scope="全市")
                with save_to_temp(workbook) as handle:
                    return counts, handle.read() if keep else None

            (counts, _none), seconds, queries, peak = measure(export, memory=True, repeat=repeat)
            _counts, content = export(keep=True)
            rows = counts if isinstance(counts, int) else sum(counts.values())
            self.stdout.write(
                line.format(f"导出 {label}", seconds, rows / seconds, queries, f"{peak:.1f} MB 峰值")
            )
            # The lower bound: the same cells (values and number formats, read back from the file just
            # made), held in memory and written by bare xlsxwriter.
            sheets = cells_of(content)
            _, bare_seconds, _, bare_peak = measure(
                lambda sheets=sheets: bare_write(sheets), memory=True, repeat=repeat
            )
            self.stdout.write(
                line.format(
                    "  下限：裸 xlsxwriter 写同样的单元格",
                    bare_seconds,
                    rows / bare_seconds,
                    0,
                    f"{bare_peak:.1f} MB 峰值",
                )
            )
            self.stdout.write(f"  导出 / 下限 = {seconds / bare_seconds:.2f}（目标 ≤ 1.2）")
            if label == "projects.xlsx":
                export_seconds = seconds
            del sheets, content  # a million cells held for nothing would slow every later collection

        # Import: a file of new projects, checked and created row by row, then rolled back (a dry run).
        districts = list(District.objects.values_list("name", flat=True))
        workbook = Workbook()
        sheet = workbook.active
        sheet.title = "项目"
        sheet.append(HEADERS)
        for number in range(import_rows):
            sheet.append(
                [
                    f"基准导入项目{number}",
                    districts[number % len(districts)],
                    None,
                    "美丽河湖",
                    None,
                    None,
                    "碧道建设",
                    1000 + number,
                    2025,
                    2027,
                    "张三",
                    "020-1",
                    None,
                ]
            )
        stream = io.BytesIO()
        workbook.save(stream)
        content = stream.getvalue()

        from django.core.files.uploadedfile import SimpleUploadedFile

        from projects.imports import import_projects

        def run_import():
            return import_projects(SimpleUploadedFile("bench.xlsx", content), user=user, commit=False)

        result, import_seconds, import_queries, _ = measure(run_import, repeat=3)
        if not result.ok:
            raise CommandError(f"导入出错：{result.errors[:3]}")

        def bare_parse():
            book = load_workbook(io.BytesIO(content), read_only=True)
            count = sum(1 for _row in book["项目"].iter_rows(values_only=True))
            book.close()
            return count

        _, parse_seconds, _, _ = measure(bare_parse, repeat=3)
        self.stdout.write(
            line.format(
                f"导入 {import_rows} 行（预览，全部校验与创建）",
                import_seconds,
                import_rows / import_seconds,
                import_queries,
                "",
            )
        )
        self.stdout.write(
            line.format(
                "下限：裸 openpyxl 只读解析同一文件", parse_seconds, import_rows / parse_seconds, 0, ""
            )
        )
        self.stdout.write(f"  导入 / 解析 = {import_seconds / parse_seconds:.2f}（目标 ≤ 4）")

        try:
            from import_export import resources
        except ImportError:
            self.stdout.write("同类工具：未安装 django-import-export（pip install '.[bench]'），跳过")
            return

        class ProjectResource(resources.ModelResource):
            class Meta:
                model = Project

        def peer():
            data = ProjectResource().export(queryset=Project.objects.all())
            return len(data.export("xlsx"))

        _, peer_seconds, peer_queries, _ = measure(peer)
        self.stdout.write(
            line.format(
                "同类：django-import-export 导出", peer_seconds, total / peer_seconds, peer_queries, ""
            )
        )
        self.stdout.write(f"  同类 / 本系统 = {peer_seconds / export_seconds:.2f}（大于 1 表示本系统更快）")
