"""The jobs' pages: a user's recent jobs, one job's progress (refreshed by htmx while it runs), its file."""

from django.http import FileResponse
from django.shortcuts import render

from portfolio import access

from . import selectors


@access.role_required(roles=access.ROLES)
def job_list(request):
    return render(request, "jobs/list.html", {"jobs": selectors.job_list(user=request.user)})


@access.role_required(roles=access.ROLES)
def job_detail(request, pk):
    job = selectors.job_get(user=request.user, pk=pk)
    if request.htmx:
        return render(request, "jobs/_status.html", {"job": job})
    return render(request, "jobs/detail.html", {"job": job})


@access.role_required(roles=access.ROLES)
def job_download(request, pk):
    job, handle = selectors.job_file(user=request.user, pk=pk)
    return FileResponse(
        handle, as_attachment=True, filename=job.download_name or None, content_type=job.content_type or None
    )
