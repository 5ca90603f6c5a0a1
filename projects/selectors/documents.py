"""Reads of the documents kept with projects, through the user's scope: the API's list and the project
page's 附件 card."""

import django_filters
from django.db.models import QuerySet
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from financing.models import FundingLine, Loan
from portfolio import access
from portfolio.filters import IdFilter, ScopedFilterSet, filtered

from ..choices import DocumentKind
from ..models import District
from ..models.preparation import DOCUMENT_MAX_BYTES, Document, Procedure


class DocumentFilterSet(ScopedFilterSet):
    project = IdFilter(field_name="project_id", label=_("项目"))
    district = django_filters.ModelChoiceFilter(
        field_name="project__district", queryset=District.objects.all(), label=_("区")
    )
    kind = django_filters.ChoiceFilter(choices=DocumentKind.choices, label=_("类型"))
    procedure = IdFilter(field_name="procedure_id", label=_("前期手续"))

    class Meta:
        model = Document
        fields = []


def document_upload_refusal(*, user, project) -> str | None:
    """Why `user` may not upload to `project`: city staff may to any project, a district user to its own
    district's; finance and banks never."""
    role = access.role_of(user)
    if role == access.CITY_STAFF:
        return None
    if role == access.DISTRICT_USER and access.district_code_of(user) == project.district_id:
        return None
    return gettext("您的角色无权上传该项目的附件。")


def document_delete_refusal(*, user) -> str | None:
    return None if access.role_of(user) == access.CITY_STAFF else gettext("只有市项目办可以删除附件。")


def document_list(*, user, params=None, strict: bool = True) -> QuerySet:
    """The documents `user` may see (no bank sees any), newest first."""
    documents = (
        Document.objects.visible_to(user)
        .select_related("uploaded_by")
        .order_by("project_id", "-uploaded_at", "-pk")
    )
    return filtered(DocumentFilterSet, params, documents, user=user, strict=strict)


def attached_label(document: Document) -> str:
    """What a document is kept with, besides its project: a procedure, a funding line or a loan."""
    if document.procedure_id:
        return str(document.procedure.get_kind_display())
    if document.funding_line_id:
        return str(document.funding_line)
    if document.loan_id:
        return gettext("贷款：%(lender)s") % {"lender": document.loan.lender.name}
    return ""


def documents_panel(*, user, project) -> dict:
    """What the project page's 附件 card shows, and what `user` may do there: the documents with what each
    is attached to, and for an editor the records of the project a new one may be attached to. A fixed
    number of queries, however many documents there are."""
    documents = list(
        Document.objects.filter(project=project)
        .select_related("uploaded_by", "procedure", "funding_line", "loan__lender")
        .order_by("-uploaded_at", "-pk")
    )
    for document in documents:
        document.attached_to = attached_label(document)
    can_upload = document_upload_refusal(user=user, project=project) is None
    panel = {
        "project": project,
        "documents": documents,
        "can_upload": can_upload,
        "can_delete": document_delete_refusal(user=user) is None,
        "max_mb": DOCUMENT_MAX_BYTES // (1024 * 1024),
    }
    if can_upload:
        panel["kinds"] = DocumentKind.choices
        panel["procedures"] = list(Procedure.objects.filter(project=project).order_by("kind"))
        panel["funding_lines"] = list(
            FundingLine.objects.filter(project=project).order_by("source_type", "year", "pk")
        )
        panel["loans"] = list(Loan.objects.filter(project=project).select_related("lender").order_by("pk"))
    return panel
