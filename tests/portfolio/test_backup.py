"""Backup and restore, the portable way of the README: dumpdata from a seeded database, loaddata into an
empty one, and every project, loan, drawing, repayment, milestone, account and audit entry is back."""

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.db import connection

from financing.models import Disbursement, FundingLine, Loan, Organization, Repayment
from portfolio.models import AuditEntry
from projects import services
from projects.models import District, Milestone, Project

pytestmark = pytest.mark.django_db
# The same command as the README's backup section.
DUMP = [
    "dumpdata",
    # XML keeps times to the microsecond (Django's JSON keeps milliseconds).
    "--format=xml",
    "--natural-foreign",
    "--natural-primary",
    "--exclude=contenttypes",
    "--exclude=auth.permission",
    "--exclude=sessions",
    "--exclude=axes",
]


def everything() -> dict:
    return {
        "districts": set(District.objects.values_list("code", "name")),
        "projects": set(Project.objects.values_list("pk", "code", "name", "total_investment", "version")),
        "organizations": set(Organization.objects.values_list("pk", "name", "uscc")),
        "funding_lines": set(FundingLine.objects.values_list("pk", "project", "approved_amount")),
        "loans": set(Loan.objects.values_list("pk", "project", "principal", "signed_on")),
        "disbursements": set(Disbursement.objects.values_list("pk", "loan", "date", "amount")),
        "repayments": set(Repayment.objects.values_list("pk", "loan", "principal", "interest")),
        "milestones": set(Milestone.objects.values_list("pk", "project", "planned_date")),
        "users": set(get_user_model().objects.values_list("username", "password", "groups__name")),
        "audit": {
            (e.pk, e.action, e.object_id, e.project_id, e.content_type.model, str(e.changes), e.at)
            for e in AuditEntry.objects.select_related("content_type")
        },
    }


def test_a_dump_restored_into_an_empty_database_has_everything(tmp_path, city_user):
    call_command("seed", "--demo", "40", "--random-seed", "7", verbosity=0)
    project = Project.objects.filter(is_demo=True).first()
    services.project_update(project=project, acting_user=city_user, name="备份前改过名的项目")
    before = everything()
    assert before["loans"] and before["disbursements"] and before["repayments"] and len(before["audit"]) > 10

    backup = tmp_path / "library.xml.gz"
    call_command(*DUMP, output=str(backup), verbosity=0)
    # Inside the test's transaction PostgreSQL holds the foreign-key checks until commit; run them now, as a
    # commit would, so that the tables can be emptied.
    connection.check_constraints()
    call_command("flush", interactive=False, verbosity=0)
    assert not Project.objects.exists() and not AuditEntry.objects.exists() and not District.objects.exists()

    call_command("loaddata", str(backup), verbosity=0)
    after = everything()
    for name, rows in before.items():
        assert after[name] == rows, name
