"""Backup and restore, the portable way of the README: dumpdata from a seeded database, loaddata into an
empty one, and every project, loan, drawing, repayment, milestone, account and audit entry is back; the
documents' files go through backup_documents / restore_documents and come back byte for byte."""

import pytest
from django.contrib.auth import get_user_model
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.db import connection

from financing.models import Disbursement, FundingLine, Loan, Organization, Repayment
from portfolio.models import AuditEntry
from projects import services
from projects.models import District, Document, Milestone, Project
from projects.services import documents as document_services
from tests.projects.test_documents_files import pdf, png

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
        "documents": set(
            Document.objects.values_list("pk", "project", "file", "sha256", "size", "uploaded_at")
        ),
        "audit": {
            (e.pk, e.action, e.object_id, e.project_id, e.content_type.model, str(e.changes), e.at)
            for e in AuditEntry.objects.select_related("content_type")
        },
    }


def test_a_dump_restored_into_an_empty_database_has_everything(tmp_path, city_user):
    call_command("seed", "--demo", "40", "--random-seed", "7", verbosity=0)
    project = Project.objects.filter(is_demo=True).first()
    services.project_update(project=project, acting_user=city_user, name="备份前改过名的项目")
    contents = {"批复.pdf": pdf(), "现场.png": png()}
    for name, content in contents.items():
        document_services.document_upload(
            acting_user=city_user, project=project, file=SimpleUploadedFile(name, content), kind="approval"
        )
    files = {d.file.name: contents[d.original_name] for d in Document.objects.all()}
    before = everything()
    assert before["loans"] and before["disbursements"] and before["repayments"] and len(before["audit"]) > 10

    backup = tmp_path / "library.xml.gz"
    call_command(*DUMP, output=str(backup), verbosity=0)
    archive = tmp_path / "documents.tar.gz"
    call_command("backup_documents", str(archive), verbosity=0)
    # Inside the test's transaction PostgreSQL holds the foreign-key checks until commit; run them now, as a
    # commit would, so that the tables can be emptied.
    connection.check_constraints()
    call_command("flush", interactive=False, verbosity=0)
    assert not Project.objects.exists() and not AuditEntry.objects.exists() and not District.objects.exists()
    for name in files:
        default_storage.delete(name)
    assert not any(default_storage.exists(name) for name in files)

    call_command("loaddata", str(backup), verbosity=0)
    call_command("restore_documents", str(archive), verbosity=0)
    after = everything()
    for name, rows in before.items():
        assert after[name] == rows, name
    for name, content in files.items():
        with default_storage.open(name, "rb") as handle:
            assert handle.read() == content, name


def test_restore_leaves_a_file_in_place_and_refuses_a_tampered_archive(tmp_path, city_user):
    import io
    import tarfile

    from django.core.management.base import CommandError

    from tests.factories import ProjectFactory

    document = document_services.document_upload(
        acting_user=city_user, project=ProjectFactory(), file=SimpleUploadedFile("a.pdf", pdf()), kind="other"
    )
    archive = tmp_path / "documents.tar.gz"
    call_command("backup_documents", str(archive), verbosity=0)
    out = io.StringIO()
    call_command("restore_documents", str(archive), stdout=out)
    assert "0 files restored, 1 already in place" in out.getvalue()

    tampered = tmp_path / "tampered.tar.gz"
    with tarfile.open(archive) as source, tarfile.open(tampered, "w:gz") as target:
        for member in source.getmembers():
            data = source.extractfile(member).read()
            if member.name == f"files/{document.file.name}":
                data = data.replace(b"%PDF", b"%PDX")
            target.addfile(member, io.BytesIO(data))
    default_storage.delete(document.file.name)
    with pytest.raises(CommandError, match="SHA-256"):
        call_command("restore_documents", str(tampered), verbosity=0)
    assert not default_storage.exists(document.file.name)
