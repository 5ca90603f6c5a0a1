"""The key flow in a real browser: submit, return with a comment, resubmit, accept, and move by override."""

import pytest
from selenium.webdriver.common.by import By
from selenium.webdriver.support import expected_conditions
from selenium.webdriver.support.ui import Select, WebDriverWait

from projects.models import Project, StageChange
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)
PASSWORD = "Meili-test-2025"


def log_in(browser, live_server, username):
    browser.delete_all_cookies()
    open_page(browser, f"{live_server.url}/accounts/login/")
    browser.find_element(By.NAME, "username").send_keys(username)
    browser.find_element(By.NAME, "password").send_keys(PASSWORD)
    click(browser, "main button[type=submit]")
    assert "概览" in browser.find_element(By.TAG_NAME, "h1").text


def open_page(browser, url):
    browser.get(url)
    WebDriverWait(browser, 10).until(lambda b: b.execute_script("return document.readyState") == "complete")


def fill(browser, name, value):
    field = browser.find_element(By.NAME, name)
    field.clear()
    field.send_keys(value)


def click(browser, selector):
    """Click something that loads a page, and wait until the new page is there."""
    old = browser.find_element(By.TAG_NAME, "html")
    press(browser, browser.find_element(By.CSS_SELECTOR, selector))
    loaded(browser, old)


def press(browser, element):
    browser.execute_script("arguments[0].scrollIntoView({block: 'center'}); arguments[0].click();", element)


def loaded(browser, old):
    WebDriverWait(browser, 10).until(expected_conditions.staleness_of(old))
    WebDriverWait(browser, 10).until(lambda b: b.execute_script("return document.readyState") == "complete")


def follow(browser, link_text):
    old = browser.find_element(By.TAG_NAME, "html")
    press(browser, browser.find_element(By.LINK_TEXT, link_text))
    loaded(browser, old)


def tick(browser, selector):
    press(browser, browser.find_element(By.CSS_SELECTOR, selector))


def test_district_submits_city_returns_district_resubmits_city_accepts_and_moves(
    browser, live_server, screenshot
):
    UserFactory(username="hp", role="district_user", district_code="440112")
    UserFactory(username="city", role="city_staff")

    # The district user creates a project and submits it.
    log_in(browser, live_server, "hp")
    follow(browser, "新建项目")
    fill(browser, "name", "萝岗香雪碧道提升工程")
    Select(browser.find_element(By.NAME, "category")).select_by_value("river_lake")
    fill(browser, "total_investment", "85000000")
    fill(browser, "start_year", "2025")
    fill(browser, "end_year", "2027")
    click(browser, "#save")
    assert "项目已保存为草稿" in browser.page_source
    click(browser, "#submit-project")
    assert "已提交" in browser.find_element(By.ID, "review-status").text
    project = Project.objects.get(name="萝岗香雪碧道提升工程")

    # City staff returns it with a comment.
    log_in(browser, live_server, "city")
    follow(browser, "入库审核")
    row = browser.find_element(By.XPATH, "//table[@id='queue']//tr[td/a[text()='萝岗香雪碧道提升工程']]")
    old = browser.find_element(By.TAG_NAME, "html")
    press(browser, row.find_element(By.LINK_TEXT, "审核"))
    loaded(browser, old)
    tick(browser, "input[name=decision][value=return]")
    fill(browser, "comment", "请补充资金筹措方案")
    click(browser, "#save")
    assert "项目已退回区里修改" in browser.page_source

    # The district user reads the comment, edits and resubmits.
    log_in(browser, live_server, "hp")
    open_page(browser, f"{live_server.url}/projects/{project.pk}/")
    assert "请补充资金筹措方案" in browser.find_element(By.ID, "return-comment").text
    click(browser, "#edit-project")
    fill(browser, "total_investment", "90000000")
    click(browser, "#save")
    assert "项目已保存" in browser.page_source
    click(browser, "#submit-project")

    # City staff accepts it and moves it to 成熟 with an override reason.
    log_in(browser, live_server, "city")
    open_page(browser, f"{live_server.url}/projects/{project.pk}/")
    click(browser, "#review-project")
    tick(browser, "input[name=decision][value=accept]")
    click(browser, "#save")
    open_page(browser, f"{live_server.url}/projects/{project.pk}/")
    click(browser, "#move-stage")
    assert "可研批复（未办结，当前为未办理）" in browser.find_element(By.ID, "conditions").text
    tick(browser, "input[name=override]")
    fill(browser, "reason", "列入市重点先行推进")
    click(browser, "#save")

    # The project page shows the timeline and the history.
    assert "成熟" in browser.find_element(By.ID, "stage").text
    timeline = browser.find_element(By.ID, "timeline").text
    assert "谋划 → 成熟" in timeline and "越过条件" in timeline and "列入市重点先行推进" in timeline
    reviews = browser.find_element(By.ID, "review-history").text
    assert (
        reviews.count("提交") >= 2
        and "退回" in reviews
        and "请补充资金筹措方案" in reviews
        and "入库" in reviews
    )
    history = browser.find_element(By.ID, "history").text
    assert "总投资（元）：85000000.00 → 90000000.00" in history
    path = screenshot(browser, "project_page")
    assert path.stat().st_size > 10_000

    project.refresh_from_db()
    assert (project.review_status, project.stage, project.version) == ("accepted", "mature", 7)
    assert StageChange.objects.get(project=project).overridden
