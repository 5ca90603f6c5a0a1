"""Reads of jobs: always through `Job.objects.visible_to(user)`, so that a job is its owner's alone."""

from django.http import Http404

from .models import Job

RECENT = 50


def job_list(*, user):
    """The user's most recent jobs, newest first (one query)."""
    return Job.objects.visible_to(user).order_by("-created_at", "-pk")[:RECENT]


def job_get(*, user, pk) -> Job:
    """The user's job, or a 404 (another user's job is not said to exist)."""
    job = Job.objects.visible_to(user).filter(pk=pk).first()
    if job is None:
        raise Http404
    return job


def job_file(*, user, pk):
    """The user's finished job and its file opened from storage, or a 404 when there is none."""
    from django.core.files.storage import default_storage

    job = job_get(user=user, pk=pk)
    if not job.file_name or not default_storage.exists(job.file_name):
        raise Http404
    return job, default_storage.open(job.file_name, "rb")
