"""Documents (附件): upload through the API and the page, with the type decided from the content; refusals
store nothing; download and delete, scope and roles; the project page's panel."""

import hashlib
from urllib.parse import quote

import pytest
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from portfolio.models import AuditEntry
from projects.models import Document
from projects.models.preparation import DOCUMENT_MAX_BYTES
from projects.services import documents as services
from tests.factories import FundingLineFactory, LoanFactory, ProcedureFactory, ProjectFactory, district

from .test_documents_files import BAD, GOOD, multipart, pdf

pytestmark = pytest.mark.django_db
API = "/api/v1/documents/"


@pytest.fixture
def hp(db):
    return ProjectFactory(district=district("440112"), name="黄埔附件项目")


@pytest.fixture
def yx(db):
    return ProjectFactory(district=district("440104"), name="越秀附件项目")


def stored_files(root) -> list:
    return [path for path in root.rglob("*") if path.is_file()]


def api_upload(client, project, name, content, **fields):
    data = {"project": project.pk, "kind": "approval", "file": SimpleUploadedFile(name, content), **fields}
    return client.post(API, data, format="multipart")


def upload(user, project, name="批复.pdf", content=None, **fields):
    return services.document_upload(
        acting_user=user,
        project=project,
        file=SimpleUploadedFile(name, content if content is not None else pdf()),
        kind=fields.pop("kind", "approval"),
        **fields,
    )


# -- what is accepted -------------------------------------------------------------------------------


@pytest.mark.parametrize("code", list(GOOD))
def test_a_good_file_of_each_kind_is_kept_with_its_digest_size_and_type(
    code, api_client, huangpu_user, hp, media_storage
):
    name, make, content_type, extension = GOOD[code]
    content = make()
    response = api_upload(api_client(huangpu_user), hp, name, content, title="")
    assert response.status_code == 201, response.json()
    body = response.json()
    document = Document.objects.get(pk=body["id"])
    assert body["content_type"] == content_type == document.content_type
    assert document.sha256 == hashlib.sha256(content).hexdigest() == body["sha256"]
    assert document.size == len(content) == body["size"]
    assert document.original_name == name and document.title == name.rsplit(".", 1)[0]
    assert document.uploaded_by == huangpu_user and document.uploaded_at is not None
    # Stored under its project by a random name with the extension of the detected type.
    assert document.stored_name.endswith(extension) and name not in document.file.name
    assert document.file.name == f"documents/{hp.pk}/{document.stored_name}"
    assert (media_storage / document.file.name).read_bytes() == content
    assert "file" not in body  # the file is never part of the record; it comes from download/
    assert AuditEntry.objects.filter(action="document_upload", object_id=str(document.pk)).count() == 1


# -- what is refused --------------------------------------------------------------------------------


@pytest.mark.parametrize("case", list(BAD))
def test_a_bad_file_is_refused_with_a_clear_message_and_nothing_stored(
    case, api_client, city_user, hp, media_storage
):
    name, make, phrase = BAD[case]
    response = api_upload(api_client(city_user), hp, name, make())
    assert response.status_code == 400, response.content
    message = " ".join(response.json()["file"])
    assert phrase in message or (case == "empty" and "空" in message), message
    assert not Document.objects.exists()
    assert stored_files(media_storage) == []
    assert not AuditEntry.objects.filter(action="document_upload").exists()


def test_an_oversized_file_is_refused_with_its_size(api_client, city_user, hp, media_storage):
    content = pdf()
    content = content[:-6] + b"\0" * (DOCUMENT_MAX_BYTES + 1 - len(content)) + content[-6:]
    response = api_upload(api_client(city_user), hp, "大.pdf", content)
    assert response.status_code == 400
    assert "20 MB" in response.json()["file"][0]
    assert not Document.objects.exists() and stored_files(media_storage) == []


def test_a_file_of_exactly_the_limit_is_kept(api_client, city_user, hp, media_storage):
    content = pdf()
    content = content[:-6] + b"\0" * (DOCUMENT_MAX_BYTES - len(content)) + content[-6:]
    response = api_upload(api_client(city_user), hp, "大.pdf", content)
    assert response.status_code == 201, response.json()
    assert Document.objects.get().size == DOCUMENT_MAX_BYTES


@pytest.mark.parametrize("raw_name", ["../x.pdf", "a/b.pdf", "C:\\x.pdf", "..", "/etc/passwd.pdf"])
def test_a_name_with_a_path_is_refused_by_the_api(raw_name, api_client, city_user, hp, media_storage):
    body, content_type = multipart({"project": hp.pk, "kind": "approval"}, file_name=raw_name, content=pdf())
    response = api_client(city_user).generic("POST", API, body, content_type=content_type)
    assert response.status_code == 400, response.content
    assert "路径" in response.json()["file"][0]
    assert not Document.objects.exists() and stored_files(media_storage) == []


@pytest.mark.parametrize("raw_name", ["../x.pdf", "a/b.pdf", "C:\\x.pdf", ".."])
def test_a_name_with_a_path_is_refused_by_the_page(raw_name, client_for, city_user, hp, media_storage):
    client = client_for(city_user)
    body, content_type = multipart({"kind": "approval", "title": ""}, file_name=raw_name, content=pdf())
    url = reverse("projects:document_upload", args=[hp.pk])
    response = client.generic("POST", url, body, content_type=content_type)
    assert response.status_code == 400
    assert "含有路径" in response.content.decode()
    assert not Document.objects.exists() and stored_files(media_storage) == []


def test_the_page_keeps_a_chinese_name_as_sent(client_for, city_user, hp, media_storage):
    body, content_type = multipart(
        {"kind": "contract", "title": "施工合同"}, file_name="合同 2026.pdf", content=pdf()
    )
    url = reverse("projects:document_upload", args=[hp.pk])
    response = client_for(city_user).generic("POST", url, body, content_type=content_type)
    assert response.status_code == 302
    document = Document.objects.get()
    assert (document.original_name, document.title, document.kind) == (
        "合同 2026.pdf",
        "施工合同",
        "contract",
    )


def test_the_page_checks_csrf_after_reading_the_names(hp, city_user, media_storage):
    from django.test import Client

    client = Client(enforce_csrf_checks=True)
    client.force_login(city_user)
    body, content_type = multipart({"kind": "approval"}, file_name="a.pdf", content=pdf())
    response = client.generic(
        "POST", reverse("projects:document_upload", args=[hp.pk]), body, content_type=content_type
    )
    assert response.status_code == 403
    assert not Document.objects.exists()


def test_a_failed_row_write_removes_the_stored_file(monkeypatch, city_user, hp, media_storage):
    def broken(*args, **kwargs):
        raise RuntimeError("database gone")

    monkeypatch.setattr(services, "audit_record", broken)
    with pytest.raises(RuntimeError):
        upload(city_user, hp)
    assert stored_files(media_storage) == [] and not Document.objects.exists()


def test_a_record_of_another_project_cannot_be_attached(city_user, hp, yx, api_client, media_storage):
    other = ProcedureFactory(project=yx, kind="feasibility")
    response = api_upload(api_client(city_user), hp, "a.pdf", pdf(), procedure=other.pk)
    assert response.status_code == 400 and "procedure" in response.json()
    assert not Document.objects.exists() and stored_files(media_storage) == []


def test_at_most_one_record_is_attached(city_user, hp, api_client, media_storage):
    procedure = ProcedureFactory(project=hp, kind="feasibility")
    line = FundingLineFactory(project=hp)
    response = api_upload(
        api_client(city_user), hp, "a.pdf", pdf(), procedure=procedure.pk, funding_line=line.pk
    )
    assert response.status_code == 400
    assert not Document.objects.exists() and stored_files(media_storage) == []


def test_a_document_attaches_to_a_procedure_a_funding_line_or_a_loan(city_user, hp, api_client):
    procedure = ProcedureFactory(project=hp, kind="feasibility")
    line = FundingLineFactory(project=hp)
    loan = LoanFactory(project=hp)
    client = api_client(city_user)
    for field, record in (("procedure", procedure), ("funding_line", line), ("loan", loan)):
        response = api_upload(client, hp, "a.pdf", pdf(), **{field: record.pk})
        assert response.status_code == 201, response.json()
        assert getattr(Document.objects.get(pk=response.json()["id"]), f"{field}_id") == record.pk
    listed = client.get(API, {"procedure": procedure.pk}).json()
    assert [row["procedure"] for row in listed["results"]] == [procedure.pk]


# -- who may upload ---------------------------------------------------------------------------------


def test_finance_may_not_upload(api_client, finance_user, hp, media_storage):
    response = api_upload(api_client(finance_user), hp, "a.pdf", pdf())
    assert response.status_code == 403
    assert not Document.objects.exists() and stored_files(media_storage) == []


def test_a_lender_may_not_upload_nor_list(api_client, lender_user, hp, media_storage):
    client = api_client(lender_user)
    assert api_upload(client, hp, "a.pdf", pdf()).status_code == 403
    assert client.get(API).status_code == 403
    assert stored_files(media_storage) == []


def test_a_district_may_not_upload_to_another_districts_project(api_client, yuexiu_user, hp, media_storage):
    response = api_upload(api_client(yuexiu_user), hp, "a.pdf", pdf())
    assert response.status_code == 400 and "project" in response.json()
    assert not Document.objects.exists() and stored_files(media_storage) == []


def test_the_upload_page_is_for_editors_of_the_project(
    client_for, finance_user, yuexiu_user, huangpu_user, hp
):
    url = reverse("projects:document_upload", args=[hp.pk])
    assert client_for(finance_user).get(url).status_code == 403
    assert client_for(yuexiu_user).get(url).status_code == 404
    assert client_for(huangpu_user).get(url).status_code == 200
    response = client_for(huangpu_user).post(
        url, {"kind": "photo", "file": SimpleUploadedFile("现场.png", GOOD["png"][1]())}
    )
    assert response.status_code == 302 and Document.objects.get().kind == "photo"


def test_the_upload_page_shows_a_refusal_beside_the_file(client_for, city_user, hp, media_storage):
    url = reverse("projects:document_upload", args=[hp.pk])
    response = client_for(city_user).post(
        url, {"kind": "photo", "file": SimpleUploadedFile("x.pdf", b"MZ" + b"\0" * 99)}
    )
    assert response.status_code == 400
    assert "可执行程序不予接收" in response.content.decode()
    assert stored_files(media_storage) == [] and not Document.objects.exists()


# -- download -------------------------------------------------------------------------------------


def test_the_download_is_an_attachment_with_the_original_name_and_nosniff(client_for, huangpu_user, hp):
    content = pdf()
    document = upload(huangpu_user, hp, name="可研批复 (2026).pdf", content=content)
    response = client_for(huangpu_user).get(reverse("projects:document_download", args=[document.pk]))
    assert response.status_code == 200
    assert b"".join(response.streaming_content) == content
    assert response["Content-Type"] == "application/pdf"
    assert response["X-Content-Type-Options"] == "nosniff"
    disposition = response["Content-Disposition"]
    assert disposition.startswith("attachment;")
    assert f"filename*=utf-8''{quote('可研批复 (2026).pdf')}" in disposition


def test_the_api_download_gives_the_same_bytes(api_client, city_user, hp):
    content = GOOD["xlsx"][1]()
    document = upload(city_user, hp, name="资金.xlsx", content=content, kind="funding")
    response = api_client(city_user).get(f"{API}{document.pk}/download/")
    assert response.status_code == 200
    assert b"".join(response.streaming_content) == content
    assert response["Content-Disposition"].startswith("attachment;")
    assert response["X-Content-Type-Options"] == "nosniff"


def test_another_district_downloads_nothing(client_for, api_client, city_user, yuexiu_user, lender_user, hp):
    document = upload(city_user, hp)
    page = reverse("projects:document_download", args=[document.pk])
    assert client_for(yuexiu_user).get(page).status_code == 404
    assert api_client(yuexiu_user).get(f"{API}{document.pk}/download/").status_code == 404
    assert api_client(yuexiu_user).get(f"{API}{document.pk}/").status_code == 404
    assert client_for(lender_user).get(page).status_code == 403
    assert api_client(lender_user).get(f"{API}{document.pk}/download/").status_code == 403
    assert client_for(None).get(page).status_code == 302


def test_no_public_media_url_serves_a_file(client_for, city_user, hp):
    document = upload(city_user, hp)
    assert client_for(city_user).get(f"/media/{document.file.name}").status_code == 404
    assert client_for(city_user).get(f"/{document.file.name}").status_code == 404


# -- delete ---------------------------------------------------------------------------------------


def test_city_staff_delete_with_a_confirmation_and_an_audit_entry(
    client_for, city_user, hp, media_storage, only_audit_entry
):
    document = upload(city_user, hp, title="可研批复")
    path = media_storage / document.file.name
    url = reverse("projects:document_delete", args=[document.pk])
    client = client_for(city_user)
    assert "确认删除" in client.get(url).content.decode()
    assert client.post(url).status_code == 200  # without the confirmation nothing happens
    assert Document.objects.filter(pk=document.pk).exists() and path.exists()
    with pytest.MonkeyPatch.context():
        from django.test import TestCase

        with TestCase.captureOnCommitCallbacks(execute=True):
            response = client.post(url, {"confirm": "yes"})
    assert response.status_code == 302
    assert not Document.objects.filter(pk=document.pk).exists()
    assert not path.exists()
    entry = only_audit_entry(action="document_delete")
    assert entry.project_id == hp.pk and entry.actor == city_user
    assert entry.changes["title"][0] == "可研批复"
    assert entry.changes["sha256"][0] == document.sha256
    assert entry.changes["size"][0] == document.size


def test_only_city_staff_delete(
    client_for, api_client, huangpu_user, finance_user, yuexiu_user, city_user, hp
):
    document = upload(huangpu_user, hp)
    page = reverse("projects:document_delete", args=[document.pk])
    assert client_for(huangpu_user).post(page, {"confirm": "yes"}).status_code == 403
    assert client_for(finance_user).post(page, {"confirm": "yes"}).status_code == 403
    assert client_for(yuexiu_user).post(page, {"confirm": "yes"}).status_code == 404
    assert api_client(huangpu_user).delete(f"{API}{document.pk}/").status_code == 403
    assert api_client(yuexiu_user).delete(f"{API}{document.pk}/").status_code == 404
    assert Document.objects.filter(pk=document.pk).exists()
    response = api_client(city_user).delete(f"{API}{document.pk}/")
    assert response.status_code == 204
    assert not Document.objects.exists()
    assert AuditEntry.objects.filter(action="document_delete").count() == 1


# -- the list and the panel -------------------------------------------------------------------------


def test_the_list_is_scoped_and_filtered(api_client, city_user, huangpu_user, hp, yx):
    mine = upload(city_user, hp, kind="photo", name="a.png", content=GOOD["png"][1]())
    theirs = upload(city_user, yx)
    assert {row["id"] for row in api_client(huangpu_user).get(API).json()["results"]} == {mine.pk}
    staff = api_client(city_user)
    assert {row["id"] for row in staff.get(API).json()["results"]} == {mine.pk, theirs.pk}
    assert [row["id"] for row in staff.get(API, {"project": yx.pk}).json()["results"]] == [theirs.pk]
    assert [row["id"] for row in staff.get(API, {"kind": "photo"}).json()["results"]] == [mine.pk]
    assert staff.get(API, {"kind": "nonsense"}).status_code == 400
    detail = staff.get(f"{API}{mine.pk}/")
    assert detail.status_code == 200 and detail["ETag"]
    assert set(detail.json()) >= {
        "id",
        "project",
        "procedure",
        "kind",
        "title",
        "size",
        "content_type",
        "sha256",
        "uploaded_by",
        "uploaded_at",
    }


def test_the_list_runs_a_fixed_number_of_queries(assert_flat_list_queries, city_user, hp):
    assert_flat_list_queries("documents", lambda: upload(city_user, hp))


def panel_queries(client, project) -> int:
    url = reverse("projects:project_detail", args=[project.pk])
    client.get(url)
    with CaptureQueriesContext(connection) as captured:
        assert client.get(url).status_code == 200
    return len(captured)


def test_the_project_page_lists_documents_in_a_fixed_number_of_queries(client_for, city_user, hp):
    client = client_for(city_user)
    procedure = ProcedureFactory(project=hp, kind="feasibility")
    line = FundingLineFactory(project=hp)
    loan = LoanFactory(project=hp)

    def one_of_each():
        upload(city_user, hp, procedure=procedure)
        upload(city_user, hp, funding_line=line)
        upload(city_user, hp, loan=loan)

    one_of_each()
    two = panel_queries(client, hp)
    for _ in range(2):
        one_of_each()
        upload(city_user, hp)
    assert panel_queries(client, hp) == two


def test_the_panel_shows_what_each_role_may_do(client_for, city_user, huangpu_user, finance_user, hp):
    document = upload(city_user, hp, title="用地批复", procedure=ProcedureFactory(project=hp, kind="land"))
    url = reverse("projects:project_detail", args=[hp.pk])
    download = reverse("projects:document_download", args=[document.pk])
    delete = reverse("projects:document_delete", args=[document.pk])
    staff = client_for(city_user).get(url).content.decode()
    assert "用地批复" in staff and download in staff and delete in staff and 'id="document-upload"' in staff
    district_page = client_for(huangpu_user).get(url).content.decode()
    assert (
        download in district_page and delete not in district_page and 'id="document-upload"' in district_page
    )
    finance_page = client_for(finance_user).get(url).content.decode()
    assert (
        download in finance_page and delete not in finance_page and 'id="document-upload"' not in finance_page
    )
    assert default_storage.exists(document.file.name)
