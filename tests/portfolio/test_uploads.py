"""An upload kept between preview and confirmation, one per kind, in the site's storage (never on one host's
disk), removed once confirmed."""

from types import SimpleNamespace

from django.core.files.storage import default_storage
from django.core.files.uploadedfile import SimpleUploadedFile

from portfolio.uploads import PendingUpload


def request_with(session, token=None):
    return SimpleNamespace(session=session, POST={"token": token} if token else {})


def test_two_kinds_of_pending_upload_never_replace_each_other(media_storage):
    projects, reports = PendingUpload("pending_import"), PendingUpload("pending_report_import")
    session = {}
    first = projects.keep(request_with(session), SimpleUploadedFile("p.xlsx", b"projects"), rows=3)
    second = reports.keep(request_with(session), SimpleUploadedFile("r.xlsx", b"reports"))
    assert (
        default_storage.exists(f"imports/{first}.xlsx")
        and (media_storage / "imports" / f"{second}.xlsx").exists()
    )
    assert projects.rows(request_with(session)) == 3
    with projects.confirmed(request_with(session, first)) as upload:
        assert upload.read() == b"projects"
    with reports.confirmed(request_with(session, second)) as upload:
        assert upload.read() == b"reports"
    assert session == {} and list((media_storage / "imports").iterdir()) == []


def test_a_wrong_or_used_token_finds_nothing(media_storage):
    pending = PendingUpload("pending_import")
    session = {}
    token = pending.keep(request_with(session), SimpleUploadedFile("p.xlsx", b"x"))
    with pending.confirmed(request_with(session, "forged")) as upload:
        assert upload is None
    with pending.confirmed(request_with(session, token)) as upload:
        assert upload is not None
    with pending.confirmed(request_with(session, token)) as upload:
        assert upload is None


def test_a_file_handed_to_a_job_stays_in_storage_and_leaves_the_session(media_storage):
    pending = PendingUpload("pending_import")
    session = {}
    token = pending.keep(request_with(session), SimpleUploadedFile("p.xlsx", b"x"), rows=9000)
    assert pending.hand_over(request_with(session, "forged")) is None
    assert pending.hand_over(request_with(session, token)) == f"imports/{token}.xlsx"
    assert session == {} and default_storage.exists(f"imports/{token}.xlsx")
