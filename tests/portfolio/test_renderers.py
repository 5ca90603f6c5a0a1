"""The form renderer writes select boxes in Python: the markup must be Django's own, byte for byte."""

import pytest
from django import forms
from django.conf import settings
from django.forms.renderers import DjangoTemplates
from django.test import RequestFactory

from portfolio.renderers import FormRenderer
from projects.filtersets import ProjectFilterSet
from projects.models import Project
from tests.factories import UnitFactory


class Everything(forms.Form):
    plain = forms.ChoiceField(choices=[("", "全部"), ("a", "甲"), ("b", 'B & "乙" <b>')])
    grouped = forms.ChoiceField(
        choices=[("", "---"), ("河湖", [("river", "美丽河湖"), ("lake", "湖")]), ("other", "其他")]
    )
    many = forms.MultipleChoiceField(choices=[("1", "一"), ("2", "二"), ("3", "三")])
    flagged = forms.NullBooleanField()
    styled = forms.ChoiceField(
        choices=[("x", "X")],
        widget=forms.Select(
            attrs={"class": "form-select", "disabled": True, "hidden": False, "data-v": 'a"b'}
        ),
    )


def rendered(form, renderer) -> dict[str, str]:
    form.renderer = renderer
    return {name: str(form[name]) for name in form.fields}


def test_the_renderer_is_the_projects():
    assert settings.FORM_RENDERER == "portfolio.renderers.FormRenderer"


@pytest.mark.parametrize(
    "data",
    [
        None,
        {"plain": "b", "grouped": "lake", "many": ["1", "3"], "flagged": "true", "styled": "x"},
        {"plain": "nonsense", "grouped": "other", "many": ["2"], "flagged": "false"},
    ],
)
def test_select_boxes_match_djangos_templates(data):
    ours = rendered(Everything(data), FormRenderer())
    django = rendered(Everything(data), DjangoTemplates())
    assert ours == django
    chosen = '<option value="b" selected>B &amp; &quot;乙&quot; &lt;b&gt;</option>'
    assert (chosen in ours["plain"]) == (data is not None and data["plain"] == "b")
    assert '<optgroup label="河湖">' in ours["grouped"]


@pytest.mark.django_db
def test_the_librarys_filter_form_matches_djangos_templates(city_user):
    UnitFactory.create_batch(3)
    request = RequestFactory().get(
        "/projects/", {"district": "440112", "stage": "implementation", "sort": "-code"}
    )
    request.user = city_user
    filterset = ProjectFilterSet(request.GET, queryset=Project.objects.all(), request=request)
    ours = rendered(filterset.form, FormRenderer())
    assert ours == rendered(filterset.form, DjangoTemplates())
    assert '<option value="implementation" selected>实施</option>' in ours["stage"]


def test_a_select_with_its_own_option_template_keeps_it():
    class Custom(forms.Select):
        option_template_name = "django/forms/widgets/input_option.html"

    class CustomForm(forms.Form):
        choice = forms.ChoiceField(choices=[("a", "甲")], widget=Custom)

    assert rendered(CustomForm(), FormRenderer()) == rendered(CustomForm(), DjangoTemplates())
