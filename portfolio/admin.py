"""Admin for accounts and the audit trail, and the base every model admin uses.

The admin is for city staff. Every save and delete made through it writes an audit entry inside the
admin's own transaction, as the services do.
"""

from operator import attrgetter

from axes.admin import AccessAttemptAdmin, AccessFailureLogAdmin, AccessLogAdmin
from axes.models import AccessAttempt, AccessFailureLog, AccessLog
from django.contrib import admin
from django.contrib.auth.admin import UserAdmin
from django.contrib.auth.models import Group, User
from django.db import transaction
from django.forms.models import BaseInlineFormSet
from django.utils.translation import gettext_lazy as _
from django_tasks_db.admin import DBTaskResultAdmin
from django_tasks_db.models import DBTaskResult
from rest_framework.authtoken.models import TokenProxy

from . import access
from .audit import account_snapshot, audit_delete, audit_record, snapshot
from .models import AuditEntry, Job, Profile

admin.site.site_header = _("美丽广州建设重大项目库 · 管理后台")
admin.site.site_title = _("项目库管理")
admin.site.index_title = _("数据管理")


def _is_city_staff(request) -> bool:
    return access.role_of(request.user) == access.CITY_STAFF


admin.site.has_permission = lambda request: request.user.is_active and _is_city_staff(request)


class CityStaffOnly:
    """Only city staff reach the admin; subclasses narrow further."""

    def has_module_permission(self, request):
        return _is_city_staff(request)

    def has_view_permission(self, request, obj=None):
        return _is_city_staff(request)

    def has_add_permission(self, request, *args):
        return _is_city_staff(request)

    def has_change_permission(self, request, obj=None):
        return _is_city_staff(request)

    def has_delete_permission(self, request, obj=None):
        return _is_city_staff(request)


class ReadOnly:
    """Records that only their services write (the audit trail, stage and review records): shown here,
    never added, changed or deleted."""

    def has_add_permission(self, request, *args):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class AuditedDeletes:
    # The lookup from this admin's model to the project whose history its changes belong to: "" for a
    # project itself, None for records of no project (accounts, organisations, districts).
    audit_project_path: str | None = None

    def audit_project(self, obj):
        path = self.audit_project_path
        return None if path is None else (obj if path == "" else attrgetter(path)(obj))

    def delete_model(self, request, obj):
        # A deleted project leaves its entry without the link, which would point at nothing.
        project = None if self.audit_project_path == "" else self.audit_project(obj)
        audit_delete(actor=request.user, action="admin_delete", instance=obj, project=project)
        super().delete_model(request, obj)

    @transaction.atomic
    def delete_queryset(self, request, queryset):
        # The "delete selected" action is not atomic by itself: all rows and their entries, or none.
        for obj in queryset:
            self.delete_model(request, obj)


class AuditedAdmin(CityStaffOnly, AuditedDeletes, admin.ModelAdmin):
    def save_model(self, request, obj, form, change):
        before = snapshot(type(obj)._default_manager.get(pk=obj.pk)) if change else None
        super().save_model(request, obj, form, change)
        audit_record(
            actor=request.user,
            action="admin_change" if change else "admin_add",
            instance=obj,
            before=before,
            project=self.audit_project(obj),
        )

    def save_formset(self, request, form, formset, change):
        instances = formset.save(commit=False)
        # Inline rows belong to the project of the record they are shown under.
        project = self.audit_project(form.instance)
        for obj in formset.deleted_objects:
            audit_delete(actor=request.user, action="admin_delete", instance=obj, project=project)
            obj.delete()
        for obj in instances:
            before = snapshot(type(obj)._default_manager.get(pk=obj.pk)) if obj.pk else None
            obj.save()
            audit_record(
                actor=request.user,
                action="admin_change" if before else "admin_add",
                instance=obj,
                before=before,
                project=project,
            )
        formset.save_m2m()


class ReadOnlyInline(CityStaffOnly, admin.TabularInline):
    """Rows shown under their parent but changed on their own page, where their rules are checked."""

    extra = 0
    max_num = 0
    can_delete = False
    show_change_link = True

    def get_readonly_fields(self, request, obj=None):
        return [field.name for field in self.model._meta.fields]

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False


class ProfileFormSet(BaseInlineFormSet):
    """A lender works for one bank, and only a lender names one: checked against the roles chosen on the
    same page (the account form's groups, posted with this inline; none posted, none chosen)."""

    def clean(self):
        super().clean()
        if not self.forms or any(self.errors):
            return
        form = self.forms[0]
        bank = form.cleaned_data.get("organization")
        ids = [value for value in self.data.getlist("groups") if value.isascii() and value.isdigit()]
        roles = set(Group.objects.filter(pk__in=ids).values_list("name", flat=True))
        # The stronger role wins: with any member's role besides, the account is not a lender.
        lender = access.LENDER in roles and not roles & set(access.MEMBERS)
        if lender and bank is None:
            form.add_error("organization", _("贷款银行账户必须指定所属银行。"))
        elif bank is not None and not lender:
            form.add_error("organization", _("只有贷款银行账户（lender）需要指定所属银行。"))


class ProfileInline(CityStaffOnly, admin.StackedInline):
    model = Profile
    formset = ProfileFormSet
    can_delete = False
    verbose_name_plural = _("所属区与所属银行（区用户必填所属区，贷款银行账户必填所属银行）")


admin.site.unregister(User)
# Roles are the fixed group codes of the domain, created by a migration and assigned with accounts.
admin.site.unregister(Group)
# API tokens are issued by the API's token endpoint to their own users, not handed out in the admin.
admin.site.unregister(TokenProxy)


@admin.register(User)
class AccountAdmin(CityStaffOnly, AuditedDeletes, UserAdmin):
    inlines = [ProfileInline]
    list_display = ["username", "first_name", "is_active", "roles", "district", "bank"]
    list_filter = ["is_active", "groups"]
    # Access comes from the role groups; superuser status and single permissions are not handed out here.
    fieldsets = [
        (None, {"fields": ["username", "password"]}),
        (_("个人信息"), {"fields": ["first_name", "last_name", "email"]}),
        (_("角色与状态"), {"fields": ["is_active", "groups"]}),
        (_("重要日期"), {"fields": ["last_login", "date_joined"]}),
    ]
    readonly_fields = ["last_login", "date_joined"]

    def get_queryset(self, request):
        return (
            super()
            .get_queryset(request)
            .select_related("profile__district", "profile__organization")
            .prefetch_related("groups")
        )

    @admin.display(description=_("角色"))
    def roles(self, obj):
        return ", ".join(group.name for group in obj.groups.all())

    @admin.display(description=_("所属区"))
    def district(self, obj):
        profile = getattr(obj, "profile", None)
        return profile.district if profile and profile.district else "—"

    @admin.display(description=_("所属银行"))
    def bank(self, obj):
        profile = getattr(obj, "profile", None)
        return profile.organization if profile and profile.organization else "—"

    def save_model(self, request, obj, form, change):
        request.account_before = account_snapshot(User.objects.get(pk=obj.pk)) if change else None
        super().save_model(request, obj, form, change)

    def save_related(self, request, form, formsets, change):
        # Roles (groups), the district and the bank (profile inline) are saved here: one entry covers all.
        super().save_related(request, form, formsets, change)
        user = form.instance
        action = "admin_change" if change else "admin_add"
        audit_record(
            actor=request.user,
            action=action,
            instance=user,
            before=request.account_before,
            project=None,
            after=account_snapshot(user),
        )

    def user_change_password(self, request, id, form_url=""):
        with transaction.atomic():
            response = super().user_change_password(request, id, form_url)
            if request.method == "POST" and response.status_code == 302:
                user = User.objects.get(pk=id)
                state = account_snapshot(user)
                audit_record(
                    actor=request.user,
                    action="admin_password_change",
                    instance=user,
                    before=state,
                    project=None,
                    after=state,
                    note=_("修改了密码"),
                )
        return response


@admin.register(AuditEntry)
class AuditEntryAdmin(ReadOnly, CityStaffOnly, admin.ModelAdmin):
    list_display = ["at", "actor", "action", "content_type", "object_repr", "project"]
    list_filter = ["action", "content_type"]
    search_fields = ["object_repr", "note", "actor__username"]
    date_hierarchy = "at"
    list_select_related = ["actor", "content_type", "project"]


class LoginRecords(CityStaffOnly, AuditedDeletes):
    """Login protection's records: city staff read them, and lift a lockout by deleting its attempt."""

    def has_add_permission(self, request, *args):
        return False

    def has_change_permission(self, request, obj=None):
        return False


for model, base in (
    (AccessAttempt, AccessAttemptAdmin),
    (AccessLog, AccessLogAdmin),
    (AccessFailureLog, AccessFailureLogAdmin),
):
    admin.site.unregister(model)
    admin.site.register(model, type(base.__name__, (LoginRecords, base), {}))

# The task queue's rows (what ran, when, and an unexpected error's traceback): city staff read them; only the
# workers write them.
admin.site.unregister(DBTaskResult)
admin.site.register(DBTaskResult, type("DBTaskResultAdmin", (ReadOnly, CityStaffOnly, DBTaskResultAdmin), {}))


@admin.register(Job)
class JobAdmin(ReadOnly, CityStaffOnly, admin.ModelAdmin):
    """Every user's jobs, and the site's own (the reminders, owned by no one), for whoever runs the site:
    what was asked, how it ended and why. The files stay with their owners (the job page's download)."""

    list_display = ("created_at", "kind", "status", "owner", "progress_done", "progress_total", "finished_at")
    list_filter = ("kind", "status")
    search_fields = ("owner__username", "error")
    list_select_related = ("owner",)
    exclude = ("file_name",)
