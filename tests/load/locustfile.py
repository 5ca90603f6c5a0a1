"""The load of tests/load/run: the library's roles at their monthly work, over two app hosts.

Each simulated user logs in through the login page (session) and the token endpoint (API), then, with a pause
of 0.5–2 s between steps, does what its role does, each step on the next of the hosts in LOAD_HOSTS (every
host serves every request: the session, the files and the jobs live in the shared database and storage):
- district users open the library, project pages and the dashboard, and file this month's report of one of
  their projects being built (create, then submit), or submit a draft one left;
- banks open their loans, a loan's schedule and the dashboard, and record drawings on their own loans;
- city staff open the library, the dashboard and the dispatch, and review submitted reports (accept);
- finance exports financing.xlsx: past the export threshold it answers 202 with a job, polled until done,
  then downloaded (a 200 with the file is taken as it is).
A refusal the rules give (a drawing beyond the principal, a report already filed or reviewed by another
user, a stale version) is a correct answer, not an error.

LoginUser, run in a phase of its own, logs in and out repeatedly to measure logins a second. Every read's
time (a GET that is no export, job or login) is collected and its percentiles written to LOAD_READS_FILE.
"""

import datetime
import itertools
import json
import os
import random
import re
import time

from locust import HttpUser, between, constant, events, task

PASSWORD = os.environ.get("LOAD_PASSWORD", "Load-test-2025!")
DISTRICTS = [code for code in os.environ.get("LOAD_DISTRICTS", "440112,440104,440106").split(",") if code]
BANKS = int(os.environ.get("LOAD_BANKS", "3"))
HOSTS = [host for host in os.environ.get("LOAD_HOSTS", "").split(",") if host]
READS_FILE = os.environ.get("LOAD_READS_FILE")
JOB_WAIT = 120  # seconds a finance user waits for its export's job
FILTERS = [
    "stage=planning",
    "stage=implementation&sort=-total_investment",
    "sort=-funding_gap",
    "category=river_lake",
    "review_status=accepted&min_investment=10000",
    "q=河湖",
]
NOT_READS = ("/api/v1/exports/", "/api/v1/jobs/", "/accounts/", "/api/v1/auth/")
_reads: list[float] = []
_hosts = itertools.count()


@events.request.add_listener
def _collect_reads(request_type, name, response_time, exception, **kwargs):
    if request_type == "GET" and exception is None and not name.startswith(NOT_READS):
        _reads.append(response_time)


@events.quitting.add_listener
def _write_reads(environment, **kwargs):
    if not READS_FILE:
        return
    reads = sorted(_reads)

    def at(share):
        return reads[min(int(len(reads) * share), len(reads) - 1)] if reads else None

    with open(READS_FILE, "w") as out:
        json.dump({"count": len(reads), "p50": at(0.50), "p95": at(0.95), "p99": at(0.99)}, out)


def this_month() -> str:
    return f"{datetime.date.today():%Y-%m}"


def refused_by_rule(response) -> bool:
    """A 400 naming a field or the record's state, or a 409 (changed meanwhile): the rules' answer."""
    return response.status_code in (400, 409)


class RoleUser(HttpUser):
    abstract = True
    wait_time = between(0.5, 2)
    username = ""

    def next_host(self) -> None:
        if HOSTS:
            self.client.base_url = HOSTS[next(_hosts) % len(HOSTS)]

    def log_in(self) -> None:
        login = self.client.get("/accounts/login/", name="/accounts/login/")
        token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', login.text).group(1)
        with self.client.post(
            "/accounts/login/",
            {"username": self.username, "password": PASSWORD, "csrfmiddlewaretoken": token},
            headers={"Referer": f"{self.client.base_url}/accounts/login/"},
            name="/accounts/login/ (POST)",
            allow_redirects=False,
            catch_response=True,
        ) as response:
            if response.status_code != 302:
                response.failure(f"login answered {response.status_code}")

    def on_start(self):
        self.next_host()
        self.log_in()
        answer = self.client.post(
            "/api/v1/auth/token/",
            {"username": self.username, "password": PASSWORD},
            name="/api/v1/auth/token/",
        )
        self.api = {"Authorization": f"Token {answer.json()['token']}"}

    def get(self, path, name, **kwargs):
        self.next_host()
        return self.client.get(path, name=name, **kwargs)

    def post(self, path, data, name, **kwargs):
        self.next_host()
        return self.client.post(path, data, name=name, headers=self.api, catch_response=True, **kwargs)

    def ids(self, path, name) -> list[int]:
        listing = self.get(path, name, headers=self.api)
        return [row["id"] for row in listing.json()["results"]]

    @task(2)
    def dashboard(self):
        self.get("/", "/ (dashboard)")


class DistrictUser(RoleUser):
    weight = 4

    def on_start(self):
        self.username = f"load_{random.choice(DISTRICTS)}"
        super().on_start()
        self.projects = self.ids("/api/v1/projects/?page_size=100", "/api/v1/projects/")
        self.building = self.ids(
            "/api/v1/projects/?page_size=100&stage=implementation&review_status=accepted",
            "/api/v1/projects/?filter",
        )

    @task(3)
    def library(self):
        self.get("/projects/", "/projects/")

    @task(3)
    def filtered(self):
        self.get(f"/projects/?{random.choice(FILTERS)}", "/projects/?filter")

    @task(3)
    def project_page(self):
        if self.projects:
            self.get(f"/projects/{random.choice(self.projects)}/", "/projects/<id>/")

    @task(1)
    def monthly(self):
        self.get("/progress/monthly/", "/progress/monthly/")

    @task(3)
    def file_report(self):
        """This month's report of one of the district's projects being built: filed and submitted, or
        a draft or returned one submitted; nothing when it is submitted or accepted already."""
        if not self.building:
            return
        project = random.choice(self.building)
        found = self.get(
            f"/api/v1/progress-reports/?project={project}&period={this_month()}",
            "/api/v1/progress-reports/?filter",
            headers=self.api,
        ).json()["results"]
        if found:
            report = found[0]
        else:
            with self.post(
                "/api/v1/progress-reports/",
                {
                    "project": project,
                    "period": this_month(),
                    "completed_amount": f"{random.randint(10, 500) * 10_000}.00",
                    "progress_percent": "100.0",  # never below an earlier month's
                    "physical_progress": "压测：主体工程推进",
                },
                "/api/v1/progress-reports/ (POST)",
            ) as response:
                if response.status_code == 201:
                    report = response.json()
                elif refused_by_rule(response):
                    response.success()  # another user of the district filed it first
                    return
                else:
                    response.failure(f"{response.status_code} {response.text[:200]}")
                    return
        if report["status"] not in ("draft", "returned"):
            return
        with self.post(
            f"/api/v1/progress-reports/{report['id']}/submit/",
            {"version": report["version"]},
            "/api/v1/progress-reports/<id>/submit/ (POST)",
        ) as response:
            if response.status_code == 200 or refused_by_rule(response):
                response.success()
            else:
                response.failure(f"{response.status_code} {response.text[:200]}")


class BankUser(RoleUser):
    weight = 2

    def on_start(self):
        self.username = f"load_bank{random.randint(1, BANKS)}"
        super().on_start()
        listing = self.get("/api/v1/loans/?page_size=200&status=signed", "/api/v1/loans/", headers=self.api)
        self.loans = [loan for loan in listing.json()["results"] if loan.get("signed_on")]

    @task(3)
    def my_loans(self):
        self.get("/loans/", "/loans/ (dues)")

    @task(3)
    def schedule(self):
        if self.loans:
            self.get(f"/loans/{random.choice(self.loans)['id']}/", "/loans/<id>/ (schedule)")

    @task(1)
    def api_loans(self):
        self.get("/api/v1/loans/?page_size=50", "/api/v1/loans/", headers=self.api)

    @task(2)
    def disbursement(self):
        if not self.loans:
            return
        loan = random.choice(self.loans)
        with self.post(
            "/api/v1/disbursements/",
            {
                "loan": loan["id"],
                "date": datetime.date.today().isoformat(),
                "amount": str(round(float(loan["principal"]) * 0.01, 2)),
            },
            "/api/v1/disbursements/ (POST)",
        ) as response:
            if response.status_code == 201 or refused_by_rule(response):
                response.success()  # recorded, or refused because it would pass the principal
            else:
                response.failure(f"{response.status_code} {response.text[:200]}")


class CityStaff(RoleUser):
    weight = 1
    username = "load_city"

    @task(2)
    def library(self):
        self.get(f"/projects/?{random.choice(FILTERS)}", "/projects/?filter")

    @task(1)
    def dispatch(self):
        self.get("/dispatch/", "/dispatch/")

    @task(3)
    def review(self):
        """Accept one of the reports waiting for review (another reviewer may have taken it: a 400)."""
        waiting = self.get(
            "/api/v1/progress-reports/?status=submitted&page_size=20",
            "/api/v1/progress-reports/?filter",
            headers=self.api,
        ).json()["results"]
        if not waiting:
            return
        report = random.choice(waiting)
        with self.post(
            f"/api/v1/progress-reports/{report['id']}/accept/",
            {"version": report["version"]},
            "/api/v1/progress-reports/<id>/accept/ (POST)",
        ) as response:
            if response.status_code == 200 or refused_by_rule(response):
                response.success()
            else:
                response.failure(f"{response.status_code} {response.text[:200]}")


class FinanceUser(RoleUser):
    weight = 1
    username = "load_finance"

    @task(1)
    def library(self):
        self.get("/projects/?sort=-funding_gap", "/projects/?filter")

    @task(1)
    def export(self):
        """financing.xlsx through the background job: 202, the job polled, then its file."""
        answer = self.get(
            "/api/v1/exports/financing.xlsx",
            "/api/v1/exports/financing.xlsx",
            headers={"Accept": "application/json"},
        )
        if answer.status_code != 202:
            return  # the file itself, under the threshold
        job = answer.json()
        deadline = time.monotonic() + JOB_WAIT
        while time.monotonic() < deadline:
            time.sleep(1)
            with self.client.get(
                f"/api/v1/jobs/{job['job']}/", name="/api/v1/jobs/<id>/", catch_response=True
            ) as polled:
                state = polled.json().get("status") if polled.status_code == 200 else None
                if state == "failed":
                    polled.failure(f"job failed: {polled.json().get('error')}")
                    return
            if state == "done":
                self.get(f"/api/v1/jobs/{job['job']}/download/", "/api/v1/jobs/<id>/download/")
                return
        events.request.fire(
            request_type="JOB",
            name="financing.xlsx job",
            response_time=JOB_WAIT * 1000,
            response_length=0,
            exception=TimeoutError(f"job {job['job']} not done in {JOB_WAIT} s"),
            context={},
        )


class LoginUser(HttpUser):
    """The login phase: log in through the page and out again, as fast as the servers answer."""

    wait_time = constant(0)

    @task
    def log_in_and_out(self):
        if HOSTS:
            self.client.base_url = HOSTS[next(_hosts) % len(HOSTS)]
        self.client.cookies.clear()
        login = self.client.get("/accounts/login/", name="/accounts/login/")
        token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', login.text).group(1)
        with self.client.post(
            "/accounts/login/",
            {
                "username": f"load_{random.choice(DISTRICTS)}",
                "password": PASSWORD,
                "csrfmiddlewaretoken": token,
            },
            headers={"Referer": f"{self.client.base_url}/accounts/login/"},
            name="/accounts/login/ (POST, login phase)",
            allow_redirects=False,
            catch_response=True,
        ) as response:
            if response.status_code != 302:
                response.failure(f"login answered {response.status_code}")
