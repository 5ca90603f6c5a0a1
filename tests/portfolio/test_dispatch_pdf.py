"""The monthly 通报 as a PDF (portfolio/dispatch/pdf.py): read back with pypdf, its text holds the
hand-computed figures of `dispatch_world`, its long tables run over numbered pages without losing their
header or cutting a row, a district user's copy holds only that district, and it reaches no URL."""

import io
import re
import socket
from decimal import Decimal

import pytest
from pypdf import PdfReader
from weasyprint import HTML

from portfolio.dispatch import pdf
from portfolio.dispatch.pdf import RED_LISTED, OfflineFetcher, bulletin_pdf
from portfolio.dispatch.selectors import dispatch_figures
from projects.models import InvestmentPlan
from tests.factories import ProjectFactory, district

URL = "/api/v1/reports/dispatch.pdf"
TITLE = "美丽广州建设重大项目月度调度通报（2026年1—6月）"


def pages_of(content: bytes) -> list[str]:
    return [page.extract_text() for page in PdfReader(io.BytesIO(content)).pages]


def flat(text: str) -> str:
    """The text with every run of whitespace one space: table cells and wrapped lines read as one line."""
    return re.sub(r"\s+", " ", text)


def between(text: str, start: str, end: str) -> str:
    """The part of `text` from the heading `start` up to the heading `end`."""
    begin = text.index(start)
    return text[begin : text.index(end, begin)]


def june_bulletin(dispatch_june, user, scope="全市", **extra) -> bytes:
    dispatch = dispatch_figures(user=user, year=2026, month=6, today=dispatch_june["today"], **extra)
    return bulletin_pdf(dispatch, scope=scope)


@pytest.fixture
def june_text(dispatch_june, city_user) -> str:
    return flat("\n".join(pages_of(june_bulletin(dispatch_june, city_user))))


def test_the_bulletin_is_a_pdf_of_a_page_or_two_for_three_projects(dispatch_june, city_user):
    content = june_bulletin(dispatch_june, city_user)
    assert content.startswith(b"%PDF-")
    pages = pages_of(content)
    assert len(pages) in (1, 2)
    for number, text in enumerate(pages, start=1):
        assert f"第 {number} 页 / 共 {len(pages)} 页" in text


def test_the_headline_holds_the_title_the_scope_the_dates_and_the_amounts_in_yi(june_text):
    assert TITLE in june_text
    assert "范围：全市" in june_text
    assert "数据截至：2026年6月30日" in june_text
    assert "印发日期：2026年7月20日" in june_text
    assert "重大项目共 3 个" in june_text
    assert "年度计划投资 0.35 亿元" in june_text
    assert "累计完成投资 0.16 亿元" in june_text
    assert "年度投资计划完成率 46.0%，序时进度 50.0%，落后序时进度 4.0 个百分点" in june_text
    assert "红旗项目 1 个、黄旗项目 1 个" in june_text
    assert "应报月报 3 份，逾期 1 份" in june_text


def test_the_headline_gives_time_progress_and_the_four_rates(june_text):
    assert "序时进度 50.0%" in june_text
    assert "开工率 50.0%" in june_text
    assert "投资完成率 46.0%" in june_text
    assert "资金到位率 43.8%" in june_text
    assert "按期竣工率 0.0%" in june_text


def test_the_ranking_table_runs_from_the_highest_completion_rate(june_text):
    ranking = between(june_text, "二、各区投资完成情况排名", "全市合计")
    assert re.findall(r"(\d+) (\S+区) ", ranking)[:3] == [("1", "越秀区"), ("2", "天河区"), ("3", "黄埔区")]
    assert "1 越秀区 0.10 0.06 60.0% +10.0 正常 1/0" in ranking
    assert "2 天河区 0.05 0.03 50.0% 0.0 红旗 1/1" in ranking
    assert "3 黄埔区 0.20 0.08 38.0% -12.0 黄旗 1/0" in ranking
    # Districts with nothing planned are ranked last, without a rate or a flag.
    assert re.search(r"\d+ 荔湾区 0.00 0.00 — — — 0/0", ranking)
    assert "全市合计 0.35 0.16 46.0% -4.0" in june_text


def test_the_flagged_projects_are_listed_with_their_reasons(june_text):
    red = between(june_text, "三、红旗项目", "四、黄旗项目")
    assert "天河调度测试项目" in red
    assert "2026-06 月报逾期未报" in red
    assert "黄埔调度测试项目" not in red
    yellow = between(june_text, "四、黄旗项目", "五、逾期未解决问题")
    assert "黄埔调度测试项目 DISP-H1 黄埔区 38.0% -12.0" in yellow
    assert "越秀调度测试项目" not in red + yellow


def test_the_overdue_problem_names_its_unit_its_date_and_its_days_overdue(june_text):
    problems = between(june_text, "五、逾期未解决问题", "说明：")
    compact = problems.replace(" ", "")
    # 2026-07-20 less 2026-07-01: 19 days.
    assert "用地用地指标未落实黄埔区自然资源局2026-07-0119" in compact
    assert "配套资金未到位" not in problems  # 天河's problem is open but not yet due


def test_the_bulletin_reads_nothing_more_from_the_database(
    dispatch_june, city_user, django_assert_num_queries
):
    dispatch = dispatch_figures(user=city_user, year=2026, month=6, today=dispatch_june["today"])
    with django_assert_num_queries(0):
        bulletin_pdf(dispatch, scope="全市")


def crowd(count: int = 150) -> list:
    """`count` 番禺 projects planned for 2026 with no report of June: each red, late and behind."""
    projects = []
    for number in range(count):
        project = ProjectFactory(
            code=f"CROWD-{number:03d}",
            name=f"番禺区大型调度测试项目第{number:03d}号（含配套道路、管网与景观提升工程）",
            district=district("440113"),
            review_status="accepted",
            stage="implementation",
        )
        InvestmentPlan.objects.create(
            project=project, year=2026, planned_amount=Decimal(1_000_000 + number * 10_000), kind="continuing"
        )
        projects.append(project)
    return projects


def test_long_tables_run_over_numbered_pages_with_their_header_and_whole_rows(dispatch_june, city_user):
    crowd(150)
    pages = pages_of(june_bulletin(dispatch_june, city_user))
    assert len(pages) >= 3
    for number, text in enumerate(pages, start=1):
        assert f"第 {number} 页 / 共 {len(pages)} 页" in text
    holding = {}
    for index, text in enumerate(pages):
        codes = re.findall(r"CROWD-\d{3}", text)
        if codes:
            assert "亮旗原因" in text, f"page {index + 1} has red rows without the table's header"
        for code in codes:
            holding.setdefault(code, set()).add(index)
    # The furthest behind are listed (all 150 are 50 points behind; 天河's is on pace), the rest counted.
    assert sorted(holding) == [f"CROWD-{number:03d}" for number in range(RED_LISTED)]
    for code, indexes in holding.items():
        # A row cut by a page break would leave its code apart from its figures and its reasons.
        assert len(indexes) == 1, code
        number = int(code.removeprefix("CROWD-"))
        page = flat(pages[indexes.pop()])
        assert f"{100 + number:,.2f}" in page, code
    assert sum(flat(text).count("2026-06 月报逾期未报") for text in pages) == RED_LISTED
    assert f"以上为落后最多的 {RED_LISTED} 个红旗项目，另有 {151 - RED_LISTED} 个详见调度表。" in flat(
        "".join(pages)
    )


def test_a_district_user_gets_the_bulletin_of_their_district_only(dispatch_june, huangpu_user, api_client):
    response = api_client(huangpu_user).get(URL, {"year": 2026, "month": 6})
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response.content.startswith(b"%PDF")
    assert 'filename="dispatch-2026-06.pdf"' in response["Content-Disposition"]
    text = flat("\n".join(pages_of(response.content)))
    assert "范围：黄埔区" in text
    assert "黄埔调度测试项目" in text
    assert "越秀调度测试项目" not in text
    assert "天河调度测试项目" not in text
    assert "越秀区" not in text and "天河区" not in text
    assert "按期竣工率 —" in text  # no 黄埔 project is to be completed in 2026


def test_a_city_users_bulletin_of_one_district_names_that_district(dispatch_june, city_api):
    response = city_api.get(URL, {"year": 2026, "month": 6, "district": "440104"})
    assert response.status_code == 200
    text = flat("\n".join(pages_of(response.content)))
    assert "范围：越秀区" in text and "范围：全市" not in text
    assert "越秀调度测试项目" not in text  # green: in no list of the bulletin
    assert "1 越秀区 0.10 0.06 60.0% +10.0 正常 1/0" in text
    assert "黄埔区" not in text and "天河区" not in text


def test_a_month_out_of_range_is_a_400_naming_the_month(city_api):
    response = city_api.get(URL, {"year": 2026, "month": 13})
    assert response.status_code == 400
    assert response["Content-Type"].startswith("application/json")
    assert "month" in response.json()


@pytest.mark.parametrize(
    "url", ["http://example.com/logo.png", "https://example.com/a.css", "file:///etc/passwd", "ftp://x/y"]
)
def test_the_fetcher_refuses_every_url_but_data(url):
    with pytest.raises(ValueError):
        OfflineFetcher().fetch(url)


def test_the_fetcher_reads_data_urls():
    assert OfflineFetcher().fetch("data:text/plain;base64,6YCa5oql").read().decode() == "通报"


def test_weasyprint_through_the_fetcher_opens_no_connection(monkeypatch):
    attempts = []
    monkeypatch.setattr(socket, "getaddrinfo", lambda *args, **kwargs: attempts.append(args) or [])
    monkeypatch.setattr(socket.socket, "connect", lambda self, address: attempts.append(address))
    HTML(
        string='<img src="http://example.com/logo.png"><link rel="stylesheet" href="https://example.com/a.css">',
        base_url=None,
        url_fetcher=OfflineFetcher(),
    ).write_pdf()
    assert attempts == []


def test_the_bulletin_renders_offline_and_prints_markup_in_names_as_text(
    dispatch_june, city_user, monkeypatch
):
    dispatch_june["t1"].name = '<img src="http://example.com/x.png">天河'
    dispatch_june["t1"].save(update_fields=["name"])
    given, fetched = {}, []
    real_html = pdf.HTML

    def spy(**kwargs):
        given.update(kwargs)
        return real_html(**kwargs)

    monkeypatch.setattr(pdf, "HTML", spy)
    monkeypatch.setattr(OfflineFetcher, "fetch", lambda self, url, headers=None: fetched.append(url))
    text = flat("\n".join(pages_of(june_bulletin(dispatch_june, city_user))))
    assert isinstance(given["url_fetcher"], OfflineFetcher)
    assert given["base_url"] is None
    assert fetched == []
    assert '<imgsrc="http://example.com/x.png">天河' in text.replace(" ", "")  # the cell wraps it
