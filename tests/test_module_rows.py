"""The records a module builds once (tests/module_rows.py): each test sees them as built, whatever the tests
before it wrote to the database, changed in memory or stored."""

import pytest
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage

from projects.models import Project
from tests.factories import ProjectFactory
from tests.module_rows import rows_for_the_module

pytestmark = pytest.mark.django_db


def build():
    default_storage.save("shared.txt", ContentFile(b"built"))
    return {"project": ProjectFactory(name="原名")}


built, media_storage, rows = rows_for_the_module(build, copy="rows")


# Several cases, so that a worker runs more than one of them after another over the same records.
@pytest.mark.parametrize("case", range(8))
def test_each_test_starts_from_the_records_as_built(rows, media_storage, case):
    project = rows["project"]
    assert project.name == "原名"
    assert Project.objects.get(pk=project.pk).name == "原名"
    assert Project.objects.filter(name__startswith="新增").count() == 0
    assert default_storage.open("shared.txt").read() == b"built"
    assert (media_storage / "shared.txt").exists()
    project.name = f"改名{case}"
    project.save(update_fields=["name"])
    ProjectFactory(name=f"新增{case}")
