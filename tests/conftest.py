import pytest

from tests.factories import UserFactory


@pytest.fixture
def city_user(db):
    return UserFactory(username="city_a", role="city_staff", is_staff=True)


@pytest.fixture
def city_reviewer(db):
    return UserFactory(username="city_b", role="city_staff", is_staff=True)


@pytest.fixture
def finance_user(db):
    return UserFactory(username="finance_a", role="finance")


@pytest.fixture
def huangpu_user(db):
    return UserFactory(username="huangpu_a", role="district_user", district_code="440112")


@pytest.fixture
def yuexiu_user(db):
    return UserFactory(username="yuexiu_a", role="district_user", district_code="440104")


@pytest.fixture
def no_role_user(db):
    return UserFactory(username="nobody")


def pytest_terminal_summary(terminalreporter):
    from tests.portfolio.test_api_schema import GENERATED

    if GENERATED:
        counts = ", ".join(f"{role} {n}" for role, n in sorted(GENERATED.items()))
        terminalreporter.write_line(f"schemathesis: {sum(GENERATED.values())} generated cases ({counts})")
