"""申报 in a real browser: city staff open the list of projects ready for 专项债, put one forward in the
open batch, record its approval, and find the approved funding line on the project's page."""

import datetime
from decimal import Decimal

import pytest
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import Select

from financing.models import BatchEntry
from tests.e2e.test_review_flow import click, fill, follow, log_in, open_page, press
from tests.factories import BatchFactory, ProcedureFactory, ProjectFactory, UserFactory, district

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)
KINDS = ["proposal", "feasibility", "land", "planning", "eia", "energy"]


def test_city_staff_put_a_ready_project_forward_and_record_its_approval(browser, live_server, screenshot):
    UserFactory(username="city", role="city_staff")
    project = ProjectFactory(
        name="黄埔区南岗河碧道建设项目",
        district=district("440112"),
        review_status="accepted",
        stage="mature",
        national_code="2026-440112-77-01-000321",
        total_investment=Decimal("300000000"),
        expected_revenue=Decimal("180000000"),
        debt_service=Decimal("120000000"),
    )
    for kind in KINDS:
        ProcedureFactory(project=project, kind=kind)
    batch = BatchFactory(
        name="2026年第二批专项债券", programme="special_bond", year=datetime.date.today().year
    )

    log_in(browser, live_server, "city")
    follow(browser, "申报")
    follow(browser, "地方政府专项债券")
    assert project.name in browser.find_element(By.ID, "ready-table").text
    screenshot(browser, "readiness-ready-list")
    follow(browser, batch.name)  # the row's 加入批次 button for the open batch
    assert Select(browser.find_element(By.NAME, "project")).first_selected_option.text.startswith(
        project.code
    )
    fill(browser, "requested_amount", "50000000")
    click(browser, "#add-entry-form button[type=submit]")
    entry = BatchEntry.objects.get(batch=batch, project=project)
    assert not entry.overridden
    assert project.name in browser.find_element(By.ID, "entry-table").text

    press(browser, browser.find_element(By.CSS_SELECTOR, f"tr[data-entry='{entry.pk}'] details summary"))
    Select(browser.find_element(By.NAME, f"e{entry.pk}-outcome")).select_by_value("approved")
    fill(browser, f"e{entry.pk}-approved_amount", "40000000")
    fill(browser, f"e{entry.pk}-document_no", "粤财债〔2026〕18号")
    browser.execute_script(
        "document.getElementsByName(arguments[0])[0].value = '2026-06-30';", f"e{entry.pk}-decided_on"
    )
    screenshot(browser, "readiness-batch-outcome")
    click(browser, f"tr[data-entry='{entry.pk}'] form.outcome-form button[type=submit]")
    assert "获批" in browser.find_element(By.ID, "entry-table").text
    entry.refresh_from_db()
    assert entry.outcome == "approved" and entry.funding_line.approved_amount == Decimal("40000000")

    open_page(browser, f"{live_server.url}/projects/{project.pk}/")
    page = browser.find_element(By.TAG_NAME, "main").text
    assert "粤财债〔2026〕18号" in page and "2026年第二批专项债券" in page
    assert "4,000.00" in page
    screenshot(browser, "readiness-project-page")
