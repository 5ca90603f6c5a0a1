"""A model's check constraints evaluated in Python, for checking many new rows without a query per rule.

Django validates a CheckConstraint with one query per constraint and row (`SELECT 1 WHERE …`). A batch of
thousands of new rows cannot afford that, so the simple conditions our models use (comparisons, `in`,
`isnull`, `regex`, F() of another field, AND/OR/NOT) are evaluated here with SQL's three-valued logic: a
NULL operand makes a comparison unknown, and an unknown condition passes, as in the database. Anything
else is handed back to Django's own validation. The database constraints stay the final word.
"""

import functools
import operator
import re

from django.core.exceptions import ValidationError
from django.db.models import CheckConstraint, F, Q

UNKNOWN = None
_COMPARE = {
    "exact": operator.eq,
    "gt": operator.gt,
    "gte": operator.ge,
    "lt": operator.lt,
    "lte": operator.le,
}


class NeedsDatabase(Exception):
    """The condition uses something this evaluator does not know; Django's own validation decides."""


def _operand(instance, value):
    if isinstance(value, F):
        return _attribute(instance, value.name)
    if hasattr(value, "resolve_expression"):
        raise NeedsDatabase
    return value


def _attribute(instance, name: str):
    return getattr(instance, _attname(type(instance), name))


@functools.cache
def _attname(model, name: str) -> str:
    try:
        field = model._meta.get_field(name)
    except Exception as error:
        raise NeedsDatabase from error
    if not getattr(field, "concrete", False) or "__" in name:
        raise NeedsDatabase
    return field.attname


def _lookup(instance, lookup: str, value):
    name, _sep, kind = lookup.partition("__")
    kind = kind or "exact"
    actual = _attribute(instance, name)
    if kind == "isnull":
        return (actual is None) == bool(value)
    expected = _operand(instance, value)
    if kind == "exact" and value is None:
        return actual is None  # Django reads `field=None` as IS NULL
    if kind == "in":
        if actual is None:
            return UNKNOWN
        return actual in expected
    if kind == "regex":
        if actual is None:
            return UNKNOWN
        return re.search(expected, str(actual)) is not None
    if kind not in _COMPARE:
        raise NeedsDatabase
    if actual is None or expected is None:
        return UNKNOWN
    try:
        return _COMPARE[kind](actual, expected)
    except TypeError as error:
        raise NeedsDatabase from error


def evaluate(instance, condition: Q):
    """True, False or UNKNOWN (None), as the database would find `condition` for `instance`."""
    if not isinstance(condition, Q):
        raise NeedsDatabase
    results = []
    for child in condition.children:
        if isinstance(child, Q):
            results.append(evaluate(instance, child))
        elif isinstance(child, tuple):
            results.append(_lookup(instance, *child))
        else:
            raise NeedsDatabase
    if condition.connector == Q.AND:
        result = False if False in results else (UNKNOWN if UNKNOWN in results else True)
    elif condition.connector == Q.OR:
        result = True if True in results else (UNKNOWN if UNKNOWN in results else False)
    else:
        raise NeedsDatabase
    if condition.negated and result is not UNKNOWN:
        result = not result
    return result


def validate_checks(instance) -> None:
    """Raise the ValidationError of every check constraint `instance` breaks, each with its own message."""
    errors = []
    for constraint in instance._meta.constraints:
        if not isinstance(constraint, CheckConstraint):
            continue
        try:
            broken = evaluate(instance, constraint.condition) is False
        except NeedsDatabase:
            try:
                constraint.validate(type(instance), instance)
            except ValidationError as error:
                errors.extend(error.error_list)
            continue
        if broken:
            errors.append(
                ValidationError(
                    constraint.get_violation_error_message(), code=constraint.violation_error_code
                )
            )
    if errors:
        raise ValidationError(errors)
