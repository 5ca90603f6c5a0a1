"""Production settings on a real response: security headers, cookie flags, HTTPS, error pages, request
logs, the health endpoint, and login protection for pages and the API's token endpoint."""

import json
import logging
import os
import runpy
import subprocess
import sys
from pathlib import Path

import pytest
from django.test import Client, override_settings
from rest_framework.test import APIClient

from tests.factories import UserFactory

ROOT = Path(__file__).resolve().parents[2]
pytestmark = pytest.mark.django_db
SECURITY = (
    "DEBUG",
    "SESSION_COOKIE_SECURE",
    "SESSION_COOKIE_HTTPONLY",
    "CSRF_COOKIE_SECURE",
    "CSRF_COOKIE_HTTPONLY",
    "SECURE_SSL_REDIRECT",
    "SECURE_HSTS_SECONDS",
    "SECURE_HSTS_INCLUDE_SUBDOMAINS",
    "SECURE_CONTENT_TYPE_NOSNIFF",
    "SECURE_REFERRER_POLICY",
    "X_FRAME_OPTIONS",
    "CONTENT_SECURITY_POLICY",
    "MIDDLEWARE",
)


@pytest.fixture
def production(monkeypatch):
    """The security settings as settings.py makes them for production (read from a fresh run of it)."""
    monkeypatch.delenv("PYTEST_VERSION", raising=False)
    for name in ("DEBUG", "HTTPS", "BEHIND_PROXY"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("SECRET_KEY", "x" * 60)
    monkeypatch.setenv("ALLOWED_HOSTS", "testserver")
    made = runpy.run_path(str(ROOT / "portfolio" / "settings.py"))
    assert made["DEBUG"] is False and made["HTTPS"] is True
    with override_settings(**{name: made[name] for name in SECURITY}):
        yield made


def fresh_app(code: str, *, database: Path) -> subprocess.CompletedProcess:
    """Run `code` in a new app process (DEBUG on, its own SQLite file, a test Client imported)."""
    script = (
        "import os, django\n"
        "os.environ.setdefault('DJANGO_SETTINGS_MODULE', 'portfolio.settings')\n"
        "django.setup()\n"
        "from django.test import Client\n"
        f"{code}\n"
    )
    env = {k: v for k, v in os.environ.items() if k not in {"PYTEST_VERSION", "DATABASE_URL"}}
    env.update(DEBUG="1", DATABASE_URL=f"sqlite:///{database}", ALLOWED_HOSTS="testserver")
    return subprocess.run([sys.executable, "-c", script], cwd=ROOT, env=env, capture_output=True, text=True)


def test_security_headers_and_cookie_flags(production):
    user = UserFactory(username="prod_user", role="city_staff", password="Long-enough-pass-2025")
    client = Client()
    page = client.get("/accounts/login/", secure=True)
    assert page.status_code == 200
    assert page["Strict-Transport-Security"] == "max-age=31536000; includeSubDomains"
    assert page["X-Frame-Options"] == "DENY"
    assert page["X-Content-Type-Options"] == "nosniff"
    assert page["Referrer-Policy"] == "same-origin"
    policy = dict(
        directive.strip().split(" ", 1)
        for directive in page["Content-Security-Policy"].split(";")
        if directive
    )
    assert policy["default-src"] == policy["script-src"] == policy["style-src"] == "'self'"
    assert policy["frame-ancestors"] == "'none'" and "unsafe" not in page["Content-Security-Policy"]
    csrf = page.cookies["csrftoken"]
    assert csrf["secure"] and csrf["httponly"]
    logged_in = client.post(
        "/accounts/login/",
        {"username": user.username, "password": "Long-enough-pass-2025"},
        secure=True,
    )
    assert logged_in.status_code == 302
    session = logged_in.cookies["sessionid"]
    assert session["secure"] and session["httponly"]


def test_plain_http_is_redirected_but_the_health_check_is_not(production):
    response = Client().get("/accounts/login/")
    assert response.status_code == 301 and response["Location"].startswith("https://")
    # A load balancer probes over HTTP with the backend's own address as Host.
    probe = Client().get("/healthz", HTTP_HOST="10.0.0.5:8000")
    assert probe.status_code == 200 and probe.json()["status"] == "ok"
    assert Client().get("/accounts/login/", HTTP_HOST="10.0.0.5:8000", secure=True).status_code == 400


@pytest.mark.urls("tests.portfolio.boom_urls")
def test_errors_show_our_page_and_log_the_traceback_on_the_server(production, caplog):
    client = Client(raise_request_exception=False)
    missing = client.get("/no-such-page/", secure=True)
    assert missing.status_code == 404 and "美丽广州" in missing.content.decode()
    with caplog.at_level(logging.ERROR, logger="django.request"):
        failed = client.get("/boom/", secure=True)
    body = failed.content.decode()
    assert failed.status_code == 500 and "系统出现错误" in body
    for leak in ("Traceback", "hunter2", "RuntimeError", "Django", "Python"):
        assert leak not in body
    logged = [r for r in caplog.records if r.name == "django.request" and r.exc_info]
    assert logged and "hunter2" in str(logged[0].exc_info[1])


def test_every_request_is_logged_with_user_and_status(city_client, caplog):
    with caplog.at_level(logging.INFO, logger="portfolio.requests"):
        city_client.get("/projects/?stage=planning")
        city_client.get("/no-such-page/")
    lines = [r for r in caplog.records if r.name == "portfolio.requests"]
    assert [(r.path, r.status, r.user) for r in lines] == [
        ("/projects/", 200, "city_a"),
        ("/no-such-page/", 404, "city_a"),
    ]
    assert all(r.method == "GET" and r.ms >= 0 and r.client == "127.0.0.1" for r in lines)


def test_the_server_log_is_one_json_object_a_line(tmp_path):
    """A real app process with the settings' logging: what it writes to standard error."""
    result = fresh_app("Client().get('/accounts/login/?next=/projects/')", database=tmp_path / "db.sqlite3")
    lines = [json.loads(line) for line in result.stderr.splitlines() if line.startswith("{")]
    request = next(line for line in lines if line["logger"] == "portfolio.requests")
    assert request | {"time": None, "ms": None} == {
        "time": None,
        "level": "INFO",
        "logger": "portfolio.requests",
        "message": "request",
        "method": "GET",
        "path": "/accounts/login/",
        "status": 200,
        "user": None,
        "client": "127.0.0.1",
        "ms": None,
    }


def test_health_answers_200_with_the_database():
    response = Client().get("/healthz")
    assert response.status_code == 200 and response.json() == {"status": "ok", "database": True}
    assert "no-cache" in response["Cache-Control"]


def test_health_answers_503_without_the_database(tmp_path):
    """A real app process whose database cannot be reached (its file's folder does not exist)."""
    result = fresh_app(
        "r = Client().get('/healthz'); print(r.status_code, r.content.decode())",
        database=tmp_path / "missing" / "db.sqlite3",
    )
    status, body = result.stdout.strip().split(" ", 1)
    assert status == "503", result.stderr
    assert json.loads(body) == {"status": "unavailable", "database": False}


def attempt(client, username, password, ip, **headers):
    return client.post(
        "/accounts/login/", {"username": username, "password": password}, REMOTE_ADDR=ip, **headers
    )


def test_pages_lock_a_user_and_address_out_after_repeated_failures(settings):
    UserFactory(username="target", role="city_staff", password="Right-password-2025")
    client = Client()
    for _ in range(settings.AXES_FAILURE_LIMIT - 1):
        assert attempt(client, "target", "wrong", "10.0.0.1").status_code == 200
    locked = attempt(client, "target", "wrong", "10.0.0.1")
    assert locked.status_code == 429 and "登录失败次数过多" in locked.content.decode()
    # Locked even with the right password, from that address...
    assert attempt(client, "target", "Right-password-2025", "10.0.0.1").status_code == 429
    # ...but the same user from another address, and another user from that address, may log in.
    assert attempt(Client(), "target", "Right-password-2025", "10.0.0.2").status_code == 302
    UserFactory(username="colleague", role="city_staff", password="Right-password-2025")
    assert attempt(Client(), "colleague", "Right-password-2025", "10.0.0.1").status_code == 302


def test_a_success_resets_the_count(settings):
    UserFactory(username="target", role="city_staff", password="Right-password-2025")
    for _ in range(settings.AXES_FAILURE_LIMIT - 1):
        attempt(Client(), "target", "wrong", "10.0.0.1")
    assert attempt(Client(), "target", "Right-password-2025", "10.0.0.1").status_code == 302
    for _ in range(settings.AXES_FAILURE_LIMIT - 1):
        assert attempt(Client(), "target", "wrong", "10.0.0.1").status_code == 200
    # The API's token endpoint resets it too.
    token = APIClient(REMOTE_ADDR="10.0.0.1").post(
        "/api/v1/auth/token/", {"username": "target", "password": "Right-password-2025"}
    )
    assert token.status_code == 200
    for _ in range(settings.AXES_FAILURE_LIMIT - 1):
        assert attempt(Client(), "target", "wrong", "10.0.0.1").status_code == 200


def test_a_forged_forwarded_address_does_not_escape_the_lockout(settings):
    """Behind the proxy, X-Forwarded-For counts only when the proxy itself sent the request."""
    settings.BEHIND_PROXY = True
    settings.TRUSTED_PROXIES = {"10.0.0.254"}
    UserFactory(username="target", role="city_staff", password="Right-password-2025")
    client = Client()
    for n in range(settings.AXES_FAILURE_LIMIT - 1):
        forged = {"HTTP_X_FORWARDED_FOR": f"203.0.113.{n}"}
        assert attempt(client, "target", "wrong", "198.51.100.7", **forged).status_code == 200
    forged = {"HTTP_X_FORWARDED_FOR": "203.0.113.99"}
    assert attempt(client, "target", "wrong", "198.51.100.7", **forged).status_code == 429
    # Through the proxy, each client is told apart by the address the proxy appended.
    via_proxy = {"HTTP_X_FORWARDED_FOR": "6.6.6.6, 192.0.2.10"}
    assert attempt(Client(), "target", "Right-password-2025", "10.0.0.254", **via_proxy).status_code == 302


def test_the_api_token_endpoint_is_protected_the_same_way(settings):
    UserFactory(username="target", role="city_staff", password="Right-password-2025")
    client = APIClient(REMOTE_ADDR="10.0.0.9")
    url = "/api/v1/auth/token/"
    for _ in range(settings.AXES_FAILURE_LIMIT - 1):
        assert client.post(url, {"username": "target", "password": "wrong"}).status_code == 400
    locked = client.post(url, {"username": "target", "password": "wrong"})
    assert locked.status_code == 429 and locked.json()["code"] == "locked_out"
    assert "登录失败次数过多" in locked.json()["detail"]
    assert client.post(url, {"username": "target", "password": "Right-password-2025"}).status_code == 429
    elsewhere = APIClient(REMOTE_ADDR="10.0.0.10").post(
        url, {"username": "target", "password": "Right-password-2025"}
    )
    assert elsewhere.status_code == 200 and elsewhere.json()["token"]


def test_passwords_are_checked_by_djangos_validators(settings):
    from django.contrib.auth.password_validation import validate_password
    from django.core.exceptions import ValidationError

    assert len(settings.AUTH_PASSWORD_VALIDATORS) == 4
    for weak in ("12345678", "password", "short"):
        with pytest.raises(ValidationError):
            validate_password(weak)


def test_a_request_over_the_size_limit_is_refused_before_it_is_read(settings, city_api):
    settings.MAX_REQUEST_BYTES = 1024
    response = city_api.post(
        "/api/v1/imports/projects/", data=b"x" * 2048, content_type="application/octet-stream"
    )
    assert response.status_code == 413 and "超过" in response.json()["detail"]
    page = Client().post("/accounts/login/", data=b"x" * 2048, content_type="application/octet-stream")
    assert page.status_code == 413


@pytest.mark.urls("tests.portfolio.boom_urls")
@pytest.mark.parametrize("debug", [False, True])
def test_a_500_under_the_api_is_json_whatever_debug_says(client_for, city_user, settings, caplog, debug):
    settings.DEBUG = debug
    client = client_for(city_user, raise_request_exception=False)
    with caplog.at_level(logging.ERROR, logger="django.request"):
        failed = client.get("/api/v1/boom/")
    assert failed.status_code == 500 and failed["Content-Type"] == "application/json"
    assert failed.json() == {
        "detail": "服务器内部错误，请求未能完成。请核对数据后再试。",
        "code": "server_error",
    }
    logged = [r for r in caplog.records if r.name == "django.request" and r.exc_info]
    assert logged and "hunter2" in str(logged[0].exc_info[1])
