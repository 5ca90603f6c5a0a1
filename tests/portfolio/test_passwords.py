"""Argon2 is the hasher new passwords get, and an older hash is upgraded to it at the user's next login,
by the login page and by the API's token endpoint alike."""

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import Argon2PasswordHasher, make_password
from django.test import Client
from rest_framework.test import APIClient

from tests.factories import UserFactory

PASSWORD = "Meili-test-2025"
ARGON2 = "argon2$argon2id$v=19$m=19456,t=2,p=1$"
PRODUCTION_HASHERS = [
    "portfolio.hashers.LibraryArgon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2SHA1PasswordHasher",
    "django.contrib.auth.hashers.ScryptPasswordHasher",
]


@pytest.fixture
def production_hashers(settings):
    settings.PASSWORD_HASHERS = PRODUCTION_HASHERS


def test_the_production_settings_put_argon2_first():
    # portfolio.settings puts MD5 in front only while testing; what follows it is the production list.
    from django.conf import settings

    assert settings.PASSWORD_HASHERS[1:] == PRODUCTION_HASHERS


def pbkdf2_user(username: str):
    user = UserFactory(username=username, role="city_staff")
    user.password = make_password(PASSWORD, hasher="pbkdf2_sha256")
    user.save(update_fields=["password"])
    return user


@pytest.mark.django_db
def test_a_new_password_is_hashed_with_argon2(production_hashers):
    assert make_password(PASSWORD).startswith(ARGON2)


@pytest.mark.django_db
def test_a_pbkdf2_hash_is_upgraded_at_the_next_page_login(production_hashers):
    user = pbkdf2_user("old_hash_page")
    response = Client().post("/accounts/login/", {"username": user.username, "password": PASSWORD})
    assert response.status_code == 302
    stored = get_user_model().objects.get(pk=user.pk).password
    assert stored.startswith(ARGON2)
    # And the upgraded hash still lets the user in.
    again = Client().post("/accounts/login/", {"username": user.username, "password": PASSWORD})
    assert again.status_code == 302 and again["Location"] == "/"


@pytest.mark.django_db
def test_a_pbkdf2_hash_is_upgraded_at_the_next_token_login(production_hashers):
    user = pbkdf2_user("old_hash_api")
    response = APIClient().post(
        "/api/v1/auth/token/", {"username": user.username, "password": PASSWORD}, format="json"
    )
    assert response.status_code == 200 and response.json()["token"]
    assert get_user_model().objects.get(pk=user.pk).password.startswith(ARGON2)


@pytest.mark.django_db
def test_an_argon2_hash_with_other_parameters_is_upgraded_too(production_hashers):
    user = UserFactory(username="old_argon2", role="city_staff")
    django_argon2 = Argon2PasswordHasher()  # Django's own parameters: m=102400, p=8
    user.password = django_argon2.encode(PASSWORD, django_argon2.salt())
    user.save(update_fields=["password"])
    assert not user.password.startswith(ARGON2)
    Client().post("/accounts/login/", {"username": user.username, "password": PASSWORD})
    assert get_user_model().objects.get(pk=user.pk).password.startswith(ARGON2)


@pytest.mark.django_db
def test_a_wrong_password_changes_no_hash(production_hashers):
    user = pbkdf2_user("old_hash_wrong")
    before = user.password
    Client().post("/accounts/login/", {"username": user.username, "password": "wrong"})
    assert get_user_model().objects.get(pk=user.pk).password == before
