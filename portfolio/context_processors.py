from django.utils.functional import cached_property

from portfolio import access as access_rules
from portfolio import notifications as notification_kit


def access(request):
    """The signed-in user's role, for navigation by role."""
    role = access_rules.role_of(getattr(request, "user", None))
    return {"user_role": role, "user_role_label": access_rules.Role(role).label if role else ""}


class _Bell:
    """The navigation bar's bell: its count is read from the database the first time a template asks,
    so that a page without the bell (or a response that is never rendered) costs no query."""

    def __init__(self, user):
        self._user = user

    @cached_property
    def unread(self) -> int:
        return notification_kit.unread_count(self._user)


def notifications(request):
    """The unread count of the signed-in user's notifications, read lazily; nothing for anonymous users."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    return {"notification_bell": _Bell(user)}
