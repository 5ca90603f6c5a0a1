"""Every API endpoint × method × role × own or another district's record: the expected status.

黄埔 (440112) is the district user's own district, 越秀 (440104) another. The lender's own side is the
other way round by bank: 黄埔's loans are its bank's, 越秀's another bank's (whose projects it never sees).
Write bodies are valid, so a refusal is the permission's, and the database changes only when the answer is
a success.
"""

from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from portfolio.models import AuditEntry
from projects.models import InvestmentPlan, Problem, ProgressReport
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
    OrganizationFactory,
    ProcedureFactory,
    ProjectFactory,
    UnitFactory,
    district,
    named_bank,
    named_user,
    role_users,
)
from tests.module_rows import rows_for_the_module
from tests.projects.test_documents_files import pdf

pytestmark = pytest.mark.django_db

ROLES = ["anonymous", "no_role", "lender", "city_staff", "finance", "district_user"]
READ = {"city_staff": 200, "finance": 200, "district_user": 200}
STAFF_CREATE = {"city_staff": 201, "finance": 403, "district_user": 403}
EDITOR_CREATE = {"city_staff": 201, "finance": 403, "district_user": 201}
STAFF_CHANGE = {"city_staff": 200, "finance": 403, "district_user": 403}
EDITOR_CHANGE = {"city_staff": 200, "finance": 403, "district_user": 200}
NOT_ALLOWED = {"city_staff": 405, "finance": 405, "district_user": 405}
# Credit intentions are the banks' answers: only a bank makes and moves them.
BANK_CREATE = {"city_staff": 403, "finance": 403, "district_user": 403}
BANK_CHANGE = {"city_staff": 403, "finance": 403, "district_user": 403}


def build_world():
    bank, other_bank = named_bank("bank"), named_bank("other_bank")
    users = role_users(bank) | {"reviewer": named_user("city_reviewer")}
    company = OrganizationFactory()
    batch = BatchFactory()
    sides = {}
    for side, code, lender in (("own", "440112", bank), ("other", "440104", other_bank)):
        project = ProjectFactory(district=district(code), total_investment=Decimal("1000"))
        submitted = ProjectFactory(district=district(code), review_status="submitted")
        accepted = ProjectFactory(district=district(code), review_status="accepted")
        loan = LoanFactory(project=project, lender=lender, borrower=company, principal=Decimal("1000"))
        disbursement = DisbursementFactory(loan=loan, amount=Decimal("100"))
        # A published demand of each district answered by the side's bank, one nobody answered yet, a
        # draft, and a closed demand on the financed project with the bank's approved intention (closed:
        # the project stays the side's bank's alone).
        demand = DemandFactory(project__district=district(code))
        intention = IntentionFactory(demand=demand, lender=lender)
        unanswered = DemandFactory(project__district=district(code))
        closed = DemandFactory(project=project, status="closed")
        approved = IntentionFactory(demand=closed, lender=lender, status="approved", approval_no="SX-1")
        draft = DemandFactory(project=accepted, status="draft")
        demandable = ProjectFactory(district=district(code), review_status="accepted")
        sides[side] = {
            "project": project,
            "submitted": submitted,
            "accepted": accepted,
            "unit": UnitFactory(district=district(code)),
            "milestone": MilestoneFactory(project=project),
            "funding-line": FundingLineFactory(project=project),
            "loan": loan,
            "disbursement": disbursement,
            "repayment": disbursement.loan.repayments.create(date="2025-06-01", principal=Decimal("1")),
            "district": district(code),
            "organization": company,
            "code": code,
            "bank": lender,
            "financing-demand": demand,
            "draft-demand": draft,
            "unanswered-demand": unanswered,
            "demandable": demandable,
            "credit-intention": intention,
            "approved-intention": approved,
        }
        sides[side] |= dispatch_records(code)
        sides[side] |= {
            "procedure": ProcedureFactory(project=project),
            "document": document_upload(
                acting_user=users["city_staff"],
                project=project,
                file=SimpleUploadedFile("批复.pdf", pdf()),
                kind="approval",
                title="批复",
            ),
            "batch": batch,
            "batch-entry": BatchEntryFactory(batch=batch, project=accepted),
        }
    return {"users": users, "sides": sides, "bank": bank, "company": company}


built, media_storage, world = rows_for_the_module(build_world, copy="world")


def dispatch_records(code):
    """A library project of the district with a draft plan, reports in each state of the review and a
    problem: the records of the monthly dispatch's endpoints."""
    library = ProjectFactory(
        district=district(code), review_status="accepted", stage="implementation", start_year=2025
    )
    report = ProgressReport.objects.create(project=library, period="2025-03-01", problems_note="征拆未完成")
    return {
        "library": library,
        "investment-plan": InvestmentPlan.objects.create(
            project=library, year=2026, planned_amount=Decimal("100"), kind="continuing"
        ),
        "progress-report": report,
        "submitted-report": ProgressReport.objects.create(
            project=library, period="2025-04-01", status="submitted"
        ),
        "accepted-report": ProgressReport.objects.create(
            project=library, period="2025-05-01", status="accepted"
        ),
        "problem": Problem.objects.create(project=library, category="land", description="用地"),
    }


def demand_body(w, s):
    return {"project": s["demandable"].pk, "amount": "1000000.00", "term_months": 120, "purpose": "河道整治"}


def intention_body(w, s):
    return {
        "demand": s["unanswered-demand"].pk,
        "amount": "500000.00",
        "term_months": 120,
        "indicative_rate": "3.1",
    }


def plan_body(w, s):
    return {"project": s["library"].pk, "year": 2027, "planned_amount": "100.00", "kind": "new_start"}


def report_body(w, s):
    return {"project": s["library"].pk, "period": "2025-06", "completed_amount": "10.00"}


def problem_body(w, s):
    return {"project": s["library"].pk, "category": "funding", "description": "资金未到位"}


def project_body(w, s):
    return {
        "name": "接口项目",
        "district": s["code"],
        "category": "park",
        "total_investment": "100.00",
        "start_year": 2025,
        "end_year": 2026,
    }


def milestone_body(w, s):
    return {"project": s["project"].pk, "name": "接口节点", "planned_date": "2025-07-31"}


def funding_body(w, s):
    return {"project": s["project"].pk, "source_type": "fiscal", "year": 2025, "planned_amount": "5.00"}


def loan_body(w, s):
    return {
        "project": s["project"].pk,
        "lender": s["bank"].pk,
        "borrower": w["company"].pk,
        "principal": "1500.00",
    }


# (endpoint, method, record the URL names or None for the collection, body, expected for the own side)
CASES = [
    ("districts", "get", None, None, READ),
    ("districts", "get", "district", None, READ),
    ("districts", "post", None, {}, NOT_ALLOWED),
    ("units", "get", None, None, READ),
    ("units", "get", "unit", None, READ),
    ("units", "patch", "unit", {"name": "改"}, NOT_ALLOWED),
    ("organizations", "get", None, None, READ),
    ("organizations", "post", None, lambda w, s: {"name": "新机构", "kind": "enterprise"}, STAFF_CREATE),
    ("projects", "get", None, None, READ),
    ("projects", "post", None, project_body, EDITOR_CREATE),
    ("projects", "get", "project", None, READ),
    ("projects", "put", "project", project_body, EDITOR_CHANGE),
    ("projects", "patch", "project", lambda w, s: {"name": "改名"}, EDITOR_CHANGE),
    ("projects", "delete", "project", None, NOT_ALLOWED),
    ("projects/{}/submit", "post", "project", lambda w, s: {}, EDITOR_CHANGE),
    ("projects/{}/return", "post", "submitted", lambda w, s: {"comment": "请补充"}, STAFF_CHANGE),
    ("projects/{}/accept", "post", "submitted", lambda w, s: {}, STAFF_CHANGE),
    (
        "projects/{}/transition",
        "post",
        "accepted",
        lambda w, s: {"stage": "mature", "override": True, "reason": "先行"},
        STAFF_CHANGE,
    ),
    ("milestones", "get", None, None, READ),
    ("milestones", "post", None, milestone_body, EDITOR_CREATE),
    ("milestones", "get", "milestone", None, READ),
    ("milestones", "put", "milestone", milestone_body, EDITOR_CHANGE),
    ("milestones", "patch", "milestone", lambda w, s: {"actual_date": "2025-07-01"}, EDITOR_CHANGE),
    ("milestones", "delete", "milestone", None, NOT_ALLOWED),
    ("funding-lines", "get", None, None, READ),
    ("funding-lines", "post", None, funding_body, STAFF_CREATE),
    ("funding-lines", "get", "funding-line", None, READ),
    ("funding-lines", "put", "funding-line", funding_body, STAFF_CHANGE),
    ("funding-lines", "patch", "funding-line", lambda w, s: {"status": "applied"}, STAFF_CHANGE),
    ("funding-lines", "delete", "funding-line", None, NOT_ALLOWED),
    ("loans", "get", None, None, READ),
    ("loans", "post", None, loan_body, STAFF_CREATE),
    ("loans", "get", "loan", None, READ),
    ("loans", "put", "loan", loan_body, STAFF_CHANGE),
    ("loans", "patch", "loan", lambda w, s: {"contract_no": "HT-1"}, STAFF_CHANGE),
    ("loans", "delete", "loan", None, NOT_ALLOWED),
    ("disbursements", "get", None, None, READ),
    (
        "disbursements",
        "post",
        None,
        lambda w, s: {"loan": s["loan"].pk, "date": "2025-03-01", "amount": "10.00"},
        STAFF_CREATE,
    ),
    ("disbursements", "get", "disbursement", None, READ),
    ("disbursements", "patch", "disbursement", lambda w, s: {"amount": "1.00"}, NOT_ALLOWED),
    ("disbursements", "put", "disbursement", lambda w, s: {"amount": "1.00"}, NOT_ALLOWED),
    ("organizations", "put", "organization", lambda w, s: {"name": "改"}, NOT_ALLOWED),
    ("repayments", "get", None, None, READ),
    (
        "repayments",
        "post",
        None,
        lambda w, s: {"loan": s["loan"].pk, "date": "2025-06-02", "principal": "1.00", "interest": "0.10"},
        STAFF_CREATE,
    ),
    ("repayments", "get", "repayment", None, READ),
    ("repayments", "delete", "repayment", None, NOT_ALLOWED),
    ("investment-plans", "get", None, None, READ),
    ("investment-plans", "post", None, plan_body, EDITOR_CREATE),
    ("investment-plans", "get", "investment-plan", None, READ),
    ("investment-plans", "put", "investment-plan", plan_body, EDITOR_CHANGE),
    ("investment-plans", "patch", "investment-plan", lambda w, s: {"target": "改"}, EDITOR_CHANGE),
    ("investment-plans", "delete", "investment-plan", None, NOT_ALLOWED),
    ("investment-plans/{}/confirm", "post", "investment-plan", lambda w, s: {}, STAFF_CHANGE),
    ("progress-reports", "get", None, None, READ),
    ("progress-reports", "post", None, report_body, EDITOR_CREATE),
    ("progress-reports", "get", "progress-report", None, READ),
    ("progress-reports", "put", "progress-report", report_body, EDITOR_CHANGE),
    (
        "progress-reports",
        "patch",
        "progress-report",
        lambda w, s: {"physical_progress": "改"},
        EDITOR_CHANGE,
    ),
    ("progress-reports", "delete", "progress-report", None, NOT_ALLOWED),
    ("progress-reports/{}/submit", "post", "progress-report", lambda w, s: {}, EDITOR_CHANGE),
    (
        "progress-reports/{}/return",
        "post",
        "submitted-report",
        lambda w, s: {"comment": "请补充"},
        STAFF_CHANGE,
    ),
    ("progress-reports/{}/accept", "post", "submitted-report", lambda w, s: {}, STAFF_CHANGE),
    (
        "progress-reports/{}/reopen",
        "post",
        "accepted-report",
        lambda w, s: {"reason": "更正"},
        STAFF_CHANGE,
    ),
    ("progress-reports/{}/problem", "post", "progress-report", lambda w, s: {}, EDITOR_CREATE),
    ("problems", "get", None, None, READ),
    ("problems", "post", None, problem_body, EDITOR_CREATE),
    ("problems", "get", "problem", None, READ),
    ("problems", "put", "problem", problem_body, EDITOR_CHANGE),
    ("problems", "patch", "problem", lambda w, s: {"responsible_unit": "区住建局"}, EDITOR_CHANGE),
    ("problems", "delete", "problem", None, NOT_ALLOWED),
    ("loans/{}/schedule", "get", "loan", None, READ),
    ("financing-demands", "get", None, None, READ),
    ("financing-demands", "post", None, demand_body, EDITOR_CREATE),
    ("financing-demands", "get", "financing-demand", None, READ),
    ("financing-demands", "patch", "draft-demand", lambda w, s: {"purpose": "改"}, EDITOR_CHANGE),
    ("financing-demands", "delete", "financing-demand", None, NOT_ALLOWED),
    ("financing-demands/{}/publish", "post", "draft-demand", lambda w, s: {}, STAFF_CHANGE),
    ("financing-demands/{}/close", "post", "financing-demand", lambda w, s: {}, STAFF_CHANGE),
    ("credit-intentions", "get", None, None, READ),
    ("credit-intentions", "post", None, intention_body, BANK_CREATE),
    ("credit-intentions", "get", "credit-intention", None, READ),
    ("credit-intentions", "patch", "credit-intention", lambda w, s: {"note": "改"}, BANK_CHANGE),
    ("credit-intentions", "delete", "credit-intention", None, NOT_ALLOWED),
    (
        "credit-intentions/{}/approve",
        "post",
        "credit-intention",
        lambda w, s: {"approval_no": "SX-2"},
        BANK_CHANGE,
    ),
    ("credit-intentions/{}/decline", "post", "credit-intention", lambda w, s: {}, BANK_CHANGE),
    ("credit-intentions/{}/withdraw", "post", "credit-intention", lambda w, s: {}, BANK_CHANGE),
    (
        "credit-intentions/{}/sign",
        "post",
        "approved-intention",
        lambda w, s: {"loan": s["loan"].pk},
        STAFF_CHANGE,
    ),
]


def procedure_body(w, s):
    return {"project": s["project"].pk, "kind": "land", "status": "in_progress"}


def batch_body(w, s):
    return {"programme": "special_bond", "year": 2026, "name": "2026年第九批专项债券"}


def entry_body(w, s):
    return {
        "batch": s["batch"].pk,
        "project": s["demandable"].pk,
        "requested_amount": "100.00",
        "override": True,
        "override_reason": "试点",
    }


STAFF_DELETE = {"city_staff": 204, "finance": 403, "district_user": 403}
CASES += [
    ("procedures", "get", None, None, READ),
    ("procedures", "post", None, procedure_body, EDITOR_CREATE),
    ("procedures", "get", "procedure", None, READ),
    ("procedures", "patch", "procedure", lambda w, s: {"authority": "市规划和自然资源局"}, EDITOR_CHANGE),
    ("procedures", "delete", "procedure", None, NOT_ALLOWED),
    ("documents", "get", None, None, READ),
    ("documents", "get", "document", None, READ),
    ("documents/{}/download", "get", "document", None, READ),
    ("documents", "delete", "document", None, STAFF_DELETE),
    ("projects/{}/readiness", "get", "project", None, READ),
    ("batches", "get", None, None, READ),
    ("batches", "post", None, batch_body, STAFF_CREATE),
    ("batches", "get", "batch", None, READ),
    ("batches", "patch", "batch", lambda w, s: {"note": "改"}, STAFF_CHANGE),
    ("batches/{}/close", "post", "batch", lambda w, s: {}, STAFF_CHANGE),
    ("batch-entries", "get", None, None, READ),
    ("batch-entries", "post", None, entry_body, STAFF_CREATE),
    ("batch-entries", "get", "batch-entry", None, READ),
    ("batch-entries", "patch", "batch-entry", lambda w, s: {"requested_amount": "300.00"}, STAFF_CHANGE),
    ("batch-entries/{}/outcome", "post", "batch-entry", lambda w, s: {"outcome": "rejected"}, STAFF_CHANGE),
    ("batch-entries", "delete", "batch-entry", None, STAFF_DELETE),
]
# Records of no district, which every member reads whichever side they are on.
UNSCOPED = {"batch"}

# What a lender gets, where it differs from 403: (endpoint, method, record) → status on its own bank's side.
# On the other bank's side a record is 404 and a write under its references 400 (they are not there to
# name), as for a district user.
LENDER = {
    ("districts", "get", None): 200,
    ("districts", "get", "district"): 200,
    ("districts", "post", None): 405,
    ("units", "get", None): 200,
    ("units", "get", "unit"): 200,
    ("units", "patch", "unit"): 405,
    ("organizations", "get", None): 200,
    ("organizations", "put", "organization"): 405,
    ("projects", "get", None): 200,
    ("projects", "get", "project"): 200,
    ("projects", "delete", "project"): 405,
    ("loans", "get", None): 200,
    ("loans", "get", "loan"): 200,
    ("loans", "delete", "loan"): 405,
    ("loans/{}/schedule", "get", "loan"): 200,
    ("disbursements", "get", None): 200,
    ("disbursements", "post", None): 201,
    ("disbursements", "get", "disbursement"): 200,
    ("disbursements", "patch", "disbursement"): 405,
    ("disbursements", "put", "disbursement"): 405,
    ("repayments", "get", None): 200,
    ("repayments", "post", None): 201,
    ("repayments", "get", "repayment"): 200,
    ("repayments", "delete", "repayment"): 405,
    ("financing-demands", "get", None): 200,
    ("financing-demands", "get", "financing-demand"): 200,
    ("financing-demands", "delete", "financing-demand"): 405,
    ("financing-demands/{}/close", "post", "financing-demand"): 403,
    ("credit-intentions", "get", None): 200,
    ("credit-intentions", "post", None): 201,
    ("credit-intentions", "get", "credit-intention"): 200,
    ("credit-intentions", "patch", "credit-intention"): 200,
    ("credit-intentions", "delete", "credit-intention"): 405,
    ("credit-intentions/{}/approve", "post", "credit-intention"): 200,
    ("credit-intentions/{}/decline", "post", "credit-intention"): 200,
    ("credit-intentions/{}/withdraw", "post", "credit-intention"): 200,
    ("credit-intentions/{}/sign", "post", "approved-intention"): 403,
    # Its own bank's project is one it finances: readable, never changed by it.
    ("projects", "put", "project"): 403,
    ("projects", "patch", "project"): 403,
    ("projects/{}/submit", "post", "project"): 403,
    ("loans", "put", "loan"): 403,
    ("loans", "patch", "loan"): 403,
}
# On the other bank's side, what a published demand opens to every bank.
LENDER_OTHER = {
    ("financing-demands", "get", "financing-demand"): 200,
    ("financing-demands/{}/close", "post", "financing-demand"): 403,
    ("credit-intentions", "post", None): 201,
    # Readiness is no bank's: refused before the project is looked up, whichever side.
    ("projects/{}/readiness", "get", "project"): 403,
}
# Records a lender's scope never holds, whichever bank: projects it does not finance, drafts.
LENDER_UNSEEN = {"submitted", "accepted", "draft-demand", "milestone", "funding-line"}


def url_of(endpoint, record, side):
    if record is None:
        return f"/api/v1/{endpoint}/"
    obj = side[record]
    key = obj.code if record == "district" else obj.pk
    return f"/api/v1/{endpoint.format(key)}/" if "{}" in endpoint else f"/api/v1/{endpoint}/{key}/"


def lender_status(side_name, record, endpoint, method):
    status = LENDER.get((endpoint, method, record), 403)
    resource = endpoint.split("/")[0]
    if status == 405 or LENDER.get((resource, "get", None)) != 200:
        return status  # a method the endpoint lacks; an endpoint a lender may not use at all
    if side_name == "other" and (endpoint, method, record) in LENDER_OTHER:
        return LENDER_OTHER[(endpoint, method, record)]
    if resource in ("districts", "units"):
        return status
    if record is None:
        # A list is narrowed to the bank's scope; a write naming the other bank's loan is refused.
        return 400 if side_name == "other" and method != "get" and status != 403 else status
    return 404 if side_name == "other" or record in LENDER_UNSEEN else status


def expected_status(role, side_name, record, own, endpoint, method):
    if role == "anonymous":
        return 401
    if role == "lender":
        return lender_status(side_name, record, endpoint, method)
    if role == "no_role":
        return 403
    if own[role] == 405:
        return 405  # a method the endpoint does not have: the same answer for any id, so nothing is told
    unscoped = endpoint == "districts" or record in UNSCOPED
    if side_name == "other" and record is not None and not unscoped and role == "district_user":
        return 404
    if side_name == "other" and record is None and role == "district_user" and own.get(role) in (201,):
        # Creating under another district's project or district: the reference is not there to name.
        return 400
    return own[role]


def cases():
    for case in CASES:
        sides = ("own", "other") if case[2] is not None or case[1] == "post" else ("own",)
        for side in sides:
            yield pytest.param(*case, side, id=f"{case[1]} {case[0]} {case[2] or 'list'} {side}")


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize(("endpoint", "method", "record", "body", "own", "side_name"), list(cases()))
def test_api_matrix(api_client, world, role, endpoint, method, record, body, own, side_name):
    client = api_client(world["users"].get(role))  # anonymous: no user
    side = world["sides"][side_name]
    if endpoint in ("projects/{}/return", "projects/{}/accept"):
        side["submitted"].review_records.create(
            action="submit", from_status="draft", to_status="submitted", by=world["users"]["reviewer"]
        )
    data = body(world, side) if callable(body) else body
    before = AuditEntry.objects.count()
    response = getattr(client, method)(url_of(endpoint, record, side), data, format="json")
    status = expected_status(role, side_name, record, own, endpoint, method)
    assert response.status_code == status, response.content.decode()[:400]
    changed = AuditEntry.objects.count() != before
    assert changed == (method != "get" and status in (200, 201, 204))


@pytest.mark.parametrize(
    "endpoint",
    [
        "units",
        "projects",
        "milestones",
        "funding-lines",
        "loans",
        "disbursements",
        "repayments",
        "investment-plans",
        "progress-reports",
        "problems",
        "procedures",
        "documents",
        "batch-entries",
    ],
)
def test_lists_never_show_another_district(api_client, world, endpoint):
    client = api_client(world["users"]["district_user"])
    response = client.get(f"/api/v1/{endpoint}/", {"page_size": 200})
    ids = {row["id"] for row in response.json()["results"]}
    own = world["sides"]["own"]
    other = world["sides"]["other"]
    singular = {"funding-lines": "funding-line", "batch-entries": "batch-entry"}.get(
        endpoint, endpoint.rstrip("s")
    )
    assert own[singular].pk in ids and other[singular].pk not in ids
    client.force_authenticate(world["users"]["finance"])
    everything = {
        row["id"] for row in client.get(f"/api/v1/{endpoint}/", {"page_size": 200}).json()["results"]
    }
    assert other[singular].pk in everything
