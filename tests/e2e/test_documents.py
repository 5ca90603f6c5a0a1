"""A document in a real browser: a district user uploads a PDF on the project page, sees it listed, and
downloads it back (the same bytes, as an attachment); a renamed executable is refused with its reason."""

import pytest
from selenium.webdriver.common.by import By

from projects.models import Document
from tests.factories import ProjectFactory, UserFactory, district
from tests.projects.test_documents_files import pdf

from .test_review_flow import PASSWORD, click, log_in, open_page

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)


def test_upload_list_and_download_on_the_project_page(browser, live_server, screenshot, tmp_path):
    UserFactory(username="hp_docs", role="district_user", district_code="440112", password=PASSWORD)
    project = ProjectFactory(district=district("440112"), name="附件浏览器项目")
    content = pdf()
    good = tmp_path / "可研批复.pdf"
    good.write_bytes(content)
    bad = tmp_path / "假的.pdf"
    bad.write_bytes(b"MZ" + b"\0" * 300)

    log_in(browser, live_server, "hp_docs")
    open_page(browser, f"{live_server.url}/projects/{project.pk}/")
    browser.find_element(By.ID, "document-file").send_keys(str(good))
    browser.find_element(By.ID, "document-title").send_keys("可研批复文件")
    click(browser, "#upload-document")
    rows = browser.find_elements(By.CSS_SELECTOR, "#document-list tbody tr")
    assert len(rows) == 1 and "可研批复文件" in rows[0].text and "可研批复.pdf" in rows[0].text
    screenshot(browser, "documents-panel")

    href = browser.find_element(By.CSS_SELECTOR, "a.document-download").get_attribute("href")
    fetched = browser.execute_async_script(
        """const done = arguments[arguments.length - 1];
        fetch(arguments[0]).then(async r => done({status: r.status, size: (await r.arrayBuffer()).byteLength,
          disposition: r.headers.get('content-disposition'), type: r.headers.get('content-type'),
          nosniff: r.headers.get('x-content-type-options')}));""",
        href,
    )
    assert fetched["status"] == 200 and fetched["size"] == len(content)
    assert fetched["disposition"].startswith("attachment;") and fetched["type"] == "application/pdf"
    assert fetched["nosniff"] == "nosniff"

    browser.find_element(By.ID, "document-file").send_keys(str(bad))
    click(browser, "#upload-document")
    assert "可执行程序不予接收" in browser.find_element(By.TAG_NAME, "main").text
    screenshot(browser, "documents-refused")
    assert Document.objects.count() == 1
