"""The writes of a project's documents (附件): upload and delete, each with its audit entry.

A file is stored through `default_storage` (the filesystem under MEDIA_ROOT, or an S3-compatible bucket:
README, "Documents and storage") under a random name with the extension of its detected type; nothing is
stored for a refused file, and a stored file whose row could not be written is removed again."""

import hashlib
import secrets

from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.storage import default_storage
from django.db import transaction
from django.utils.translation import gettext as _

from portfolio.audit import audit_record, snapshot

from .. import documents
from ..models import Project
from ..models.preparation import Document, Procedure, document_path
from ..selectors.documents import document_delete_refusal, document_upload_refusal


def _state(document: Document) -> dict:
    """The document as its audit entries keep it: every field, the file by its name in storage."""
    state = snapshot(document)
    state["file"] = document.file.name
    return state


def _digest(upload) -> str:
    sha = hashlib.sha256()
    upload.seek(0)
    for chunk in upload.chunks() if hasattr(upload, "chunks") else iter(lambda: upload.read(65536), b""):
        sha.update(chunk)
    upload.seek(0)
    return sha.hexdigest()


def document_upload(
    *,
    acting_user,
    project: Project,
    file,
    kind: str,
    title: str = "",
    original_name: str | None = None,
    procedure: Procedure | None = None,
    funding_line=None,
    loan=None,
) -> Document:
    """Keep `file` with `project` (optionally with one of its procedures, funding lines or loans).

    `original_name` is the name as the browser sent it (projects.documents.sent_name), path and all; the
    upload's own name when not given. Its type comes from its content (projects.documents.detect)."""
    stored: list[str] = []
    try:
        return _document_upload(
            acting_user=acting_user,
            project=project,
            file=file,
            kind=kind,
            title=title,
            original_name=original_name if original_name is not None else getattr(file, "name", None),
            procedure=procedure,
            funding_line=funding_line,
            loan=loan,
            stored=stored,
        )
    except BaseException:
        # The row was not written (or its transaction rolled back): the file goes too.
        for name in stored:
            default_storage.delete(name)
        raise


@transaction.atomic
def _document_upload(
    *, acting_user, project, file, kind, title, original_name, procedure, funding_line, loan, stored
) -> Document:
    project = Project.objects.select_for_update().get(pk=project.pk)
    refusal = document_upload_refusal(user=acting_user, project=project)
    if refusal:
        raise PermissionDenied(refusal)
    if file is None:
        raise ValidationError({"file": _("请选择要上传的文件。")})
    detected = documents.detect(file, name=original_name)
    attached = [related for related in (procedure, funding_line, loan) if related is not None]
    if len(attached) > 1:
        raise ValidationError(_("附件最多关联一项前期手续、资金来源或贷款。"))
    title = (title or "").strip() or original_name.rsplit(".", 1)[0][:200]
    document = Document(
        project=project,
        procedure=procedure,
        funding_line=funding_line,
        loan=loan,
        kind=kind,
        title=title,
        stored_name=f"{secrets.token_hex(16)}{detected.extension}",
        original_name=original_name,
        size=file.size,
        content_type=detected.content_type,
        sha256=_digest(file),
        uploaded_by=acting_user,
    )
    # Every rule of the row before anything is stored.
    document.full_clean(exclude=["file"])
    file.seek(0)
    name = default_storage.save(document_path(document, document.stored_name), file)
    stored.append(name)
    document.file.name = name
    document.full_clean()
    document.save(force_insert=True)
    audit_record(
        actor=acting_user,
        action="document_upload",
        instance=document,
        before=None,
        after=_state(document),
        project=project,
    )
    return document


@transaction.atomic
def document_delete(*, acting_user, document: Document) -> None:
    """Delete a document (city staff only): the audit entry keeps its title, SHA-256, size and names; the
    file leaves storage once the deletion is committed."""
    refusal = document_delete_refusal(user=acting_user)
    if refusal:
        raise PermissionDenied(refusal)
    project = Project.objects.select_for_update().get(pk=document.project_id)
    document = Document.objects.select_for_update().get(pk=document.pk)
    name, before, pk = document.file.name, _state(document), document.pk
    document.delete()
    document.pk = pk  # the entry names the record it was
    audit_record(
        actor=acting_user,
        action="document_delete",
        instance=document,
        before=before,
        after={},
        project=project,
    )
    transaction.on_commit(lambda: default_storage.delete(name))
