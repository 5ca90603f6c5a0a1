"""Schemathesis over the 申报 operations only (batches, batch entries, the batch export, a project's
readiness), with batches and entries in place so that generated ids hit real records: no 5xx, and every
answer conforms to the schema. tests/portfolio/test_api_schema.py runs every operation; this one runs
these more often and fast."""

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from hypothesis.errors import Unsatisfiable
from rest_framework.authtoken.models import Token
from schemathesis.generation import GenerationMode

from portfolio.wsgi import application
from tests.factories import BatchEntryFactory, BatchFactory, UserFactory, district
from tests.financing.test_readiness import ready_project
from tests.portfolio.test_api_schema import CHECKS, keep_the_test_connection  # noqa: F401

pytestmark = pytest.mark.django_db
MINE = ("batch", "readiness")


def exercise(user) -> None:
    for code in ("440112", "440104"):
        BatchEntryFactory(batch=BatchFactory(), project=ready_project(district=district(code)))
    headers = {"Authorization": f"Token {Token.objects.create(user=user).key}"}
    schema = schemathesis.openapi.from_wsgi("/api/schema/?format=json", application, headers=headers)
    failures, operations = [], 0
    for result in schema.get_all_operations():
        operation = result.ok()
        if not any(word in operation.path for word in MINE):
            continue
        operations += 1
        for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):

            @settings(
                max_examples=25,
                deadline=None,
                suppress_health_check=list(HealthCheck),
                database=None,
                derandomize=True,
            )
            @given(case=operation.as_strategy(generation_mode=mode))
            def check(case):
                case.call_and_validate(headers=headers, checks=CHECKS)

            try:
                check()
            except Unsatisfiable:
                pass
            except Exception as error:
                failures.append(
                    f"{operation.method.upper()} {operation.path} [{mode.value}]: {str(error)[:800]}"
                )
    assert operations >= 12
    assert failures == [], "\n\n".join(failures)


def test_readiness_api_as_city_staff():
    exercise(UserFactory(username="rs_city", role="city_staff"))


def test_readiness_api_as_district_user():
    exercise(UserFactory(username="rs_hp", role="district_user", district_code="440112"))
