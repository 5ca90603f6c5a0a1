"""Pages of a project's documents (附件): upload, download, delete. Reads are scoped through
.visible_to(user) (another district's document is a 404); writes go through projects.services.documents.

A file is never served from a public URL: the download view checks the scope and sends the stored file as
an attachment, with its stored type and `nosniff`."""

from functools import wraps

from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.core.files.storage import default_storage
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.csrf import csrf_exempt, csrf_protect

from financing.models import FundingLine, Loan
from portfolio import access
from portfolio.forms import BootstrapMixin, write_form

from ..choices import DocumentKind
from ..documents import attachment_response, parse_keeping_names, path_refusal, sent_name
from ..models.preparation import DOCUMENT_MAX_BYTES, Document, Procedure
from ..selectors.documents import document_upload_refusal
from ..services import documents as services
from .project import visible_project


def keeps_file_names(view):
    """Parse the view's multipart POST keeping the file names as sent (projects.documents), before the
    CSRF check reads the form; the check then runs as usual."""
    protected = csrf_protect(view)

    @wraps(view)
    def wrapper(request, *args, **kwargs):
        parse_keeping_names(request)
        return protected(request, *args, **kwargs)

    return csrf_exempt(wrapper)


class DocumentForm(BootstrapMixin, forms.Form):
    file = forms.FileField(
        label=gettext_lazy("文件"),
        help_text=gettext_lazy("PDF、OFD、JPEG、PNG、DOCX、XLSX，每个不超过 20 MB。"),
        widget=forms.ClearableFileInput(attrs={"accept": ".pdf,.ofd,.jpg,.jpeg,.png,.docx,.xlsx"}),
    )
    kind = forms.ChoiceField(label=gettext_lazy("类型"), choices=DocumentKind.choices)
    title = forms.CharField(
        label=gettext_lazy("标题"),
        max_length=200,
        required=False,
        help_text=gettext_lazy("不填则用文件名。"),
    )
    procedure = forms.ModelChoiceField(
        label=gettext_lazy("关联前期手续"), queryset=Procedure.objects.none(), required=False
    )
    funding_line = forms.ModelChoiceField(
        label=gettext_lazy("关联资金来源"), queryset=FundingLine.objects.none(), required=False
    )
    loan = forms.ModelChoiceField(
        label=gettext_lazy("关联贷款"), queryset=Loan.objects.none(), required=False
    )

    def __init__(self, *args, project, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["procedure"].queryset = Procedure.objects.filter(project=project).order_by("kind")
        self.fields["procedure"].label_from_instance = lambda p: p.get_kind_display()
        self.fields["funding_line"].queryset = FundingLine.objects.filter(project=project).order_by(
            "source_type", "year", "pk"
        )
        self.fields["loan"].queryset = Loan.objects.filter(project=project).select_related("lender")
        self.fields["loan"].label_from_instance = lambda loan: loan.lender.name
        self.style()

    def clean(self):
        data = super().clean()
        if sum(1 for name in ("procedure", "funding_line", "loan") if data.get(name)) > 1:
            raise forms.ValidationError(_("附件最多关联一项前期手续、资金来源或贷款。"))
        return data


@keeps_file_names
@access.role_required
def document_upload(request, pk):
    project = visible_project(request, pk)
    refusal = document_upload_refusal(user=request.user, project=project)
    if refusal:
        raise PermissionDenied(refusal)
    form = DocumentForm(request.POST or None, request.FILES or None, project=project)
    names = getattr(request, "raw_file_names", [])
    refused = path_refusal(names) if request.method == "POST" else None
    if refused:
        # Django cut the path off (or dropped the file): refused with the name as sent, nothing stored.
        form.is_valid()
        form.add_error("file", refused)
    document = write_form(
        request,
        form,
        lambda data: services.document_upload(
            acting_user=request.user,
            project=project,
            file=data["file"],
            kind=data["kind"],
            title=data["title"],
            original_name=sent_name(names, data["file"]),
            procedure=data["procedure"],
            funding_line=data["funding_line"],
            loan=data["loan"],
        ),
    )
    if document is not None:
        messages.success(request, _("附件“%(title)s”已上传。") % {"title": document.title})
        return redirect(f"{project.get_absolute_url()}#documents")
    context = {"form": form, "project": project, "max_mb": DOCUMENT_MAX_BYTES // (1024 * 1024)}
    return render(request, "projects/documents/upload.html", context, status=400 if form.errors else 200)


def _visible_document(request, pk) -> Document:
    documents = Document.objects.visible_to(request.user).select_related("project__district", "uploaded_by")
    return get_object_or_404(documents, pk=pk)


@access.role_required
def document_download(request, pk):
    document = _visible_document(request, pk)
    try:
        handle = default_storage.open(document.file.name, "rb")
    except (FileNotFoundError, OSError) as missing:
        raise Http404(_("附件的文件已不在存储中。")) from missing
    return attachment_response(handle, document)


@access.role_required
def document_delete(request, pk):
    document = _visible_document(request, pk)
    refusal = services.document_delete_refusal(user=request.user)
    if refusal:
        raise PermissionDenied(refusal)
    if request.method == "POST" and request.POST.get("confirm") == "yes":
        services.document_delete(acting_user=request.user, document=document)
        messages.success(request, _("附件“%(title)s”已删除。") % {"title": document.title})
        return redirect(f"{document.project.get_absolute_url()}#documents")
    context = {"document": document, "project": document.project}
    return render(request, "projects/documents/delete.html", context)
