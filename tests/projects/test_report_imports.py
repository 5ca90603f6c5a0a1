"""The monthly reports' batch entry (projects.excel.report_template_workbook, projects.report_imports, their
API endpoints and their page): the template a district downloads, a filled-in file, every row error, every
kind of bad file."""

import datetime
import io
import zipfile
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from openpyxl import Workbook, load_workbook

from portfolio.models import AuditEntry
from projects.excel import REPORT_HEADERS
from projects.models import ProgressReport, StageChange
from tests.factories import ProjectFactory, district
from tests.projects.test_imports import BOMB, _zip

pytestmark = pytest.mark.django_db
URL = "/api/v1/imports/progress-reports/"
TEMPLATE_URL = "/api/v1/imports/progress-reports/template.xlsx"
PERIOD = datetime.date(2025, 6, 1)
LAST = datetime.date(2025, 5, 1)
D = Decimal
AMOUNT, PERCENT, PROGRESS, PROBLEMS = REPORT_HEADERS[1:]


# -- builders ----------------------------------------------------------------------------------------


def reporting(district_code="440112", **values):
    """A library project in 实施, which reports every month of 2025."""
    values = {"review_status": "accepted", "stage": "implementation", **values}
    return ProjectFactory(district=district(district_code), **values)


def report(project, period=LAST, **values):
    values = {"completed_amount": D("1000000.00"), "progress_percent": D("30.0"), **values}
    return ProgressReport.objects.create(project=project, period=period, **values)


def entry(code, amount=120.5, percent=40, progress="主体结构施工", problems=None, **cells):
    """One row of the 月报 sheet as the template's reader sees it: {header: value}."""
    return {
        "项目编号": code,
        AMOUNT: amount,
        PERCENT: percent,
        PROGRESS: progress,
        PROBLEMS: problems,
        **cells,
    }


def workbook_bytes(rows, *, headers=REPORT_HEADERS, sheet="月报") -> bytes:
    workbook = Workbook()
    ws = workbook.active
    ws.title = sheet
    ws.append(headers)
    for row in rows:
        ws.append([row.get(h) for h in headers] if isinstance(row, dict) else row)
    stream = io.BytesIO()
    workbook.save(stream)
    return stream.getvalue()


def upload(client, content: bytes, name="reports.xlsx", period="2025-06", **data):
    return client.post(
        URL, {"file": SimpleUploadedFile(name, content), "period": period, **data}, format="multipart"
    )


def download(client, period="2025-06"):
    response = client.get(TEMPLATE_URL, {"period": period})
    assert response.status_code == 200, response.content[:300]
    assert response["Content-Type"] == "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    return load_workbook(io.BytesIO(b"".join(response.streaming_content)))


def records(workbook) -> list[dict]:
    rows = list(workbook["月报"].iter_rows(values_only=True))
    return [dict(zip(rows[0], row, strict=True)) for row in rows[1:]]


def filled_in(workbook, values: dict) -> bytes:
    """The downloaded template with the yellow cells of some projects filled in, as a person would."""
    ws = workbook["月报"]
    header = [cell.value for cell in ws[1]]
    for row in ws.iter_rows(min_row=2):
        code = row[0].value
        for name, value in values.get(code, {}).items():
            row[header.index(name)].value = value
    stream = io.BytesIO()
    workbook.save(stream)
    return stream.getvalue()


# -- the template --------------------------------------------------------------------------------------


def test_the_template_lists_the_districts_reporting_projects_with_last_months_figures(
    api_client, huangpu_user
):
    fresh = reporting(code="HP-1", name="增江画廊")
    report(fresh, datetime.date(2025, 3, 1), completed_amount=D("500000.00"), progress_percent=D("10.0"))
    report(fresh, completed_amount=D("1234500.00"), progress_percent=D("30.5"))
    report(fresh, datetime.date(2024, 12, 1), completed_amount=D("9990000.00"))  # the year before
    drafted = reporting(code="HP-2")
    report(drafted, PERIOD, completed_amount=D("800000.00"), progress_percent=D("45.0"), problems_note="征拆")
    sent = reporting(code="HP-3")
    report(sent, PERIOD, status="submitted", completed_amount=D("10000.00"))
    reporting(code="HP-4", review_status="draft")  # not in the library
    reporting(code="HP-5", stage="planning")  # 谋划 does not report
    reporting(code="HP-6", start_year=2026)  # starts next year
    reporting("440104", code="YX-1")  # another district
    workbook = download(api_client(huangpu_user))
    assert workbook.sheetnames == ["说明", "月报"]
    assert [cell.value for cell in workbook["月报"][1]] == [
        "项目编号",
        "项目名称",
        "区",
        "上月完成投资（万元）",
        "上月形象进度（%）",
        "本年累计（万元）",
        "本月月报状态",
        "本月完成投资（万元）",
        "形象进度（%）",
        "形象进度说明",
        "存在问题",
    ]
    rows = {row["项目编号"]: row for row in records(workbook)}
    assert list(rows) == ["HP-1", "HP-2", "HP-3"]
    assert rows["HP-1"]["项目名称"] == "增江画廊" and rows["HP-1"]["区"] == "黄埔区"
    assert rows["HP-1"]["上月完成投资（万元）"] == 123.45 and rows["HP-1"]["上月形象进度（%）"] == 30.5
    assert rows["HP-1"]["本年累计（万元）"] == 173.45  # March and May of 2025, not December of 2024
    assert rows["HP-1"]["本月月报状态"] == "未填报" and rows["HP-1"][AMOUNT] is None
    assert rows["HP-2"][AMOUNT] == 80 and rows["HP-2"][PERCENT] == 45 and rows["HP-2"][PROBLEMS] == "征拆"
    assert rows["HP-2"]["本年累计（万元）"] == 0 and rows["HP-2"]["上月完成投资（万元）"] is None
    assert rows["HP-3"]["本月月报状态"] == "已提交" and rows["HP-3"][AMOUNT] is None  # locked: left empty
    notes = "\n".join(str(row[0]) for row in workbook["说明"].iter_rows(values_only=True) if row[0])
    assert "2025-06" in notes and "报送截止：2025-07-07" in notes  # the 5th working day of July 2025
    assert "万元" in notes and "0 至 100" in notes and "已报送或已审核的月报不能通过导入修改" in notes
    ws = workbook["月报"]
    # xlsxwriter leaves out fitToWidth when it is 1, ECMA-376's default, which openpyxl reads as None.
    assert ws.page_setup.orientation == "landscape" and (ws.page_setup.fitToWidth or 1) == 1
    assert ws.sheet_properties.pageSetUpPr.fitToPage


def test_city_staff_get_every_district_in_one_template(api_client, city_user):
    reporting(code="HP-1")
    reporting("440104", code="YX-1")
    assert [row["项目编号"] for row in records(download(api_client(city_user)))] == ["YX-1", "HP-1"]


def test_the_templates_queries_do_not_grow_with_the_projects(api_client, huangpu_user):
    client = api_client(huangpu_user)

    def queries(total):
        while ProgressReport.objects.filter(period=LAST).count() < total:
            project = reporting()
            report(project)
            report(project, PERIOD)
        client.get(TEMPLATE_URL, {"period": "2025-06"})  # warm-up: the role is read once per user
        with CaptureQueriesContext(connection) as captured:
            workbook = download(client)
        assert len(records(workbook)) == total
        return len(captured)

    few, many = queries(2), queries(40)
    assert few == many, (few, many)


@pytest.mark.parametrize("period", ["2025-13", "june", "2099-01"])
def test_a_bad_month_answers_400(city_api, period):
    assert city_api.get(TEMPLATE_URL, {"period": period}).status_code == 400
    response = upload(city_api, workbook_bytes([]), period=period)
    assert response.status_code == 400 and "period" in response.json()


def test_the_template_defaults_to_last_month(city_api):
    response = city_api.get(TEMPLATE_URL)
    last = (datetime.date.today().replace(day=1) - datetime.timedelta(days=1)).strftime("%Y-%m")
    assert response.status_code == 200 and last in response["Content-Disposition"]


def test_finance_may_neither_download_nor_import(api_client, finance_user):
    client = api_client(finance_user)
    assert client.get(TEMPLATE_URL, {"period": "2025-06"}).status_code == 403
    reporting(code="HP-1")
    assert upload(client, workbook_bytes([entry("HP-1")])).status_code == 403
    assert not ProgressReport.objects.exists()


# -- a good file ---------------------------------------------------------------------------------------


def test_a_filled_file_creates_and_updates_the_months_reports(api_client, huangpu_user):
    new = reporting(code="HP-1")
    report(new, completed_amount=D("0"), progress_percent=D("30.0"))
    draft = report(reporting(code="HP-2"), PERIOD, progress_percent=D("10.0"))
    returned = report(reporting(code="HP-3"), PERIOD, status="returned", review_comment="补充说明")
    reporting(code="HP-4")  # left for later: its row is empty
    content = workbook_bytes(
        [
            entry("HP-1", amount="1,234.56", percent=35.25, problems="用地指标未落实"),
            entry("HP-2", amount=0, percent=12),
            entry("HP-3", amount=88, percent=50, progress="已完工验收"),
            entry("HP-4", amount=None, percent=None, progress=None),
        ]
    )
    response = upload(api_client(huangpu_user), content)
    assert response.status_code == 201, response.json()
    body = response.json()
    assert (body["created"], body["updated"], body["period"]) == (1, 2, "2025-06")
    assert [(r["row"], r["code"], r["action"]) for r in body["reports"]] == [
        (2, "HP-1", "create"),
        (3, "HP-2", "update"),
        (4, "HP-3", "update"),
    ]
    created = ProgressReport.objects.get(project=new, period=PERIOD)
    assert created.completed_amount == D("12345600.00") and created.progress_percent == D("35.3")
    assert created.problems_note == "用地指标未落实" and created.status == "draft"
    assert created.created_by == huangpu_user
    draft.refresh_from_db()
    assert draft.completed_amount == 0 and draft.progress_percent == 12 and draft.version == 2
    returned.refresh_from_db()
    assert returned.status == "returned" and returned.physical_progress == "已完工验收"
    assert AuditEntry.objects.filter(action="report_create").count() == 1
    assert AuditEntry.objects.filter(action="report_update").count() == 2
    assert ProgressReport.objects.filter(period=PERIOD).count() == 3


def test_a_dry_run_writes_nothing(city_api):
    reporting(code="HP-1")
    draft = report(reporting(code="HP-2"), PERIOD)
    response = upload(city_api, workbook_bytes([entry("HP-1"), entry("HP-2", amount=5)]), dry_run="true")
    assert response.status_code == 200, response.json()
    assert (response.json()["would_create"], response.json()["would_update"]) == (1, 1)
    assert ProgressReport.objects.filter(period=PERIOD).get() == draft
    draft.refresh_from_db()
    assert draft.completed_amount == D("1000000.00") and draft.version == 1
    assert not AuditEntry.objects.exists()


def test_the_downloaded_template_filled_in_goes_back_as_it_is(api_client, huangpu_user):
    client = api_client(huangpu_user)
    first = reporting(code="HP-1")
    report(first)
    report(reporting(code="HP-2"), PERIOD, completed_amount=D("300000.00"), progress_percent=D("20.0"))
    report(reporting(code="HP-3"), PERIOD, status="accepted")
    content = filled_in(download(client), {"HP-1": {AMOUNT: 66.6, PERCENT: 31, PROGRESS: "桩基完成"}})
    response = upload(client, content)
    assert response.status_code == 201, response.json()
    assert (response.json()["created"], response.json()["updated"], response.json()["unchanged"]) == (1, 0, 1)
    assert ProgressReport.objects.get(project=first, period=PERIOD).completed_amount == D("666000.00")


# -- bad files -----------------------------------------------------------------------------------------


def _with_sheet_xml(xml: str) -> bytes:
    source = zipfile.ZipFile(io.BytesIO(workbook_bytes([entry("HP-1")])))
    return _zip(
        {
            name: (xml if name == "xl/worksheets/sheet1.xml" else source.read(name))
            for name in source.namelist()
        }
    )


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("notes.xlsx", "这不是表格".encode(), "不是 Excel 工作簿"),
        ("old.xls", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 600, "另存为 .xlsx"),
        ("cut.xlsx", workbook_bytes([entry("HP-1")])[:900], "不是 Excel 工作簿（.xlsx），或文件已损坏"),
        ("empty.xlsx", b"", "文件是空的"),
        ("other.xlsx", _zip({"readme.txt": "hello"}), "不是 Excel 工作簿"),
        ("sheet.xlsx", workbook_bytes([entry("HP-1")], sheet="项目"), "没有名为“月报”的工作表"),
        (
            "headers.xlsx",
            workbook_bytes([["HP-1", 1]], headers=["项目编号", "金额"]),
            "表头缺少：本月完成投资",
        ),
        ("blank.xlsx", workbook_bytes([entry("HP-1", amount=None, percent=None, progress=None)]), "没有填写"),
        ("bomb.xlsx", _with_sheet_xml(BOMB), "不安全"),
        ("big.xlsx", b"PK" + b"\x00" * (10 * 1024 * 1024 + 1), "超过 10 MB"),
    ],
)
def test_bad_files_answer_400_with_a_message(city_api, name, content, message):
    reporting(code="HP-1")
    response = upload(city_api, content, name=name)
    assert response.status_code == 400, response.content
    assert message in response.json()["file"][0]
    assert not ProgressReport.objects.exists()


def test_no_file_answers_400(city_api):
    response = city_api.post(URL, {"period": "2025-06"}, format="multipart")
    assert response.status_code == 400 and "file" in response.json()


# -- row errors ----------------------------------------------------------------------------------------


def _formula_file(rows) -> bytes:
    workbook = Workbook()
    ws = workbook.active
    ws.title = "月报"
    ws.append(REPORT_HEADERS)
    for row in rows:
        ws.append([row.get(h) for h in REPORT_HEADERS])
    stream = io.BytesIO()
    workbook.save(stream)
    return stream.getvalue()


def test_every_row_error_is_reported_by_row_and_column_and_nothing_is_saved(api_client, huangpu_user):
    made = {code: reporting(code=code) for code in ("HP-1", "HP-2", "HP-3", "HP-4", "HP-5", "HP-6", "HP-7")}
    report(made["HP-5"])  # 30.0% in May
    report(reporting(code="HP-9"), PERIOD, status="submitted")
    report(reporting(code="HP-10"), PERIOD, status="accepted")
    reporting("440104", code="YX-1")
    content = _formula_file(
        [
            entry("HP-1"),  # fine on its own: saved only if every row is
            entry("NOPE-1"),  # 3: unknown
            entry("YX-1"),  # 4: another district's
            entry("HP-2", amount=-5),  # 5
            entry("HP-3", percent=100.5),  # 6
            entry("HP-4", amount="很多", percent="一半"),  # 7
            entry("HP-5", percent=25),  # 8: below May's 30%
            entry("HP-6", amount="=1+1", progress="=A1"),  # 9: formulas
            entry("HP-1"),  # 10: twice
            entry("HP-9"),  # 11: submitted
            entry("HP-10"),  # 12: accepted
            entry(None),  # 13: no code
            entry("HP-7", amount=None),  # 14: amount left empty
        ]
    )
    response = upload(api_client(huangpu_user), content)
    assert response.status_code == 400, response.json()
    errors = {(e["row"], e["column"]): e["message"] for e in response.json()["errors"]}
    assert "不在您 2025-06 需填报月报的项目清单中" in errors[(3, "项目编号")]
    assert "“YX-1”不在" in errors[(4, "项目编号")]
    assert errors[(5, AMOUNT)] == "本月完成投资不能为负数。"
    assert errors[(6, PERCENT)] == "形象进度应在 0 至 100 之间。"
    assert errors[(7, AMOUNT)] == "应为数字（万元）。" and errors[(7, PERCENT)] == "应为 0 至 100 的数字。"
    assert errors[(8, PERCENT)] == "形象进度不能低于 2025-05 月报的 30.0%。"
    assert errors[(9, AMOUNT)] == errors[(9, PROGRESS)] == "单元格中是公式，请改为直接填写数值或文字。"
    assert errors[(10, "项目编号")] == "与第 2 行的项目编号重复。"
    assert errors[(11, "项目编号")] == "该项目 2025-06 的月报已报送，不能通过导入修改。"
    assert errors[(12, "项目编号")] == "该项目 2025-06 的月报已审核，不能通过导入修改。"
    assert errors[(13, "项目编号")] == "必填。"
    assert "必填" in errors[(14, AMOUNT)]
    assert len(errors) == len(response.json()["errors"]) == 14
    assert [e["row"] for e in response.json()["errors"]] == sorted(
        e["row"] for e in response.json()["errors"]
    )
    assert ProgressReport.objects.filter(period=PERIOD).count() == 2  # the submitted and the accepted
    assert not AuditEntry.objects.exists()


def test_a_report_of_a_completed_project_after_its_month_is_refused_on_its_row(city_api, city_user):
    project = reporting(code="HP-1", stage="completed")
    StageChange.objects.create(
        project=project, from_stage="implementation", to_stage="completed", on=PERIOD, by=city_user
    )
    assert upload(city_api, workbook_bytes([entry("HP-1")])).status_code == 201
    response = upload(city_api, workbook_bytes([entry("HP-1")]), period="2025-07")
    assert response.status_code == 400
    assert response.json()["errors"][0]["column"] == "项目编号"


# -- the page ------------------------------------------------------------------------------------------


def test_the_page_previews_then_confirms(huangpu_client, huangpu_user):
    url = reverse("projects:report_import")
    reporting(code="HP-1", name="知识城碧道")
    page = huangpu_client.get(url, {"period": "2025-06"})
    html = page.content.decode()
    assert page.status_code == 200 and 'type="month"' in html
    assert f"{reverse('import_report_template')}?period=2025-06" in html and 'type="file"' in html
    bad = huangpu_client.post(
        url,
        {
            "action": "preview",
            "period": "2025-06",
            "file": SimpleUploadedFile("r.xlsx", workbook_bytes([entry("HP-1", amount=-1)])),
        },
    )
    assert "本月完成投资不能为负数" in bad.content.decode() and "token" not in bad.context
    preview = huangpu_client.post(
        url,
        {
            "action": "preview",
            "period": "2025-06",
            "file": SimpleUploadedFile("r.xlsx", workbook_bytes([entry("HP-1")])),
        },
    )
    html = preview.content.decode()
    assert "全部 1 行检查通过" in html and "知识城碧道" in html and not ProgressReport.objects.exists()
    response = huangpu_client.post(
        url, {"action": "confirm", "token": preview.context["token"], "period": "2025-06"}
    )
    assert response.status_code == 302 and response["Location"].endswith("?period=2025-06")
    saved = ProgressReport.objects.get()
    assert saved.period == PERIOD and saved.completed_amount == D("1205000.00")
    assert (
        huangpu_client.post(url, {"action": "confirm", "token": "forged", "period": "2025-06"}).status_code
        == 302
    )
    assert ProgressReport.objects.count() == 1


def test_the_page_shows_a_bad_file_and_is_not_for_finance(huangpu_client, client_for, finance_user):
    url = reverse("projects:report_import")
    page = huangpu_client.post(
        url, {"action": "preview", "period": "2025-06", "file": SimpleUploadedFile("r.xlsx", b"nope")}
    )
    assert "不是 Excel 工作簿" in page.content.decode()
    assert client_for(finance_user).get(url).status_code == 403
