"""How a request that became a job is answered: an API client is told where to follow the job (202), a
browser, which followed a link to the file, is sent to the job's page (303)."""

from django.conf import settings
from django.http import HttpResponseRedirect, JsonResponse
from django.urls import reverse

from .models import Job


def over(threshold_setting: str, size: int) -> bool:
    """Whether work of `size` (rows, projects) is past the setting's threshold and so runs as a job."""
    return size > getattr(settings, threshold_setting)


def wants_page(request) -> bool:
    """A browser asks for HTML (the pages link straight to the files); `?async=1` or an Accept of JSON
    asks for the job's document."""
    if request.GET.get("async", "").lower() in {"1", "true", "yes"}:
        return False
    accept = request.headers.get("Accept", "")
    return "text/html" in accept and "application/json" not in accept


def job_document(job: Job, request=None) -> dict:
    url = reverse("api_job", args=[job.pk])
    page = reverse("jobs:detail", args=[job.pk])
    return {
        "job": job.pk,
        "kind": job.kind,
        "status": job.status,
        "status_label": job.get_status_display(),
        "progress": {"done": job.progress_done, "total": job.progress_total},
        "url": request.build_absolute_uri(url) if request is not None else url,
        "page": request.build_absolute_uri(page) if request is not None else page,
        "download": (
            request.build_absolute_uri(reverse("api_job_download", args=[job.pk]))
            if request is not None and job.file_name
            else None
        ),
        "error": job.error or None,
        "result": job.result or None,
        "created_at": job.created_at.isoformat() if job.created_at else None,
        "finished_at": job.finished_at.isoformat() if job.finished_at else None,
    }


def job_answer(request, job: Job):
    """The answer to the request that submitted `job`."""
    if wants_page(request):
        return HttpResponseRedirect(reverse("jobs:detail", args=[job.pk]), status=303)
    response = JsonResponse(job_document(job, request), status=202)
    response["Location"] = reverse("api_job", args=[job.pk])
    return response
