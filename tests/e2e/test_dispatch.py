"""月度调度 and the dashboard's headline in a real browser: the city's ranking and a district's own view."""

import pytest
from django.core.management import call_command
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import Select, WebDriverWait

from tests.e2e.test_review_flow import PASSWORD, log_in
from tests.factories import UserFactory, dispatch_world

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)


def test_the_city_runs_its_dispatch_and_a_district_sees_its_own(browser, live_server, screenshot):
    call_command("seed", "--demo", "150", "--random-seed", "13")
    dispatch_world()
    UserFactory(username="city", role="city_staff", password=PASSWORD)
    UserFactory(username="huangpu", role="district_user", district_code="440112", password=PASSWORD)

    log_in(browser, live_server, "city")
    headline = browser.find_element(By.ID, "headline")
    assert "亿元" in headline.text and "开工率" in headline.text
    screenshot(browser, "dashboard-headline")
    browser.find_element(By.ID, "flag-counts").click()
    WebDriverWait(browser, 10).until(lambda driver: "/dispatch/" in driver.current_url)
    browser.find_element(By.ID, "district-ranking")

    Select(browser.find_element(By.ID, "id_year")).select_by_value("2026")
    Select(browser.find_element(By.ID, "id_month")).select_by_value("6")
    browser.find_element(By.CSS_SELECTOR, "#dispatch-query button[type=submit]").click()
    WebDriverWait(browser, 10).until(lambda driver: "month=6" in driver.current_url)
    assert "2026 年 1—6 月" in browser.find_element(By.TAG_NAME, "h1").text
    assert browser.find_element(By.ID, "time-progress").text == "50.0%"
    ranking = browser.find_elements(By.CSS_SELECTOR, "#district-ranking tbody tr")
    assert len(ranking) == 11
    rates = [row.find_elements(By.TAG_NAME, "td")[4].text for row in ranking]
    numbers = [float(rate.rstrip("%")) for rate in rates if rate != "—"]
    assert numbers == sorted(numbers, reverse=True)
    assert browser.find_elements(By.CSS_SELECTOR, "svg.chart")
    flagged = browser.find_element(By.ID, "flagged").text
    assert "天河调度测试项目" in flagged and "2026-06 月报逾期未报" in flagged
    assert "黄埔区自然资源局" in browser.find_element(By.ID, "overdue-problems").text
    path = screenshot(browser, "dispatch-city")
    assert path.stat().st_size > 20_000

    browser.delete_all_cookies()
    log_in(browser, live_server, "huangpu")
    browser.get(f"{live_server.url}/dispatch/?year=2026&month=6")
    ranking = browser.find_elements(By.CSS_SELECTOR, "#district-ranking tbody tr")
    assert [row.get_attribute("data-district") for row in ranking] == ["440112"]
    body = browser.find_element(By.TAG_NAME, "main").text
    assert "越秀调度测试项目" not in body and "天河调度测试项目" not in body
    assert "黄埔调度测试项目" in body
    screenshot(browser, "dispatch-district")
