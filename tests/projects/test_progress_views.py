"""The monthly dispatch's pages (projects/views/progress.py and the 投资进度 section of the project page):
real requests, checked in the response and in the database."""

import datetime
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from portfolio.models import AuditEntry
from portfolio.workdays import WorkingDay, previous_month
from projects.models import InvestmentPlan, Problem, ProgressReport
from projects.selectors.progress import reporting_period
from projects.services import progress as services
from tests.factories import ProjectFactory, district

pytestmark = pytest.mark.django_db
D = Decimal
PERIOD = reporting_period()
BEFORE = previous_month(PERIOD)
MONTHLY = reverse("projects:monthly")
LEDGER = reverse("projects:problem_list")
QUEUE = reverse("projects:report_review_queue")


def page(client, url, **params) -> str:
    response = client.get(url, params)
    assert response.status_code == 200, response.status_code
    return response.content.decode()


def library_project(**values):
    """A 黄埔 project in the library, under construction: it reports every month from its start year."""
    values = {
        "review_status": "accepted",
        "stage": "implementation",
        "start_year": PERIOD.year - 1,
        "end_year": PERIOD.year + 2,
        "district": district("440112"),
    } | values
    return ProjectFactory(**values)


def report_of(project, period=PERIOD, **values) -> ProgressReport:
    """A report written straight into the table (a dataset, not a write under test)."""
    return ProgressReport.objects.create(project=project, period=period, **values)


def submitted(project, user, period=PERIOD, **values) -> ProgressReport:
    report = services.report_create(acting_user=user, project=project, period=period, **values)
    return services.report_submit(acting_user=user, report=report)


def report_post(**values) -> dict:
    return {
        "completed_amount": "2500000",
        "progress_percent": "40",
        "physical_progress": "主体结构完成四成",
        "problems_note": "",
        "action": "save",
    } | values


@pytest.fixture
def project(db):
    return library_project(name="黄埔碧道工程")


# -- navigation ---------------------------------------------------------------------------------------


def test_navigation_by_role(client_for, city_user, huangpu_user, finance_user):
    html = page(client_for(city_user), MONTHLY)
    assert "本月填报" in html and "问题台账" in html and "月报审核" in html
    html = page(client_for(huangpu_user), MONTHLY)
    assert "本月填报" in html and "问题台账" in html and "月报审核" not in html
    html = page(client_for(finance_user), LEDGER)
    assert "问题台账" in html and "本月填报" not in html and "月报审核" not in html


# -- the project page's 投资进度 ------------------------------------------------------------------------


def test_project_page_shows_the_years_plan_months_year_to_date_and_problems(huangpu_client, project):
    year = timezone.localdate().year
    InvestmentPlan.objects.create(project=project, year=year, planned_amount=D("10000000"), kind="continuing")
    report_of(project, datetime.date(year, 1, 1), completed_amount=D("1000000"), progress_percent=D("10"))
    report_of(
        project,
        datetime.date(year, 2, 1),
        completed_amount=D("1500000"),
        progress_percent=D("25"),
        physical_progress="桩基完成",
    )
    Problem.objects.create(
        project=project,
        category="land",
        description="用地报批滞后",
        raised_on=datetime.date(2020, 1, 1),
        due_on=datetime.date(2020, 2, 1),
    )
    html = page(huangpu_client, reverse("projects:project_detail", args=[project.pk]))
    assert f"投资进度（{year} 年）" in html
    assert "1,000.00 万元" in html and "250.00 万元" in html  # the plan and the year to date
    assert "完成率" in html and "25%" in html
    assert "桩基完成" in html and "用地报批滞后" in html and "逾期" in html
    assert "未填报" in html
    # The bar is server-rendered SVG: no inline style for the CSP to refuse.
    section = html[html.index('id="progress"') : html.index('id="milestones"')]
    assert "<svg" in section and "style=" not in section
    assert 'id="plan-edit"' in html and 'id="plan-confirm"' not in html  # a draft: the district edits it
    assert f"?project={project.pk}" in html  # the link to the ledger


def test_a_month_without_a_report_past_its_due_date_is_late_in_red(huangpu_client, project):
    if timezone.localdate().month < 3:
        pytest.skip("needs a past month of this year whose due date has passed")
    html = page(huangpu_client, reverse("projects:project_detail", args=[project.pk]))
    months = html[html.index('id="months"') :]
    assert '<tr class="overdue">' in months and "逾期未报" in months


def test_buttons_follow_the_role(client_for, city_user, finance_user, huangpu_user, project):
    year = timezone.localdate().year
    InvestmentPlan.objects.create(project=project, year=year, planned_amount=D("100"), kind="continuing")
    url = reverse("projects:project_detail", args=[project.pk])
    city = page(client_for(city_user), url)
    assert 'id="plan-confirm"' in city and 'id="fill-report"' in city
    finance = page(client_for(finance_user), url)
    assert 'id="plan-edit"' not in finance and 'id="fill-report"' not in finance
    assert 'id="add-problem"' not in finance
    district_html = page(client_for(huangpu_user), url)
    assert 'id="plan-confirm"' not in district_html and 'id="fill-report"' in district_html


def test_a_project_outside_the_library_has_no_progress_to_fill(huangpu_client):
    draft = ProjectFactory(district=district("440112"))
    html = page(huangpu_client, reverse("projects:project_detail", args=[draft.pk]))
    assert 'id="progress-not-in-library"' in html and 'id="fill-report"' not in html


# -- annual plans -------------------------------------------------------------------------------------


def plan_post(**values) -> dict:
    return {
        "year": "2026",
        "planned_amount": "30000000",
        "kind": "continuing",
        "target": "完成主体工程",
    } | values


def test_a_district_drafts_its_plan(huangpu_client, project):
    url = reverse("projects:plan_create", args=[project.pk])
    assert 'value="2026"' in page(huangpu_client, url, year="2026")
    response = huangpu_client.post(url, plan_post())
    assert response.status_code == 302
    plan = InvestmentPlan.objects.get(project=project)
    assert (plan.year, plan.planned_amount, plan.status) == (2026, D("30000000"), "draft")


def test_a_plan_beyond_the_remaining_investment_is_refused_on_the_form(huangpu_client, project):
    url = reverse("projects:plan_create", args=[project.pk])
    response = huangpu_client.post(url, plan_post(planned_amount="900000000"))
    assert response.status_code == 200
    assert "年度计划投资超出剩余投资" in response.content.decode()
    assert not InvestmentPlan.objects.exists()


def test_another_districts_plan_pages_answer_404(client_for, yuexiu_user, project):
    plan = InvestmentPlan.objects.create(project=project, year=2026, planned_amount=D("1"), kind="continuing")
    client = client_for(yuexiu_user)
    assert client.get(reverse("projects:plan_create", args=[project.pk])).status_code == 404
    assert client.get(reverse("projects:plan_edit", args=[plan.pk])).status_code == 404
    assert client.post(reverse("projects:plan_confirm", args=[plan.pk])).status_code == 404


def test_staff_confirm_then_only_staff_adjust_with_a_reason(city_client, huangpu_client, project):
    plan = InvestmentPlan.objects.create(
        project=project, year=2026, planned_amount=D("1000"), kind="continuing"
    )
    assert huangpu_client.post(reverse("projects:plan_confirm", args=[plan.pk])).status_code == 403
    response = city_client.post(reverse("projects:plan_confirm", args=[plan.pk]))
    assert response.status_code == 302
    plan.refresh_from_db()
    assert plan.status == "confirmed"
    edit = reverse("projects:plan_edit", args=[plan.pk])
    assert huangpu_client.get(edit).status_code == 403
    html = page(city_client, edit)
    assert 'name="reason"' in html and "调整理由" in html
    response = city_client.post(edit, plan_post(planned_amount="2000", reason=""))
    assert response.status_code == 200 and "调整理由" in response.content.decode()
    plan.refresh_from_db()
    assert plan.planned_amount == D("1000")
    response = city_client.post(edit, plan_post(planned_amount="2000", reason="区财政追加"))
    assert response.status_code == 302
    plan.refresh_from_db()
    assert plan.planned_amount == D("2000")
    assert AuditEntry.objects.get(action="plan_adjust").note == "区财政追加"


# -- monthly reports ----------------------------------------------------------------------------------


def test_the_report_form_shows_last_months_figures_beside_the_fields(huangpu_client, project):
    report_of(
        project, BEFORE, completed_amount=D("1200000"), progress_percent=D("30"), physical_progress="基坑开挖"
    )
    url = reverse("projects:report_create", args=[project.pk])
    html = page(huangpu_client, url, period=f"{PERIOD:%Y-%m}")
    previous = html[html.index('id="previous"') :]
    assert f"{BEFORE:%Y-%m}" in previous and "120.00 万元" in previous and "30%" in previous
    assert "基坑开挖" in previous and "报送截止" in html


def test_a_district_saves_a_draft_then_submits(huangpu_client, project):
    url = reverse("projects:report_create", args=[project.pk]) + f"?period={PERIOD:%Y-%m}"
    response = huangpu_client.post(url, report_post())
    report = ProgressReport.objects.get(project=project, period=PERIOD)
    assert response["Location"] == reverse("projects:report_detail", args=[report.pk])
    assert (report.status, report.completed_amount) == ("draft", D("2500000"))
    # Opening the same month again leads to its report.
    again = huangpu_client.get(url)
    assert again["Location"] == reverse("projects:report_edit", args=[report.pk])
    edit = reverse("projects:report_edit", args=[report.pk])
    response = huangpu_client.post(
        edit, report_post(version=report.version, action="submit", progress_percent="45")
    )
    assert response.status_code == 302
    report.refresh_from_db()
    assert (report.status, report.progress_percent) == ("submitted", D("45"))
    assert report.first_submitted_at is not None
    # Submitted, it waits for review: the form is closed and the month's link leads to the report page.
    assert huangpu_client.get(edit).status_code == 403
    assert huangpu_client.get(url)["Location"] == reverse("projects:report_detail", args=[report.pk])


def test_save_and_submit_in_one_step_creates_a_submitted_report(huangpu_client, project):
    url = reverse("projects:report_create", args=[project.pk]) + f"?period={PERIOD:%Y-%m}"
    assert huangpu_client.post(url, report_post(action="submit")).status_code == 302
    assert ProgressReport.objects.get(project=project).status == "submitted"


def test_a_stale_form_gets_the_services_message_and_saves_nothing(huangpu_client, project):
    report = report_of(project, completed_amount=D("100"))
    edit = reverse("projects:report_edit", args=[report.pk])
    ProgressReport.objects.filter(pk=report.pk).update(version=report.version + 1)
    response = huangpu_client.post(edit, report_post(version=report.version))
    assert response.status_code == 200
    assert "该月报在您打开后已被他人修改" in response.content.decode()
    report.refresh_from_db()
    assert report.completed_amount == D("100")


def test_progress_below_last_month_is_refused_beside_its_field(huangpu_client, project):
    report_of(project, BEFORE, progress_percent=D("60"))
    url = reverse("projects:report_create", args=[project.pk]) + f"?period={PERIOD:%Y-%m}"
    response = huangpu_client.post(url, report_post(progress_percent="50"))
    assert response.status_code == 200
    assert "形象进度不能低于" in response.content.decode()
    assert not ProgressReport.objects.filter(period=PERIOD).exists()


def test_a_month_the_project_does_not_report_shows_why(huangpu_client, project):
    url = reverse("projects:report_create", args=[project.pk])
    html = page(huangpu_client, url, period=f"{project.start_year - 1}-06")
    assert 'id="refusal"' in html and "早于项目计划开工年份" in html and 'id="report-form"' not in html
    huangpu_client.post(f"{url}?period={project.start_year - 1}-06", report_post())
    assert not ProgressReport.objects.exists()


def test_staff_return_needs_a_comment_then_accept_and_reopen(city_client, huangpu_user, project):
    report = submitted(project, huangpu_user, completed_amount=D("100"), problems_note="征拆未完成")
    detail = reverse("projects:report_detail", args=[report.pk])
    html = page(city_client, detail)
    assert 'id="return-report"' in html and 'id="accept-report"' in html
    response = city_client.post(
        reverse("projects:report_return", args=[report.pk]),
        {"return-version": report.version, "return-comment": ""},
    )
    assert response.status_code == 200 and "必须填写" in response.content.decode()
    report.refresh_from_db()
    assert report.status == "submitted"
    response = city_client.post(
        reverse("projects:report_return", args=[report.pk]),
        {"return-version": report.version, "return-comment": "请核实本月完成投资"},
    )
    assert response["Location"] == QUEUE
    report.refresh_from_db()
    assert (report.status, report.review_comment) == ("returned", "请核实本月完成投资")
    report = services.report_submit(acting_user=huangpu_user, report=report)
    response = city_client.post(
        reverse("projects:report_accept", args=[report.pk]), {"accept-version": report.version}
    )
    report.refresh_from_db()
    assert response.status_code == 302 and report.status == "accepted"
    html = page(city_client, detail)
    assert 'id="reopen-report"' in html and "退回月报" in html and "审核通过月报" in html
    reopen = reverse("projects:report_reopen", args=[report.pk])
    response = city_client.post(reopen, {"reopen-version": report.version, "reopen-comment": " "})
    assert response.status_code == 200 and "理由" in response.content.decode()
    response = city_client.post(reopen, {"reopen-version": report.version, "reopen-comment": "数据需更正"})
    report.refresh_from_db()
    assert response.status_code == 302 and (report.status, report.review_comment) == (
        "returned",
        "数据需更正",
    )


def test_a_district_user_may_not_review(huangpu_client, huangpu_user, project):
    report = submitted(project, huangpu_user)
    response = huangpu_client.post(
        reverse("projects:report_accept", args=[report.pk]), {"accept-version": report.version}
    )
    assert response.status_code == 403
    report.refresh_from_db()
    assert report.status == "submitted"
    assert 'id="accept-report"' not in page(
        huangpu_client, reverse("projects:report_detail", args=[report.pk])
    )


def test_the_report_page_shows_its_cumulative_figures_due_date_and_history(
    huangpu_client, huangpu_user, project
):
    report_of(project, BEFORE, completed_amount=D("1000000"))
    if BEFORE.year != PERIOD.year:
        pytest.skip("the year to date starts again in January")
    report = submitted(project, huangpu_user, completed_amount=D("500000"))
    html = page(huangpu_client, reverse("projects:report_detail", args=[report.pk]))
    assert "150.00 万元" in html  # the year to date and since start
    assert "填报月报" in html and "报送月报" in html  # the history
    assert "报送截止" in html


def test_the_due_date_says_when_the_official_calendar_is_not_known(huangpu_client, project, monkeypatch):
    from projects.views import progress as views

    monkeypatch.setattr(views, "report_due", lambda period: WorkingDay(datetime.date(2099, 1, 7), False))
    html = page(huangpu_client, MONTHLY)
    assert "2099-01-07" in html and 'id="provisional"' in html and "尚未由国务院公布" in html


def test_a_report_with_problems_goes_to_the_ledger_once(huangpu_client, project):
    report = report_of(project, problems_note="征地拆迁未完成")
    detail = reverse("projects:report_detail", args=[report.pk])
    assert "转为问题台账" in page(huangpu_client, detail)
    response = huangpu_client.post(reverse("projects:report_problem", args=[report.pk]))
    problem = Problem.objects.get(report=report)
    assert response["Location"] == reverse("projects:problem_edit", args=[problem.pk])
    assert problem.description == "征地拆迁未完成"
    response = huangpu_client.post(reverse("projects:report_problem", args=[report.pk]), follow=True)
    assert "已登记到问题台账" in response.content.decode() and Problem.objects.count() == 1


def test_a_report_without_problems_offers_no_ledger_button(huangpu_client, project):
    report = report_of(project)
    assert "转为问题台账" not in page(huangpu_client, reverse("projects:report_detail", args=[report.pk]))
    huangpu_client.post(reverse("projects:report_problem", args=[report.pk]))
    assert not Problem.objects.exists()


# -- 本月填报 -------------------------------------------------------------------------------------------


def test_monthly_lists_every_project_that_reports_with_its_status(huangpu_client, huangpu_user, project):
    drafted = library_project(name="草稿项目")
    report_of(drafted, completed_amount=D("100"))
    sent = library_project(name="已报项目")
    submitted(sent, huangpu_user)
    library_project(name="谋划项目", stage="planning")
    ProjectFactory(name="未入库项目", district=district("440112"), stage="implementation")
    library_project(name="越秀项目", district=district("440104"))
    html = page(huangpu_client, MONTHLY)
    assert "黄埔碧道工程" in html and "草稿项目" in html and "已报项目" in html
    assert "谋划项目" not in html and "未入库项目" not in html and "越秀项目" not in html
    assert "未填报" in html and "草稿" in html and "已提交" in html
    assert f"?period={PERIOD:%Y-%m}" in html  # one click to the form of the month
    assert 'id="batch-entry"' in html


def test_monthly_marks_late_reports_in_red(huangpu_client, project):
    old = previous_month(previous_month(PERIOD))
    html = page(huangpu_client, MONTHLY, period=f"{old:%Y-%m}")
    assert '<tr class="overdue">' in html and "逾期未报" in html


def test_monthly_refuses_a_future_or_malformed_month(huangpu_client, project):
    for bad in ("2999-01", "2026-13", "x"):
        html = page(huangpu_client, MONTHLY, period=bad)
        assert 'id="period-error"' in html and f"{PERIOD:%Y-%m}" in html


def test_staff_filter_monthly_by_district(city_client, project):
    library_project(name="越秀项目", district=district("440104"))
    html = page(city_client, MONTHLY)
    assert "黄埔碧道工程" in html and "越秀项目" in html
    html = page(city_client, MONTHLY, district="440104")
    assert "黄埔碧道工程" not in html and "越秀项目" in html


# -- 月报审核 -------------------------------------------------------------------------------------------


def test_the_review_queue_lists_submitted_reports_oldest_first(city_client, huangpu_user, project):
    later = library_project(name="后报项目")
    first = submitted(project, huangpu_user)
    second = submitted(later, huangpu_user)
    ProgressReport.objects.filter(pk=first.pk).update(
        submitted_at=timezone.now() - datetime.timedelta(days=2)
    )
    report_of(library_project(name="草稿项目"))
    html = page(city_client, QUEUE)
    assert html.index("黄埔碧道工程") < html.index("后报项目") and "草稿项目" not in html
    assert reverse("projects:report_detail", args=[second.pk]) in html


# -- 问题台账 -------------------------------------------------------------------------------------------


@pytest.fixture
def problems(project):
    other = library_project(name="越秀项目", district=district("440104"))
    today = timezone.localdate()
    return {
        "overdue": Problem.objects.create(
            project=project,
            category="land",
            description="用地未落实",
            raised_on=today - datetime.timedelta(days=60),
            due_on=today - datetime.timedelta(days=1),
        ),
        "open": Problem.objects.create(project=project, category="funding", description="资金未到位"),
        "resolved": Problem.objects.create(
            project=project,
            category="approval",
            description="规划许可",
            status="resolved",
            resolved_on=today,
            resolution="已取得",
        ),
        "other": Problem.objects.create(project=other, category="land", description="越秀问题"),
    }


@pytest.mark.parametrize(
    ("params", "shown"),
    [
        ({}, {"用地未落实", "资金未到位", "规划许可", "越秀问题"}),
        ({"district": "440104"}, {"越秀问题"}),
        ({"category": "funding"}, {"资金未到位"}),
        ({"status": "resolved"}, {"规划许可"}),
        ({"is_overdue": "true"}, {"用地未落实"}),
    ],
)
def test_the_ledger_filters(city_client, problems, params, shown):
    html = page(city_client, LEDGER, **params)
    assert {p.description for p in problems.values() if p.description in html} == shown


def test_the_ledger_shows_overdue_in_red_and_a_district_its_own(huangpu_client, problems):
    html = page(huangpu_client, LEDGER)
    assert "越秀问题" not in html
    row = html[html.index("用地未落实") - 300 : html.index("用地未落实")]
    assert 'class="overdue"' in row
    assert reverse("projects:problem_edit", args=[problems["open"].pk]) in html


def test_finance_reads_the_ledger_without_changing_it(client_for, finance_user, problems):
    client = client_for(finance_user)
    html = page(client, LEDGER)
    assert "越秀问题" in html and "/edit/" not in html
    assert client.get(reverse("projects:problem_edit", args=[problems["open"].pk])).status_code == 403


def test_the_ledger_through_htmx_answers_the_results_only(city_client, problems):
    response = city_client.get(LEDGER, {"category": "land"}, headers={"HX-Request": "true"})
    html = response.content.decode()
    assert "<html" not in html and "用地未落实" in html and "资金未到位" not in html


def problem_post(**values) -> dict:
    return {
        "category": "demolition",
        "description": "征拆进度滞后",
        "responsible_unit": "区住建局",
        "raised_on": "2026-01-05",
        "due_on": "2026-03-31",
        "status": "open",
        "resolved_on": "",
        "resolution": "",
    } | values


def test_a_district_raises_and_resolves_a_problem(huangpu_client, project):
    response = huangpu_client.post(reverse("projects:problem_create", args=[project.pk]), problem_post())
    assert response.status_code == 302
    problem = Problem.objects.get(project=project)
    edit = reverse("projects:problem_edit", args=[problem.pk])
    response = huangpu_client.post(edit, problem_post(status="resolved"))
    assert response.status_code == 200 and "解决日期和解决情况" in response.content.decode()
    problem.refresh_from_db()
    assert problem.status == "open"
    response = huangpu_client.post(
        edit, problem_post(status="resolved", resolved_on="2026-03-01", resolution="已完成征拆")
    )
    assert response.status_code == 302
    problem.refresh_from_db()
    assert (problem.status, problem.resolution) == ("resolved", "已完成征拆")


def test_another_districts_problem_answers_404(client_for, yuexiu_user, problems):
    client = client_for(yuexiu_user)
    assert client.get(reverse("projects:problem_edit", args=[problems["open"].pk])).status_code == 404
    assert (
        client.get(reverse("projects:problem_create", args=[problems["open"].project_id])).status_code == 404
    )


# -- query counts: every list the same number of queries at two sizes ---------------------------------


def counted(client, url, **params) -> int:
    client.get(url, params)  # warm-up: the user's role is read once per user
    with CaptureQueriesContext(connection) as captured:
        response = client.get(url, params)
    assert response.status_code == 200
    return len(captured)


def grow(count: int, user) -> None:
    """`count` projects more, each with a submitted report of the month, last month's, and a problem."""
    for _ in range(count):
        project = library_project()
        report_of(project, BEFORE, completed_amount=D("1"))
        submitted(project, user, completed_amount=D("2"), problems_note="问题")
        Problem.objects.create(
            project=project, category="other", description="问题", due_on=datetime.date(2099, 1, 1)
        )


@pytest.mark.parametrize(
    ("url", "params"),
    [
        (MONTHLY, {}),
        (MONTHLY, {"district": "440112"}),
        (QUEUE, {"per_page": 100}),
        (LEDGER, {"per_page": 100}),
    ],
)
def test_lists_run_the_same_queries_at_two_sizes(city_client, city_user, url, params):
    grow(2, city_user)
    small = counted(city_client, url, **params)
    grow(30, city_user)
    assert counted(city_client, url, **params) == small


def test_the_district_monthly_list_runs_the_same_queries_at_two_sizes(huangpu_client, huangpu_user):
    grow(2, huangpu_user)
    small = counted(huangpu_client, MONTHLY)
    grow(30, huangpu_user)
    assert counted(huangpu_client, MONTHLY) == small


def test_the_project_page_does_not_grow_with_its_reports(huangpu_client, huangpu_user):
    project = library_project()
    year = timezone.localdate().year
    url = reverse("projects:project_detail", args=[project.pk])
    report_of(project, datetime.date(year, 1, 1))
    small = counted(huangpu_client, url)
    for month in range(2, timezone.localdate().month):
        report_of(project, datetime.date(year, month, 1))
        Problem.objects.create(project=project, category="other", description=f"问题{month}")
    assert counted(huangpu_client, url) == small


def test_the_ledger_filters_offer_all_rather_than_dashes(city_client, problems):
    html = page(city_client, LEDGER)
    assert "---------" not in html and html.count(">全部</option>") == 4


def test_the_citys_monthly_list_comes_a_page_at_a_time_with_the_counts_of_all(city_client):
    from projects.views.progress import MONTHLY_PAGE_SIZE

    for _n in range(MONTHLY_PAGE_SIZE + 3):
        library_project(district=district("440104"))
    first = city_client.get(reverse("projects:monthly"))
    second = city_client.get(reverse("projects:monthly"), {"page": 2})
    assert len(first.context["page"].object_list) == MONTHLY_PAGE_SIZE
    assert len(second.context["page"].object_list) == 3
    assert first.context["counts"]["total"] == second.context["counts"]["total"] == MONTHLY_PAGE_SIZE + 3
    assert "page=2" in first.content.decode()
    codes = [row["project"].code for row in first.context["rows"]]
    shown, rest = first.content.decode(), second.content.decode()
    assert codes[0] in shown and codes[-1] not in shown and codes[-1] in rest and codes[0] not in rest


# -- the review queue's cost (H7) --------------------------------------------------------------------------


def test_the_review_queue_runs_the_same_queries_for_one_as_for_six_with_the_year_to_date(
    city_client, django_assert_num_queries
):
    def submitted(amount: str) -> ProgressReport:
        project = ProjectFactory(review_status="accepted", stage="implementation", start_year=2025)
        ProgressReport.objects.create(
            project=project, period=datetime.date(2025, 1, 1), completed_amount=Decimal("100")
        )
        return ProgressReport.objects.create(
            project=project,
            period=datetime.date(2025, 2, 1),
            completed_amount=Decimal(amount),
            status="submitted",
            submitted_at=timezone.now(),
            first_submitted_at=timezone.now(),
        )

    submitted("20000")
    city_client.get(QUEUE)  # warm-up: the role is read once per user
    with CaptureQueriesContext(connection) as one:
        html = page(city_client, QUEUE)
    assert "2.01" in html  # 100 + 20,000 元 = 2.01 万元 this year
    for _ in range(5):
        submitted("30000")
    with django_assert_num_queries(len(one)):
        html = page(city_client, QUEUE)
    assert html.count("3.01") == 5
