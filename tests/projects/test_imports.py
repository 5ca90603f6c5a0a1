"""Excel in (projects.imports, its API endpoint and its upload page): a filled-in template, every row
error and every kind of bad file."""

import io
import zipfile

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from openpyxl import Workbook

from portfolio.models import AuditEntry
from projects.imports import HEADERS
from projects.models import Project
from tests.factories import OrganizationFactory, ProjectFactory, UnitFactory, district

pytestmark = pytest.mark.django_db
URL = "/api/v1/imports/projects/"


def workbook_bytes(rows, *, headers=HEADERS, sheet="项目") -> bytes:
    workbook = Workbook()
    ws = workbook.active
    ws.title = sheet
    ws.append(headers)
    for row in rows:
        ws.append(row)
    stream = io.BytesIO()
    workbook.save(stream)
    return stream.getvalue()


def row(name="增江画廊提升工程", district_name="黄埔区", **values):
    base = {
        "项目名称": name,
        "区": district_name,
        "美丽单元": None,
        "类别": "美丽河湖",
        "全国投资项目代码": None,
        "实施主体": None,
        "建设内容": "碧道建设",
        "总投资（万元）": 12345.67,
        "计划开工年份": 2025,
        "计划完工年份": 2027,
        "联系人": "张三",
        "联系电话": "020-12345678",
        "备注": None,
    }
    base.update(values)
    return [base[h] for h in HEADERS]


def upload(client, content: bytes, name="projects.xlsx", **data):
    return client.post(URL, {"file": SimpleUploadedFile(name, content), **data}, format="multipart")


def test_a_filled_template_becomes_drafts(city_api):
    unit = UnitFactory(name="知识城单元", district=district("440112"))
    org = OrganizationFactory(name="广州某建设公司")
    content = workbook_bytes(
        [
            row(),
            row("海珠湿地修复", "440105", 类别="eco_restoration", 实施主体="广州某建设公司"),
            row("知识城生境花园", 美丽单元="知识城单元", 全国投资项目代码="2025-440112-77-01-000001"),
        ]
    )
    response = upload(city_api, content)
    assert response.status_code == 201, response.json()
    assert response.json()["created"] == 3
    projects = {p.name: p for p in Project.objects.all()}
    assert (
        projects["增江画廊提升工程"].total_investment == 123456700
        and projects["增江画廊提升工程"].review_status == "draft"
    )
    assert (
        projects["海珠湿地修复"].district_id == "440105" and projects["海珠湿地修复"].implementing_org == org
    )
    assert projects["知识城生境花园"].unit == unit
    assert AuditEntry.objects.filter(action="project_create").count() == 3


def test_import_queries_do_not_grow_row_by_row(city_api):
    def queries(rows):
        content = workbook_bytes([row(f"项目{rows}-{n}", ("黄埔区", "越秀区")[n % 2]) for n in range(rows)])
        with CaptureQueriesContext(connection) as captured:
            response = upload(city_api, content)
            assert response.status_code == 201, response.json()
        return len(captured)

    queries(1)  # the first call also looks up the audit's content type, which stays cached
    few, many = queries(10), queries(300)
    assert few == many, (few, many)


def test_uploading_the_same_file_again_creates_nothing(city_api):
    content = workbook_bytes([row(), row("第二个项目")])
    client = city_api
    assert upload(client, content).status_code == 201
    again = upload(client, content)
    assert again.status_code == 400
    assert [e["message"] for e in again.json()["errors"]] == ["库中已有该区的同名项目，不能重复申报。"] * 2
    assert Project.objects.count() == 2


def test_every_row_error_is_reported_and_nothing_saved(city_api):
    ProjectFactory(national_code="2025-440112-77-01-000009")
    content = workbook_bytes(
        [
            row(),  # fine on its own
            row(None, 区=None, 类别="森林", 计划开工年份="明年"),
            row("甲", **{"总投资（万元）": "很多", "计划完工年份": 2020, "计划开工年份": 2025}),
            row("乙", 全国投资项目代码="2025-440112-77-01-000009"),
            row("丙", 全国投资项目代码="2025-440312-77-01-000001"),
            row("增江画廊提升工程"),  # same name and district as row 2
            row("丁", 美丽单元="不存在的单元", 实施主体="不存在的公司"),
            row("戊", 计划开工年份=2026, 计划完工年份=2025),
        ]
    )
    response = upload(city_api, content)
    assert response.status_code == 400
    errors = {(e["row"], e["column"]): e["message"] for e in response.json()["errors"]}
    assert errors[(3, "项目名称")] == "必填。" and errors[(3, "区")] == "必填。"
    assert "没有“森林”这个类别" in errors[(3, "类别")] and errors[(3, "计划开工年份")] == "应为四位数字年份。"
    assert errors[(4, "总投资（万元）")] == "应为数字（万元）。"
    assert errors[(5, "全国投资项目代码")] == "该全国投资项目代码已被其他项目使用。"
    assert "项目代码格式" in errors[(6, "全国投资项目代码")]
    assert errors[(7, "项目名称")] == "与第 2 行同区同名。"
    assert "美丽单元" in errors[(8, "美丽单元")] and "机构库中没有" in errors[(8, "实施主体")]
    assert errors[(9, "")] == "计划完工年份不能早于计划开工年份。"
    assert Project.objects.count() == 1 and not AuditEntry.objects.exists()


def test_district_users_import_their_own_district_only(api_client, huangpu_user):
    client = api_client(huangpu_user)
    response = upload(client, workbook_bytes([row(), row("越秀的项目", "越秀区")]))
    assert response.status_code == 400
    assert response.json()["errors"] == [{"row": 3, "column": "区", "message": "区用户只能为本区新建项目。"}]
    assert not Project.objects.exists()
    assert upload(client, workbook_bytes([row()])).status_code == 201


def test_finance_may_not_import(api_client, finance_user):
    assert upload(api_client(finance_user), workbook_bytes([row()])).status_code == 403


def test_ragged_rows_from_read_only_mode(city_api):
    # Rows that end early (no trailing cells at all) are read as empty values, not errors or crashes.
    short = row()[:10]
    response = upload(city_api, workbook_bytes([short]))
    assert response.status_code == 201 and Project.objects.get().contact_name == ""


def test_a_dry_run_saves_nothing(city_api):
    response = upload(city_api, workbook_bytes([row()]), dry_run="true")
    assert response.status_code == 200 and response.json()["would_create"] == 1
    assert not Project.objects.exists()


def _zip(entries: dict) -> bytes:
    stream = io.BytesIO()
    with zipfile.ZipFile(stream, "w") as archive:
        for name, data in entries.items():
            archive.writestr(name, data)
    return stream.getvalue()


def _with_sheet_xml(xml: str) -> bytes:
    source = zipfile.ZipFile(io.BytesIO(workbook_bytes([row()])))
    return _zip(
        {
            name: (xml if name == "xl/worksheets/sheet1.xml" else source.read(name))
            for name in source.namelist()
        }
    )


BOMB = (
    '<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;">'
    '<!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;">]>'
    '<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>'
    '<row r="1"><c r="A1" t="inlineStr"><is><t>&lol3;</t></is></c></row></sheetData></worksheet>'
)


def _formulas() -> bytes:
    workbook = Workbook()
    ws = workbook.active
    ws.title = "项目"
    ws.append(HEADERS)
    ws.append(row(**{"总投资（万元）": "=SUM(1,2)"}))
    stream = io.BytesIO()
    workbook.save(stream)
    return stream.getvalue()


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("notes.xlsx", "这不是表格".encode(), "不是 Excel 工作簿"),
        ("old.xls", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 600, "另存为 .xlsx"),
        ("cut.xlsx", workbook_bytes([row()])[:900], "不是 Excel 工作簿（.xlsx），或文件已损坏"),
        ("empty.xlsx", b"", "文件是空的"),
        ("other.xlsx", _zip({"readme.txt": "hello"}), "不是 Excel 工作簿"),
        ("sheet.xlsx", workbook_bytes([row()], sheet="Sheet1"), "没有名为“项目”的工作表"),
        ("headers.xlsx", workbook_bytes([row()], headers=["名称", "区"]), "表头缺少"),
        ("bomb.xlsx", _with_sheet_xml(BOMB), "不安全"),
    ],
)
def test_bad_files_answer_400_with_a_message(city_api, name, content, message):
    response = upload(city_api, content, name=name)
    assert response.status_code == 400, response.content
    assert message in response.json()["file"][0]
    assert not Project.objects.exists()


def test_formulas_in_cells_are_refused(city_api):
    response = upload(city_api, _formulas())
    assert response.status_code == 400
    assert response.json()["errors"] == [
        {"row": 2, "column": "总投资（万元）", "message": "单元格中是公式，请改为直接填写数值或文字。"}
    ]


def test_a_file_over_the_limit_is_refused_before_parsing(city_api, settings):
    big = b"PK" + b"\x00" * (10 * 1024 * 1024 + 1)
    response = upload(city_api, big)
    assert response.status_code == 400 and "超过 10 MB" in response.json()["file"][0]


def test_the_upload_page_previews_then_confirms(huangpu_client):
    url = reverse("projects:project_import")
    page = huangpu_client.post(
        url, {"action": "preview", "file": SimpleUploadedFile("p.xlsx", workbook_bytes([row()]))}
    )
    html = page.content.decode()
    assert "全部 1 行检查通过" in html and "增江画廊提升工程" in html and not Project.objects.exists()
    token = page.context["token"]
    response = huangpu_client.post(url, {"action": "confirm", "token": token})
    assert response.status_code == 302 and Project.objects.get().district_id == "440112"
    errors = huangpu_client.post(
        url, {"action": "preview", "file": SimpleUploadedFile("p.xlsx", workbook_bytes([row()]))}
    )
    assert "库中已有该区的同名项目" in errors.content.decode()
    assert huangpu_client.post(url, {"action": "confirm", "token": "forged"}).status_code == 302
    assert Project.objects.count() == 1
