"""The page of one preparatory procedure of a project: its status, number, date and authority."""

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _

from portfolio import access
from portfolio.forms import write_form

from ..choices import ProcedureKind
from ..forms import ProcedureForm
from ..models import Procedure
from ..services import preparation as preparation_services
from .project import visible_project


@access.role_required
def procedure_edit(request, pk, kind):
    """Record the procedure of `kind` of the project `pk`: a kind without a row yet starts as 未办理."""
    project = visible_project(request, pk)
    if kind not in ProcedureKind.values:
        raise Http404(_("未知的前期手续。"))
    refusal = preparation_services.procedure_edit_refusal(user=request.user, project=project)
    if refusal:
        raise PermissionDenied(refusal)
    procedure = Procedure.objects.filter(project=project, kind=kind).first()
    form = ProcedureForm(request.POST or None, instance=procedure)
    saved = write_form(
        request,
        form,
        lambda data: preparation_services.procedure_record(
            acting_user=request.user, project=project, kind=kind, **data
        ),
    )
    if saved is not None:
        messages.success(
            request,
            _("前期手续已保存：%(kind)s（%(status)s）")
            % {
                "kind": saved.get_kind_display(),
                "status": saved.get_status_display(),
            },
        )
        return redirect(reverse("projects:project_detail", args=[project.pk]) + "#procedures")
    context = {
        "form": form,
        "project": project,
        "kind_label": ProcedureKind(kind).label,
        "procedure": procedure,
    }
    return render(request, "projects/preparation/procedure_form.html", context)
