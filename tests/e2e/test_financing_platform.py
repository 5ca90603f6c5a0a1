"""The 政银企 platform in a real browser: a bank's account manager logs in, finds a published financing
demand, answers it with a credit intention; city staff see the platform's 对接 count rise."""

import datetime
from decimal import Decimal

import pytest
from selenium.webdriver.common.by import By

from financing.models import CreditIntention
from tests.e2e.test_review_flow import PASSWORD, click, fill, follow, open_page
from tests.factories import BankFactory, DemandFactory, ProjectFactory, UserFactory, district

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)


def log_in(browser, live_server, username, landing):
    browser.delete_all_cookies()
    open_page(browser, f"{live_server.url}/accounts/login/")
    browser.find_element(By.NAME, "username").send_keys(username)
    browser.find_element(By.NAME, "password").send_keys(PASSWORD)
    click(browser, "main button[type=submit]")
    assert landing in browser.find_element(By.TAG_NAME, "h1").text


def matched_count(browser, live_server) -> int:
    open_page(browser, f"{live_server.url}/financing-platform/")
    return int(browser.find_element(By.ID, "platform-matched-count").text)


def test_a_bank_answers_a_published_demand_and_the_city_sees_the_match(browser, live_server, screenshot):
    bank = BankFactory(name="国家开发银行广东省分行")
    UserFactory(username="kaihang", role="lender", bank=bank)
    UserFactory(username="city", role="city_staff")
    project = ProjectFactory(
        name="增城区派潭河美丽河湖建设项目", district=district("440118"), review_status="accepted"
    )
    demand = DemandFactory(
        project=project,
        amount=Decimal("200000000.00"),
        term_months=240,
        purpose="河道综合整治与碧道建设",
        published_on=datetime.date.today(),
    )

    log_in(browser, live_server, "city", "概览")
    before = matched_count(browser, live_server)

    # The bank's manager lands on its loans, opens 融资需求 and the published demand.
    log_in(browser, live_server, "kaihang", "我的贷款")
    links = [a.text for a in browser.find_elements(By.CSS_SELECTOR, "nav ul.navbar-nav a")]
    assert links == ["我的贷款", "融资需求"]
    follow(browser, "融资需求")
    assert "增城区派潭河美丽河湖建设项目" in browser.find_element(By.ID, "demand-table").text
    follow(browser, "提出意向")
    assert "增城区派潭河美丽河湖建设项目" in browser.page_source
    fill(browser, "amount", "150000000")
    fill(browser, "term_months", "240")
    fill(browser, "indicative_rate", "2.95")
    fill(browser, "note", "可提供政策性开发性金融贷款")
    screenshot(browser, "platform-bank-answers")
    click(browser, "#save")
    assert "有意向" in browser.find_element(By.ID, "own-intentions").text
    intention = CreditIntention.objects.get(demand=demand)
    assert intention.lender == bank and intention.amount == Decimal("150000000.00")

    # City staff see one more demand with an intention (对接).
    log_in(browser, live_server, "city", "概览")
    assert matched_count(browser, live_server) == before + 1
    screenshot(browser, "platform-city-figures")
