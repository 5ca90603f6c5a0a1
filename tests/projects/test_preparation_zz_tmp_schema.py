import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from hypothesis.errors import Unsatisfiable
from rest_framework.authtoken.models import Token
from schemathesis.generation import GenerationMode

from portfolio.wsgi import application
from tests.factories import ProcedureFactory, ProjectFactory, UserFactory, district
from tests.portfolio.test_api_schema import CHECKS, keep_the_test_connection  # noqa: F401

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("role", ["city_staff", "district_user"])
def test_fuzz(role):
    user = UserFactory(username="f", role=role, district_code="440112" if role == "district_user" else None)
    for code in ("440112", "440104"):
        p = ProjectFactory(district=district(code), review_status="accepted")
        ProcedureFactory(project=p, kind="land")
    headers = {"Authorization": f"Token {Token.objects.create(user=user).key}"}
    schema = schemathesis.openapi.from_wsgi("/api/schema/?format=json", application, headers=headers)
    failures = []
    n = 0
    for result in schema.get_all_operations():
        operation = result.ok()
        if "procedures" not in operation.path:
            continue
        n += 1
        for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):

            @settings(max_examples=150, deadline=None, suppress_health_check=list(HealthCheck), database=None)
            @given(case=operation.as_strategy(generation_mode=mode))
            def check(case):
                case.call_and_validate(headers=headers, checks=CHECKS)

            try:
                check()
            except Unsatisfiable:
                pass
            except Exception as error:
                failures.append(f"{operation.method} {operation.path} [{mode.value}]: {str(error)[:1500]}")
    assert n >= 4
    assert failures == [], "\n\n".join(failures)
