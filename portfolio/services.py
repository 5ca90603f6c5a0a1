"""Writes to user accounts: a role (the Django group of that code) and, for a district user, its district,
for a lender, its bank."""

import secrets

from django.contrib.auth.models import Group, User
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from financing.choices import OrganizationKind
from financing.models import Organization
from projects.models import District

from . import access
from .audit import account_snapshot, audit_record
from .models import Profile


@transaction.atomic
def account_upsert(
    *,
    username: str,
    role: str,
    district_code: str | None = None,
    organization: str | None = None,
    password: str | None = None,
    acting_user=None,
) -> tuple[User, str | None]:
    """Create or update an account; returns it and the password when one was generated for it.

    A lender names its bank by `organization`: the organisation's name or 统一社会信用代码."""
    if role not in access.ROLES:
        raise ValidationError(
            {
                "role": _("未知角色“%(role)s”，可选：%(roles)s")
                % {"role": role, "roles": ", ".join(access.ROLES)}
            }
        )
    district = None
    if role == access.DISTRICT_USER:
        if not district_code:
            raise ValidationError({"district": _("区用户必须指定所属区（--district 区划代码，如 440112）。")})
        district = (
            District.objects.filter(code=district_code).first()
            or District.objects.filter(name=district_code).first()
        )
        if district is None:
            codes = ", ".join(f"{d.code} {d.name}" for d in District.objects.all())
            raise ValidationError(
                {
                    "district": _("没有区划代码为“%(c)s”的区。可选：%(codes)s")
                    % {"c": district_code, "codes": codes}
                }
            )
    elif district_code:
        raise ValidationError({"district": _("只有区用户（district_user）需要指定所属区。")})
    bank = _bank_of(role, organization)

    user = User.objects.select_for_update().filter(username=username).first()
    before = account_snapshot(user) if user else None
    generated = None
    if user is None:
        user = User(username=username)
        if password is None:
            password = generated = secrets.token_urlsafe(12)
    if password is not None:
        validate_password(password, user)
        user.set_password(password)
    user.is_staff = role == access.CITY_STAFF
    user.is_active = True
    user.save()
    user.groups.remove(*Group.objects.filter(name__in=access.ROLES).exclude(name=role))
    user.groups.add(Group.objects.get(name=role))
    Profile.objects.update_or_create(user=user, defaults={"district": district, "organization": bank})
    note = _("设置了密码") if password is not None else ""
    audit_record(
        actor=acting_user,
        action="account_upsert",
        instance=user,
        before=before,
        project=None,
        after=account_snapshot(user),
        note=note,
    )
    return user, generated


def _bank_of(role: str, organization: str | None) -> Organization | None:
    """The bank a lender account belongs to, found by name or 统一社会信用代码; none for other roles."""
    if role != access.LENDER:
        if organization:
            raise ValidationError({"organization": _("只有贷款银行账户（lender）需要指定所属银行。")})
        return None
    if not organization or not organization.strip():
        raise ValidationError(
            {"organization": _("贷款银行账户必须指定所属银行（--organization 银行名称或统一社会信用代码）。")}
        )
    text = organization.strip()
    found = (
        Organization.objects.filter(name=text).first()
        or Organization.objects.filter(uscc=text.upper()).first()
    )
    if found is None:
        banks = "、".join(
            Organization.objects.filter(kind=OrganizationKind.BANK).values_list("name", flat=True)
        )
        raise ValidationError(
            {
                "organization": _("没有名称或统一社会信用代码为“%(o)s”的机构。已登记的银行：%(banks)s")
                % {"o": text, "banks": banks or "—"}
            }
        )
    if found.kind != OrganizationKind.BANK:
        raise ValidationError(
            {
                "organization": _("“%(o)s”的类型是“%(k)s”，不是银行：贷款银行账户只能属于银行。")
                % {"o": found.name, "k": found.get_kind_display()}
            }
        )
    return found
