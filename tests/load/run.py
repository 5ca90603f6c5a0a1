"""Load test: two app hosts (gunicorn) and a job worker over one PostgreSQL with demo projects and a year of
history, driven by locust.

    make load                      # or: .venv/bin/python tests/load/run.py --users 32 --seconds 60

It starts a local PostgreSQL cluster (scripts/local-postgres) unless --database-url names one, fills a fresh
database `portfolio_load` with `seed --demo` and --history-years of history, creates the load accounts
(Argon2-hashed: a district user per district, city staff, finance, a user per demo bank), collects the static
files, and serves with two gunicorn instances in production mode (DEBUG off) on two free loopback ports,
sharing the database (each worker process with a psycopg pool of DB_POOL_SIZE connections) and MEDIA_ROOT,
with `manage.py db_worker` beside them for the exports that run as jobs. Locust then runs headless for a
fixed time with a fixed number of users spreading their requests over both hosts (tests/load/locustfile.py),
and a short second phase logs in and out repeatedly to measure logins a second.

It prints requests per second, p50/p95/p99 per route and the errors, the reads' p95 over both hosts, the
logins a second, counts the servers' 5xx answers from their request logs, checks the invariants (no loan
with more drawn than its principal nor more repaid than drawn; stored schedules and financing totals equal
to what the records give), stops everything it started, and exits non-zero if anything missed its target:
0 errors, 0 broken invariants, reads' p95 ≤ 500 ms, logins ≥ 20 a second. Traffic goes to 127.0.0.1 only,
and it stops by itself.
"""

import argparse
import csv
import json
import os
import secrets
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent
PASSWORD = "Load-test-2025!"
DISTRICTS = ["440112", "440104", "440106", "440111", "440113"]
# The demo banks of the seed (portfolio.seed.DEMO_BANKS): one load account each.
BANKS = ["【演示】农业发展银行广州分行", "【演示】工商银行广州分行", "【演示】建设银行广州分行"]
DATABASE = "portfolio_load"
READ_P95_MS = 500
LOGINS_PER_SECOND = 20
MAIN_USERS = ["DistrictUser", "BankUser", "CityStaff", "FinanceUser"]
INVARIANTS = """
from django.db.models import F
from financing.models import Loan
from financing.selectors import with_loan_balances
from financing.installments import schedules_sync
from financing.totals import financing_totals_differences
loans = with_loan_balances(Loan.objects.all())
overdrawn = loans.filter(disbursed__gt=F("principal")).count()
overpaid = loans.filter(repaid__gt=F("disbursed")).count()
print(loans.count(), overdrawn, overpaid, len(schedules_sync(write=False).differed),
      len(financing_totals_differences()))
"""


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def run(*command, env=None) -> str:
    result = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True, check=False)
    if result.returncode != 0:
        sys.exit(f"failed: {' '.join(map(str, command))}\n{result.stdout}\n{result.stderr}")
    return result.stdout


def local_database() -> str:
    port = run(str(ROOT / "scripts" / "local-postgres"), "start").strip().splitlines()[-1]
    for statement in (
        f"DROP DATABASE IF EXISTS {DATABASE}",
        f"CREATE DATABASE {DATABASE} OWNER portfolio_ci",
    ):
        run("su", "postgres", "-c", f'psql -q -p {port} -c "{statement}"')
    return f"postgres://portfolio_ci:portfolio_ci@127.0.0.1:{port}/{DATABASE}"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--users", type=int, default=64)
    parser.add_argument("--seconds", type=int, default=120)
    parser.add_argument("--projects", type=int, default=2000)
    parser.add_argument("--history-years", type=int, default=1)
    parser.add_argument("--instances", type=int, default=2, help="gunicorn instances (app hosts)")
    parser.add_argument("--workers", type=int, default=3, help="worker processes per instance")
    parser.add_argument("--threads", type=int, default=4, help="threads per worker process")
    parser.add_argument("--pool-size", type=int, default=4, help="DB_POOL_SIZE: connections per worker")
    parser.add_argument("--login-users", type=int, default=16)
    parser.add_argument("--login-seconds", type=int, default=15)
    parser.add_argument("--database-url", help="an empty PostgreSQL database to use instead of a local one")
    args = parser.parse_args()
    if shutil.which("locust", path=str(BIN)) is None:
        sys.exit("locust is not installed: .venv/bin/pip install '.[load]' (or: make load)")
    # Every process of every host holds at most pool-size connections, the worker one; PostgreSQL's
    # max_connections is 100 by default, with a few kept for superusers.
    connections = args.instances * args.workers * args.pool_size + 2
    if connections > 90:
        sys.exit(f"{connections} connections at most would pass max_connections: lower the pool or workers")

    started_cluster = args.database_url is None
    try:
        return load(args, args.database_url or local_database())
    finally:
        if started_cluster:
            subprocess.run([str(ROOT / "scripts" / "local-postgres"), "stop"], check=False)


def prepare(args, manage: list[str], env: dict) -> None:
    years = f", {args.history_years} years of history" if args.history_years else ""
    print(f"== migrate, {args.projects} demo projects{years}, accounts", flush=True)
    run(*manage, "migrate", "--noinput", env=env)
    started = time.perf_counter()
    run(
        *manage,
        "seed",
        "--demo",
        str(args.projects),
        "--history-years",
        str(args.history_years),
        "--random-seed",
        "1",
        env=env,
    )
    print(f"   seeded in {time.perf_counter() - started:.1f} s", flush=True)
    accounts = [("load_city", "city_staff", []), ("load_finance", "finance", [])]
    accounts += [(f"load_{code}", "district_user", ["--district", code]) for code in DISTRICTS]
    accounts += [(f"load_bank{i}", "lender", ["--organization", bank]) for i, bank in enumerate(BANKS, 1)]
    for username, role, more in accounts:
        run(*manage, "adduser", username, "--role", role, *more, "--password", PASSWORD, env=env)
    run(*manage, "collectstatic", "--noinput", "--verbosity", "0", env=env)


def wait_for(hosts: list[str], servers: list, logs: list[Path]) -> None:
    deadline = time.monotonic() + 90
    for host, server, log in zip(hosts, servers, logs, strict=True):
        while True:
            try:
                with urllib.request.urlopen(f"{host}/healthz", timeout=2) as answer:
                    if answer.status == 200:
                        break
            except OSError:
                pass
            if time.monotonic() > deadline or server.poll() is not None:
                sys.exit(f"gunicorn did not come up on {host}; see {log}")
            time.sleep(0.5)


def locust(args, env: dict, prefix: Path, users: int, seconds: int, classes: list[str]):
    return subprocess.run(
        [
            str(BIN / "locust"),
            "-f",
            str(ROOT / "tests" / "load" / "locustfile.py"),
            *classes,
            "--headless",
            "--users",
            str(users),
            "--spawn-rate",
            str(max(users // 4, 1)),
            "--run-time",
            f"{seconds}s",
            "--stop-timeout",
            "30",
            "--host",
            env["LOAD_HOSTS"].split(",")[0],
            "--csv",
            str(prefix),
            "--only-summary",
            "--loglevel",
            "WARNING",
        ],
        cwd=ROOT,
        env=env,
        check=False,
        capture_output=True,
    )


def stop(processes: list) -> None:
    for process in processes:
        process.terminate()
    for process in processes:
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()


def statistics(prefix: Path, locust_run) -> tuple[list[dict], int]:
    """The per-route rows of a locust run, printed, and its errors (failed requests and exceptions)."""
    if not Path(f"{prefix}_stats.csv").exists():
        print(locust_run.stdout, locust_run.stderr, sep="\n")
        sys.exit("locust wrote no statistics (its output is above)")
    with open(f"{prefix}_stats.csv", newline="") as stats:
        rows = list(csv.DictReader(stats))
    print(f"\n{'route':<52}{'requests':>9}{'req/s':>8}{'p50 ms':>8}{'p95 ms':>8}{'p99 ms':>8}{'errors':>8}")
    for row in rows:
        name = "all routes" if row["Name"] == "Aggregated" else f"{row['Type']} {row['Name']}"
        print(
            f"{name[:51]:<52}{row['Request Count']:>9}{float(row['Requests/s']):>8.1f}{row['50%']:>8}"
            f"{row['95%']:>8}{row['99%']:>8}{row['Failure Count']:>8}"
        )
    total = next(row for row in rows if row["Name"] == "Aggregated")
    failures = int(total["Failure Count"])
    if failures:
        with open(f"{prefix}_failures.csv", newline="") as listed:
            for row in csv.DictReader(listed):
                print(f"  failure: {row['Method']} {row['Name']}: {row['Error'][:160]} ×{row['Occurrences']}")
    # An exception inside a simulated user (not a failed request) stops that user: it counts as an error too.
    with open(f"{prefix}_exceptions.csv", newline="") as listed:
        exceptions = list(csv.DictReader(listed))
    for row in exceptions:
        print(f"  exception ×{row['Count']}: {row['Message'][:160]}")
    return rows, failures + sum(int(row["Count"]) for row in exceptions)


def server_errors(logs: list[Path]) -> int:
    count = 0
    for log in logs:
        for line in log.read_text().splitlines():
            try:
                record = json.loads(line)
            except ValueError:
                continue
            if record.get("logger") == "portfolio.requests" and int(record.get("status", 0)) >= 500:
                count += 1
    return count


def load(args, database_url: str) -> int:
    ports = [free_port() for _ in range(args.instances)]
    hosts = [f"http://127.0.0.1:{port}" for port in ports]
    workdir = Path(tempfile.mkdtemp(prefix="portfolio-load-"))
    env = {
        **{k: v for k, v in os.environ.items() if k not in {"PYTEST_VERSION", "DEBUG"}},
        "DATABASE_URL": database_url,
        "SECRET_KEY": secrets.token_urlsafe(50),
        "DEBUG": "0",
        "HTTPS": "0",  # plain HTTP on the loopback; behind the city's proxy it is on
        "ALLOWED_HOSTS": "127.0.0.1",
        "WEB_CONCURRENCY": str(args.workers),
        "GUNICORN_THREADS": str(args.threads),
        "DB_POOL_SIZE": str(args.pool_size),
        "MEDIA_ROOT": str(workdir / "media"),  # the storage both hosts and the worker share
        # financing.xlsx of the whole library (the finance users' export) runs as a job at this size.
        "EXPORT_JOB_THRESHOLD": str(min(1000, max(args.projects // 2, 1))),
        "LOAD_PASSWORD": PASSWORD,
        "LOAD_DISTRICTS": ",".join(DISTRICTS),
        "LOAD_BANKS": str(len(BANKS)),
        "LOAD_HOSTS": ",".join(hosts),
        "LOAD_READS_FILE": str(workdir / "reads.json"),
        # The load comes from one address: keep the lockout out of the way of the right passwords it uses.
        "AXES_FAILURE_LIMIT": "1000",
    }
    manage = [str(BIN / "python"), "manage.py"]
    print(f"== database {database_url.rsplit('@', 1)[-1]}")
    prepare(args, manage, env)

    logs = [workdir / f"server-{port}.log" for port in ports]
    worker_log = workdir / "db_worker.log"
    print(
        f"== {args.instances} gunicorn instances × {args.workers} workers × {args.threads} threads "
        f"(pool {args.pool_size} per worker) on {', '.join(hosts)}, and db_worker; logs in {workdir}"
    )
    processes = []
    try:
        for port, log in zip(ports, logs, strict=True):
            with log.open("w") as out:
                processes.append(
                    subprocess.Popen(
                        [str(BIN / "gunicorn"), "--config", "gunicorn.conf.py"],
                        cwd=ROOT,
                        env={**env, "BIND": f"127.0.0.1:{port}"},
                        stdout=out,
                        stderr=subprocess.STDOUT,
                    )
                )
        with worker_log.open("w") as out:
            processes.append(
                subprocess.Popen(
                    # At a lower CPU priority than the web servers, as README says to run it beside them: an
                    # export's minutes of work wait while requests are being answered.
                    ["nice", "-n", "10", *manage, "db_worker", "--interval", "0.5", "--no-reload"],
                    cwd=ROOT,
                    env={**env, "DB_POOL_SIZE": "0"},
                    stdout=out,
                    stderr=subprocess.STDOUT,
                )
            )
        wait_for(hosts, processes[: len(hosts)], logs)

        print(f"== locust: {args.users} users for {args.seconds} s over {len(hosts)} hosts", flush=True)
        main_prefix = workdir / "locust"
        main_run = locust(args, env, main_prefix, args.users, args.seconds, MAIN_USERS)
        print(
            f"== logins: {args.login_users} users logging in and out for {args.login_seconds} s", flush=True
        )
        login_prefix = workdir / "logins"
        login_run = locust(
            args,
            {**env, "LOAD_READS_FILE": ""},
            login_prefix,
            args.login_users,
            args.login_seconds,
            ["LoginUser"],
        )
    finally:
        stop(processes)

    _rows, failures = statistics(main_prefix, main_run)
    reads = json.loads((workdir / "reads.json").read_text()) if (workdir / "reads.json").exists() else {}
    login_rows, login_failures = statistics(login_prefix, login_run)
    failures += login_failures
    login_row = next((row for row in login_rows if row["Name"].startswith("/accounts/login/ (POST")), None)
    logins = float(login_row["Requests/s"]) if login_row else 0.0

    errors_5xx = server_errors(logs)
    counts = run(*manage, "shell", "-c", INVARIANTS, env=env).split()[-5:]
    loans, overdrawn, overpaid, schedules, totals = map(int, counts)
    read_p95 = reads.get("p95")
    print(
        f"\nreads over both hosts: {reads.get('count', 0)} requests, "
        f"p50 {reads.get('p50') or 0:.0f} ms, p95 {read_p95 or 0:.0f} ms (target ≤ {READ_P95_MS})"
    )
    print(f"logins: {logins:.1f} a second (target ≥ {LOGINS_PER_SECOND})")
    print(f"server 5xx answers: {errors_5xx}")
    print(
        f"invariants: {loans} loans, {overdrawn} with more drawn than the principal, "
        f"{overpaid} with more repaid than drawn, {schedules} with stored schedules unlike the computed, "
        f"{totals} projects with stored totals unlike the computed"
    )
    missed = []
    if failures or errors_5xx:
        missed.append("errors")
    if overdrawn or overpaid or schedules or totals:
        missed.append("invariants")
    if read_p95 is None or read_p95 > READ_P95_MS:
        missed.append(f"reads' p95 > {READ_P95_MS} ms")
    if logins < LOGINS_PER_SECOND:
        missed.append(f"logins < {LOGINS_PER_SECOND}/s")
    print("== load test", "passed" if not missed else "FAILED: " + ", ".join(missed))
    return 0 if not missed else 1


if __name__ == "__main__":
    sys.exit(main())
