"""The check constraints evaluated in Python agree with the database on every model that has them."""

import datetime
import random
from decimal import Decimal

import pytest
from django.apps import apps
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import CheckConstraint, Q

from portfolio.constraints import NeedsDatabase, evaluate, validate_checks
from projects.models import Project
from tests.factories import district

pytestmark = pytest.mark.django_db
CHECKED = [
    model
    for model in apps.get_models()
    if model._meta.app_label in ("projects", "financing", "portfolio")
    and any(isinstance(c, CheckConstraint) for c in model._meta.constraints)
]
SAMPLES = {
    models.DecimalField: [Decimal("-1"), Decimal(0), Decimal("0.01"), Decimal("99.99"), Decimal(100)],
    models.IntegerField: [-1, 0, 1, 12, 1999, 2000, 2025, 2100, 2101, 600, 601],
    models.DateField: [datetime.date(1989, 12, 31), datetime.date(2025, 1, 1), datetime.date(2101, 1, 1)],
    models.BooleanField: [True, False],
}
TEXTS = ["", "x", "2020-440112-77-01-123456", "2020-44011-77-01-123456", "91440101MA5CXXXX0X"]


def samples(field):
    """A few values for `field`: the edges of what the constraints test, valid codes and wrong ones."""
    values = []
    for kind, pool in SAMPLES.items():
        if isinstance(field, kind):
            values = list(pool)
    if isinstance(field, models.CharField | models.TextField):
        values = [*TEXTS, *(value for value, _label in field.choices or [])]
    if field.is_relation:
        values = [1, 2]
    if field.null:
        values.append(None)
    return values


@pytest.mark.parametrize("model", CHECKED, ids=lambda m: m.__name__)
def test_python_and_database_agree(model):
    rng = random.Random(model.__name__)
    fields = [f for f in model._meta.concrete_fields if not f.primary_key and samples(f)]
    checks = [c for c in model._meta.constraints if isinstance(c, CheckConstraint)]
    compared = 0
    for _case in range(60):
        instance = model(**{f.attname: rng.choice(samples(f)) for f in fields})
        for constraint in checks:
            try:
                here = evaluate(instance, constraint.condition) is not False
            except NeedsDatabase:
                continue
            try:
                constraint.validate(model, instance)
                there = True
            except ValidationError:
                there = False
            assert here == there, (constraint.name, {f.attname: getattr(instance, f.attname) for f in fields})
            compared += 1
    assert compared >= 60 * len(checks) // 2


def test_every_broken_rule_is_reported_with_its_message():
    project = Project(
        code="X",
        name="x",
        district=district(),
        category="nonsense",
        total_investment=-1,
        start_year=2030,
        end_year=2029,
    )
    with pytest.raises(ValidationError) as caught:
        validate_checks(project)
    messages = caught.value.messages
    assert len(messages) == 3 and "project_category_valid" in messages[-1]
    assert messages[:2] == ["总投资不能为负数。", "计划完工年份不能早于计划开工年份。"]


def test_what_it_cannot_read_goes_to_the_database():
    project = Project(name="碧道", start_year=2025, end_year=2026)
    with pytest.raises(NeedsDatabase):
        evaluate(project, Q(name__icontains="碧"))
    assert evaluate(project, Q(start_year__lte=models.F("end_year"))) is True
    assert evaluate(project, ~Q(national_code__isnull=True)) is False
    assert evaluate(project, Q(national_code__regex="^2")) is None  # NULL: unknown, as in SQL
