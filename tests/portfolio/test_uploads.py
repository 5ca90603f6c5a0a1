"""An upload kept between preview and confirmation, one per kind, removed once confirmed."""

from types import SimpleNamespace

from django.core.files.uploadedfile import SimpleUploadedFile

from portfolio.uploads import PendingUpload


def request_with(session, token=None):
    return SimpleNamespace(session=session, POST={"token": token} if token else {})


def test_two_kinds_of_pending_upload_never_replace_each_other(settings, tmp_path):
    settings.IMPORT_DIR = str(tmp_path)
    projects, reports = PendingUpload("pending_import"), PendingUpload("pending_report_import")
    session = {}
    first = projects.keep(request_with(session), SimpleUploadedFile("p.xlsx", b"projects"))
    second = reports.keep(request_with(session), SimpleUploadedFile("r.xlsx", b"reports"))
    with projects.confirmed(request_with(session, first)) as upload:
        assert upload.read() == b"projects"
    with reports.confirmed(request_with(session, second)) as upload:
        assert upload.read() == b"reports"
    assert session == {} and list(tmp_path.iterdir()) == []


def test_a_wrong_or_used_token_finds_nothing(settings, tmp_path):
    settings.IMPORT_DIR = str(tmp_path)
    pending = PendingUpload("pending_import")
    session = {}
    token = pending.keep(request_with(session), SimpleUploadedFile("p.xlsx", b"x"))
    with pending.confirmed(request_with(session, "forged")) as upload:
        assert upload is None
    with pending.confirmed(request_with(session, token)) as upload:
        assert upload is not None
    with pending.confirmed(request_with(session, token)) as upload:
        assert upload is None
