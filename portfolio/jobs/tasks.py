"""The tasks the worker runs (`manage.py db_worker`), and which work each kind of job does.

The one import of the task framework: on Django 6 it becomes `from django.tasks import task`, nothing else
changes (the settings' TASKS take the same shape)."""

import logging

from django.utils.module_loading import import_string
from django.utils.translation import gettext as _
from django_tasks import task  # Django 6: from django.tasks import task

from . import services
from .models import Job, JobKind, JobStatus

logger = logging.getLogger(__name__)

# Each kind's work, `run(job, progress) -> services.Outcome`, named by path: the kit enqueues jobs but
# imports no app, and the work of an export lives beside its view, which knows the selector and the writer.
RUNNERS = {
    JobKind.PROJECTS_EXPORT: "portfolio.api.exports.run_workbook_export",
    JobKind.FINANCING_EXPORT: "portfolio.api.exports.run_workbook_export",
    JobKind.DISPATCH_EXPORT: "portfolio.dispatch.api.run_dispatch_export",
    JobKind.DISPATCH_PDF: "portfolio.dispatch.api.run_dispatch_pdf",
    JobKind.BATCH_EXPORT: "financing.api.readiness.run_batch_export",
    JobKind.PROJECTS_IMPORT: "portfolio.jobs.imports.run_projects_import",
    JobKind.REPORTS_IMPORT: "portfolio.jobs.imports.run_reports_import",
    JobKind.REMINDERS: "portfolio.dispatch.reminders.run_reminders",
}


@task()
def run_job(job_id: int) -> dict:
    """Runs the job's work as its owner, with the parameters it was asked with, and records the outcome.
    A failure is recorded on the job in words its owner can act on; the traceback stays in the task's
    result and the log, for whoever runs the servers."""
    job = Job.objects.select_related("owner").filter(pk=job_id).first()
    if job is None or job.status != JobStatus.QUEUED:
        return {"skipped": job_id}  # deleted, or already taken by another run
    job = services.job_start(job=job)
    try:
        run = import_string(RUNNERS[job.kind])
        services.job_finish(job=job, outcome=run(job, services.Progress(job)))
    except services.JobFailure as failure:
        services.job_fail(job=job, error=str(failure), result=failure.result)
        return {"job": job.pk, "status": JobStatus.FAILED}
    except Exception as error:
        logger.exception("Job %s (%s) failed", job.pk, job.kind)
        services.job_fail(
            job=job,
            error=_("任务执行出错（%(kind)s），未生成任何结果。请稍后重试；再次失败请联系市项目办。")
            % {"kind": type(error).__name__},
        )
        raise
    return {"job": job.pk, "status": JobStatus.DONE}
