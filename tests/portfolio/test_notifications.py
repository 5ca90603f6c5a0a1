"""In-app notifications (portfolio/notifications): notify once per user and key, the unread count and the
navigation bar's bell, the user's own list, marking read, and the emails of new notifications."""

import smtplib
from html.parser import HTMLParser
from unittest import mock

import pytest
from django.core import mail
from django.core.mail.backends.locmem import EmailBackend
from django.db import connection
from django.test import Client, RequestFactory
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from portfolio import notifications as kit
from portfolio.context_processors import notifications as bell_context
from portfolio.models import Notification
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

LIST = "/notifications/"
READ = "/notifications/read/"


def made(user, key, **values) -> Notification:
    values = {
        "kind": "report_late",
        "title": f"提醒 {key}",
        "body": "正文",
        "link": "/progress/monthly/",
    } | values
    notification = kit.notify(user=user, key=key, **values)
    assert notification is not None
    return notification


class _Bell(HTMLParser):
    """The bell link of the navigation bar and its badge."""

    def __init__(self):
        super().__init__()
        self.link, self.badge, self._in_badge = None, None, False

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if attrs.get("id") == "notification-bell":
            self.link = attrs
        elif attrs.get("id") == "notification-count":
            self.badge = {"aria-label": attrs.get("aria-label"), "text": ""}
            self._in_badge = True

    def handle_endtag(self, tag):
        self._in_badge = False

    def handle_data(self, data):
        if self._in_badge:
            self.badge["text"] += data


def bell_of(response) -> _Bell:
    assert response.status_code == 200
    bell = _Bell()
    bell.feed(response.content.decode())
    return bell


# -- notify, the unread count, mark read ------------------------------------------------------------


def test_notify_makes_a_notification_once_per_user_and_key(huangpu_user, yuexiu_user):
    first = kit.notify(
        user=huangpu_user,
        key="report_late:440112:2026-06:2026-07-20",
        kind="report_late",
        title="A",
        body="",
        link="",
    )
    again = kit.notify(
        user=huangpu_user,
        key="report_late:440112:2026-06:2026-07-20",
        kind="report_late",
        title="B",
        body="",
        link="",
    )
    other = kit.notify(
        user=yuexiu_user,
        key="report_late:440112:2026-06:2026-07-20",
        kind="report_late",
        title="C",
        body="",
        link="",
    )
    next_day = kit.notify(
        user=huangpu_user,
        key="report_late:440112:2026-06:2026-07-21",
        kind="report_late",
        title="D",
        body="",
        link="",
    )
    assert first is not None and again is None and other is not None and next_day is not None
    assert list(Notification.objects.filter(user=huangpu_user).values_list("title", flat=True)) == ["D", "A"]


def test_notify_loses_a_race_quietly(huangpu_user):
    """Two runs at once: the other inserts the row between this one's read and its insert; the unique
    constraint refuses the second row and notify answers None instead of failing the run."""
    from django.db.models.query import QuerySet

    winner = made(huangpu_user, "race")
    real_get = QuerySet.get
    calls = []

    def get_after_the_other_run(self, *args, **kwargs):
        calls.append(kwargs)
        if len(calls) == 1:
            raise Notification.DoesNotExist
        return real_get(self, *args, **kwargs)

    with mock.patch.object(QuerySet, "get", get_after_the_other_run):
        assert kit.notify(user=huangpu_user, key="race", kind="report_late", title="又一次") is None
    assert len(calls) == 2
    assert list(Notification.objects.filter(user=huangpu_user)) == [winner]


def test_unread_count_counts_the_users_own_unread(huangpu_user, yuexiu_user):
    made(huangpu_user, "a")
    made(huangpu_user, "b")
    read = made(huangpu_user, "c")
    Notification.objects.filter(pk=read.pk).update(read_at=timezone.now())
    made(yuexiu_user, "a")
    assert kit.unread_count(huangpu_user) == 2
    assert kit.unread_count(yuexiu_user) == 1
    assert kit.unread_count(None) == 0


def test_mark_read_marks_one_or_all_and_never_another_users(huangpu_user, yuexiu_user):
    a, b, c = made(huangpu_user, "a"), made(huangpu_user, "b"), made(huangpu_user, "c")
    theirs = made(yuexiu_user, "a")
    assert kit.mark_read(user=huangpu_user, ids=[a.pk, theirs.pk]) == 1
    assert kit.unread_count(huangpu_user) == 2 and kit.unread_count(yuexiu_user) == 1
    assert kit.mark_read(user=huangpu_user) == 2
    assert kit.unread_count(huangpu_user) == 0 and kit.unread_count(yuexiu_user) == 1
    assert all(n.read_at for n in Notification.objects.filter(pk__in=[a.pk, b.pk, c.pk]))


# -- the bell ---------------------------------------------------------------------------------------------


def test_the_bell_shows_the_unread_count(client_for, huangpu_user, yuexiu_user):
    for key in "abc":
        made(huangpu_user, key)
    made(yuexiu_user, "x")
    client = client_for(huangpu_user)
    bell = bell_of(client.get("/"))
    assert bell.link["href"] == LIST
    assert bell.badge == {"aria-label": "3 条未读通知", "text": "3"}
    assert "3 条未读通知" in bell.link["aria-label"]

    kit.mark_read(user=huangpu_user)
    bell = bell_of(client.get("/"))
    assert bell.link["href"] == LIST and bell.badge is None


def test_the_bell_is_for_signed_in_users_with_a_role(client_for, no_role_user, finance_user):
    assert bell_of(client_for(None).get("/accounts/login/")).link is None
    refused = client_for(no_role_user).get("/")
    assert refused.status_code == 403 and 'id="notification-bell"' not in refused.content.decode()
    assert bell_of(client_for(finance_user).get("/")).link["href"] == LIST


def test_the_count_is_read_only_when_a_page_shows_it(huangpu_user):
    request = RequestFactory().get("/")
    request.user = huangpu_user
    made(huangpu_user, "a")
    with CaptureQueriesContext(connection) as captured:
        context = bell_context(request)
    assert len(captured) == 0
    with CaptureQueriesContext(connection) as captured:
        assert context["notification_bell"].unread == 1
        assert context["notification_bell"].unread == 1
    assert len(captured) == 1


def test_anonymous_users_have_no_bell_and_cost_no_query():
    from django.contrib.auth.models import AnonymousUser

    request = RequestFactory().get("/")
    request.user = AnonymousUser()
    with CaptureQueriesContext(connection) as captured:
        assert bell_context(request) == {}
    assert len(captured) == 0


# -- the list ---------------------------------------------------------------------------------------------


def test_the_list_shows_only_the_users_own_newest_first_unread_highlighted(
    client_for, huangpu_user, yuexiu_user
):
    old = made(huangpu_user, "old", title="旧的提醒")
    kit.mark_read(user=huangpu_user, ids=[old.pk])
    new = made(huangpu_user, "new", title="新的提醒", link="/progress/problems/?is_overdue=true")
    made(yuexiu_user, "theirs", title="越秀的提醒")
    response = client_for(huangpu_user).get(LIST)
    assert response.status_code == 200
    assert [n.pk for n in response.context["page"]] == [new.pk, old.pk]
    html = response.content.decode()
    assert "越秀的提醒" not in html
    assert html.index("新的提醒") < html.index("旧的提醒")
    assert 'href="/progress/problems/?is_overdue=true"' in html
    assert (
        f'id="notification-{new.pk}"' in html
        and "unread" in html.split(f'id="notification-{new.pk}"')[0][-80:]
    )
    assert "unread" not in html.split(f'id="notification-{old.pk}"')[0][-80:]
    assert html.count("标记已读") == 1


def test_the_list_pages_by_fifty_with_a_flat_query_count(client_for, huangpu_user):
    client = client_for(huangpu_user)
    counts = []
    for total in (1, 51):
        while Notification.objects.filter(user=huangpu_user).count() < total:
            made(huangpu_user, f"k{Notification.objects.count()}")
        client.get(LIST)
        with CaptureQueriesContext(connection) as captured:
            response = client.get(LIST)
        counts.append(len(captured))
    assert len(response.context["page"]) == 50
    assert response.context["page"].paginator.num_pages == 2
    assert len(client.get(LIST, {"page": 2}).context["page"]) == 1
    assert counts[0] == counts[1], counts


def test_marking_one_read_redirects_to_the_list(client_for, huangpu_user):
    a, b = made(huangpu_user, "a"), made(huangpu_user, "b")
    response = client_for(huangpu_user).post(READ, {"id": a.pk})
    assert response.status_code == 302 and response["Location"] == LIST
    a.refresh_from_db()
    b.refresh_from_db()
    assert a.read_at is not None and b.read_at is None


def test_marking_all_read_keeps_the_page(client_for, huangpu_user, yuexiu_user):
    made(huangpu_user, "a")
    made(huangpu_user, "b")
    made(yuexiu_user, "a")
    response = client_for(huangpu_user).post(READ, {"page": "2"})
    assert response.status_code == 302 and response["Location"] == f"{LIST}?page=2"
    assert kit.unread_count(huangpu_user) == 0
    assert kit.unread_count(yuexiu_user) == 1


def test_another_users_notification_is_a_404_and_stays_unread(client_for, huangpu_user, yuexiu_user):
    theirs = made(yuexiu_user, "a")
    client = client_for(huangpu_user)
    assert client.post(READ, {"id": theirs.pk}).status_code == 404
    assert client.post(READ, {"id": "not-a-number"}).status_code == 404
    # Digits that are not ASCII (superscripts, circled numbers) are not an id either.
    assert client.post(READ, {"id": "²"}).status_code == 404
    assert client.post(READ, {"id": "①"}).status_code == 404
    assert client.post(READ, {"page": "²"}).status_code == 302
    theirs.refresh_from_db()
    assert theirs.read_at is None


def test_marking_read_is_a_csrf_protected_post(huangpu_user):
    mine = made(huangpu_user, "a")
    client = Client(enforce_csrf_checks=True)
    client.force_login(huangpu_user)
    assert client.get(READ).status_code == 405
    assert client.post(READ, {"id": mine.pk}).status_code == 403
    mine.refresh_from_db()
    assert mine.read_at is None


def test_anonymous_users_go_to_the_login_page_and_users_without_a_role_are_refused(client_for, no_role_user):
    for response in (client_for(None).get(LIST), client_for(None).post(READ)):
        assert response.status_code == 302 and response["Location"].startswith("/accounts/login/")
    assert client_for(no_role_user).get(LIST).status_code == 403
    assert client_for(no_role_user).post(READ).status_code == 403


# -- emails -----------------------------------------------------------------------------------------------


class RefusingBackend(EmailBackend):
    """A mail server that refuses one address (the outside world, so a stand-in)."""

    def send_messages(self, messages):
        if any("refused@" in address for message in messages for address in message.to):
            raise smtplib.SMTPRecipientsRefused({"refused@example.org": (550, b"no such user")})
        return super().send_messages(messages)


class UnreachableBackend(EmailBackend):
    def open(self):
        raise ConnectionRefusedError("connection refused")


def test_one_email_per_user_lists_the_new_notifications_with_absolute_links(
    settings, huangpu_user, yuexiu_user
):
    settings.EMAIL_HOST = "smtp.example.org"
    settings.SITE_URL = "https://xm.example.gov.cn"
    huangpu_user.email, yuexiu_user.email = "hp@example.org", "yx@example.org"
    nameless = UserFactory(role="district_user", district_code="440112", email="")
    new = [
        made(huangpu_user, "a", title="月报逾期", link="/progress/monthly/?period=2026-06"),
        made(huangpu_user, "b", title="问题逾期", link="/progress/problems/"),
        made(yuexiu_user, "a", title="越秀提醒"),
        made(nameless, "a"),
    ]
    assert kit.send_emails(new) == 2
    assert sorted(message.to[0] for message in mail.outbox) == ["hp@example.org", "yx@example.org"]
    huangpu_mail = next(message for message in mail.outbox if message.to == ["hp@example.org"])
    assert huangpu_mail.subject == "【美丽广州项目库】您有 2 条新提醒"
    assert "月报逾期" in huangpu_mail.body and "问题逾期" in huangpu_mail.body
    assert "https://xm.example.gov.cn/progress/monthly/?period=2026-06" in huangpu_mail.body
    assert "越秀提醒" not in huangpu_mail.body
    emailed = dict(Notification.objects.values_list("pk", "emailed_at"))
    assert all(emailed[n.pk] for n in new[:3]) and emailed[new[3].pk] is None
    # Already mailed: nothing again.
    assert kit.send_emails(new) == 0 and len(mail.outbox) == 2


def test_without_email_host_no_email_is_sent(settings, huangpu_user):
    settings.EMAIL_HOST = ""
    huangpu_user.email = "hp@example.org"
    notification = made(huangpu_user, "a")
    assert kit.send_emails([notification]) == 0
    assert mail.outbox == []
    notification.refresh_from_db()
    assert notification.emailed_at is None


def test_a_refused_email_is_logged_and_the_others_still_go(settings, caplog, huangpu_user, yuexiu_user):
    settings.EMAIL_HOST = "smtp.example.org"
    settings.EMAIL_BACKEND = "tests.portfolio.test_notifications.RefusingBackend"
    huangpu_user.email, yuexiu_user.email = "refused@example.org", "yx@example.org"
    refused, delivered = made(huangpu_user, "a"), made(yuexiu_user, "a")
    assert kit.send_emails([refused, delivered]) == 1
    assert [message.to for message in mail.outbox] == [["yx@example.org"]]
    assert "failed" in caplog.text
    refused.refresh_from_db()
    delivered.refresh_from_db()
    assert refused.emailed_at is None and delivered.emailed_at is not None


def test_an_unreachable_mail_server_sends_nothing_and_does_not_raise(settings, caplog, huangpu_user):
    settings.EMAIL_HOST = "smtp.example.org"
    settings.EMAIL_BACKEND = "tests.portfolio.test_notifications.UnreachableBackend"
    huangpu_user.email = "hp@example.org"
    notification = made(huangpu_user, "a")
    assert kit.send_emails([notification]) == 0
    assert "cannot connect" in caplog.text
    notification.refresh_from_db()
    assert notification.emailed_at is None
