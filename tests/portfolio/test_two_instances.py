"""Nothing on one host's disk: an import previewed on one app instance is confirmed on another, the two
sharing only the database and the storage (each its own working folder and temporary folder), as two app
hosts behind a load balancer do."""

import os
import re
import socket
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest
import requests

from tests.projects.test_imports import row, workbook_bytes

ROOT = Path(__file__).resolve().parents[2]
PASSWORD = "Two-hosts-2026!"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def manage(env, *args, cwd):
    subprocess.run(
        [sys.executable, str(ROOT / "manage.py"), *args], env=env, cwd=cwd, check=True, capture_output=True
    )


def csrf_of(html: str) -> str:
    return re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', html).group(1)


@pytest.fixture
def two_instances(tmp_path):
    """Two `runserver --noreload` processes on one SQLite file and one MEDIA_ROOT; their base URLs."""
    shared = {
        "DATABASE_URL": f"sqlite:///{tmp_path / 'shared.sqlite3'}",
        "MEDIA_ROOT": str(tmp_path / "media"),
        "SECRET_KEY": "two-instances-share-this-secret-key-0123456789abcdefghijklmnop",
        "DEBUG": "1",
        "LOG_LEVEL": "WARNING",
    }
    base = {key: value for key, value in os.environ.items() if key != "PYTEST_VERSION"}
    setup = {**base, **shared}
    (tmp_path / "setup").mkdir()
    manage(setup, "migrate", "--noinput", cwd=tmp_path / "setup")
    manage(
        setup, "adduser", "city_two", "--role", "city_staff", "--password", PASSWORD, cwd=tmp_path / "setup"
    )
    servers, urls = [], []
    try:
        for name in ("a", "b"):
            host = tmp_path / name
            (host / "tmp").mkdir(parents=True)
            port = free_port()
            env = {**base, **shared, "TMPDIR": str(host / "tmp")}
            servers.append(
                subprocess.Popen(
                    [sys.executable, str(ROOT / "manage.py"), "runserver", "--noreload", f"127.0.0.1:{port}"],
                    env=env,
                    cwd=host,
                    stdout=subprocess.DEVNULL,
                    stderr=subprocess.DEVNULL,
                )
            )
            urls.append(f"http://127.0.0.1:{port}")
        for url in urls:
            for _attempt in range(150):
                try:
                    if requests.get(f"{url}/healthz", timeout=1).status_code == 200:
                        break
                except requests.ConnectionError:
                    time.sleep(0.2)
            else:
                pytest.fail(f"{url} did not come up")
        yield urls, tmp_path
    finally:
        for server in servers:
            server.terminate()
        for server in servers:
            server.wait(timeout=10)


def test_an_import_previewed_on_one_instance_is_confirmed_on_another(two_instances):
    (first, second), tmp_path = two_instances
    session = requests.Session()
    login = session.get(f"{first}/accounts/login/")
    session.post(
        f"{first}/accounts/login/",
        data={"username": "city_two", "password": PASSWORD, "csrfmiddlewaretoken": csrf_of(login.text)},
        headers={"Referer": f"{first}/accounts/login/"},
    ).raise_for_status()

    page = session.get(f"{first}/projects/import/")
    preview = session.post(
        f"{first}/projects/import/",
        data={"csrfmiddlewaretoken": csrf_of(page.text)},
        files={"file": ("p.xlsx", workbook_bytes([row("两台主机之一"), row("两台主机之二")]))},
        headers={"Referer": f"{first}/projects/import/"},
    )
    assert preview.status_code == 200
    token = re.search(r'name="token" value="([^"]+)"', preview.text).group(1)
    assert (tmp_path / "media" / "imports" / f"{token}.xlsx").exists()  # in the shared storage

    # The confirmation reaches the other instance, with the session cookie the first one set.
    confirm = session.post(
        f"{second}/projects/import/",
        data={"csrfmiddlewaretoken": csrf_of(preview.text), "action": "confirm", "token": token},
        headers={"Referer": f"{second}/projects/import/"},
        allow_redirects=False,
    )
    assert confirm.status_code == 302, confirm.text[:500]
    assert confirm.headers["Location"].endswith("/projects/")
    with sqlite3.connect(tmp_path / "shared.sqlite3") as db:
        names = {name for (name,) in db.execute("SELECT name FROM projects_project")}
    assert names == {"两台主机之一", "两台主机之二"}
    assert not (tmp_path / "media" / "imports" / f"{token}.xlsx").exists()
    assert not list((tmp_path / "a").glob("**/*.xlsx")) and not list((tmp_path / "b").glob("**/*.xlsx"))
