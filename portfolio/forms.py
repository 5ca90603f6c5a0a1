"""Form and view helpers that every app's pages share."""

from django import forms
from django.core.exceptions import ValidationError

PAGE_SIZES = (20, 50, 100)


class DateInput(forms.DateInput):
    input_type = "date"

    def __init__(self, **kwargs):
        super().__init__(format="%Y-%m-%d", **kwargs)


class BootstrapMixin:
    def style(self):
        for field in self.fields.values():
            widget = field.widget
            if isinstance(widget, forms.CheckboxInput):
                widget.attrs.setdefault("class", "form-check-input")
            elif isinstance(widget, forms.Select):
                widget.attrs.setdefault("class", "form-select")
            else:
                widget.attrs.setdefault("class", "form-control")


class ServiceValidatedForm(BootstrapMixin, forms.ModelForm):
    """Shapes the input only; the service validates the record (scope, uniqueness, cross-field rules) and
    reports back."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.style()

    def _post_clean(self):
        pass


def style_filters(form, *, everything: str | None = None, names=None) -> None:
    """A list's filter form in small Bootstrap controls. With `everything` (全部), the empty choice of each
    choice field among `names` (all of them without names) reads so."""
    for name, field in form.fields.items():
        if everything is not None and hasattr(field, "choices") and (names is None or name in names):
            if hasattr(field, "empty_label"):
                field.empty_label = everything
            field.widget.choices = [("", everything), *(c for c in field.choices if c[0] not in ("", None))]
        select = isinstance(field.widget, forms.Select)
        field.widget.attrs.setdefault(
            "class", "form-select form-select-sm" if select else "form-control form-control-sm"
        )


def show_errors(form, error: ValidationError) -> None:
    """Put a service's ValidationError on the form: beside its field when the form has one."""
    if hasattr(error, "error_dict"):
        for field, errors in error.error_dict.items():
            form.add_error(field if field in form.fields else None, errors)
    else:
        form.add_error(None, error)


def page_size(request) -> int:
    try:
        size = int(request.GET.get("per_page", 50))
    except ValueError:
        return 50
    return size if size in PAGE_SIZES else 50


def query_without(request, *names) -> str:
    query = request.GET.copy()
    for name in names:
        query.pop(name, None)
    return query.urlencode()


def posted_version(request) -> int | None:
    try:
        return int(request.POST["version"])
    except (KeyError, ValueError):
        return None


def write_form(request, form, write):
    """For a POSTed, valid `form`: the result of `write(form.cleaned_data)`, the one service call a page
    makes; None when nothing was written (not posted, invalid, or refused by the service, whose errors are
    then on the form, beside their fields)."""
    if request.method != "POST" or not form.is_valid():
        return None
    try:
        return write(form.cleaned_data)
    except ValidationError as error:
        show_errors(form, error)
        return None
