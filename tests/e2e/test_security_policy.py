"""Under the Content Security Policy, the pages work in a real browser and it refuses nothing of ours."""

import urllib.request

import pytest
from django.core.management import call_command
from django.test import override_settings
from selenium.webdriver.common.by import By

from projects.models import Project
from tests.e2e.test_review_flow import PASSWORD, log_in
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)


# Redoc's footer links its maker's logo from their CDN: the policy blocks it, as it should (the site works
# offline), and nothing else is missing for it.
EXPECTED = ("Loading the image 'https://cdn.redoc.ly/",)


def refusals(browser) -> list[str]:
    return [
        entry["message"]
        for entry in browser.get_log("browser")
        if ("Content Security Policy" in entry["message"] or "Refused to" in entry["message"])
        and not any(expected in entry["message"] for expected in EXPECTED)
    ]


@override_settings(DEBUG=False)
def test_no_page_breaks_the_policy(browser, live_server):
    call_command("seed", "--demo", "30", "--random-seed", "5")
    UserFactory(username="city", role="city_staff", password=PASSWORD)
    with urllib.request.urlopen(f"{live_server.url}/accounts/login/") as page:
        assert "script-src 'self'" in page.headers["Content-Security-Policy"]
    browser.get_log("browser")  # start from an empty console
    log_in(browser, live_server, "city")
    project = Project.objects.filter(loans__isnull=False).first()
    for path in (
        "/",
        "/projects/?stage=planning",
        f"/projects/{project.pk}/",
        "/projects/import/",
        "/admin/",
        "/admin/projects/project/",
        "/api/docs/",
    ):
        browser.get(f"{live_server.url}{path}")
        assert browser.find_elements(By.TAG_NAME, "body")
        assert refusals(browser) == [], path
    # Swagger UI is drawn by its own script (served as a file, not inline) from our schema.
    browser.get(f"{live_server.url}/api/docs/")
    assert browser.find_elements(By.CSS_SELECTOR, ".swagger-ui .opblock")
    assert refusals(browser) == []
    # Redoc too, with the inline styles and the worker its page alone is allowed.
    browser.get(f"{live_server.url}/api/redoc/")
    assert "美丽广州建设重大项目库 API" in browser.find_element(By.TAG_NAME, "h1").text
    assert refusals(browser) == []
