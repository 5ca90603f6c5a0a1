"""Schemathesis over every API operation, in-process through the WSGI application (no network), as a city
staff user and as a district user: no 5xx, and every response conforms to the OpenAPI schema.

Each operation's Hypothesis strategy is driven from an ordinary test, so the run does not depend on the
schemathesis pytest plugin. The number of generated cases is printed at the end of the test session. The
operations are dealt into SHARDS tests per role (every SHARDS-th operation of the schema's order), so that
the parallel workers share the two or three minutes the whole schema takes instead of one worker running it.
"""

import os

import pytest
import schemathesis
from django.core.signals import request_finished, request_started
from django.db import close_old_connections
from hypothesis import HealthCheck, given, settings
from hypothesis.errors import Unsatisfiable
from rest_framework.authtoken.models import Token
from schemathesis.generation import GenerationMode
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from portfolio.wsgi import application
from tests.factories import (
    DisbursementFactory,
    FundingLineFactory,
    LoanFactory,
    MilestoneFactory,
    ProjectFactory,
    RepaymentFactory,
    UnitFactory,
    UserFactory,
    district,
)

pytestmark = pytest.mark.django_db
CHECKS = [
    schemathesis.checks.not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
]
EXAMPLES = int(os.environ.get("SCHEMATHESIS_EXAMPLES", "20"))
# The same cases on every run, so that a failure in CI reproduces; SCHEMATHESIS_RANDOM=1 explores afresh.
DERANDOMIZE = os.environ.get("SCHEMATHESIS_RANDOM") != "1"
GENERATED: dict[str, int] = {}
SHARDS = 4


@pytest.fixture(autouse=True)
def keep_the_test_connection():
    """Requests go straight into the WSGI app; as Django's test client does, keep it from closing the
    test's database connection at the end of each request."""
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    yield
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


def library():
    """A little of everything, in two districts, so that generated ids sometimes hit real records."""
    for code in ("440112", "440104"):
        project = ProjectFactory(district=district(code), review_status="accepted")
        UnitFactory(district=district(code))
        MilestoneFactory(project=project)
        FundingLineFactory(project=project)
        loan = LoanFactory(project=project)
        DisbursementFactory(loan=loan)
        RepaymentFactory(loan=loan)


def exercise(user, role: str, shard: int) -> None:
    library()
    headers = {"Authorization": f"Token {Token.objects.create(user=user).key}"}
    schema = schemathesis.openapi.from_wsgi("/api/schema/?format=json", application, headers=headers)
    failures, operations, exercised = [], 0, 0
    for index, result in enumerate(schema.get_all_operations()):
        operation = result.ok()
        operations += 1
        if index % SHARDS != shard:
            continue
        exercised += 1
        for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):

            @settings(
                max_examples=EXAMPLES,
                deadline=None,
                suppress_health_check=list(HealthCheck),
                database=None,
                derandomize=DERANDOMIZE,
            )
            @given(case=operation.as_strategy(generation_mode=mode))
            def check(case):
                GENERATED[role] = GENERATED.get(role, 0) + 1
                case.call_and_validate(headers=headers, checks=CHECKS)

            try:
                check()
            except Unsatisfiable:
                pass  # nothing to make invalid (an operation without parameters or body): no negative cases
            except Exception as error:  # collect every operation's failure, then report them together
                label = f"{operation.method.upper()} {operation.path}"
                failures.append(f"{label} [{mode.value}]: {str(error)[:600]}")
    assert operations >= 38
    assert exercised >= operations // SHARDS
    assert failures == [], "\n\n".join(failures)


@pytest.mark.parametrize("shard", range(SHARDS))
def test_api_as_city_staff(shard):
    exercise(UserFactory(username="st_city", role="city_staff"), "city_staff", shard)


@pytest.mark.parametrize("shard", range(SHARDS))
def test_api_as_district_user(shard):
    user = UserFactory(username="st_hp", role="district_user", district_code="440112")
    exercise(user, "district_user", shard)
