"""Who may call the API: signed in, with a role; writes for the roles a view names."""

from django.utils.translation import gettext_lazy as _
from rest_framework import permissions

from portfolio import access


class HasRole(permissions.BasePermission):
    """Signed in, with a role; writes only for the roles a view names in `write_roles`.

    On a single record the role is checked after the record was looked up in the user's scope, so that
    another district's record is a 404 whatever the method, and a 403 means "yours, but not for your role".

    A lender reaches only the views that set `lender_allowed` (its loans, their entries, the projects they
    finance, the financing demands, the exports); its scope narrows what it finds there.
    """

    message = _("您的账户尚未分配角色，请联系市项目办。")

    def has_permission(self, request, view):
        if not (request.user and request.user.is_authenticated):
            return False
        role = access.role_of(request.user)
        if role is None:
            return False
        if role == access.LENDER and not getattr(view, "lender_allowed", False):
            self.message = _("贷款银行账户无权访问此接口。")
            return False
        if request.method in permissions.SAFE_METHODS:
            return True
        if not hasattr(view, "action"):
            return self._may_write(request, view)  # a plain APIView's write (an import): its write_roles
        if view.action is None:
            return True  # a method the viewset does not have (405)
        return True if getattr(view, "detail", False) else self._may_write(request, view)

    def has_object_permission(self, request, view, obj):
        return request.method in permissions.SAFE_METHODS or self._may_write(request, view)

    def _may_write(self, request, view) -> bool:
        if access.role_of(request.user) in getattr(view, "write_roles", ()):
            return True
        self.message = _("您的角色无权进行此操作。")
        return False
