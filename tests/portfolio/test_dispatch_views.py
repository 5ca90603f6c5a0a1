"""/dispatch/ (月度调度) and the dashboard's headline row, on June 2026 computed by hand
(tests/factories.py, dispatch_world): ranking, flags, reasons, scope, bad queries, query counts."""

import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from portfolio.dispatch.selectors import default_month, dispatch_figures
from portfolio.seed import seed_demo

pytestmark = pytest.mark.django_db

JUNE = {"year": 2026, "month": 6}


def page(client, **params):
    response = client.get("/dispatch/", params)
    assert response.status_code == 200
    return response.content.decode()


def section(html, element_id):
    start = html.index(f'id="{element_id}"')
    return html[start : html.index("</table>", start)]


def test_the_city_sees_the_districts_ranked_with_their_flags(dispatch_june, city_client):
    html = page(city_client, **JUNE)
    ranking = re.findall(r'data-district="(\d+)" data-flag="(\w+)"', section(html, "district-ranking"))
    assert ranking[:3] == [("440104", "green"), ("440106", "red"), ("440112", "yellow")]
    assert len(ranking) == 11
    assert 'id="time-progress">50.0%' in html
    assert 'id="rate-completion">46.0%' in html
    assert 'id="rate-start">50.0%' in html
    assert 'id="rate-funding">43.8%' in html
    assert 'id="rate-on-time">0.0%' in html
    assert 'id="red-count">1<' in html and 'id="yellow-count">1<' in html
    total = section(html, "city-total")
    assert "0.35 亿元" in total and "0.16 亿元" in total and "46.0%" in total


def test_red_and_yellow_projects_show_their_reasons(dispatch_june, city_client):
    html = page(city_client, **JUNE)
    flagged = section(html, "flagged")
    assert re.findall(r'data-code="([\w-]+)" data-flag="(\w+)"', flagged) == [
        ("DISP-T1", "red"),
        ("DISP-H1", "yellow"),
    ]
    assert "2026-06 月报逾期未报" in flagged
    assert "落后序时进度 12.0 个百分点" in flagged
    assert "越秀调度测试项目" not in flagged
    assert "天河调度测试项目" in section(html, "late-reports")
    overdue = section(html, "overdue-problems")
    assert "用地指标未落实" in overdue and "黄埔区自然资源局" in overdue and "2026-07-01" in overdue


def test_the_outputs_are_linked_with_the_same_month(dispatch_june, city_client):
    html = page(city_client, **JUNE, district="440112")
    assert 'href="/api/v1/exports/dispatch.xlsx?year=2026&amp;month=6&amp;district=440112"' in html
    assert 'href="/api/v1/reports/dispatch.pdf?year=2026&amp;month=6&amp;district=440112"' in html
    assert re.findall(r'data-code="([\w-]+)"', section(html, "flagged")) == ["DISP-H1"]


def test_a_district_user_sees_its_own_district_only(dispatch_june, huangpu_client):
    html = page(huangpu_client, **JUNE)
    assert re.findall(r'data-district="(\d+)"', html) == ["440112"]
    assert "越秀调度测试项目" not in html and "天河调度测试项目" not in html
    assert "天河区" not in section(html, "district-ranking")
    assert "黄埔调度测试项目" in html
    # The district picker is the city's; a district named in the query reaches nothing of it.
    assert 'name="district"' not in html
    other = page(huangpu_client, **JUNE, district="440106")
    assert "天河调度测试项目" not in other


def test_a_bad_month_is_said_and_the_last_month_shown(dispatch_june, city_client):
    html = page(city_client, year=2026, month=13)
    assert 'id="query-errors"' in html and "12" in section_text(html, "query-errors")
    year, month = default_month(timezone.localdate())
    assert f"{year} 年 1—{month} 月" in html
    html = page(city_client, year="二〇二六")
    assert "年度应为四位数字" in html


def section_text(html, element_id):
    start = html.index(f'id="{element_id}"')
    return html[start : html.index("</div></div>", start)]


def test_who_may_open_it(client_for, lender_user, no_role_user, finance_user):
    assert client_for(None).get("/dispatch/").status_code == 302
    assert client_for(lender_user).get("/dispatch/").status_code == 403
    assert client_for(no_role_user).get("/dispatch/").status_code == 403
    assert client_for(finance_user).get("/dispatch/").status_code == 200


def test_the_page_runs_a_fixed_number_of_queries(dispatch_june, city_client):
    counts = []
    for total in (10, 150):
        seed_demo(total, rng_seed=total)
        city_client.get("/dispatch/", {"year": 2026, "month": 10})
        with CaptureQueriesContext(connection) as captured:
            page(city_client, year=2026, month=10)
        counts.append(len(captured))
    assert counts[0] == counts[1], counts


def test_the_dashboard_headline(dispatch_june, city_client, city_user):
    html = city_client.get("/").content.decode()
    today = timezone.localdate()
    dispatch = dispatch_figures(
        user=city_user, **dict(zip(("year", "month"), default_month(today), strict=True))
    )
    headline = html[html.index('id="headline"') : html.index('id="alerts"')]
    assert 'id="library-count">3 个' in headline
    assert 'id="library-investment">3.00 亿元' in headline
    assert f'id="annual-plan">{dispatch.total.annual_plan / 10**8:.2f} 亿元' in headline
    assert f"{dispatch.time_progress:.1f}%" in headline
    assert 'id="funding-gap">' in headline and 'id="loans-outstanding">0.00 亿元' in headline
    assert f"红旗 {dispatch.total.red}" in headline and f"黄旗 {dispatch.total.yellow}" in headline
    assert f'href="/dispatch/?year={dispatch.year}&amp;month={dispatch.month}"' in headline


def test_the_dashboard_headline_of_a_district_is_its_own(dispatch_june, huangpu_client):
    html = huangpu_client.get("/").content.decode()
    headline = html[html.index('id="headline"') : html.index('id="alerts"')]
    assert 'id="library-count">1 个' in headline
    assert 'id="library-investment">1.00 亿元' in headline


def test_a_bad_month_keeps_the_district_asked_for(dispatch_june, city_client):
    html = page(city_client, year=2026, month=13, district="440112")
    assert 'id="query-errors"' in html
    assert re.findall(r'data-district="(\d+)"', section(html, "district-ranking")) == ["440112"]
    assert '<option value="440112" selected>' in html


def test_the_page_and_the_headline_of_a_district_run_a_fixed_number_of_queries(dispatch_june, huangpu_client):
    """The summed dispatch (issue 16): a district user's page and dashboard read the same number of
    queries at 10 and at 150 more projects, and the page still lists and counts what it shows."""
    counts = {"/dispatch/": [], "/": []}
    for total in (10, 150):
        seed_demo(total, rng_seed=total + 1)
        for url in counts:
            huangpu_client.get(url, JUNE if url == "/dispatch/" else {})
            with CaptureQueriesContext(connection) as captured:
                assert huangpu_client.get(url, JUNE if url == "/dispatch/" else {}).status_code == 200
            counts[url].append(len(captured))
    assert all(first == second for first, second in counts.values()), counts
    html = page(huangpu_client, **JUNE)
    assert "DISP-H1" in section(html, "flagged")
