"""The daily reminders (portfolio/dispatch/reminders.py, manage.py remind): each district user its own
district's reports coming due, late reports, overdue problems and returned items; city staff the city's
summary; finance nothing; once a day, with one email per user where EMAIL_HOST is set."""

import datetime
import io

import pytest
from django.core import mail
from django.core.management import CommandError, call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from portfolio.dispatch.reminders import remind, reminders, working_days_until
from portfolio.models import Notification
from projects.models import Problem, ProgressReport
from tests.factories import ProjectFactory, UserFactory, district

pytestmark = pytest.mark.django_db

JULY_20 = datetime.date(2026, 7, 20)  # June's reports were due on 2026-07-07


@pytest.fixture
def tianhe_user(db):
    return UserFactory(username="tianhe_a", role="district_user", district_code="440106")


def library_project(code, name, **values):
    values = {"review_status": "accepted", "stage": "implementation", "start_year": 2025} | values
    return ProjectFactory(
        code=code, name=name, district=district(values.pop("district_code", "440112")), **values
    )


def of(user, kind=None) -> list[Notification]:
    notifications = Notification.objects.filter(user=user).order_by("pk")
    return list(notifications.filter(kind=kind) if kind else notifications)


def only(user, kind) -> Notification:
    found = of(user, kind)
    assert len(found) == 1, [(n.kind, n.title) for n in of(user)]
    return found[0]


def kinds(user) -> list[str]:
    return sorted(n.kind for n in of(user))


# -- a district user: its own district only ------------------------------------------------------------------


def test_a_district_user_is_told_its_late_reports_and_not_another_districts(
    dispatch_june, tianhe_user, huangpu_user
):
    library_project("HP-LATE", "黄埔迟报项目")  # no June report: late in 黄埔 too
    remind(today=JULY_20)

    tianhe = only(tianhe_user, "report_late")
    assert tianhe.title == "1 个项目的 2026-06 月报逾期未报"
    assert "天河调度测试项目" in tianhe.body and "黄埔迟报项目" not in tianhe.body
    assert "2026-07-07" in tianhe.body
    assert tianhe.link == "/progress/monthly/?period=2026-06"
    assert tianhe.key == "report_late:440106:2026-06:2026-07-20"

    huangpu = only(huangpu_user, "report_late")
    assert huangpu.title == "1 个项目的 2026-06 月报逾期未报"
    assert "黄埔迟报项目" in huangpu.body and "天河调度测试项目" not in huangpu.body
    # H1 reported June on time: it is not late.
    assert "黄埔调度测试项目" not in huangpu.body


def test_a_district_user_is_told_its_overdue_problems_and_not_another_districts(
    dispatch_june, tianhe_user, huangpu_user, yuexiu_user
):
    Problem.objects.create(
        project=library_project("YX-P", "越秀问题项目", district_code="440104", stage="planning"),
        category="approval",
        description="越秀审批卡住",
        raised_on=datetime.date(2026, 6, 1),
        due_on=datetime.date(2026, 7, 10),
    )
    remind(today=JULY_20)

    huangpu = only(huangpu_user, "problem_overdue")
    assert huangpu.title == "1 个问题逾期未解决"
    assert "用地指标未落实" in huangpu.body and "2026-07-01" in huangpu.body
    assert "越秀审批卡住" not in huangpu.body
    assert huangpu.link == "/progress/problems/?is_overdue=true"
    assert only(yuexiu_user, "problem_overdue").title == "1 个问题逾期未解决"
    # 天河's problem is due 2026-08-31: not overdue.
    assert of(tianhe_user, "problem_overdue") == []
    # 越秀 reported June on time: nothing late; 黄埔 neither.
    assert of(yuexiu_user, "report_late") == [] and of(huangpu_user, "report_late") == []


def test_a_resolved_problem_or_one_due_today_is_not_overdue(dispatch_june, huangpu_user):
    problem = dispatch_june["overdue_problem"]
    remind(today=datetime.date(2026, 7, 1))
    assert of(huangpu_user, "problem_overdue") == []
    Problem.objects.filter(pk=problem.pk).update(
        status="resolved", resolved_on=datetime.date(2026, 7, 15), resolution="已落实"
    )
    remind(today=JULY_20)
    assert of(huangpu_user, "problem_overdue") == []


def test_returned_reports_and_projects_link_to_their_pages(dispatch_june, huangpu_user, yuexiu_user):
    ProgressReport.objects.filter(project=dispatch_june["h1"], period=datetime.date(2026, 6, 1)).update(
        status="returned", review_comment="数据有误"
    )
    returned = library_project("HP-RET", "黄埔退回项目", review_status="returned", stage="planning")
    library_project(
        "YX-RET", "越秀退回项目", review_status="returned", stage="planning", district_code="440104"
    )
    remind(today=JULY_20)

    report, project = of(huangpu_user, "returned")
    june = ProgressReport.objects.get(project=dispatch_june["h1"], period=datetime.date(2026, 6, 1))
    assert report.title == "1 份月报被退回待修改"
    assert "黄埔调度测试项目 2026-06 月报" in report.body
    assert report.link == f"/reports/{june.pk}/"
    assert project.title == "1 个项目入库申报被退回"
    assert "黄埔退回项目" in project.body and "越秀退回项目" not in project.body
    assert project.link == f"/projects/{returned.pk}/"
    assert [n.title for n in of(yuexiu_user, "returned")] == ["1 个项目入库申报被退回"]


def test_several_returned_projects_link_to_the_filtered_list(huangpu_user):
    for number in range(5):
        library_project(f"HP-R{number}", f"退回项目{number}", review_status="returned", stage="planning")
    remind(today=JULY_20)
    notification = only(huangpu_user, "returned")
    assert notification.title == "5 个项目入库申报被退回"
    assert "退回项目0、退回项目1、退回项目2 等 5 个" in notification.body
    assert notification.link == "/projects/?review_status=returned"


# -- city staff, finance, lenders ------------------------------------------------------------------------


def test_city_staff_get_the_city_summary(dispatch_june, city_user):
    library_project("HP-SUB", "待入库项目", review_status="submitted", stage="planning")
    remind(today=JULY_20)
    summary = only(city_user, "city_summary")
    assert of(city_user) == [summary]
    # Late: T1 (天河). Overdue: H1's problem. Waiting for review: H1's June report. 入库: one submitted.
    assert summary.title == "全市每日汇总：逾期未报 1 · 逾期问题 1 · 待审月报 1 · 待入库 1"
    assert "应报 3 个，未报 1 个，其中逾期未报 1 个" in summary.body
    assert "逾期未报的区：天河区 1" in summary.body
    assert summary.link == "/dispatch/?year=2026&month=6"
    assert summary.key == "city_summary:city:2026-06:2026-07-20"


def test_finance_lenders_inactive_users_and_users_without_a_district_get_nothing(
    dispatch_june, finance_user, lender_user, no_role_user
):
    inactive = UserFactory(role="district_user", district_code="440106", is_active=False)
    homeless = UserFactory(role="district_user")
    inactive_city = UserFactory(role="city_staff", is_active=False)
    remind(today=JULY_20)
    for user in (finance_user, lender_user, no_role_user, inactive, homeless, inactive_city):
        assert of(user) == [], user


def test_nothing_to_say_makes_no_notification(city_user, huangpu_user):
    remind(today=JULY_20)
    assert Notification.objects.count() == 0


# -- reports coming due: only within the window of working days --------------------------------------------


def test_working_days_until_counts_by_the_official_calendar():
    due = datetime.date(2026, 10, 13)  # September 2026's due day, after the National Day holiday
    assert working_days_until(due, due) == 0
    assert working_days_until(datetime.date(2026, 10, 10), due) == 2  # Sat 10-10 is an adjusted working day
    assert working_days_until(datetime.date(2026, 10, 9), due) == 3  # 10-10, 10-12, 10-13
    assert working_days_until(datetime.date(2026, 9, 30), due) == 5


@pytest.mark.parametrize(
    ("today", "due_reminder"),
    [
        (datetime.date(2026, 12, 2), False),  # 3, 4 and 7 December still to come: 3 working days
        (datetime.date(2026, 12, 3), True),  # 4 and 7 December: 2
        (datetime.date(2026, 12, 5), True),  # a Saturday: 1
        (datetime.date(2026, 12, 7), True),  # the due day
        (datetime.date(2026, 12, 8), False),  # past it: late instead
    ],
)
def test_reports_coming_due_are_announced_within_the_window(settings, huangpu_user, today, due_reminder):
    settings.REMIND_DUE_WITHIN_WORKING_DAYS = 2
    library_project("HP-NOV", "黄埔十一月项目")
    done = library_project("HP-DONE", "黄埔已报项目")
    ProgressReport.objects.create(
        project=done,
        period=datetime.date(2026, 11, 1),
        status="submitted",
        first_submitted_at=timezone.make_aware(datetime.datetime(2026, 12, 1, 10)),
        submitted_at=timezone.make_aware(datetime.datetime(2026, 12, 1, 10)),
    )
    library_project("YX-NOV", "越秀十一月项目", district_code="440104")
    remind(today=today)
    due = of(huangpu_user, "report_due")
    if due_reminder:
        assert [n.title for n in due] == ["1 个项目的 2026-11 月报将于 2026-12-07 到期"]
        assert "黄埔十一月项目" in due[0].body
        assert "黄埔已报项目" not in due[0].body and "越秀十一月项目" not in due[0].body
        assert due[0].link == "/progress/monthly/?period=2026-11"
        assert of(huangpu_user, "report_late") == []
    else:
        assert due == []
    assert bool(of(huangpu_user, "report_late")) == (today > datetime.date(2026, 12, 7))


def test_the_window_follows_the_setting_and_the_holidays(settings, huangpu_user):
    library_project("HP-SEP", "黄埔九月项目")
    settings.REMIND_DUE_WITHIN_WORKING_DAYS = 2
    remind(today=datetime.date(2026, 10, 9))  # 3 working days before 10-13 (10-10 is a working Saturday)
    assert of(huangpu_user, "report_due") == []
    settings.REMIND_DUE_WITHIN_WORKING_DAYS = 3
    remind(today=datetime.date(2026, 10, 9))
    assert [n.title for n in of(huangpu_user, "report_due")] == [
        "1 个项目的 2026-09 月报将于 2026-10-13 到期"
    ]


# -- once a day, with its emails -------------------------------------------------------------------------


def test_running_twice_the_same_day_makes_and_mails_nothing_twice(
    settings, dispatch_june, tianhe_user, city_user
):
    settings.EMAIL_HOST = "smtp.example.org"
    settings.SITE_URL = "https://xm.example.gov.cn"
    tianhe_user.email = "th@example.org"
    tianhe_user.save()
    city_user.email = "city@example.org"
    city_user.save()

    first = remind(today=JULY_20)
    assert len(first.created) == Notification.objects.count() >= 2
    assert first.emails == 2
    assert sorted(message.to[0] for message in mail.outbox) == ["city@example.org", "th@example.org"]
    tianhe_mail = next(message for message in mail.outbox if message.to == ["th@example.org"])
    assert "天河调度测试项目" in tianhe_mail.body
    assert "https://xm.example.gov.cn/progress/monthly/?period=2026-06" in tianhe_mail.body
    assert "用地指标未落实" not in tianhe_mail.body  # 黄埔's problem
    assert all(n.emailed_at for n in Notification.objects.filter(user__in=[tianhe_user, city_user]))

    count = Notification.objects.count()
    second = remind(today=JULY_20)
    assert second.created == [] and second.emails == 0
    assert Notification.objects.count() == count
    assert len(mail.outbox) == 2


def test_a_run_that_stopped_before_mailing_is_mailed_by_the_next_run_of_the_day(
    settings, dispatch_june, tianhe_user
):
    settings.EMAIL_HOST = "smtp.example.org"
    tianhe_user.email = "th@example.org"
    tianhe_user.save()
    settings.EMAIL_HOST = ""  # the first run made its notifications and mailed nothing
    remind(today=JULY_20)
    assert mail.outbox == []
    settings.EMAIL_HOST = "smtp.example.org"
    again = remind(today=JULY_20)
    assert again.created == [] and again.emails == 1
    assert [message.to for message in mail.outbox] == [["th@example.org"]]
    assert remind(today=JULY_20).emails == 0


def test_without_email_host_no_email_is_sent(settings, dispatch_june, tianhe_user):
    settings.EMAIL_HOST = ""
    tianhe_user.email = "th@example.org"
    tianhe_user.save()
    outcome = remind(today=JULY_20)
    assert outcome.emails == 0 and mail.outbox == []
    assert of(tianhe_user, "report_late")[0].emailed_at is None


def test_the_next_day_reminds_again(dispatch_june, tianhe_user):
    remind(today=JULY_20)
    remind(today=JULY_20)
    remind(today=datetime.date(2026, 7, 21))
    assert [n.key for n in of(tianhe_user, "report_late")] == [
        "report_late:440106:2026-06:2026-07-20",
        "report_late:440106:2026-06:2026-07-21",
    ]


def test_a_new_days_reminder_supersedes_the_unread_one_of_the_same_subject(
    dispatch_june, tianhe_user, huangpu_user
):
    other_subject = Notification.objects.create(
        user=huangpu_user, key="report_late:440112:2026-06:2026-07-19", kind="report_late", title="x"
    )
    remind(today=JULY_20)
    remind(today=datetime.date(2026, 7, 21))

    def unread(user, kind):
        return [n.key for n in of(user, kind) if n.read_at is None]

    assert unread(tianhe_user, "report_late") == ["report_late:440106:2026-06:2026-07-21"]
    assert unread(huangpu_user, "problem_overdue") == [
        key for key in unread(huangpu_user, "problem_overdue") if key.endswith("2026-07-21")
    ]
    assert len(unread(huangpu_user, "problem_overdue")) == 1
    other_subject.refresh_from_db()
    assert other_subject.read_at is None


def test_a_dry_run_makes_nothing(dispatch_june, tianhe_user):
    outcome = remind(today=JULY_20, dry_run=True)
    assert any(r.user == tianhe_user and r.kind == "report_late" for r in outcome.new)
    assert Notification.objects.count() == 0


# -- the query count -----------------------------------------------------------------------------------------


def test_the_query_count_does_not_grow_with_the_number_of_projects(
    dispatch_june, tianhe_user, city_user, huangpu_user
):
    counts = []
    for total in (1, 30):
        while ProgressReport.objects.filter(status="returned").count() < total:
            number = ProgressReport.objects.count()
            for code in ("440112", "440106"):
                late = library_project(f"Q-{code}-{number}", f"迟报{number}", district_code=code)
                ProgressReport.objects.create(
                    project=late,
                    period=datetime.date(2026, 5, 1),
                    status="returned",
                    first_submitted_at=timezone.now(),
                )
                Problem.objects.create(
                    project=late,
                    category="other",
                    description=f"问题{number}",
                    raised_on=datetime.date(2026, 6, 1),
                    due_on=datetime.date(2026, 7, 1),
                )
                library_project(
                    f"R-{code}-{number}", f"退回{number}", district_code=code, review_status="returned"
                )
        with CaptureQueriesContext(connection) as captured:
            made = reminders(today=JULY_20)
        counts.append(len(captured))
    kinds = {"report_late", "report_missing", "problem_overdue", "returned", "city_summary"}
    assert {r.kind for r in made} == kinds
    assert counts[0] == counts[1], counts


# -- the command ----------------------------------------------------------------------------------------


def test_the_command_prints_a_short_summary(settings, dispatch_june, tianhe_user, huangpu_user):
    settings.EMAIL_HOST = ""
    out = io.StringIO()
    call_command("remind", "--date", "2026-07-20", stdout=out)
    assert "2026-07-20：新建 2 条通知，涉及 2 个用户；发送邮件 0 封。" in out.getvalue()
    assert "未配置 EMAIL_HOST" in out.getvalue()
    out = io.StringIO()
    call_command("remind", "--date", "2026-07-20", stdout=out)
    assert "新建 0 条通知，涉及 0 个用户" in out.getvalue() and "另有 2 条今天已提醒过" in out.getvalue()


def test_the_commands_dry_run_lists_and_saves_nothing(dispatch_june, tianhe_user):
    out = io.StringIO()
    call_command("remind", "--date", "2026-07-20", "--dry-run", stdout=out)
    assert "tianhe_a：1 个项目的 2026-06 月报逾期未报" in out.getvalue()
    assert "将新建 1 条通知，涉及 1 个用户" in out.getvalue()
    assert Notification.objects.count() == 0


def test_the_command_refuses_a_bad_date(db):
    with pytest.raises(CommandError, match="YYYY-MM-DD"):
        call_command("remind", "--date", "2026-13-01")


def test_a_report_still_missing_a_month_later_is_reminded_of(dispatch_june, tianhe_user, city_user):
    """On 2026-08-10 the reporting month is July; 天河's June report is still missing and is told apart."""
    remind(today=datetime.date(2026, 8, 10))
    missing = only(tianhe_user, "report_missing")
    assert missing.title == "此前月份仍有 1 份月报未报"
    assert "2026-06：天河调度测试项目" in missing.body
    assert missing.link == "/progress/monthly/?period=2026-06"
    summary = only(city_user, "city_summary")
    assert "此前月份仍未报送的月报：2026-06 1 个" in summary.body
    # Once submitted, it is no longer reminded of.
    ProgressReport.objects.create(
        project=dispatch_june["t1"],
        period=datetime.date(2026, 6, 1),
        status="submitted",
        first_submitted_at=timezone.now(),
    )
    remind(today=datetime.date(2026, 8, 11))
    assert [n.key for n in of(tianhe_user, "report_missing")] == ["report_missing:440106:2026-07:2026-08-10"]
