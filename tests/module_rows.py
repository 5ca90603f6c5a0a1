"""Records built once for all the tests of a module, as Django's TestCase.setUpTestData builds them once
for a class: for the permission matrices, whose thousands of cases read the same few dozen records.

    built = rows_for_the_module(build)      # a module-scoped fixture: build() runs once per worker

    @pytest.fixture
    def world(built, db):
        return built.copy()                 # the test's own copy of the instances

build() writes its rows in a transaction opened before the module's first test and rolled back after its
last one; each test runs in a savepoint inside it (pytest-django's `db` fixture), so what a test writes is
undone before the next, and each gets a deep copy of the instances, so what it changes in memory is its own.
The files build() stores (documents) go to a storage folder of the module's, which is also its tests'
`media_storage`: the module overrides that fixture with `built.media`.
"""

import copy
from dataclasses import dataclass
from pathlib import Path

import pytest
from django.conf import settings
from django.db import transaction
from django.test import override_settings


@dataclass(frozen=True)
class Built:
    rows: object
    media: Path

    def copy(self):
        return copy.deepcopy(self.rows)


def rows_for_the_module(build):
    @pytest.fixture(scope="module")
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
            yield Built(rows=build(), media=media)
            transaction.set_rollback(True)

    return built
