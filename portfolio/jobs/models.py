"""A background job as its owner sees it: what it does, how far it got, and the file or error it ended with.

The kit's table (it names no app): the work itself is found by kind in portfolio.jobs.tasks."""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from portfolio.labels import ChoiceLabels


class JobKind(models.TextChoices):
    PROJECTS_EXPORT = "projects_export", _("项目清单导出")
    FINANCING_EXPORT = "financing_export", _("资金与贷款导出")
    DISPATCH_EXPORT = "dispatch_export", _("调度表导出")
    DISPATCH_PDF = "dispatch_pdf", _("月度通报（PDF）")
    BATCH_EXPORT = "batch_export", _("申报批次导出")
    PROJECTS_IMPORT = "projects_import", _("项目批量导入")
    REPORTS_IMPORT = "reports_import", _("月报批量导入")
    REMINDERS = "reminders", _("每日提醒")


class JobStatus(models.TextChoices):
    QUEUED = "queued", _("排队中")
    RUNNING = "running", _("进行中")
    DONE = "done", _("已完成")
    FAILED = "failed", _("失败")


class JobQuerySet(models.QuerySet):
    def visible_to(self, user):
        """A job and its file are its owner's alone, whatever the role: an export holds its owner's scope
        and filters, and an import's errors name its owner's rows, so neither is shown to anyone else, city
        staff included (they run the export themselves)."""
        if user is None or not user.is_authenticated or not user.is_active:
            return self.none()
        return self.filter(owner=user)


class Job(ChoiceLabels, models.Model):
    # None for what the site runs by itself (the daily reminders): such a job is shown on no one's page.
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="jobs",
        verbose_name=_("发起人"),
    )
    kind = models.CharField(_("类型"), max_length=32, choices=JobKind.choices)
    status = models.CharField(_("状态"), max_length=16, choices=JobStatus.choices, default=JobStatus.QUEUED)
    progress_done = models.PositiveIntegerField(_("已完成"), default=0)
    progress_total = models.PositiveIntegerField(_("总数"), default=0)
    # What the work needs to run again exactly as asked: the request's query string, the view whose
    # selector it reads, an uploaded file's name in storage.
    params = models.JSONField(_("参数"), default=dict, blank=True)
    result = models.JSONField(_("结果"), default=dict, blank=True)
    file_name = models.CharField(_("存储文件名"), max_length=255, blank=True)
    download_name = models.CharField(_("下载文件名"), max_length=255, blank=True)
    content_type = models.CharField(_("文件类型"), max_length=100, blank=True)
    error = models.TextField(_("失败原因"), blank=True)
    created_at = models.DateTimeField(_("提交时间"), auto_now_add=True)
    started_at = models.DateTimeField(_("开始时间"), null=True, blank=True)
    finished_at = models.DateTimeField(_("结束时间"), null=True, blank=True)
    task_id = models.CharField(_("任务编号"), max_length=64, blank=True)

    objects = JobQuerySet.as_manager()

    class Meta:
        app_label = "portfolio"
        ordering = ["-created_at", "-pk"]
        indexes = [models.Index(fields=["owner", "-created_at"], name="job_owner_recent")]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(progress_done__lte=models.F("progress_total"))
                | models.Q(progress_total=0),
                name="job_progress_within_total",
            )
        ]
        verbose_name = _("后台任务")
        verbose_name_plural = _("后台任务")

    def __str__(self) -> str:
        return f"{self.get_kind_display()} #{self.pk}"

    @property
    def active(self) -> bool:
        return self.status in (JobStatus.QUEUED, JobStatus.RUNNING)

    @property
    def percent(self) -> int:
        if self.status == JobStatus.DONE:
            return 100
        if not self.progress_total:
            return 0
        return min(100, self.progress_done * 100 // self.progress_total)
