"""The monthly dispatch in a real browser: a district fills last month's report and submits it, city staff
return it with a comment, the district fixes and resubmits, staff accept; the project page shows the month
and the new year to date, and the browser refuses nothing under the Content Security Policy."""

import datetime
from decimal import Decimal

import pytest
from django.utils import timezone
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import Select

from portfolio.workdays import previous_month
from projects.models import InvestmentPlan, ProgressReport
from projects.selectors.progress import reporting_period
from tests.e2e.test_review_flow import click, fill, follow, loaded, log_in, open_page, press
from tests.e2e.test_security_policy import refusals
from tests.factories import ProjectFactory, UserFactory, district

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)
D = Decimal


def test_district_fills_city_returns_district_fixes_city_accepts(browser, live_server, screenshot):
    UserFactory(username="hp", role="district_user", district_code="440112")
    UserFactory(username="city", role="city_staff")
    period = reporting_period()
    before = previous_month(period)
    year = timezone.localdate().year
    on_time = timezone.make_aware(datetime.datetime(period.year, period.month, 2, 10, 0))
    project = ProjectFactory(
        name="黄埔区南岗河碧道提升工程",
        district=district("440112"),
        review_status="accepted",
        stage="implementation",
        start_year=before.year,
        end_year=period.year + 2,
        total_investment=D("100000000.00"),
    )
    InvestmentPlan.objects.create(
        project=project, year=year, planned_amount=D("30000000.00"), kind="continuing", target="完成主体工程"
    )
    ProgressReport.objects.create(
        project=project,
        period=before,
        completed_amount=D("5000000.00"),
        progress_percent=D("30"),
        physical_progress="完成河道清淤和两岸驳岸基础",
        status="accepted",
        first_submitted_at=on_time,
        submitted_at=on_time,
    )
    browser.get_log("browser")  # start from an empty console

    # The district user opens 本月填报, sees the project not yet reported, and fills the month.
    log_in(browser, live_server, "hp")
    follow(browser, "本月填报")
    todo = browser.find_element(By.ID, "todo").text
    assert "黄埔区南岗河碧道提升工程" in todo and "未填报" in todo
    assert f"{period:%Y-%m}" in browser.find_element(By.TAG_NAME, "h1").text
    screenshot(browser, "monthly_todo")
    row = browser.find_element(By.XPATH, "//table[@id='todo']//tr[td/a[text()='黄埔区南岗河碧道提升工程']]")
    old = browser.find_element(By.TAG_NAME, "html")
    press(browser, row.find_element(By.LINK_TEXT, "填报"))
    loaded(browser, old)
    previous = browser.find_element(By.ID, "previous").text
    assert "500.00 万元" in previous and "完成河道清淤" in previous
    fill(browser, "completed_amount", "8000000")
    fill(browser, "progress_percent", "42")
    fill(browser, "physical_progress", "完成左岸碧道铺装 1.2 公里")
    fill(browser, "problems_note", "右岸一处征拆未完成")
    screenshot(browser, "monthly_report_form")
    click(browser, "#save-submit")
    assert "月报已报送市项目办审核" in browser.page_source
    assert "已提交" in browser.find_element(By.ID, "report-status").text
    report = ProgressReport.objects.get(project=project, period=period)

    # City staff return it from the review queue with a comment.
    log_in(browser, live_server, "city")
    follow(browser, "月报审核")
    screenshot(browser, "report_review_queue")
    row = browser.find_element(By.XPATH, "//table[@id='queue']//tr[td/a[text()='黄埔区南岗河碧道提升工程']]")
    old = browser.find_element(By.TAG_NAME, "html")
    press(browser, row.find_element(By.LINK_TEXT, "审核"))
    loaded(browser, old)
    click(browser, "#return-report")  # without a comment: refused, with the reason beside the field
    assert "退回月报时必须填写意见" in browser.page_source
    fill(browser, "return-comment", "本月完成投资与监理月报不符，请核实")
    click(browser, "#return-report")
    assert "月报已退回区里修改" in browser.page_source

    # The district reads the comment on 本月填报, fixes the amount and resubmits.
    log_in(browser, live_server, "hp")
    follow(browser, "本月填报")
    assert "本月完成投资与监理月报不符" in browser.find_element(By.ID, "todo").text
    follow(browser, "修改")
    assert "本月完成投资与监理月报不符" in browser.find_element(By.ID, "review-comment").text
    fill(browser, "completed_amount", "7500000")
    click(browser, "#save-submit")
    assert "月报已报送市项目办审核" in browser.page_source

    # City staff accept it.
    log_in(browser, live_server, "city")
    open_page(browser, f"{live_server.url}/reports/{report.pk}/")
    fill(browser, "accept-comment", "数据已核实")
    click(browser, "#accept-report")
    assert "月报已审核通过" in browser.page_source
    open_page(browser, f"{live_server.url}/reports/{report.pk}/")
    assert "已审核" in browser.find_element(By.ID, "report-status").text
    history = browser.find_element(By.ID, "history").text
    assert history.count("报送月报") == 2 and "退回月报" in history and "审核通过月报" in history
    assert "本月完成投资（元）：8000000.00 → 7500000.00" in history
    path = screenshot(browser, "monthly_report")
    assert path.stat().st_size > 10_000

    # The project page shows the month accepted and the year to date against the plan.
    log_in(browser, live_server, "hp")
    open_page(browser, f"{live_server.url}/projects/{project.pk}/")
    months = browser.find_element(By.ID, "months").text
    assert f"{period:%Y-%m} 已审核" in months
    year_to_date = browser.find_element(By.ID, "year-to-date").text
    if before.year == period.year == year:
        assert "1,250.00 万元 / 3,000.00 万元" in year_to_date and "41.7%" in year_to_date
    physical = browser.find_element(By.ID, "physical-progress").text
    assert "42%" in physical and "完成左岸碧道铺装" in physical
    screenshot(browser, "project_progress")

    # The problems the report names go to the ledger, where the district completes them.
    open_page(browser, f"{live_server.url}/reports/{report.pk}/")
    click(browser, "#raise-problem")
    assert "已登记到问题台账" in browser.page_source
    Select(browser.find_element(By.NAME, "category")).select_by_value("demolition")
    fill(browser, "responsible_unit", "黄埔区土地开发中心")
    due = timezone.localdate() - datetime.timedelta(days=3)
    browser.execute_script(
        "arguments[0].value = arguments[1];", browser.find_element(By.NAME, "due_on"), f"{due:%Y-%m-%d}"
    )
    browser.execute_script(
        "arguments[0].value = arguments[1];",
        browser.find_element(By.NAME, "raised_on"),
        f"{due - datetime.timedelta(days=30):%Y-%m-%d}",
    )
    click(browser, "#save")
    assert "问题已更新" in browser.page_source
    ledger = browser.find_element(By.ID, "problems")
    row = ledger.find_element(By.XPATH, ".//tr[td[contains(., '右岸一处征拆未完成')]]")
    assert "overdue" in row.get_attribute("class") and "征拆" in row.text and "逾期" in row.text
    screenshot(browser, "problem_ledger")
    assert refusals(browser) == []

    report.refresh_from_db()
    assert (report.status, report.completed_amount, report.review_comment) == (
        "accepted",
        D("7500000.00"),
        "数据已核实",
    )
    assert report.first_submitted_at < report.submitted_at
    assert report.period == period and isinstance(report.period, datetime.date)
