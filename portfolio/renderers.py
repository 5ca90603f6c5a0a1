"""The form renderer: Django's, with select boxes written in Python.

Django draws a select through three templates, one of them included once per option and another once per
option's attributes. On the library's filter form (the units, districts, stages and the rest) those includes
were about a quarter of the page's time. `select_html` writes the same markup, byte for byte, as
django/forms/widgets/select.html with select_option.html and attrs.html; every other widget keeps its
template.
"""

from django.forms.renderers import DjangoTemplates
from django.utils.html import conditional_escape
from django.utils.safestring import mark_safe

SELECT = "django/forms/widgets/select.html"
OPTION = "django/forms/widgets/select_option.html"


def _attrs(attrs: dict) -> str:
    # attrs.html: False leaves the attribute out, True writes its bare name.
    return "".join(
        f" {name}" if value is True else f' {name}="{conditional_escape(str(value))}"'
        for name, value in attrs.items()
        if value is not False
    )


def select_html(widget: dict) -> str:
    parts = [f'<select name="{conditional_escape(widget["name"])}"{_attrs(widget["attrs"])}>']
    for group_name, options, _index in widget["optgroups"]:
        if group_name:
            parts.append(f'\n  <optgroup label="{conditional_escape(group_name)}">')
        for option in options:
            parts.append(
                f'\n  <option value="{conditional_escape(str(option["value"]))}"{_attrs(option["attrs"])}>'
                f"{conditional_escape(option['label'])}</option>\n"
            )
        if group_name:
            parts.append("\n  </optgroup>")
    parts.append("\n</select>")
    return "".join(parts)


class FormRenderer(DjangoTemplates):
    def render(self, template_name, context, request=None):
        widget = context.get("widget")
        if template_name == SELECT and all(
            option["template_name"] == OPTION for _, options, _ in widget["optgroups"] for option in options
        ):
            return mark_safe(select_html(widget))
        return super().render(template_name, context, request)
