"""get_FOO_display from the table ChoiceLabels keeps: the labels Django's own method gives, for every value
of every choice field of the library's models."""

import pytest
from django.apps import apps
from django.db import models
from django.utils import translation

from portfolio.labels import ChoiceLabels

APPS = ("projects", "financing", "portfolio")


def choice_fields():
    for app in APPS:
        for model in apps.get_app_config(app).get_models():
            for field in model._meta.concrete_fields:
                if field.choices:
                    yield model, field


def test_every_model_with_choices_reads_the_table():
    missing = sorted({model.__name__ for model, _ in choice_fields() if not issubclass(model, ChoiceLabels)})
    assert missing == []
    assert len(list(choice_fields())) > 20


@pytest.mark.parametrize("language", ["zh-hans", "en"])
def test_labels_equal_djangos_for_every_value(language):
    with translation.override(language):
        for model, field in choice_fields():
            display = getattr(model, f"get_{field.name}_display")
            for value, _ in field.flatchoices:
                instance = model(**{field.attname: value})
                assert display(instance) == models.Model._get_FIELD_display(instance, field), (model, field)
                assert isinstance(display(instance), str)


def test_a_value_outside_the_choices_is_shown_as_it_is():
    model, field = next(choice_fields())
    instance = model(**{field.attname: "不在选项中"})
    assert getattr(instance, f"get_{field.name}_display")() == "不在选项中"
    instance = model(**{field.attname: None})
    assert getattr(instance, f"get_{field.name}_display")() is None
