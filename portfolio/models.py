from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from .access import ScopedQuerySet
from .labels import ChoiceLabels


class Profile(ChoiceLabels, models.Model):
    """What a user account carries beyond Django's: the district a district user works for, the bank a
    lender works for."""

    user = models.OneToOneField(settings.AUTH_USER_MODEL, models.CASCADE, related_name="profile")
    district = models.ForeignKey(
        "projects.District", models.PROTECT, null=True, blank=True, related_name="+", verbose_name=_("所属区")
    )
    organization = models.ForeignKey(
        "financing.Organization",
        models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("所属银行"),
        limit_choices_to={"kind": "bank"},
    )

    class Meta:
        verbose_name = _("用户资料")
        verbose_name_plural = _("用户资料")

    def __str__(self):
        return str(self.user)


class AuditEntry(ChoiceLabels, models.Model):
    """Who changed what, when: one row per service call or admin save, written in its transaction."""

    at = models.DateTimeField(_("时间"), default=timezone.now, db_index=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("操作人"),
    )
    action = models.CharField(_("操作"), max_length=50)
    content_type = models.ForeignKey(ContentType, models.PROTECT, verbose_name=_("对象类型"))
    object_id = models.CharField(_("对象编号"), max_length=64)
    object_repr = models.CharField(_("对象"), max_length=250)
    # The project the change belongs to, for the project's change history; kept when the project is deleted.
    project = models.ForeignKey(
        "projects.Project",
        models.SET_NULL,
        null=True,
        blank=True,
        related_name="audit_entries",
        verbose_name=_("项目"),
    )
    changes = models.JSONField(_("变更"), default=dict, help_text=_("字段 → [原值, 新值]"))
    note = models.TextField(_("说明"), blank=True)

    objects = ScopedQuerySet.as_manager()
    scope_path = "project__district"

    class Meta:
        ordering = ["-at", "-pk"]
        verbose_name = _("审计记录")
        verbose_name_plural = _("审计记录")
        indexes = [models.Index(fields=["content_type", "object_id"])]

    def __str__(self):
        return f"{self.at:%Y-%m-%d %H:%M} {self.action} {self.object_repr}"


class NotificationKind(models.TextChoices):
    REPORT_DUE = "report_due", _("月报即将到期")
    REPORT_LATE = "report_late", _("月报逾期未报")
    REPORT_MISSING = "report_missing", _("此前月报仍未报")
    PROBLEM_OVERDUE = "problem_overdue", _("问题逾期未解决")
    RETURNED = "returned", _("退回待修改")
    CITY_SUMMARY = "city_summary", _("全市每日汇总")
    DEMAND_PUBLISHED = "demand_published", _("新发布融资需求")
    INTENTION_RECEIVED = "intention_received", _("收到授信意向")


class Notification(ChoiceLabels, models.Model):
    """An in-app reminder for one user (the bell in the navigation bar). `key` says what it is about and
    for which day, so that a reminder run twice the same day makes nothing twice."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, models.CASCADE, related_name="notifications", verbose_name=_("用户")
    )
    kind = models.CharField(_("类型"), max_length=20, choices=NotificationKind.choices)
    title = models.CharField(_("标题"), max_length=200)
    body = models.TextField(_("内容"), blank=True)
    link = models.CharField(
        _("链接"), max_length=300, blank=True, help_text=_("站内路径，如 /progress/monthly/")
    )
    key = models.CharField(_("去重键"), max_length=200)
    created_at = models.DateTimeField(_("创建时间"), default=timezone.now)
    read_at = models.DateTimeField(_("已读时间"), null=True, blank=True)
    emailed_at = models.DateTimeField(_("邮件发送时间"), null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        verbose_name = _("通知")
        verbose_name_plural = _("通知")
        indexes = [models.Index(fields=["user", "read_at"], name="notification_user_read")]
        constraints = [
            models.UniqueConstraint(fields=["user", "key"], name="notification_once_per_user_and_key"),
            models.CheckConstraint(
                condition=models.Q(kind__in=NotificationKind.values), name="notification_kind_valid"
            ),
        ]

    def __str__(self):
        return self.title

    @property
    def is_read(self) -> bool:
        return self.read_at is not None


# The background jobs' table lives with its package (portfolio.jobs); imported here so that Django finds it.
from .jobs.models import Job, JobKind, JobStatus  # noqa: E402

__all__ = ["AuditEntry", "Job", "JobKind", "JobStatus", "Notification", "NotificationKind", "Profile"]


class DistrictTally(ChoiceLabels, models.Model):
    """What the dashboard adds up for one district, summed once and kept (portfolio.tallies writes it):
    its library by category and stage, its funding by source, its loans by lender, their maturity and
    the last month's dispatch, in whole 分. The city's dashboard adds up the districts' tallies instead of
    every project, line, loan and report of the library. A tally is good for the day it was summed for
    while no TallyMark of its district is left: the database marks every write that changes its sums."""

    district = models.CharField(_("区"), max_length=12, primary_key=True)
    day = models.DateField(_("汇总日"))
    figures = models.JSONField(_("汇总"))
    computed_at = models.DateTimeField(_("汇总时间"))

    class Meta:
        verbose_name = _("区汇总")
        verbose_name_plural = _("区汇总")

    def __str__(self):
        return f"{self.district} {self.day}"


class DispatchTally(ChoiceLabels, models.Model):
    """One district's dispatch of one month as /dispatch/ adds it up, summed once and kept (portfolio.tallies
    writes it): its sums, and its first red and yellow projects and late reports, whose rows the page
    reads. Good for the day it was summed for while no TallyMark of its district is left; the refresh that
    deletes a district's marks deletes its dispatch tallies with them."""

    district = models.CharField(_("区"), max_length=12)
    year = models.PositiveSmallIntegerField(_("年度"))
    month = models.PositiveSmallIntegerField(_("月份"))
    day = models.DateField(_("汇总日"))
    figures = models.JSONField(_("汇总"))
    computed_at = models.DateTimeField(_("汇总时间"))

    class Meta:
        verbose_name = _("区调度汇总")
        verbose_name_plural = _("区调度汇总")
        constraints = [
            models.UniqueConstraint(
                fields=["district", "year", "month"], name="portfolio_dispatchtally_one_per_month"
            )
        ]

    def __str__(self):
        return f"{self.district} {self.year}-{self.month:02d} {self.day}"


class TallyMark(ChoiceLabels, models.Model):
    """A change to what a district's tally sums, written by a database trigger in the writer's own
    transaction (so every path counts: services, the admin, bulk writes, imports, SQL). Only ever added,
    never updated, so that writers never wait on one another; the refresh of the tally deletes the marks
    it has read before summing."""

    id = models.BigAutoField(primary_key=True)
    district = models.CharField(_("区"), max_length=12)

    class Meta:
        verbose_name = _("区汇总变更")
        verbose_name_plural = _("区汇总变更")
        indexes = [models.Index(fields=["district", "id"], name="portfolio_tallymark_district")]

    def __str__(self):
        return f"{self.district} #{self.pk}"
