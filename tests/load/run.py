"""Load test: the app under gunicorn on 127.0.0.1 over PostgreSQL with demo projects, driven by locust.

    make load                      # or: .venv/bin/python tests/load/run.py --users 32 --seconds 60

It starts a local PostgreSQL cluster (scripts/local-postgres) unless --database-url names one, fills a fresh
database `portfolio_load` with `seed --demo`, creates the load accounts, collects the static files, serves
with gunicorn in production mode (DEBUG off) on a free loopback port, and runs locust headless for a fixed
time with a fixed number of users (tests/load/locustfile.py). Then it prints requests per second, p50/p95/p99
per route and the errors, counts the server's 5xx answers from its request log, checks that no loan has
more drawn than its principal nor more repaid than drawn, stops everything it started, and exits non-zero
if anything failed. Traffic goes to 127.0.0.1 only, and it stops by itself.
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
DATABASE = "portfolio_load"
INVARIANTS = """
from django.db.models import F
from financing.models import Loan
from financing.selectors import with_loan_balances
loans = with_loan_balances(Loan.objects.all())
overdrawn = loans.filter(disbursed__gt=F("principal")).count()
print(loans.count(), overdrawn, loans.filter(repaid__gt=F("disbursed")).count())
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
    parser.add_argument("--users", type=int, default=32)
    parser.add_argument("--seconds", type=int, default=60)
    parser.add_argument("--projects", type=int, default=2000)
    parser.add_argument("--workers", type=int, default=4)
    parser.add_argument("--database-url", help="an empty PostgreSQL database to use instead of a local one")
    args = parser.parse_args()
    if shutil.which("locust", path=str(BIN)) is None:
        sys.exit("locust is not installed: .venv/bin/pip install '.[load]' (or: make load)")

    started_cluster = args.database_url is None
    try:
        return load(args, args.database_url or local_database())
    finally:
        if started_cluster:
            subprocess.run([str(ROOT / "scripts" / "local-postgres"), "stop"], check=False)


def load(args, database_url: str) -> int:
    port = free_port()
    host = f"http://127.0.0.1:{port}"
    workdir = Path(tempfile.mkdtemp(prefix="portfolio-load-"))
    env = {
        **{k: v for k, v in os.environ.items() if k not in {"PYTEST_VERSION", "DEBUG"}},
        "DATABASE_URL": database_url,
        "SECRET_KEY": secrets.token_urlsafe(50),
        "DEBUG": "0",
        "HTTPS": "0",  # plain HTTP on the loopback; behind the city's proxy it is on
        "ALLOWED_HOSTS": "127.0.0.1",
        "BIND": f"127.0.0.1:{port}",
        "WEB_CONCURRENCY": str(args.workers),
        "LOAD_PASSWORD": PASSWORD,
        "LOAD_DISTRICTS": ",".join(DISTRICTS),
        # The load comes from one address: keep the lockout out of the way of the right passwords it uses.
        "AXES_FAILURE_LIMIT": "1000",
    }
    manage = [str(BIN / "python"), "manage.py"]
    print(f"== database {database_url.rsplit('@', 1)[-1]}: migrate, {args.projects} demo projects, accounts")
    run(*manage, "migrate", "--noinput", env=env)
    run(*manage, "seed", "--demo", str(args.projects), "--random-seed", "1", env=env)
    run(*manage, "adduser", "load_city", "--role", "city_staff", "--password", PASSWORD, env=env)
    for code in DISTRICTS:
        run(
            *manage,
            "adduser",
            f"load_{code}",
            "--role",
            "district_user",
            "--district",
            code,
            "--password",
            PASSWORD,
            env=env,
        )
    run(*manage, "collectstatic", "--noinput", "--verbosity", "0", env=env)

    server_log = workdir / "server.log"
    print(f"== gunicorn, {args.workers} workers, on {host}; its log: {server_log}")
    with server_log.open("w") as log:
        server = subprocess.Popen(
            [str(BIN / "gunicorn"), "--config", "gunicorn.conf.py"],
            cwd=ROOT,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                with urllib.request.urlopen(f"{host}/healthz", timeout=2) as answer:
                    if answer.status == 200:
                        break
            except OSError:
                pass
            if time.monotonic() > deadline or server.poll() is not None:
                sys.exit(f"gunicorn did not come up; see {server_log}")
            time.sleep(0.5)

        print(f"== locust: {args.users} users for {args.seconds} s")
        prefix = workdir / "locust"
        locust = subprocess.run(
            [
                str(BIN / "locust"),
                "-f",
                str(ROOT / "tests" / "load" / "locustfile.py"),
                "--headless",
                "--users",
                str(args.users),
                "--spawn-rate",
                str(max(args.users // 4, 1)),
                "--run-time",
                f"{args.seconds}s",
                "--stop-timeout",
                "15",
                "--host",
                host,
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
    finally:
        server.terminate()
        try:
            server.wait(timeout=30)
        except subprocess.TimeoutExpired:
            server.kill()

    if not Path(f"{prefix}_stats.csv").exists():
        print(locust.stdout, locust.stderr, sep="\n")
        sys.exit("locust wrote no statistics (its output is above)")
    with open(f"{prefix}_stats.csv", newline="") as stats:
        rows = list(csv.DictReader(stats))
    print(f"\n{'route':<44}{'requests':>9}{'req/s':>8}{'p50 ms':>8}{'p95 ms':>8}{'p99 ms':>8}{'errors':>8}")
    for row in rows:
        name = "all routes" if row["Name"] == "Aggregated" else f"{row['Type']} {row['Name']}"
        print(
            f"{name[:43]:<44}{row['Request Count']:>9}{float(row['Requests/s']):>8.1f}{row['50%']:>8}"
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
    failures += sum(int(row["Count"]) for row in exceptions)

    server_errors = 0
    for line in server_log.read_text().splitlines():
        try:
            record = json.loads(line)
        except ValueError:
            continue
        if record.get("logger") == "portfolio.requests" and int(record.get("status", 0)) >= 500:
            server_errors += 1
    loans, overdrawn, overpaid = map(int, run(*manage, "shell", "-c", INVARIANTS, env=env).split()[-3:])
    print(f"\nserver 5xx answers: {server_errors}")
    print(
        f"invariants: {loans} loans, {overdrawn} with more drawn than the principal, "
        f"{overpaid} with more repaid than drawn"
    )
    ok = failures == 0 and server_errors == 0 and overdrawn == 0 and overpaid == 0
    print("== load test", "passed" if ok else "FAILED")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
