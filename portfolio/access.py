"""Who may see and do what: the one place that decides it.

A user's role is the Django group named by its code; a district user's district and a lender's bank are on
its Profile. Every page, API endpoint and export narrows its querysets through `scope_q`, by the
`.visible_to(user)` of ScopedQuerySet, which every app's scoped model uses as its manager.

A scoped model names the lookups that lead from it to what decides who sees it:
- `scope_path`: to its district (city staff and finance see every district, a district user its own);
- `lender_paths`: to the banks (organisations) that see it: a lender sees the records one of these leads to
  its own bank from, and no other. `LENDER_SEES_ALL` for reference data (districts, units), none (the
  default) for what no bank sees (milestones, funding lines, monthly reports…);
- `lender_public`: the lookups (a dict) under which every bank sees a record (a published financing demand).
"""

from functools import reduce
from operator import or_

from django.core.exceptions import PermissionDenied
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy


class Role(models.TextChoices):
    """A user's role is the Django group of this name."""

    CITY_STAFF = "city_staff", gettext_lazy("市项目办")
    DISTRICT_USER = "district_user", gettext_lazy("区用户")
    FINANCE = "finance", gettext_lazy("财务")
    LENDER = "lender", gettext_lazy("贷款银行")


CITY_STAFF = Role.CITY_STAFF.value
DISTRICT_USER = Role.DISTRICT_USER.value
FINANCE = Role.FINANCE.value
LENDER = Role.LENDER.value
ROLES = (CITY_STAFF, DISTRICT_USER, FINANCE, LENDER)
# The roles that use the site and the API, and those of them that create and change projects.
MEMBERS = (CITY_STAFF, DISTRICT_USER, FINANCE)
EDITORS = (CITY_STAFF, DISTRICT_USER)
# When a user is in more than one role group, the stronger role wins.
_PRECEDENCE = {CITY_STAFF: 0, FINANCE: 1, DISTRICT_USER: 2, LENDER: 3}

NOTHING = Q(pk__in=[])
LENDER_SEES_ALL = ("*",)


class _WholeCity:
    """Who the sums kept for every reader are computed as (the dashboard's district tallies): what city
    staff see. Never a request's user: a tally is served only to those whose scope_q covers its district.
    """

    is_authenticated = True
    is_active = True
    is_superuser = False
    pk = None
    _portfolio_role = CITY_STAFF


WHOLE_CITY = _WholeCity()


def role_of(user) -> str | None:
    if user is None or not user.is_authenticated or not user.is_active:
        return None
    cached = getattr(user, "_portfolio_role", False)
    if cached is not False:
        return cached
    if user.is_superuser:
        role = CITY_STAFF
    else:
        names = [name for name in user.groups.values_list("name", flat=True) if name in _PRECEDENCE]
        role = min(names, key=_PRECEDENCE.__getitem__) if names else None
    user._portfolio_role = role
    return role


def district_code_of(user) -> str | None:
    if user is None or not user.is_authenticated:
        return None
    cached = getattr(user, "_portfolio_district", False)
    if cached is not False:
        return cached
    from .models import Profile

    code = Profile.objects.filter(user=user).values_list("district_id", flat=True).first()
    user._portfolio_district = code
    return code


def bank_id_of(user) -> int | None:
    """The id of the bank (organisation) a lender works for, or None."""
    if user is None or not user.is_authenticated:
        return None
    cached = getattr(user, "_portfolio_bank", False)
    if cached is not False:
        return cached
    from .models import Profile

    bank = Profile.objects.filter(user=user).values_list("organization_id", flat=True).first()
    user._portfolio_bank = bank
    return bank


def scope_q(user, path: str | None, model=None) -> Q:
    """The filter that limits a queryset to what `user` may see; `path` leads to the district. A lender's
    filter follows the `lender_paths` of `model` (nothing without a model)."""
    role = role_of(user)
    if role in (CITY_STAFF, FINANCE):
        return Q()
    if role == DISTRICT_USER:
        code = district_code_of(user)
        if path is None:
            return Q() if code else NOTHING  # records of no district (organisations): every district's
        return Q(**{path: code}) if code else NOTHING
    if role == LENDER and model is not None:
        return lender_q(user, model)
    return NOTHING


def lender_q(user, model) -> Q:
    """What of `model` a lender sees: the records its `lender_paths` lead to the lender's bank from, and
    those matching its `lender_public`. A path through a to-many relation would repeat a record once per
    match, and paths ORed in one query join every relation at once, so each path is a subquery of the
    model's own ids of its own (an inner join each), and the record is in any of them."""
    paths = getattr(model, "lender_paths", ())
    if paths == LENDER_SEES_ALL:
        return Q()
    bank = bank_id_of(user)
    lookups = [{path: bank} for path in paths] if bank else []
    public = getattr(model, "lender_public", None)
    if public is not None:
        lookups.append(public)
    if not lookups:
        return NOTHING
    records = model._base_manager
    return reduce(or_, (Q(pk__in=records.filter(**lookup).values("pk")) for lookup in lookups))


def is_lender_of(user, loan) -> bool:
    """Whether `user` is an account manager of the bank that made `loan`."""
    return role_of(user) == LENDER and bank_id_of(user) is not None and bank_id_of(user) == loan.lender_id


class ScopedQuerySet(models.QuerySet):
    """Reads of a model whose `scope_path` leads to its district: `.visible_to(user)` applies scope_q."""

    def visible_to(self, user):
        return self.filter(scope_q(user, self.model.scope_path, self.model))


def scope_label(user) -> str:
    """What a user's scope is called on exports: its district's name, its bank's, or 全市."""
    from .models import Profile

    if role_of(user) == LENDER:
        name = Profile.objects.filter(user=user).values_list("organization__name", flat=True).first()
        return name or "—"
    if role_of(user) != DISTRICT_USER:
        return _("全市")

    name = Profile.objects.filter(user=user).values_list("district__name", flat=True).first()
    return name or "—"


def can_see_district(user, district_code: str) -> bool:
    role = role_of(user)
    if role in (CITY_STAFF, FINANCE):
        return True
    return role == DISTRICT_USER and district_code_of(user) == district_code


def require_role(user, *roles: str) -> None:
    if role_of(user) not in roles:
        raise PermissionDenied(_("您的角色无权进行此操作。"))


def is_project_editor(user, project) -> bool:
    """City staff may change any project's records; a district user its own district's."""
    role = role_of(user)
    return role == CITY_STAFF or (role == DISTRICT_USER and district_code_of(user) == project.district_id)


def require_project_editor(user, project) -> None:
    if not is_project_editor(user, project):
        raise PermissionDenied(_("您无权修改该项目。"))


def role_required(view=None, *, roles=MEMBERS):
    """Pages are for users with a role: anonymous users go to the login page, users without a role get 403.

    `@role_required` admits the library's members (not lenders); `@role_required(roles=ROLES)` admits
    lenders too, for the pages a bank uses (its scope then narrows what it finds)."""
    from functools import wraps

    from django.contrib.auth.views import redirect_to_login

    def decorate(view):
        @wraps(view)
        def wrapper(request, *args, **kwargs):
            if not request.user.is_authenticated:
                return redirect_to_login(request.get_full_path())
            role = role_of(request.user)
            if role is None:
                raise PermissionDenied(_("您的账户尚未分配角色，请联系市项目办。"))
            if role not in roles:
                refusal = (
                    _("贷款银行账户无权访问此页面。") if role == LENDER else _("您的角色无权进行此操作。")
                )
                raise PermissionDenied(refusal)
            return view(request, *args, **kwargs)

        return wrapper

    return decorate(view) if view is not None else decorate
