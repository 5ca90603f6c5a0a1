"""Background jobs (portfolio.jobs): a job's life, its file's scope, the exports, PDFs and imports past their
thresholds, and the reminders as a task."""

import datetime
import io

import pytest
from django.core.files.storage import default_storage
from django.core.management import call_command
from django.db import connection
from django.db.models.signals import post_save
from django.test.utils import CaptureQueriesContext
from django_tasks_db.models import DBTaskResult
from openpyxl import load_workbook

from portfolio.jobs import services
from portfolio.jobs.models import Job, JobKind, JobStatus
from portfolio.models import Notification
from projects.models import Project
from tests.factories import BatchEntryFactory, BatchFactory, ProjectFactory, dispatch_world, district
from tests.projects.test_imports import row, workbook_bytes

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
JSON = {"HTTP_ACCEPT": "application/json"}
HTML = {"HTTP_ACCEPT": "text/html,application/xhtml+xml"}
DB_TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}


def codes_in(content: bytes) -> list:
    ws = load_workbook(io.BytesIO(content)).worksheets[0]
    return [r[0].value for r in ws.iter_rows(min_row=8)][:-1]  # below the title block, above the totals


def codes_by_sheet(content: bytes) -> dict:
    workbook = load_workbook(io.BytesIO(content))
    return {ws.title: [r[0].value for r in ws.iter_rows(min_row=8)] for ws in workbook.worksheets}


def two_districts():
    """Three projects of 黄埔 and two of 越秀."""
    huangpu = [ProjectFactory(code=f"HP-{n}", district=district("440112")) for n in range(3)]
    yuexiu = [ProjectFactory(code=f"YX-{n}", district=district("440104")) for n in range(2)]
    return huangpu, yuexiu


def run_worker():
    call_command("db_worker", batch=True, reload=False, startup_delay=False, interval=0, verbosity=0)


@pytest.fixture
def statuses():
    """Every status a Job row is saved with, in order."""
    seen = []

    def record(sender, instance, **kwargs):
        seen.append(instance.status)

    post_save.connect(record, sender=Job, weak=False)
    yield seen
    post_save.disconnect(record, sender=Job)


# -- a job's life, on the database backend and its worker ------------------------------------------


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_a_jobs_life_queued_running_done_and_its_file_is_its_owners(
    settings, api_client, client_for, huangpu_user, yuexiu_user, city_user, statuses
):
    settings.TASKS, settings.EXPORT_JOB_THRESHOLD = DB_TASKS, 2
    huangpu, _yuexiu = two_districts()
    response = api_client(huangpu_user).get("/api/v1/exports/projects.xlsx", **JSON)
    assert response.status_code == 202
    body = response.json()
    job = Job.objects.get(pk=body["job"])
    assert body["status"] == "queued" and body["url"].endswith(f"/api/v1/jobs/{job.pk}/")
    assert (job.owner, job.kind, job.status, job.progress_total) == (
        huangpu_user,
        JobKind.PROJECTS_EXPORT,
        JobStatus.QUEUED,
        3,
    )
    assert DBTaskResult.objects.get(id=job.task_id).status == "READY"

    run_worker()

    job.refresh_from_db()
    assert statuses == [JobStatus.QUEUED, JobStatus.RUNNING, JobStatus.DONE]
    assert job.status == JobStatus.DONE and (job.progress_done, job.progress_total) == (3, 3)
    assert job.started_at <= job.finished_at
    assert DBTaskResult.objects.get(id=job.task_id).status == "SUCCESSFUL"
    assert job.file_name.startswith(f"jobs/{job.pk}/") and default_storage.exists(job.file_name)

    # The owner downloads exactly the rows of its scope, by the API and by the page.
    owner = api_client(huangpu_user)
    assert owner.get(f"/api/v1/jobs/{job.pk}/").json()["status"] == "done"
    download = owner.get(f"/api/v1/jobs/{job.pk}/download/")
    assert download.status_code == 200 and download["Content-Type"] == XLSX
    assert codes_in(b"".join(download.streaming_content)) == [p.code for p in huangpu]
    page = client_for(huangpu_user).get(f"/jobs/{job.pk}/download/")
    assert page.status_code == 200 and "projects-" in page["Content-Disposition"]

    # Anyone else: 404 on the job, its file and its page, another district's user and city staff alike.
    for other in (yuexiu_user, city_user):
        assert api_client(other).get(f"/api/v1/jobs/{job.pk}/").status_code == 404
        assert api_client(other).get(f"/api/v1/jobs/{job.pk}/download/").status_code == 404
        assert client_for(other).get(f"/jobs/{job.pk}/").status_code == 404
        assert client_for(other).get(f"/jobs/{job.pk}/download/").status_code == 404


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_a_failed_job_says_why_in_chinese_and_leaves_no_file(settings, api_client, city_user, statuses):
    settings.TASKS, settings.EXPORT_JOB_THRESHOLD = DB_TASKS, 0
    batch = BatchFactory()
    BatchEntryFactory(batch=batch)
    response = api_client(city_user).get(f"/api/v1/exports/batches/{batch.pk}.xlsx", **JSON)
    assert response.status_code == 202
    job = Job.objects.get(pk=response.json()["job"])
    batch.entries.all().delete()
    batch.delete()  # gone before the worker takes the job

    run_worker()

    job.refresh_from_db()
    assert statuses == [JobStatus.QUEUED, JobStatus.RUNNING, JobStatus.FAILED]
    assert job.status == JobStatus.FAILED and job.error == "该申报批次已不存在或您已无权查看。"
    assert not job.file_name and not default_storage.exists(f"jobs/{job.pk}")
    document = api_client(city_user).get(f"/api/v1/jobs/{job.pk}/").json()
    assert document["status"] == "failed" and document["error"] == job.error and document["download"] is None
    assert api_client(city_user).get(f"/api/v1/jobs/{job.pk}/download/").status_code == 404


@pytest.mark.django_db
def test_an_unexpected_error_fails_the_job_without_a_traceback(settings, city_user, monkeypatch):
    # The outside world failing (the storage refuses the file): the owner is told in Chinese, not Python.
    def refuse(*args, **kwargs):
        raise OSError("disk full")

    monkeypatch.setattr(services, "_store", refuse)
    settings.EXPORT_JOB_THRESHOLD = 0
    ProjectFactory()
    job = services.job_submit(
        owner=city_user,
        kind=JobKind.PROJECTS_EXPORT,
        params={"view": "projects.api.views.ProjectsExport", "query": ""},
        download_name="projects.xlsx",
    )
    job.refresh_from_db()
    assert job.status == JobStatus.FAILED and "OSError" in job.error and "Traceback" not in job.error
    assert job.error.startswith("任务执行出错") and not job.file_name


# -- the exports: under the threshold the file, past it a job --------------------------------------


@pytest.mark.django_db
def test_under_the_threshold_the_export_is_the_file(settings, api_client, city_user):
    settings.EXPORT_JOB_THRESHOLD = 5
    two_districts()
    response = api_client(city_user).get("/api/v1/exports/projects.xlsx", **JSON)
    assert response.status_code == 200 and response["Content-Type"] == XLSX
    assert not Job.objects.exists()


@pytest.mark.django_db
@pytest.mark.parametrize("name", ["projects", "financing"])
def test_past_the_threshold_an_api_client_gets_202_and_a_browser_303(
    settings, api_client, client_for, huangpu_user, name
):
    settings.EXPORT_JOB_THRESHOLD = 2
    huangpu, _ = two_districts()
    url = f"/api/v1/exports/{name}.xlsx"
    response = api_client(huangpu_user).get(url, {"async": "1"})
    assert response.status_code == 202 and response["Location"] == f"/api/v1/jobs/{response.json()['job']}/"
    job = Job.objects.get(pk=response.json()["job"])
    # The test settings run a task where it is queued: the job is done by the time the answer is sent.
    assert job.kind == f"{name}_export" and job.status == JobStatus.DONE
    assert job.download_name.startswith(f"{name}-") and job.download_name.endswith(".xlsx")
    with default_storage.open(job.file_name) as handle:
        made = handle.read()
    if name == "projects":
        assert codes_in(made) == [p.code for p in huangpu]
    # The same rows as the file answered at once, sheet by sheet.
    settings.EXPORT_JOB_THRESHOLD = 1000
    at_once = api_client(huangpu_user).get(url)
    assert codes_by_sheet(made) == codes_by_sheet(b"".join(at_once.streaming_content))
    settings.EXPORT_JOB_THRESHOLD = 2

    page = client_for(huangpu_user).get(url, **HTML)
    assert page.status_code == 303 and page["Location"] == f"/jobs/{Job.objects.latest('pk').pk}/"


@pytest.mark.django_db
def test_the_jobs_file_keeps_the_query(settings, api_client, city_user):
    settings.EXPORT_JOB_THRESHOLD = 1
    two_districts()
    response = api_client(city_user).get("/api/v1/exports/projects.xlsx", {"district": "440104"}, **JSON)
    job = Job.objects.get(pk=response.json()["job"])
    assert job.params["query"] == "district=440104"
    with default_storage.open(job.file_name) as handle:
        assert codes_in(handle.read()) == ["YX-0", "YX-1"]


@pytest.mark.django_db
def test_dispatch_workbook_and_pdf_past_their_thresholds(settings, api_client, dispatch_june, city_user):
    settings.EXPORT_JOB_THRESHOLD = settings.PDF_JOB_THRESHOLD = 0
    client = api_client(city_user)
    for url, kind, suffix in (
        ("/api/v1/exports/dispatch.xlsx", JobKind.DISPATCH_EXPORT, ".xlsx"),
        ("/api/v1/reports/dispatch.pdf", JobKind.DISPATCH_PDF, ".pdf"),
    ):
        response = client.get(url, {"year": 2026, "month": 6}, **JSON)
        assert response.status_code == 202, response.content[:200]
        job = Job.objects.get(pk=response.json()["job"])
        assert job.kind == kind and job.status == JobStatus.DONE, job.error
        assert job.download_name == f"dispatch-2026-06{suffix}"
        download = client.get(f"/api/v1/jobs/{job.pk}/download/")
        content = b"".join(download.streaming_content)
        assert content[:4] == (b"%PDF" if suffix == ".pdf" else b"PK\x03\x04")


@pytest.mark.django_db
def test_the_batch_export_past_the_threshold(settings, api_client, city_user):
    settings.EXPORT_JOB_THRESHOLD = 0
    batch = BatchFactory()
    BatchEntryFactory(batch=batch)
    response = api_client(city_user).get(f"/api/v1/exports/batches/{batch.pk}.xlsx", **JSON)
    job = Job.objects.get(pk=response.json()["job"])
    assert response.status_code == 202 and job.status == JobStatus.DONE and job.kind == JobKind.BATCH_EXPORT


# -- the pages ---------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_the_job_page_polls_while_running_and_offers_the_file_when_done(client_for, huangpu_user):
    job = Job.objects.create(
        owner=huangpu_user, kind=JobKind.PROJECTS_EXPORT, status=JobStatus.RUNNING, progress_total=200
    )
    Job.objects.filter(pk=job.pk).update(progress_done=50)
    client = client_for(huangpu_user)
    html = client.get(f"/jobs/{job.pk}/").content.decode()
    assert "项目清单导出" in html and "进行中" in html and 'value="25"' in html and "50 / 200 行" in html
    assert 'hx-trigger="every 2s"' in html
    partial = client.get(f"/jobs/{job.pk}/", HTTP_HX_REQUEST="true").content.decode()
    assert partial.startswith('<div id="job-status"') and "<html" not in partial

    default_storage.save(f"jobs/{job.pk}/x.xlsx", io.BytesIO(b"PK"))
    Job.objects.filter(pk=job.pk).update(
        status=JobStatus.DONE, file_name=f"jobs/{job.pk}/x.xlsx", download_name="projects-20250701.xlsx"
    )
    html = client.get(f"/jobs/{job.pk}/").content.decode()
    assert "已完成" in html and "hx-trigger" not in html and f"/jobs/{job.pk}/download/" in html


@pytest.mark.django_db
def test_the_list_shows_the_users_own_jobs_in_constant_queries(client_for, huangpu_user, yuexiu_user):
    mine = Job.objects.create(owner=huangpu_user, kind=JobKind.FINANCING_EXPORT)
    theirs = Job.objects.create(owner=yuexiu_user, kind=JobKind.FINANCING_EXPORT)
    client = client_for(huangpu_user)
    client.get("/jobs/")
    with CaptureQueriesContext(connection) as one:
        html = client.get("/jobs/").content.decode()
    assert f'id="job-{mine.pk}"' in html and f'id="job-{theirs.pk}"' not in html
    for _n in range(10):
        Job.objects.create(owner=huangpu_user, kind=JobKind.DISPATCH_PDF, status=JobStatus.FAILED, error="错")
    with CaptureQueriesContext(connection) as eleven:
        client.get("/jobs/")
    assert len(one) == len(eleven)


# -- the imports -------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_a_large_api_import_runs_as_a_job_and_a_small_one_answers_201(settings, api_client, city_user):
    settings.IMPORT_JOB_THRESHOLD = 2
    client = api_client(city_user)
    small = client.post("/api/v1/imports/projects/", {"file": io.BytesIO(workbook_bytes([row("一")]))})
    assert small.status_code == 201 and not Job.objects.exists()

    content = workbook_bytes([row(f"大批{n}") for n in range(3)])
    response = client.post("/api/v1/imports/projects/", {"file": io.BytesIO(content)}, **JSON)
    assert response.status_code == 202
    job = Job.objects.get(pk=response.json()["job"])
    assert job.status == JobStatus.DONE and job.result["created"] == 3
    assert Project.objects.filter(name__startswith="大批").count() == 3
    assert not default_storage.exists(job.params["file"])  # the upload is removed once imported


@pytest.mark.django_db
def test_an_import_job_with_errors_keeps_every_rows_error_and_saves_nothing(settings, api_client, city_user):
    settings.IMPORT_JOB_THRESHOLD = 1
    content = workbook_bytes([row("好的"), row("坏的", **{"总投资（万元）": "很多"})])
    response = api_client(city_user).post("/api/v1/imports/projects/", {"file": io.BytesIO(content)}, **JSON)
    job = Job.objects.get(pk=response.json()["job"])
    assert job.status == JobStatus.FAILED and job.error.startswith("文件中有 1 处错误")
    assert job.result["errors"][0]["row"] == 3 and job.result["errors"][0]["column"] == "总投资（万元）"
    assert not Project.objects.exists()


@pytest.mark.django_db
def test_the_import_page_hands_a_large_confirmed_file_to_a_job(settings, client_for, city_user):
    settings.IMPORT_JOB_THRESHOLD = 2
    client = client_for(city_user)
    content = workbook_bytes([row(f"页面{n}") for n in range(3)])
    preview = client.post("/projects/import/", {"file": io.BytesIO(content)})
    token = preview.context["token"]
    assert default_storage.exists(f"imports/{token}.xlsx")
    response = client.post("/projects/import/", {"action": "confirm", "token": token})
    job = Job.objects.latest("pk")
    assert response.status_code == 302 and response["Location"] == f"/jobs/{job.pk}/"
    assert job.kind == JobKind.PROJECTS_IMPORT and job.status == JobStatus.DONE
    assert Project.objects.filter(name__startswith="页面").count() == 3
    assert "已导入 3 个项目" in client.get(response["Location"]).content.decode()
    assert not default_storage.exists(f"imports/{token}.xlsx")


# -- the reminders -------------------------------------------------------------------------------------


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_reminders_are_queued_by_the_command_and_run_by_the_worker(settings, city_user, huangpu_user):
    settings.TASKS = DB_TASKS
    dispatch_world()
    day = "2026-07-20"  # June's reports were due on 2026-07-07
    call_command("remind", "--dry-run", "--date", day, stdout=io.StringIO())
    assert not Notification.objects.exists() and not Job.objects.exists()

    out = io.StringIO()
    call_command("remind", "--enqueue", "--date", day, stdout=out)
    job = Job.objects.get()
    assert job.kind == JobKind.REMINDERS and job.status == JobStatus.QUEUED and job.owner is None
    assert "已排入后台任务" in out.getvalue() and not Notification.objects.exists()

    run_worker()

    job.refresh_from_db()
    assert job.status == JobStatus.DONE and job.result["date"] == day
    assert job.result["created"] == Notification.objects.count() > 0
    assert datetime.date.fromisoformat(job.result["date"]) == datetime.date(2026, 7, 20)
