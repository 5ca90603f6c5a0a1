"""In-app notifications (the bell in the navigation bar) and their emails.

The kit: it knows nothing of projects or financing. Whoever has something to tell a user (the daily
reminders of portfolio.dispatch.reminders) calls `notify` with a key naming the subject and the day; a
second call with the same key makes nothing, so a reminder run twice the same day tells no one twice.
Mail is a second channel only: without EMAIL_HOST, or when the mail server fails, the notification is
still there in the site.
"""

import logging
from collections import defaultdict
from collections.abc import Iterable

from django.conf import settings
from django.core import mail
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from portfolio.models import Notification

logger = logging.getLogger(__name__)


def notify(
    *, user, key: str, kind: str, title: str, body: str = "", link: str = "", supersedes: str = ""
) -> Notification | None:
    """The new notification, or None when `user` already has one with `key` (a run of the same day, or
    a concurrent run that got there first: get_or_create inserts inside a savepoint and, when the unique
    constraint on (user, key) refuses the row, reads the one that won).

    `supersedes`, a key prefix: the user's unread notifications under it are older news of the same
    subject (yesterday's reminder of the same late reports), and are marked read when this one is new, so
    a week away does not leave seven copies to read."""
    notification, created = Notification.objects.get_or_create(
        user=user, key=key, defaults={"kind": kind, "title": title, "body": body, "link": link}
    )
    if not created:
        return None
    if supersedes:
        Notification.objects.filter(user=user, key__startswith=supersedes, read_at__isnull=True).exclude(
            pk=notification.pk
        ).update(read_at=timezone.now())
    return notification


def notifications_of(user) -> QuerySet:
    """A user's own notifications, the newest first."""
    return Notification.objects.filter(user=user).order_by("-created_at", "-pk")


def unread_count(user) -> int:
    if user is None or not user.is_authenticated:
        return 0
    return Notification.objects.filter(user=user, read_at__isnull=True).count()


def mark_read(*, user, ids: Iterable[int] | None = None) -> int:
    """Mark `user`'s unread notifications of `ids` (all of them for None) read; another user's ids are left
    alone. Returns how many were marked."""
    unread = Notification.objects.filter(user=user, read_at__isnull=True)
    if ids is not None:
        unread = unread.filter(pk__in=list(ids))
    return unread.update(read_at=timezone.now())


def absolute(link: str) -> str:
    """A site path as an address a mail reader can open (settings.SITE_URL)."""
    if not link or "://" in link:
        return link
    return f"{settings.SITE_URL}/{link.lstrip('/')}"


def _message(notifications: list[Notification]) -> tuple[str, str]:
    count = len(notifications)
    subject = ngettext(
        "【美丽广州项目库】您有 %(count)d 条新提醒", "【美丽广州项目库】您有 %(count)d 条新提醒", count
    ) % {"count": count}
    parts = []
    for number, notification in enumerate(notifications, start=1):
        lines = [f"{number}. {notification.title}"]
        if notification.body:
            lines.append(notification.body)
        if notification.link:
            lines.append(_("查看：%(url)s") % {"url": absolute(notification.link)})
        parts.append("\n".join(lines))
    footer = _("所有提醒：%(url)s\n本邮件由系统自动发送，请勿回复。") % {"url": absolute("/notifications/")}
    return subject, "\n\n".join([*parts, footer])


def send_emails(notifications: Iterable[Notification]) -> int:
    """One email per user listing their notifications not mailed yet, when EMAIL_HOST is set and the user
    has an address; marks them emailed. Returns the number of emails sent. A mail server that fails is
    logged and passed over: the notifications stay in the site, and the run goes on."""
    if not settings.EMAIL_HOST:
        return 0
    by_user = defaultdict(list)
    for notification in notifications:
        if notification.emailed_at is None and notification.user.email:
            by_user[notification.user].append(notification)
    if not by_user:
        return 0
    connection = mail.get_connection(fail_silently=False)
    try:
        connection.open()
    except Exception:
        # Mail is a side channel: whatever the server or its configuration does, the run goes on.
        logger.exception("reminder mail: cannot connect to %s:%s", settings.EMAIL_HOST, settings.EMAIL_PORT)
        return 0
    sent = 0
    try:
        for user, listed in by_user.items():
            subject, body = _message(listed)
            message = mail.EmailMessage(subject, body, to=[user.email], connection=connection)
            try:
                message.send()
            except Exception:
                logger.exception("reminder mail to user %s (%s) failed", user.pk, user.email)
                continue
            now = timezone.now()
            Notification.objects.filter(pk__in=[n.pk for n in listed]).update(emailed_at=now)
            for notification in listed:
                notification.emailed_at = now
            sent += 1
    finally:
        try:
            connection.close()
        except Exception:
            logger.exception("reminder mail: closing the connection failed")
    return sent
