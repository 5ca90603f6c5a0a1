"""What every API endpoint shares: roles, errors, pagination and their documentation.

Errors are consistent: 400 with field errors (and `non_field_errors` for a broken rule), 401 without
credentials, 403 for a role that may not act, 404 outside the user's scope, 409 when the record changed
since the client read it (the `version` it sent) and 412 when an `If-Match` header no longer matches.
"""

import hashlib
import json

from django.core.exceptions import NON_FIELD_ERRORS
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404
from django.utils.translation import gettext_lazy as _
from rest_framework import permissions, status
from rest_framework.exceptions import ValidationError
from rest_framework.pagination import PageNumberPagination
from rest_framework.response import Response

from . import access
from .errors import StaleObjectError


class HasRole(permissions.BasePermission):
    """Signed in, with a role; writes only for the roles a view names in `write_roles`.

    On a single record the role is checked after the record was looked up in the user's scope, so that
    another district's record is a 404 whatever the method, and a 403 means "yours, but not for your role".
    """

    message = _("您的账户尚未分配角色，请联系市项目办。")

    def has_permission(self, request, view):
        if not (request.user and request.user.is_authenticated):
            return False
        role = access.role_of(request.user)
        if role == access.LENDER:
            self.message = _("贷款银行账户的查询范围尚未开通，请联系市项目办。")
        if role not in access.MEMBERS:
            return False
        if request.method in permissions.SAFE_METHODS or getattr(view, "action", None) is None:
            return True  # a read, or a method the view does not have (405)
        return True if getattr(view, "detail", False) else self._may_write(request, view)

    def has_object_permission(self, request, view, obj):
        return request.method in permissions.SAFE_METHODS or self._may_write(request, view)

    def _may_write(self, request, view) -> bool:
        if access.role_of(request.user) in getattr(view, "write_roles", ()):
            return True
        self.message = _("您的角色无权进行此操作。")
        return False


class Pagination(PageNumberPagination):
    page_size = 50
    page_size_query_param = "page_size"
    max_page_size = 200

    def paginate_queryset(self, queryset, request, view=None):
        page = request.query_params.get(self.page_query_param)
        if (
            page is not None
            and not (page.isdigit() and int(page) >= 1)
            and page not in self.last_page_strings
        ):
            raise ValidationError({"page": [_("页码应为正整数。")]})
        return super().paginate_queryset(queryset, request, view)


def exception_handler(exc, context):
    """A service's ValidationError becomes a 400 (409 when stale); everything else as DRF answers it."""
    # Imported here: DRF's settings import this module, and rest_framework.views imports the settings.
    from rest_framework.views import exception_handler as drf_exception_handler

    if isinstance(exc, Http404):
        # The same words whether the record does not exist or lies outside the user's scope.
        return Response({"detail": _("未找到。")}, status=status.HTTP_404_NOT_FOUND)
    if isinstance(exc, StaleObjectError):
        return Response({"detail": exc.messages[0], "code": "stale"}, status=status.HTTP_409_CONFLICT)
    if isinstance(exc, DjangoValidationError):
        if hasattr(exc, "error_dict"):
            data = {
                ("non_field_errors" if field == NON_FIELD_ERRORS else field): messages
                for field, messages in exc.message_dict.items()
            }
        else:
            data = {"non_field_errors": exc.messages}
        return Response(data, status=status.HTTP_400_BAD_REQUEST)
    return drf_exception_handler(exc, context)


ERROR_RESPONSES = {
    "400": "输入有误：各字段的错误，或 non_field_errors 中违反的规则",
    "401": "未提供或无效的身份凭证",
    "403": "角色无权进行此操作",
    "404": "记录不存在，或不在您的权限范围内",
    "409": "记录在您读取后已被修改",
    "412": "If-Match 与当前版本不符",
    "415": "请求体的格式不受支持或无法解析",
}


def document_error_responses(result, generator, request, public):
    """Document the error answers of every operation, so clients (and schema checks) know their shape."""
    components = result.setdefault("components", {}).setdefault("schemas", {})
    components["Error"] = {
        "type": "object",
        "description": "An error: `detail` for a refusal, or field names (and non_field_errors) with lists.",
        "additionalProperties": True,
        # Only `detail` is fixed; other keys are field names (with lists of messages) or `code` for a 409.
        "properties": {"detail": {"type": "string"}},
    }
    for path_name, path in result.get("paths", {}).items():
        for method, operation in path.items():
            if method not in {"get", "post", "put", "patch", "delete"}:
                continue
            responses = operation.setdefault("responses", {})
            codes = ["400", "401", "403", "404"] + (["415"] if method != "get" else [])
            if method in ("put", "patch"):
                codes.append("412")  # If-Match no longer matches
            if method != "get" and path_name.startswith("/api/v1/projects/"):
                codes.append("409")  # the version sent is no longer the project's
            for code in codes:
                responses.setdefault(
                    code,
                    {
                        "description": ERROR_RESPONSES[code],
                        "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}},
                    },
                )
    return result


def etag_of(data) -> str:
    """A strong ETag for a record's representation: it changes whenever any field does."""
    digest = hashlib.sha256(json.dumps(data, sort_keys=True, default=str).encode()).hexdigest()
    return f'"{digest[:32]}"'


def if_match_allows(header: str, current: str) -> bool:
    tags = [tag.strip().removeprefix("W/") for tag in header.split(",")]
    return "*" in tags or current in tags
