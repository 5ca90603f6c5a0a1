"""Every write of a job's life: submitted (queued), started, its progress, and how it ended.

The job row is written in short transactions of its own, never inside the work's: its owner's page reads
the progress while the work is still going, from any app host."""

import logging
import secrets
from dataclasses import dataclass, field
from pathlib import PurePosixPath
from typing import IO

from django.core.files import File
from django.core.files.storage import default_storage
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from .models import Job, JobKind, JobStatus

logger = logging.getLogger(__name__)


class JobFailure(Exception):
    """The work cannot be done, for a reason its owner should read (in Chinese); `result` keeps what the
    page shows with it, such as an import's errors by row and column."""

    def __init__(self, message, *, result: dict | None = None):
        super().__init__(str(message))
        self.result = result or {}


@dataclass
class Outcome:
    """What a job ended with: a file (open for reading, with the name it is downloaded as) and/or a result
    for its page."""

    file: IO[bytes] | None = None
    download_name: str = ""
    content_type: str = ""
    result: dict = field(default_factory=dict)


class Progress:
    """`progress(done, total)`: how far the work is, written for the owner's page. Written at most every
    `every` units (and at the end), so that a chunked writer does not write the row per row."""

    def __init__(self, job: Job, every: int = 500):
        self.job, self.every, self._written = job, every, -1

    def __call__(self, done: int, total: int | None = None) -> None:
        job = self.job
        if total is not None:
            job.progress_total = max(total, 0)
        done = min(max(done, 0), job.progress_total) if job.progress_total else 0
        if done != job.progress_total and self._written >= 0 and done - self._written < self.every:
            return
        job.progress_done, self._written = done, done
        Job.objects.filter(pk=job.pk).update(progress_done=done, progress_total=job.progress_total)


def job_submit(
    *, owner, kind: JobKind, params: dict, total: int = 0, download_name: str = "", content_type: str = ""
) -> Job:
    """A queued job and its task. The job exists before its task does, so that a worker never finds a task
    without its job; a task that cannot be queued leaves the job failed, not waiting for ever."""
    from .tasks import run_job

    job = Job.objects.create(
        owner=owner,
        kind=kind,
        params=params,
        progress_total=max(total, 0),
        download_name=download_name,
        content_type=content_type,
    )
    try:
        result = run_job.enqueue(job.pk)
    except Exception:
        job_fail(job=job, error=_("任务未能排队，请稍后重试。"))
        raise
    Job.objects.filter(pk=job.pk).update(task_id=str(result.id)[:64])
    job.refresh_from_db()
    return job


@transaction.atomic
def job_start(*, job: Job) -> Job:
    job = Job.objects.select_for_update().get(pk=job.pk)
    job.status, job.started_at = JobStatus.RUNNING, timezone.now()
    job.save(update_fields=["status", "started_at"])
    return job


def _store(job: Job, handle: IO[bytes], download_name: str) -> str:
    """The file under jobs/<id>/ with a random name (the download name is kept on the row)."""
    suffix = PurePosixPath(download_name).suffix or ".bin"
    handle.seek(0)
    return default_storage.save(f"jobs/{job.pk}/{secrets.token_urlsafe(12)}{suffix}", File(handle))


def job_finish(*, job: Job, outcome: Outcome) -> Job:
    name = ""
    if outcome.file is not None:
        try:
            name = _store(job, outcome.file, outcome.download_name)
        finally:
            outcome.file.close()
    with transaction.atomic():
        job = Job.objects.select_for_update().get(pk=job.pk)
        job.status, job.finished_at = JobStatus.DONE, timezone.now()
        job.progress_done = job.progress_total
        job.file_name, job.result = name, outcome.result
        if outcome.download_name:
            job.download_name = outcome.download_name
        if outcome.content_type:
            job.content_type = outcome.content_type
        job.error = ""
        job.save(
            update_fields=[
                "status",
                "finished_at",
                "progress_done",
                "file_name",
                "result",
                "download_name",
                "content_type",
                "error",
            ]
        )
    return job


@transaction.atomic
def job_fail(*, job: Job, error: str, result: dict | None = None) -> Job:
    job = Job.objects.select_for_update().get(pk=job.pk)
    job.status, job.finished_at = JobStatus.FAILED, timezone.now()
    job.error, job.result, job.file_name = error, result or {}, ""
    job.save(update_fields=["status", "finished_at", "error", "result", "file_name"])
    return job
