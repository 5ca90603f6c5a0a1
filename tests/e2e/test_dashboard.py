"""The dashboard in a real browser, over the real seed data and generated demo projects."""

import pytest
from django.core.management import call_command
from selenium.webdriver.common.by import By

from tests.e2e.test_review_flow import PASSWORD, log_in
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)


def test_staff_open_the_dashboard(browser, live_server, screenshot):
    call_command("seed", "--demo", "300", "--random-seed", "11")
    UserFactory(username="city", role="city_staff", password=PASSWORD)
    log_in(browser, live_server, "city")
    assert len(browser.find_elements(By.CSS_SELECTOR, "svg.chart")) == 4
    lenders = browser.find_element(By.ID, "loans-by-lender").text
    assert "国家开发银行广东省分行 7.37 亿元" in lenders
    funnel = browser.find_element(By.ID, "funnel").text.splitlines()[1:]
    assert [row.split()[0] for row in funnel] == ["谋划", "成熟", "实施", "完工"]
    assert all(row.endswith("亿元") for row in funnel)
    path = screenshot(browser, "dashboard")
    assert path.stat().st_size > 20_000
