"""The load of tests/load/run: district users and city staff on the pages, the API and the exports.

Each simulated user logs in through the login page (session) and the token endpoint (API), then, with a pause
of 0.5–2 s between steps: lists and filters the library, opens project pages and the dashboard, exports,
and writes milestones (district users, their own district) or disbursements (city staff). A disbursement
beyond the loan's principal is refused with 400 by design: that answer counts as correct, not as an error.
"""

import datetime
import os
import random
import re

from locust import HttpUser, between, task

PASSWORD = os.environ.get("LOAD_PASSWORD", "Load-test-2025!")
DISTRICTS = [code for code in os.environ.get("LOAD_DISTRICTS", "440112,440104,440106").split(",") if code]
FILTERS = [
    "stage=planning",
    "stage=implementation&sort=-total_investment",
    "category=river_lake",
    "review_status=accepted&min_investment=10000",
    "q=碧道",
]


class LibraryUser(HttpUser):
    abstract = True
    wait_time = between(0.5, 2)
    username = ""

    def on_start(self):
        login = self.client.get("/accounts/login/", name="/accounts/login/")
        token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', login.text).group(1)
        self.client.post(
            "/accounts/login/",
            {"username": self.username, "password": PASSWORD, "csrfmiddlewaretoken": token},
            headers={"Referer": f"{self.host}/accounts/login/"},
            name="/accounts/login/ (POST)",
        )
        answer = self.client.post(
            "/api/v1/auth/token/",
            {"username": self.username, "password": PASSWORD},
            name="/api/v1/auth/token/",
        )
        self.api = {"Authorization": f"Token {answer.json()['token']}"}
        listing = self.client.get(
            "/api/v1/projects/?page_size=100", headers=self.api, name="/api/v1/projects/"
        )
        self.projects = [project["id"] for project in listing.json()["results"]]

    @task(4)
    def library(self):
        self.client.get("/projects/", name="/projects/")

    @task(4)
    def filtered(self):
        self.client.get(f"/projects/?{random.choice(FILTERS)}", name="/projects/?filter")

    @task(4)
    def project_page(self):
        if self.projects:
            self.client.get(f"/projects/{random.choice(self.projects)}/", name="/projects/<id>/")

    @task(2)
    def dashboard(self):
        self.client.get("/", name="/ (dashboard)")

    @task(2)
    def api_list(self):
        self.client.get("/api/v1/projects/?stage=planning", headers=self.api, name="/api/v1/projects/?filter")


class DistrictUser(LibraryUser):
    weight = 3

    def on_start(self):
        self.username = f"load_{random.choice(DISTRICTS)}"
        super().on_start()

    @task(1)
    def export(self):
        self.client.get("/api/v1/exports/projects.xlsx", name="/api/v1/exports/projects.xlsx")

    @task(2)
    def milestone(self):
        if not self.projects:
            return
        self.client.post(
            "/api/v1/milestones/",
            {
                "project": random.choice(self.projects),
                "name": "压测节点",
                "planned_date": (
                    datetime.date.today() + datetime.timedelta(days=random.randint(1, 400))
                ).isoformat(),
            },
            headers=self.api,
            name="/api/v1/milestones/ (POST)",
        )


class CityStaff(LibraryUser):
    weight = 1
    username = "load_city"

    def on_start(self):
        super().on_start()
        loans = self.client.get(
            "/api/v1/loans/?page_size=200&status=signed", headers=self.api, name="/api/v1/loans/"
        )
        self.loans = [loan for loan in loans.json()["results"] if loan.get("signed_on")]

    @task(1)
    def export(self):
        self.client.get(
            "/api/v1/exports/projects.xlsx?stage=implementation", name="/api/v1/exports/projects.xlsx"
        )

    @task(3)
    def disbursement(self):
        if not self.loans:
            return
        loan = random.choice(self.loans)
        with self.client.post(
            "/api/v1/disbursements/",
            {
                "loan": loan["id"],
                "date": loan["signed_on"],
                "amount": str(round(float(loan["principal"]) * 0.05, 2)),
            },
            headers=self.api,
            name="/api/v1/disbursements/ (POST)",
            catch_response=True,
        ) as response:
            if response.status_code == 201 or (response.status_code == 400 and "amount" in response.json()):
                response.success()  # recorded, or refused because it would pass the principal
            else:
                response.failure(f"{response.status_code} {response.text[:200]}")
