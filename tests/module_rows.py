"""Records built once for all the tests of a module, as Django's TestCase.setUpTestData builds them once
for a class: for the permission matrices, whose thousands of cases read the same few dozen records.

    built, media_storage, world = rows_for_the_module(build, copy="world")

gives the module three fixtures: `built` (module-scoped: build() runs once per worker), `media_storage`
(the module's storage folder, in place of conftest's folder per test) and `world` (the test's own deep
copy of what build() returned).

build() writes its rows in a transaction opened before the module's first test and rolled back after its
last one; each test runs in a savepoint inside it (pytest-django's `db` fixture), so what a test writes is
undone before the next, and each gets a deep copy of the instances, so what it changes in memory is its own.
The files build() stores (documents) go to the module's storage folder, which its tests also store in.
"""

import copy as copying
from pathlib import Path

import pytest
from django.conf import settings
from django.db import transaction
from django.test import override_settings


def rows_for_the_module(build, *, copy: str):
    @pytest.fixture(scope="module", name="built")
    def built(django_db_setup, django_db_blocker, tmp_path_factory):
        media = tmp_path_factory.mktemp("media")
        storages = {
            **settings.STORAGES,
            "default": {
                "BACKEND": "django.core.files.storage.FileSystemStorage",
                "OPTIONS": {"location": str(media)},
            },
        }
        with (
            django_db_blocker.unblock(),
            override_settings(MEDIA_ROOT=str(media), STORAGES=storages),
            transaction.atomic(),
        ):
            yield build(), media
            transaction.set_rollback(True)

    @pytest.fixture(name="media_storage")
    def media_storage(built) -> Path:
        return built[1]

    @pytest.fixture(name=copy)
    def copied(built, db):
        return copying.deepcopy(built[0])

    return built, media_storage, copied
