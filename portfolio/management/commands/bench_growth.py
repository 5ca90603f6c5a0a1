"""Benchmark of growth: what each page, API list and export costs as the library grows (not a timed test).

    DATABASE_URL=sqlite:////tmp/growth.sqlite3 SECRET_KEY=bench DEBUG=0 \\
        python manage.py bench_growth --sizes 10000,100000 --json /tmp/growth.json

On a scratch database (never the default db.sqlite3 unless --yes), it grows the library with `seed --demo`
and years of history (monthly reports, drawings and repayments, audit entries, notifications) to each size
in turn, reusing what a database already holds (its demo projects are counted), and at each size requests
through the whole stack (middleware, view, template or renderer), as a logged-in user of each role, with
DEBUG off: the dashboards of city staff, a district user and a bank; the library list as it opens, sorted by
资金缺口 and searched by text; a project page and a loan page; the API lists at 200 a page; /dispatch/; and
every export, with the job thresholds raised so that the file is made in the request. For each it prints the
seconds (median of --repeat runs), the queries, the peak traced memory, and the ratio between the largest and
the smallest size, and flags what misses the targets: the same queries at every size; pages and API lists
under 1 s at the smallest size and at most 2× slower at the largest; exports' peak memory flat.
"""

import json
import time
from pathlib import Path

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError
from django.db import connection
from django.db.models import Count, Min
from django.test import Client
from django.utils import timezone

from financing.models import Loan
from portfolio.dispatch.selectors import default_month
from portfolio.seed import DEMO_BANKS, DEMO_PREFIX
from portfolio.services import account_upsert
from projects.models import ProgressReport, Project

from .bench_dispatch import queries_of
from .bench_excel import measure

PASSWORD = "Bench-growth-2025!"
SEED_CHUNK = 10_000  # projects per seed run while growing: each one its own transaction, its time printed
# Pages and API lists: under this many seconds at the smallest size, at most this many times slower at the
# largest. Exports: peak memory at most this many times the smallest size's.
PAGE_SECONDS, PAGE_RATIO, MEMORY_RATIO = 1.0, 2.0, 1.5
THRESHOLDS = ("EXPORT_JOB_THRESHOLD", "PDF_JOB_THRESHOLD")


class Command(BaseCommand):
    help = (
        "增长基准测试：按 --sizes 逐级生成带多年历史的演示项目，测量各页面、API 列表和导出的耗时、查询次数、"
        "内存峰值及最大与最小规模之比（只在临时数据库上运行）。"
    )

    def add_arguments(self, parser):
        parser.add_argument("--sizes", default="10000,100000", help="演示项目数，逗号分隔，由小到大")
        parser.add_argument("--history-years", type=int, default=5)
        parser.add_argument("--repeat", type=int, default=5, help="页面和 API 每项运行次数（取中位数）")
        parser.add_argument(
            "--export-repeat", type=int, default=3, help="导出每项运行次数（取中位数；大库上每次较久）"
        )
        parser.add_argument("--random-seed", type=int, default=1)
        parser.add_argument("--json", dest="json_file", metavar="FILE", help="另将结果写入 JSON 文件")
        parser.add_argument("--yes", action="store_true", help="也在默认数据库 db.sqlite3 上运行")
        parser.add_argument(
            "--only", default="page,api,export", help="只测这些种类（page、api、export，逗号分隔）"
        )

    def handle(
        self, *args, sizes, history_years, repeat, export_repeat, random_seed, json_file, yes, only, **options
    ):
        self.kinds = {kind.strip() for kind in only.split(",") if kind.strip()}
        try:
            sizes = sorted({int(size) for size in sizes.split(",") if size.strip()})
        except ValueError as error:
            raise CommandError("--sizes 应为逗号分隔的整数，如 10000,100000") from error
        if not sizes or sizes[0] <= 0:
            raise CommandError("--sizes 应为正整数")
        self._refuse_default_database(yes)
        if settings.DEBUG:
            # With DEBUG on every query is logged with its parameters: not how production runs.
            settings.DEBUG = False
            self.stdout.write("注意：已在本进程中关闭 DEBUG（建议以 DEBUG=0 运行）")
        for name in THRESHOLDS:
            setattr(settings, name, 10**12)  # the file is made in the request, as the measure needs
        settings.ALLOWED_HOSTS = [*settings.ALLOWED_HOSTS, "testserver"]
        call_command("migrate", verbosity=0)
        call_command("collectstatic", interactive=False, verbosity=0)
        # Reminded users exist before the seed, so that the history has their notifications.
        self.city = account_upsert(username="bench_city", role="city_staff", password=PASSWORD)[0]
        self.district = account_upsert(
            username="bench_district", role="district_user", district_code="440112", password=PASSWORD
        )[0]
        results = {"database": connection.vendor, "history_years": history_years, "sizes": {}}
        for size in sizes:
            seeded = self._grow(size, history_years, random_seed)
            rows = self._measure(repeat, export_repeat)
            results["sizes"][str(size)] = {"seed_seconds": seeded, "counts": self._counts(), "rows": rows}
        results["summary"] = self._summary(results["sizes"], sizes)
        self._print(results, sizes)
        if json_file:
            Path(json_file).write_text(json.dumps(results, ensure_ascii=False, indent=2), encoding="utf-8")
            self.stdout.write(f"结果已写入 {json_file}")

    # -- the database -------------------------------------------------------------------------------------

    def _refuse_default_database(self, yes: bool) -> None:
        database = settings.DATABASES["default"]
        if yes or database["ENGINE"] != "django.db.backends.sqlite3":
            return
        default = (Path(settings.BASE_DIR) / "db.sqlite3").resolve()
        if Path(str(database["NAME"])).resolve() == default:
            raise CommandError(
                "增长基准测试会写入大量演示数据：请用 DATABASE_URL 指定临时数据库"
                "（如 sqlite:////tmp/growth.sqlite3），或加 --yes 在默认数据库上运行。"
            )

    def _grow(self, size: int, years: int, random_seed: int) -> float | None:
        """Seed demo projects up to `size`, SEED_CHUNK at a time; the seconds it took (None when the database
        held them already)."""
        have = Project.objects.filter(code__startswith=DEMO_PREFIX).count()
        if have > size:
            raise CommandError(f"数据库中已有 {have} 个演示项目，多于 {size}：请用新的临时数据库。")
        if have == size:
            self._check_history(years)
            self.stdout.write(f"== {size} 个演示项目：沿用数据库中已有的数据")
            return None
        self.stdout.write(f"== 生成演示项目至 {size} 个（{years} 年历史），每批 {SEED_CHUNK} 个")
        started = time.perf_counter()
        while have < size:
            chunk = min(SEED_CHUNK, size - have)
            began = time.perf_counter()
            call_command(
                "seed",
                "--demo",
                str(chunk),
                "--history-years",
                str(years),
                "--random-seed",
                str(random_seed + have),
                verbosity=0,
                stdout=_Discard(),
            )
            have += chunk
            self.stdout.write(f"   {have:>9,} 个，本批 {time.perf_counter() - began:.1f} s")
        seconds = time.perf_counter() - started
        self.stdout.write(f"   生成用时 {seconds:.1f} s")
        return seconds

    def _check_history(self, years: int) -> None:
        """A database reused must hold the history asked for (a reach of `years` in its oldest reports)."""
        oldest = ProgressReport.objects.filter(project__is_demo=True).aggregate(m=Min("period"))["m"]
        today = timezone.localdate()
        if years > 1 and (oldest is None or (today.year - oldest.year) < years - 1):
            raise CommandError(
                f"该数据库的演示项目没有 {years} 年历史（最早月报 {oldest}）：请用新的临时数据库。"
            )

    def _counts(self) -> dict:
        from financing.models import Disbursement, Installment, Repayment
        from portfolio.models import AuditEntry, Notification

        return {
            model.__name__: model.objects.count()
            for model in (
                Project,
                ProgressReport,
                Loan,
                Disbursement,
                Repayment,
                Installment,
                AuditEntry,
                Notification,
            )
        }

    # -- the measures -------------------------------------------------------------------------------------

    def _subjects(self) -> tuple[Project, Loan]:
        """The project and the loan opened: the demo loan with the most drawings and repayments, and its
        project (years of reports). The same ones at every size: the first chunk seeds them."""
        loan = (
            Loan.objects.filter(project__is_demo=True, project__stage="implementation")
            .annotate(n=Count("disbursements", distinct=True) + Count("repayments", distinct=True))
            .order_by("-n", "pk")
            .select_related("project", "lender")
            .first()
        )
        if loan is None:
            raise CommandError("没有可测量的演示贷款：演示项目太少")
        return loan.project, loan

    def _measure(self, repeat: int, export_repeat: int) -> dict:
        project, loan = self._subjects()
        bank = account_upsert(
            username="bench_bank", role="lender", organization=loan.lender.name, password=PASSWORD
        )[0]
        if loan.lender.name not in DEMO_BANKS:
            self.stdout.write(f"注意：银行账户所属银行为 {loan.lender.name}")
        clients = {}
        for role, user in (("city", self.city), ("district", self.district), ("bank", bank)):
            clients[role] = Client()
            clients[role].force_login(user)
        year, month = default_month(timezone.localdate())
        month_query = f"year={year}&month={month}"
        page, api, export = "page", "api", "export"
        plan = [
            ("看板（市级）", page, "city", "/"),
            ("看板（区级）", page, "district", "/"),
            ("看板（银行：我的贷款）", page, "bank", "/loans/"),  # a bank's home: "/" sends it here
            ("项目库列表", page, "city", "/projects/"),
            ("项目库按资金缺口排序", page, "city", "/projects/?sort=-funding_gap"),
            ("项目库文字搜索", page, "city", "/projects/?q=河湖"),
            ("项目页", page, "city", f"/projects/{project.pk}/"),
            ("贷款页", page, "city", f"/loans/{loan.pk}/"),
            ("月度调度 /dispatch/", page, "city", f"/dispatch/?{month_query}"),
            ("API 项目列表", api, "city", "/api/v1/projects/?page_size=200"),
            ("API 贷款列表", api, "city", "/api/v1/loans/?page_size=200"),
            ("API 月报列表", api, "city", "/api/v1/progress-reports/?page_size=200"),
            ("API 提款列表", api, "city", "/api/v1/disbursements/?page_size=200"),
            ("API 还款列表", api, "city", "/api/v1/repayments/?page_size=200"),
            ("导出 projects.xlsx", export, "city", "/api/v1/exports/projects.xlsx"),
            ("导出 financing.xlsx", export, "city", "/api/v1/exports/financing.xlsx"),
            ("导出 dispatch.xlsx", export, "city", f"/api/v1/exports/dispatch.xlsx?{month_query}"),
            ("导出 dispatch.pdf", export, "city", f"/api/v1/reports/dispatch.pdf?{month_query}"),
        ]
        rows = {}
        for label, kind, role, path in plan:
            if kind not in self.kinds:
                continue
            work = _request(clients[role], path)
            times = export_repeat if kind == export else repeat
            (status, size), seconds, _uncounted, peak = measure(work, memory=True, repeat=times)
            queries = queries_of(work)
            rows[label] = {
                "kind": kind,
                "role": role,
                "path": path,
                "status": status,
                "bytes": size,
                "seconds": seconds,
                "queries": queries,
                "peak_mb": peak,
            }
            self.stdout.write(
                f"   {_pad(label, 26)}{seconds:>9.3f} s{queries:>6} 次查询{peak:>9.1f} MB"
                + ("" if status == 200 else f"  HTTP {status}")
            )
        return rows

    # -- the report ---------------------------------------------------------------------------------------

    def _summary(self, by_size: dict, sizes: list[int]) -> dict:
        small, large = by_size[str(sizes[0])]["rows"], by_size[str(sizes[-1])]["rows"]
        summary = {}
        for label, first in small.items():
            last = large[label]
            flags = []
            if any(by_size[str(s)]["rows"][label]["status"] != 200 for s in sizes):
                flags.append("非 200 应答")
            if len({by_size[str(s)]["rows"][label]["queries"] for s in sizes}) > 1:
                flags.append("查询数随规模变化")
            ratio = last["seconds"] / first["seconds"] if first["seconds"] else None
            memory = last["peak_mb"] / first["peak_mb"] if first["peak_mb"] else None
            if first["kind"] != "export":
                if first["seconds"] >= PAGE_SECONDS:
                    flags.append(f"{sizes[0]} 时 ≥ {PAGE_SECONDS:g} s")
                if len(sizes) > 1 and ratio is not None and ratio > PAGE_RATIO:
                    flags.append(f"慢 {ratio:.1f}×（目标 ≤ {PAGE_RATIO:g}×）")
            elif len(sizes) > 1 and memory is not None and memory > MEMORY_RATIO:
                flags.append(f"内存增 {memory:.1f}×（目标持平）")
            summary[label] = {"seconds_ratio": ratio, "memory_ratio": memory, "flags": flags}
        return summary

    def _print(self, results: dict, sizes: list[int]) -> None:
        by_size = results["sizes"]
        self.stdout.write("")
        self.stdout.write(f"数据库 {results['database']}，{results['history_years']} 年历史")
        for size in sizes:
            entry = by_size[str(size)]
            seeded = entry["seed_seconds"]
            counts = "，".join(f"{name} {count:,}" for name, count in entry["counts"].items())
            made = f"生成用时 {seeded:.1f} s" if seeded is not None else "沿用已有数据"
            self.stdout.write(f"  {size:,} 个演示项目（{made}）：{counts}")
        labels = list(by_size[str(sizes[0])]["rows"])
        width = max(_width(label) for label in labels) + 2
        header = _pad("", width) + "".join(f"{f'{size:,}':>30}" for size in sizes)
        if len(sizes) > 1:
            header += _rjust(f"{sizes[-1]:,}/{sizes[0]:,}", 20)
        self.stdout.write(header + "  未达标")
        columns = _rjust("秒", 11) + _rjust("查询", 9) + _rjust("MB", 10)
        ratios = _rjust("耗时", 11) + _rjust("内存", 9) if len(sizes) > 1 else ""
        self.stdout.write(_pad("", width) + columns * len(sizes) + ratios)
        for label in labels:
            line = _pad(label, width)
            for size in sizes:
                row = by_size[str(size)]["rows"][label]
                line += f"{row['seconds']:>11.3f}{row['queries']:>9}{row['peak_mb']:>10.1f}"
            summary = results["summary"][label]
            if len(sizes) > 1:
                line += f"{_ratio(summary['seconds_ratio']):>11}{_ratio(summary['memory_ratio']):>9}"
            line += "  " + ("；".join(summary["flags"]) or "—")
            self.stdout.write(line)


def _request(client: Client, path: str):
    def work():
        response = client.get(path, secure=True)
        # The file's size, read chunk by chunk: holding the whole file would add its size to the peak
        # memory measured, which is the export's own, not what a client keeps.
        size = sum(len(chunk) for chunk in response) if response.streaming else len(response.content)
        if hasattr(response, "close"):
            response.close()
        return response.status_code, size

    return work


def _ratio(value) -> str:
    return f"{value:.2f}×" if value is not None else "—"


def _width(text: str) -> int:
    """Columns `text` takes in a terminal: a CJK character takes two."""
    return sum(2 if ord(char) > 0x2E80 else 1 for char in text)


def _pad(text: str, width: int) -> str:
    return text + " " * max(width - _width(text), 0)


def _rjust(text: str, width: int) -> str:
    return " " * max(width - _width(text), 0) + text


class _Discard:
    def write(self, *args, **kwargs):
        pass

    def flush(self):
        pass
