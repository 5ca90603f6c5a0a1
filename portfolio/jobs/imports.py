"""The batch imports' work as background jobs: the file waits in storage, the job checks and writes every
row as its owner (all rows or none, as on the page and in the API) and keeps what the page shows: how many
were written, or every row's errors."""

import datetime

from django.core.exceptions import PermissionDenied
from django.core.files import File
from django.core.files.storage import default_storage
from django.utils.translation import gettext as _

from projects import imports as project_imports
from projects import report_imports

from .services import JobFailure, Outcome


def _opened(name: str):
    handle = default_storage.open(name, "rb")
    upload = File(handle, name=name.rsplit("/", 1)[-1])
    upload.size = default_storage.size(name)
    return upload


def _run(job, progress, do):
    """`do(upload)` on the job's stored file, which is removed whatever the outcome: a failed import is
    uploaded again, corrected."""
    name = job.params["file"]
    if not default_storage.exists(name):
        raise JobFailure(_("待导入的文件已失效，请重新上传。"))
    progress(0, job.progress_total)
    try:
        with _opened(name) as upload:
            result = do(upload)
    except project_imports.ImportFileError as error:
        raise JobFailure(str(error)) from error
    except PermissionDenied as error:
        raise JobFailure(str(error) or _("您的角色无权进行此操作。")) from error
    finally:
        default_storage.delete(name)
    if not result.ok:
        raise JobFailure(
            _("文件中有 %(n)d 处错误，未导入任何行。请改正后重新上传。") % {"n": len(result.errors)},
            result={"errors": result.errors},
        )
    return result


def run_projects_import(job, progress) -> Outcome:
    result = _run(
        job, progress, lambda upload: project_imports.import_projects(upload, user=job.owner, commit=True)
    )
    return Outcome(
        result={
            "created": len(result.created),
            "projects": [
                {"row": row["row"], "code": row["code"], "name": row["name"], "id": project.pk}
                for project, row in zip(result.created, result.rows, strict=True)
            ],
        }
    )


def run_reports_import(job, progress) -> Outcome:
    period = datetime.date.fromisoformat(job.params["period"])
    result = _run(
        job,
        progress,
        lambda upload: report_imports.import_reports(upload, user=job.owner, period=period, commit=True),
    )
    return Outcome(
        result={
            "period": f"{period:%Y-%m}",
            "created": len(result.created),
            "updated": len(result.updated),
            "unchanged": result.count("unchanged"),
        }
    )
