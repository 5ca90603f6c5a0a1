"""The layer contracts of pyproject.toml ([tool.importlinter]) hold, and they do catch a forbidden import."""

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
LINT_IMPORTS = Path(sys.executable).with_name("lint-imports")


def lint(where: Path) -> subprocess.CompletedProcess:
    return subprocess.run(
        [str(LINT_IMPORTS), "--no-cache"], cwd=where, capture_output=True, text=True, timeout=120
    )


@pytest.fixture
def copy_of_the_tree(tmp_path) -> Path:
    for name in ("portfolio", "projects", "financing"):
        shutil.copytree(ROOT / name, tmp_path / name, ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copy(ROOT / "pyproject.toml", tmp_path / "pyproject.toml")
    return tmp_path


def test_the_tree_keeps_every_contract():
    result = lint(ROOT)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "0 broken" in result.stdout


@pytest.mark.parametrize(
    ("module", "forbidden", "contract"),
    [
        ("portfolio/money.py", "from projects.models import Project", "The kit of portfolio imports no app"),
        (
            "projects/models/project.py",
            "from financing.models import Loan",
            "Projects' models import nothing",
        ),
        ("financing/models/ledger.py", "from financing import services", "Models import no services"),
        ("projects/views/project.py", "from projects.api import serializers", "Pages never import the API"),
        ("financing/api/views.py", "from financing import views", "The API never imports pages"),
        # The banks' and the platform's modules are inside the same layers.
        ("financing/views/platform.py", "from financing.api import views", "Pages never import the API"),
        ("financing/api/views.py", "from financing.views import platform", "The API never imports pages"),
        ("financing/models/ledger.py", "from financing import platform", "Models import no services"),
    ],
)
def test_a_forbidden_import_breaks_its_contract(copy_of_the_tree, module, forbidden, contract):
    path = copy_of_the_tree / module
    path.write_text(path.read_text() + f"\n{forbidden}  # noqa\n")
    result = lint(copy_of_the_tree)
    assert result.returncode != 0
    broken = [line for line in result.stdout.splitlines() if line.endswith("BROKEN")]
    assert len(broken) == 1 and broken[0].startswith(contract), result.stdout
