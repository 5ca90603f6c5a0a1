"""Fixtures shared by the tests: role users, clients logged in as them, the datasets several modules' tests
read, the workbook reader of the exports, and the query-count checks of the lists and the exports."""

import datetime
import io
from decimal import Decimal
from html.parser import HTMLParser

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from openpyxl import load_workbook
from rest_framework.test import APIClient

from portfolio.models import AuditEntry
from tests.factories import (
    DisbursementFactory,
    FundingLineFactory,
    LoanFactory,
    MilestoneFactory,
    ProjectFactory,
    RepaymentFactory,
    UserFactory,
    dispatch_world,
    district,
    named_bank,
    named_user,
    spread_projects,
)

D = Decimal


_flushed_by = None


def _flushes(item):
    marker = item.get_closest_marker("django_db")
    return bool(
        (marker and marker.kwargs.get("transaction"))
        or {"transactional_db", "live_server"} & set(item.fixturenames)
    )


def pytest_runtest_setup(item):
    """A test that flushes the tables (transaction=True) leaves them empty behind it, so the tests that read
    the migrations' rows (districts, groups) must all run before it in the same process. pytest-django
    orders them so and `--dist load` keeps that order per worker; a scheduler that does not (work stealing)
    fails here with the test's name instead of as a hundred missing districts."""
    global _flushed_by
    if _flushes(item):
        _flushed_by = _flushed_by or item.nodeid
    elif _flushed_by and (item.get_closest_marker("django_db") or "db" in item.fixturenames):
        pytest.fail(f"{item.nodeid} runs after {_flushed_by}, which emptied the tables it reads")


@pytest.fixture(autouse=True)
def media_storage(settings, tmp_path_factory):
    """Every test stores documents in a folder of its own (STORAGES["default"] under MEDIA_ROOT), never in
    var/media; `media_storage` is that folder."""
    root = tmp_path_factory.mktemp("media")
    settings.MEDIA_ROOT = str(root)
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {
            "BACKEND": "django.core.files.storage.FileSystemStorage",
            "OPTIONS": {"location": str(root)},
        },
    }
    return root


@pytest.fixture
def dispatch_june(db):
    """Three districts' June 2026 by hand (tests/factories.py, dispatch_world): one ahead, one 12 points
    behind, one with a late report."""
    return dispatch_world()


# -- role users ------------------------------------------------------------------------------------


@pytest.fixture
def city_user(db):
    return named_user("city_user")


@pytest.fixture
def city_reviewer(db):
    return named_user("city_reviewer")


@pytest.fixture
def finance_user(db):
    return named_user("finance_user")


@pytest.fixture
def huangpu_user(db):
    return named_user("huangpu_user")


@pytest.fixture
def yuexiu_user(db):
    return named_user("yuexiu_user")


@pytest.fixture
def no_role_user(db):
    return named_user("no_role_user")


@pytest.fixture
def bank(db):
    """The bank of lender_user."""
    return named_bank("bank")


@pytest.fixture
def other_bank(db):
    """Another bank, of other_lender_user: nothing of it may reach lender_user."""
    return named_bank("other_bank")


@pytest.fixture
def lender_user(db, bank):
    return named_user("lender_user", bank=bank)


@pytest.fixture
def other_lender_user(db, other_bank):
    return UserFactory(username="bank_b", role="lender", bank=other_bank)


@pytest.fixture
def role_users(no_role_user, lender_user, city_user, finance_user, huangpu_user):
    """One user per role, by the role's code (the district user's district is 黄埔, 440112)."""
    return {
        "no_role": no_role_user,
        "lender": lender_user,
        "city_staff": city_user,
        "finance": finance_user,
        "district_user": huangpu_user,
    }


# -- clients ---------------------------------------------------------------------------------------


def _clients(client_class, log_in):
    def make(user=None, **defaults):
        client = client_class(**defaults)
        if user is not None:
            log_in(client, user)
        return client

    return make


@pytest.fixture
def api_client():
    """`api_client(user)`: a new APIClient authenticated as `user`; anonymous for None."""
    return _clients(APIClient, APIClient.force_authenticate)


@pytest.fixture
def client_for():
    """`client_for(user)`: a new page client logged in as `user`; anonymous for None."""
    return _clients(Client, Client.force_login)


@pytest.fixture
def city_client(client_for, city_user):
    return client_for(city_user)


@pytest.fixture
def huangpu_client(client_for, huangpu_user):
    return client_for(huangpu_user)


@pytest.fixture
def city_api(api_client, city_user):
    return api_client(city_user)


# -- reading what a test did --------------------------------------------------------------------------


@pytest.fixture
def only_audit_entry():
    """`only_audit_entry(**filters)`: the one audit entry matching `filters` (there must be exactly one)."""

    def only(**filters) -> AuditEntry:
        entries = list(AuditEntry.objects.filter(**filters))
        assert len(entries) == 1, entries
        return entries[0]

    return only


@pytest.fixture
def found():
    """`found(made, queryset)`: the names of the records of `made` (name → record) that `queryset` holds."""

    def names(made: dict, queryset) -> set[str]:
        pks = set(queryset.values_list("pk", flat=True))
        return {name for name, record in made.items() if record.pk in pks}

    return names


@pytest.fixture
def refused():
    """`refused(selector, user, **params)`: the parameters a list's selector refuses (as a ValidationError,
    which the API and the exports answer with a 400)."""
    from django.core.exceptions import ValidationError

    def parameters(selector, user, **params) -> set[str]:
        with pytest.raises(ValidationError) as error:
            list(selector(user=user, params=params))
        return set(error.value.message_dict)

    return parameters


class _FormReader(HTMLParser):
    """The values a browser would send for the page's main form."""

    def __init__(self):
        super().__init__()
        self.data, self._select, self._textarea = {}, None, None

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        name = attrs.get("name")
        if tag == "input" and name and attrs.get("type") not in {"submit", "button", "file"}:
            if attrs.get("type") in {"checkbox", "radio"}:
                if "checked" in attrs:
                    self.data[name] = attrs.get("value", "on")
            else:
                self.data[name] = attrs.get("value", "")
        elif tag == "select" and name:
            self._select = name
            if "multiple" not in attrs:  # a browser sends nothing for a multiple select left empty
                self.data.setdefault(name, "")
        elif tag == "option" and self._select and "selected" in attrs:
            self.data[self._select] = attrs.get("value", "")
        elif tag == "textarea" and name:
            self._textarea = name
            self.data[name] = ""

    def handle_endtag(self, tag):
        if tag == "select":
            self._select = None
        elif tag == "textarea":
            self._textarea = None

    def handle_data(self, data):
        if self._textarea:
            self.data[self._textarea] += data.removeprefix("\n") if not self.data[self._textarea] else data


@pytest.fixture
def form_data():
    """`form_data(client, url)`: what a browser would post back, unchanged, from the form at `url`."""

    def read(client, url) -> dict:
        response = client.get(url)
        assert response.status_code == 200, response.status_code
        reader = _FormReader()
        reader.feed(response.content.decode())
        reader.data.pop("csrfmiddlewaretoken", None)
        return reader.data

    return read


class Workbooks:
    """The exported workbooks, downloaded and opened with openpyxl."""

    HEADER_ROW = 7  # below the title block: title, filters, scope, who and when, unit, a blank row

    def __init__(self, api_client):
        self._api_client = api_client

    def export(self, user, name, **params):
        """/api/v1/exports/<name>.xlsx with `params`, as `user`."""
        response = self._api_client(user).get(f"/api/v1/exports/{name}.xlsx", params)
        assert response.status_code == 200, (params, response.content[:300])
        assert response["Content-Type"] == "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
        return self.read(response)

    @staticmethod
    def read(response):
        return load_workbook(io.BytesIO(b"".join(response.streaming_content)))

    def table(self, ws):
        """The header's values, the rows' cells and the totals row's cells of an exported sheet."""
        header = [cell.value for cell in ws[self.HEADER_ROW]]
        rows = [list(row) for row in ws.iter_rows(min_row=self.HEADER_ROW + 1)]
        return header, rows[:-1], rows[-1]

    def records(self, ws):
        """The rows and the totals row of an exported sheet as {header: value}."""
        header, rows, totals = self.table(ws)

        def record(cells):
            return dict(zip(header, (cell.value for cell in cells), strict=True))

        return [record(row) for row in rows], record(totals)

    def codes(self, ws) -> list:
        """The first column of the rows (the project code on every sheet)."""
        return [row[0].value for row in self.table(ws)[1]]


@pytest.fixture
def xlsx(api_client):
    return Workbooks(api_client)


# -- query counts ----------------------------------------------------------------------------------


@pytest.fixture
def assert_flat_list_queries(city_api):
    """`assert_flat_list_queries(endpoint, make)`: the API list runs as many queries for 1 item as for 50;
    `make()` adds one item (or returns None where the list is fixed, as the districts are)."""

    def count(endpoint):
        data = city_api.get(f"/api/v1/{endpoint}/").json()
        return data["count"] if isinstance(data, dict) else len(data)

    def check(endpoint, make):
        counts = []
        for total in (1, 50):
            while make() is not None and count(endpoint) < total:
                pass
            city_api.get(f"/api/v1/{endpoint}/")  # the same warm-up for both: the role is read once per user
            with CaptureQueriesContext(connection) as captured:
                response = city_api.get(f"/api/v1/{endpoint}/", {"page_size": 50})
            assert response.status_code == 200
            counts.append(len(captured))
        assert counts[0] == counts[1], counts

    return check


@pytest.fixture
def assert_flat_export_queries(city_api):
    """`assert_flat_export_queries(name)`: <name>.xlsx runs as many queries for 10 projects as for 200."""
    from portfolio.seed import seed_demo
    from projects.models import Project

    def check(name):
        # A loan with its entries from the start, so that both runs do the same kinds of work.
        RepaymentFactory(
            loan=DisbursementFactory(loan__signed_on=datetime.date(2025, 1, 1), loan__term_months=12).loan
        )
        counts = []
        for total in (10, 200):
            seed_demo(total - Project.objects.count(), rng_seed=total)
            city_api.get(f"/api/v1/exports/{name}.xlsx")  # warm-up: the user's role is read once per user
            with CaptureQueriesContext(connection) as captured:
                response = city_api.get(f"/api/v1/exports/{name}.xlsx")
                b"".join(response.streaming_content)
            counts.append(len(captured))
        assert counts[0] == counts[1], counts

    return check


# -- datasets read by several modules' tests -------------------------------------------------------


@pytest.fixture
def spread(db):
    return spread_projects()


@pytest.fixture
def ordered_projects(db):
    """Projects in two districts whose gaps, investments and names order them differently, with ties."""
    projects = []
    for index, (code, investment, approved) in enumerate(
        [
            ("440112", "100000000.00", "90000000.00"),
            ("440112", "300000000.00", "10000000.00"),
            ("440112", "200000000.00", "0.00"),
            ("440112", "200000000.00", "0.00"),  # the same investment and gap: the id breaks the tie
            ("440104", "50000000.00", "53067300.00"),  # funded beyond its investment: a surplus
            ("440104", "400000000.00", "100000000.00"),
        ]
    ):
        project = ProjectFactory(
            code=f"ORDER-{(7 * index) % 10:02d}",
            name=f"排序项目{(3 * index) % 6}",
            district=district(code),
            total_investment=D(investment),
        )
        if D(approved):
            FundingLineFactory(project=project, approved_amount=D(approved), status="approved")
        projects.append(project)
    return projects


@pytest.fixture
def ledger(db):
    """A 黄埔 project with every kind of record (a name that looks like a formula, a loan with a drawing and
    a repayment, an overdue milestone) and a bare 越秀 project."""
    hp = ProjectFactory(
        name='=HYPERLINK("http://x","点我")',
        district=district("440112"),
        total_investment=D("123456789.00"),
        national_code="2020-440112-77-01-123456",
    )
    yx = ProjectFactory(name="越秀项目", district=district("440104"), total_investment=D("50000000.00"))
    FundingLineFactory(
        project=hp, source_type="special_bond", approved_amount=D("30000000"), status="approved"
    )
    loan = LoanFactory(
        project=hp, principal=D("100000000.00"), signed_on=datetime.date(2025, 1, 1), term_months=24
    )
    DisbursementFactory(loan=loan, date=datetime.date(2025, 2, 1), amount=D("40000000.00"))
    RepaymentFactory(loan=loan, date=datetime.date(2025, 6, 1), principal=D("10000000.00"), interest=D("500"))
    MilestoneFactory(project=hp, name="-开工", planned_date=datetime.date(2020, 1, 1))
    return {"hp": hp, "yx": yx, "loan": loan}


@pytest.fixture
def terminated_loan(db):
    """A project in the library with a live loan (400 元, 100 drawn) and a terminated one (500, 200 drawn)."""
    project = ProjectFactory(total_investment=D("1000.00"), review_status="accepted", stage="implementation")
    live = LoanFactory(project=project, principal=D("400.00"))
    ended = LoanFactory(project=project, principal=D("500.00"), status="terminated")
    DisbursementFactory(loan=live, amount=D("100.00"))
    DisbursementFactory(loan=ended, amount=D("200.00"))
    return {"project": project, "live": live, "ended": ended}


def pytest_terminal_summary(terminalreporter):
    from tests.portfolio.test_api_schema import GENERATED

    if GENERATED:
        counts = ", ".join(f"{role} {n}" for role, n in sorted(GENERATED.items()))
        terminalreporter.write_line(f"schemathesis: {sum(GENERATED.values())} generated cases ({counts})")
