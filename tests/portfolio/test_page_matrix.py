"""Every page × every role × own or another district's record: the expected status, and nothing leaked.

黄埔 (440112) is the district user's own district; 越秀 (440104) is another district. For the lender, the
sides are banks: 黄埔's loans are its own bank's, 越秀's another bank's.
"""

import datetime
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from portfolio.models import AuditEntry
from projects.models import InvestmentPlan, Milestone, Problem, ProgressReport, Project
from projects.selectors.progress import reporting_period
from projects.services.documents import document_upload
from tests.factories import (
    BatchEntryFactory,
    BatchFactory,
    DemandFactory,
    DisbursementFactory,
    FundingLineFactory,
    IntentionFactory,
    LoanFactory,
    MilestoneFactory,
    ProjectFactory,
    district,
    named_bank,
    role_users,
)
from tests.module_rows import rows_for_the_module
from tests.projects.test_documents_files import pdf

pytestmark = pytest.mark.django_db

ROLES = ["anonymous", "no_role", "lender", "city_staff", "finance", "district_user"]

# view name → (object it takes, {role: status for GET}); "own"/"other" is the object's district.
# 302 for anonymous users is the redirect to the login page; no_role sees nothing (403); the lender's
# statuses are in LENDER below.
OK_FOR_ALL = {"city_staff": 200, "finance": 200, "district_user": 200}
STAFF_ONLY = {"city_staff": 200, "finance": 403, "district_user": 403}
EDITORS = {"city_staff": 200, "finance": 403, "district_user": 200}
POST_ONLY = {"city_staff": 405, "finance": 405, "district_user": 405}
MATRIX = {
    "project_list": (None, OK_FOR_ALL),
    "project_create": (None, {"city_staff": 200, "finance": 403, "district_user": 200}),
    "project_import": (None, {"city_staff": 200, "finance": 403, "district_user": 200}),
    "review_queue": (None, {"city_staff": 200, "finance": 403, "district_user": 403}),
    "my_district": (None, {"city_staff": 403, "finance": 403, "district_user": 200}),
    "project_detail": ("project", OK_FOR_ALL),
    "project_edit": ("project", {"city_staff": 200, "finance": 403, "district_user": 200}),
    "project_submit": ("project", {"city_staff": 405, "finance": 405, "district_user": 405}),
    "project_review": ("project", {"city_staff": 200, "finance": 403, "district_user": 403}),
    "project_stage": ("project", {"city_staff": 200, "finance": 403, "district_user": 403}),
    "milestone_create": ("project", {"city_staff": 200, "finance": 403, "district_user": 200}),
    "milestone_edit": ("milestone", {"city_staff": 200, "finance": 403, "district_user": 200}),
    "funding_line_create": ("project", STAFF_ONLY),
    "funding_line_edit": ("funding_line", STAFF_ONLY),
    "loan_create": ("project", STAFF_ONLY),
    "loan_detail": ("loan", OK_FOR_ALL),
    "loan_edit": ("loan", STAFF_ONLY),
    "disbursement_create": ("loan", STAFF_ONLY),
    "repayment_create": ("loan", STAFF_ONLY),
    # The monthly dispatch: plans, monthly reports and their review, the month's to-do, the problem ledger.
    "plan_create": ("reporting", EDITORS),
    "plan_edit": ("plan", EDITORS),
    "plan_confirm": ("plan", POST_ONLY),
    "report_create": ("reporting", EDITORS),
    "report_detail": ("report", OK_FOR_ALL),
    "report_edit": ("report", EDITORS),
    "report_submit": ("report", POST_ONLY),
    "report_return": ("report", POST_ONLY),
    "report_accept": ("report", POST_ONLY),
    "report_reopen": ("report", POST_ONLY),
    "report_problem": ("report", POST_ONLY),
    "monthly": (None, EDITORS),
    "report_import": (None, EDITORS),
    "report_review_queue": (None, STAFF_ONLY),
    "problem_list": (None, OK_FOR_ALL),
    "problem_create": ("reporting", EDITORS),
    "problem_edit": ("problem", EDITORS),
    # Banks: their loans, and the 政银企 platform.
    "my_loans": (None, OK_FOR_ALL),
    "platform": (None, {"city_staff": 200, "finance": 200, "district_user": 403}),
    "project_summary": ("project", OK_FOR_ALL),
    "demand_list": (None, OK_FOR_ALL),
    "demand_create": ("demandable", EDITORS),
    "demand_detail": ("demand", OK_FOR_ALL),
    "demand_edit": ("draft_demand", EDITORS),
    "demand_publish": ("draft_demand", POST_ONLY),
    "demand_close": ("demand", POST_ONLY),
    "intention_create": ("open_demand", {"city_staff": 403, "finance": 403, "district_user": 403}),
    "intention_edit": ("intention", {"city_staff": 403, "finance": 403, "district_user": 403}),
    "intention_approve": ("intention", POST_ONLY),
    "intention_decline": ("intention", POST_ONLY),
    "intention_withdraw": ("intention", POST_ONLY),
    "intention_sign": ("approved_intention", POST_ONLY),
    # Readiness: procedures, documents, the ready list and the 申报 batches (a batch is city-wide).
    "procedure_edit": ("project", EDITORS),
    "document_upload": ("project", EDITORS),
    "document_download": ("document", OK_FOR_ALL),
    "document_delete": ("document", STAFF_ONLY),
    "ready_list": (None, OK_FOR_ALL),
    "batch_list": (None, OK_FOR_ALL),
    "batch_create": (None, STAFF_ONLY),
    "batch_detail": ("batch", OK_FOR_ALL),
    "batch_edit": ("batch", STAFF_ONLY),
    "batch_close": ("batch", {"city_staff": 405, "finance": 403, "district_user": 403}),
    "batch_entry_add": ("batch", {"city_staff": 405, "finance": 403, "district_user": 403}),
    "batch_entry_edit": ("entry", {"city_staff": 405, "finance": 403, "district_user": 403}),
    "batch_entry_outcome": ("entry", {"city_staff": 405, "finance": 403, "district_user": 403}),
    "batch_entry_remove": ("entry", {"city_staff": 405, "finance": 403, "district_user": 403}),
}
# Records of no district: a district user opens another side's as its own.
UNSCOPED = {"batch"}
# Pages refused to a role before any record is looked up: 403 on either side, which tells nothing of it.
ROLE_FIRST = {"batch_entry_edit", "batch_entry_outcome", "batch_entry_remove"}
# A lender's status on its own bank's side and on the other bank's; every other page answers it 403.
# The other bank's loans, intentions and the projects only they finance are not there (404); a published
# demand is every bank's to read and answer.
LENDER = {
    "project_detail": (302, 404),  # to the project's summary
    "loan_detail": (200, 404),
    "disbursement_create": (200, 404),
    "repayment_create": (200, 404),
    "my_loans": (200, 200),
    "project_summary": (200, 404),
    "demand_list": (200, 200),
    "demand_detail": (200, 200),
    "intention_create": (200, 200),
    "intention_edit": (200, 404),
    "intention_approve": (405, 404),
    "intention_decline": (405, 404),
    "intention_withdraw": (405, 404),
}
# The reporting month (last month) and the one before it, which already has its report.
PERIOD = reporting_period()
EARLIER = (PERIOD - datetime.timedelta(days=1)).replace(day=1)
FINANCING_PAGES = (
    "funding",
    "loan",
    "disbursement",
    "repayment",
    "my_loans",
    "platform",
    "project_summary",
    "ready_list",
    "batch",
)
NAMESPACE = {
    name: "financing" if name.startswith((*FINANCING_PAGES, "demand", "intention")) else "projects"
    for name in MATRIX
}
# What a POST with valid data does, for the roles that may change things (others as for GET).
POST_OK = {
    "project_create": {"city_staff": 302, "district_user": 302},
    "project_edit": {"city_staff": 302, "district_user": 302},
    "project_submit": {"city_staff": 302, "district_user": 302},
    "project_review": {"city_staff": 302},
    "project_stage": {"city_staff": 302},
    "milestone_create": {"city_staff": 302, "district_user": 302},
    "milestone_edit": {"city_staff": 302, "district_user": 302},
    "funding_line_create": {"city_staff": 302},
    "funding_line_edit": {"city_staff": 302},
    "loan_create": {"city_staff": 302},
    "loan_edit": {"city_staff": 302},
    "disbursement_create": {"city_staff": 302},
    "repayment_create": {"city_staff": 302},
    "plan_create": {"city_staff": 302, "district_user": 302},
    "plan_edit": {"city_staff": 302, "district_user": 302},
    "plan_confirm": {"city_staff": 302},
    "report_create": {"city_staff": 302, "district_user": 302},
    "report_edit": {"city_staff": 302, "district_user": 302},
    "report_submit": {"city_staff": 302, "district_user": 302},
    "report_return": {"city_staff": 302},
    "report_accept": {"city_staff": 302},
    "report_reopen": {"city_staff": 302},
    "report_problem": {"city_staff": 302, "district_user": 302},
    "problem_create": {"city_staff": 302, "district_user": 302},
    "problem_edit": {"city_staff": 302, "district_user": 302},
    "demand_create": {"city_staff": 302, "district_user": 302},
    "demand_edit": {"city_staff": 302, "district_user": 302},
    "demand_publish": {"city_staff": 302},
    "demand_close": {"city_staff": 302},
    "intention_create": {"lender": 302},
    "intention_edit": {"lender": 302},
    "intention_approve": {"lender": 302},
    "intention_decline": {"lender": 302},
    "intention_withdraw": {"lender": 302},
    "intention_sign": {"city_staff": 302},
    "procedure_edit": {"city_staff": 302, "district_user": 302},
    "batch_create": {"city_staff": 302},
    "batch_edit": {"city_staff": 302},
    "batch_close": {"city_staff": 302},
    "batch_entry_add": {"city_staff": 302},
    "batch_entry_edit": {"city_staff": 302},
    "batch_entry_outcome": {"city_staff": 302},
    "batch_entry_remove": {"city_staff": 302},
    "document_delete": {"city_staff": 302},
}
# What a lender's valid POST does on its own side (where it may act at all).
POST_OK["disbursement_create"] = POST_OK["disbursement_create"] | {"lender": 302}
POST_OK["repayment_create"] = POST_OK["repayment_create"] | {"lender": 302}


def test_the_matrix_covers_every_page():
    from financing import platform_urls, readiness_urls
    from financing import urls as financing_urls
    from projects import urls as project_urls

    patterns = [
        *project_urls.urlpatterns,
        *financing_urls.urlpatterns,
        *platform_urls.urlpatterns,
        *readiness_urls.urlpatterns,
    ]
    names = {pattern.name for pattern in patterns if getattr(pattern, "name", None)}
    assert names == set(MATRIX)


def build_world():
    """A draft, an accepted project, a milestone, a loan and a funding line in each district; a project that
    reports monthly with a draft plan, a draft report with problems and a problem; a document; an entry of
    the one 申报 batch; one user per role; and the two banks."""
    bank, other_bank = named_bank("bank"), named_bank("other_bank")
    users = role_users(bank)
    city_user = users["city_staff"]
    objects = {}
    batch = BatchFactory()
    for side, code, lender in (("own", "440112", bank), ("other", "440104", other_bank)):
        project = ProjectFactory(name=f"{side}-项目", district=district(code))
        accepted = ProjectFactory(name=f"{side}-已入库", district=district(code), review_status="accepted")
        loan = LoanFactory(project=project, lender=lender, principal=Decimal("1000.00"))
        DisbursementFactory(loan=loan, amount=Decimal("100.00"))
        objects[side] = {
            "project": project,
            "accepted": accepted,
            "milestone": MilestoneFactory(project=project),
            "loan": loan,
            "funding_line": FundingLineFactory(project=project),
        }
        # The platform: a published demand answered by the side's bank, one nobody answered, a draft, and
        # on the financed project a closed demand with the side's bank's approved intention (closed, so
        # that the project stays the side's bank's alone).
        demand = DemandFactory(project__name=f"{side}-需求", project__district=district(code))
        closed = DemandFactory(project=project, status="closed")
        objects[side] |= {
            "demand": demand,
            "open_demand": DemandFactory(project__district=district(code)),
            "draft_demand": DemandFactory(project=accepted, status="draft"),
            "demandable": ProjectFactory(district=district(code), review_status="accepted"),
            "intention": IntentionFactory(demand=demand, lender=lender),
            "approved_intention": IntentionFactory(
                demand=closed, lender=lender, status="approved", approval_no="SX-1"
            ),
        }
        reporting = ProjectFactory(
            name=f"{side}-实施",
            district=district(code),
            review_status="accepted",
            stage="implementation",
            start_year=EARLIER.year,
        )
        objects[side] |= {
            "reporting": reporting,
            "plan": InvestmentPlan.objects.create(
                project=reporting, year=PERIOD.year, planned_amount=Decimal("1000.00"), kind="continuing"
            ),
            "report": ProgressReport.objects.create(
                project=reporting, period=EARLIER, completed_amount=Decimal("10.00"), problems_note="征拆滞后"
            ),
            "problem": Problem.objects.create(project=reporting, category="land", description=f"{side}-问题"),
            "document": document_upload(
                acting_user=city_user,
                project=project,
                file=SimpleUploadedFile("批复.pdf", pdf()),
                kind="approval",
                title=f"{side}-批复",
            ),
            "batch": batch,
            "entry": BatchEntryFactory(batch=batch, project=accepted),
        }
    return objects, users, other_bank


# `shared`: this test's copy of the module's records (objects by side, users by role, the other bank).
built, media_storage, shared = rows_for_the_module(build_world, copy="shared")


@pytest.fixture
def world(shared):
    objects, users, _other_bank = shared
    return objects, users


@pytest.fixture
def city_user(shared):
    return shared[1]["city_staff"]


@pytest.fixture
def finance_user(shared):
    return shared[1]["finance"]


@pytest.fixture
def huangpu_user(shared):
    return shared[1]["district_user"]


@pytest.fixture
def other_bank(shared):
    return shared[2]


def url_for(name, kind, objects):
    name = f"{NAMESPACE[name]}:{name}"
    if kind is None:
        return reverse(name)
    if name == "projects:project_review":
        objects["project"].review_status = "submitted"
        objects["project"].save()
    if name == "projects:project_stage":
        return reverse(name, args=[objects["accepted"].pk])
    if name in ("projects:report_return", "projects:report_accept", "projects:report_reopen"):
        status = "accepted" if name == "projects:report_reopen" else "submitted"
        ProgressReport.objects.filter(pk=objects["report"].pk).update(status=status)
    if name == "projects:procedure_edit":
        return reverse(name, args=[objects[kind].pk, "feasibility"])
    if name == "projects:report_create":
        return reverse(name, args=[objects[kind].pk]) + f"?period={PERIOD:%Y-%m}"
    return reverse(name, args=[objects[kind].pk])


def expected(name, role, side):
    kind, statuses = MATRIX[name]
    if role == "anonymous":
        return 302
    if role == "lender":
        return LENDER.get(name, (403, 403))[0 if side == "own" else 1]
    if role == "no_role":
        return 403
    scoped = kind is not None and kind not in UNSCOPED and name not in ROLE_FIRST
    if role == "district_user" and side == "other" and scoped:
        return 404
    return statuses[role]


def cases(names):
    """(page, side) pairs: pages without a record have only one side."""
    return [(name, side) for name in names for side in (("own", "other") if MATRIX[name][0] else ("own",))]


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize(("name", "side"), cases(MATRIX))
def test_get(client_for, world, name, role, side):
    objects, users = world
    kind, _ = MATRIX[name]
    response = client_for(users.get(role)).get(url_for(name, kind, objects[side]))
    assert response.status_code == expected(name, role, side)
    if role == "anonymous":
        assert response["Location"].startswith(reverse("login"))


def valid_post(name, objects):
    project = objects["project"]
    if name in ("project_create", "project_edit"):
        return {
            "name": project.name,
            "district": project.district_id,
            "category": "river_lake",
            "total_investment": "100",
            "start_year": "2025",
            "end_year": "2026",
            "version": str(project.version),
        }
    if name == "project_review":
        return {"decision": "return", "comment": "请补充", "version": str(project.version)}
    if name == "project_stage":
        return {"stage": "mature", "override": "on", "reason": "试点"}
    if name in ("milestone_create", "milestone_edit"):
        return {"name": "节点", "planned_date": "2025-06-30"}
    if name in ("funding_line_create", "funding_line_edit"):
        return {
            "source_type": "fiscal",
            "year": "2025",
            "planned_amount": "5",
            "approved_amount": "0",
            "received_amount": "0",
            "status": "planned",
        }
    if name in ("loan_create", "loan_edit"):
        loan = objects["loan"]
        return {
            "lender": loan.lender_id,
            "borrower": loan.borrower_id,
            "principal": "1000",
            "rate_type": "fixed",
            "grace_months": "0",
            "repayment_method": "bullet",
            "payment_interval_months": "3",
            "status": "signed",
            "note": "改",
        }
    if name == "disbursement_create":
        return {"date": "2025-03-01", "amount": "10"}
    if name == "repayment_create":
        return {"date": "2025-06-01", "principal": "10", "interest": "1"}
    if name in ("plan_create", "plan_edit"):
        return {"year": str(PERIOD.year + 1), "planned_amount": "500", "kind": "continuing", "target": "完工"}
    if name in ("report_create", "report_edit"):
        version = objects["report"].version
        return {"completed_amount": "20", "progress_percent": "10", "version": str(version), "action": "save"}
    if name == "report_submit":
        return {"version": str(objects["report"].version)}
    if name in ("report_return", "report_accept", "report_reopen"):
        prefix = name.removeprefix("report_")
        return {f"{prefix}-version": str(objects["report"].version), f"{prefix}-comment": "请核实"}
    if name in ("demand_create", "demand_edit"):
        return {
            "amount": "1000000",
            "term_months": "120",
            "purpose": "河道整治",
            "contact_name": "",
            "contact_phone": "",
        }
    if name in ("intention_create", "intention_edit"):
        return {"amount": "500000", "term_months": "120", "indicative_rate": "3.1", "note": ""}
    if name == "intention_approve":
        return {"approval_no": "SX-9"}
    if name == "intention_sign":
        return {"loan": objects["loan"].pk}
    if name == "procedure_edit":
        return {"status": "done", "approval_no": "穗发改〔2026〕99号", "authority": "市发展改革委"}
    if name in ("batch_create", "batch_edit"):
        return {"programme": "special_bond", "year": "2026", "name": "2026年第九批专项债券"}
    if name == "batch_entry_add":
        accepted = objects["demandable"].pk
        return {"project": accepted, "requested_amount": "100", "override": "on", "override_reason": "试点"}
    entry = objects["entry"].pk
    if name == "batch_entry_edit":
        return {f"a{entry}-requested_amount": "200"}
    if name == "batch_entry_outcome":
        return {f"e{entry}-outcome": "rejected"}
    if name == "batch_entry_remove":
        return {"confirm": "yes"}
    if name == "document_delete":
        return {"confirm": "yes"}
    if name in ("problem_create", "problem_edit"):
        return {
            "category": "funding",
            "description": "资金未到位",
            "raised_on": "2026-01-05",
            "status": "open",
        }
    return {}


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize(("name", "side"), cases(POST_OK))
def test_post(client_for, world, name, role, side):
    objects, users = world
    kind, _ = MATRIX[name]
    client = client_for(users.get(role))  # anonymous: no user
    url = url_for(name, kind, objects[side])
    data = valid_post(name, objects[side])
    if name == "project_create" and role == "district_user":
        data["district"] = "440112"
    before = (Project.objects.count(), Milestone.objects.count(), AuditEntry.objects.count())
    response = client.post(url, data)
    status = expected(name, role, side)
    if status in (200, 405):
        status = POST_OK[name].get(role, 403)
    assert response.status_code == status, response.content.decode()[:500]
    changed = (Project.objects.count(), Milestone.objects.count(), AuditEntry.objects.count()) != before
    assert changed == (status == 302 and role != "anonymous")


@pytest.mark.parametrize("name", ["project_list", "my_district"])
def test_lists_never_show_another_district(huangpu_client, world, name):
    html = huangpu_client.get(reverse(f"projects:{name}")).content.decode()
    assert "own-项目" in html and "other-" not in html


@pytest.mark.parametrize(("name", "own"), [("monthly", "own-实施"), ("problem_list", "own-问题")])
def test_dispatch_lists_never_show_another_district(huangpu_client, world, name, own):
    html = huangpu_client.get(reverse(f"projects:{name}")).content.decode()
    assert own in html and "other-" not in html


def test_finance_reads_the_dispatch_without_a_way_to_change_it(client_for, finance_user, world):
    objects, _users = world
    client = client_for(finance_user)
    for url in (
        reverse("projects:problem_list"),
        reverse("projects:report_detail", args=[objects["other"]["report"].pk]),
        reverse("projects:project_detail", args=[objects["other"]["reporting"].pk]),
    ):
        html = client.get(url).content.decode()
        assert "other-" in html
        for marker in ("/edit/", "/submit/", "/confirm/", "/problem/", "/reports/new/", "/problems/new/"):
            assert marker not in html, (url, marker)


def test_staff_lists_show_every_district(city_client, world):
    objects, _users = world
    for side in ("own", "other"):
        objects[side]["project"].review_status = "submitted"
        objects[side]["project"].save()
    for name in ("project_list", "review_queue"):
        html = city_client.get(reverse(f"projects:{name}")).content.decode()
        assert "other-项目" in html and "own-项目" in html


def test_finance_changes_nothing_anywhere(client_for, finance_user, world):
    objects, _users = world
    client = client_for(finance_user)
    before = AuditEntry.objects.count()
    for name in POST_OK:
        kind, _ = MATRIX[name]
        for side in ("own", "other"):
            response = client.post(url_for(name, kind, objects[side]), valid_post(name, objects[side]))
            assert response.status_code == 403, name
    assert AuditEntry.objects.count() == before


def test_a_bank_finds_nothing_of_the_other_bank_on_any_page(client_for, world, other_bank):
    """Every page a bank may open, on either side: the other bank, its loans and the project only it
    finances are nowhere; the other district's published demand is (every bank's to answer)."""
    objects, users = world
    client = client_for(users["lender"])
    other = objects["other"]
    opened = 0
    for name, (kind, _statuses) in MATRIX.items():
        for side in ("own", "other") if kind else ("own",):
            if expected(name, "lender", side) != 200:
                continue
            html = client.get(url_for(name, kind, objects[side])).content.decode()
            opened += 1
            assert other_bank.name not in html, (name, side)
            assert "other-项目" not in html, (name, side)
            assert f"/loans/{other['loan'].pk}/" not in html, (name, side)
    assert opened >= 10
    assert "other-需求" in client.get(reverse("financing:demand_list")).content.decode()
