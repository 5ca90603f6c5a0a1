"""How the API answers errors, and how its schema documents them.

Errors are consistent: 400 with field errors (and `non_field_errors` for a broken rule), 401 without
credentials, 403 for a role that may not act, 404 outside the user's scope, 409 when the record changed
since the client read it (the `version` it sent), 412 when an `If-Match` header no longer matches, and a
JSON 500 for anything unforeseen (logged with its traceback), never an HTML page.
"""

import logging

from django.core.exceptions import NON_FIELD_ERRORS
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404
from django.utils.translation import gettext_lazy as _
from rest_framework import status
from rest_framework.response import Response

from portfolio.errors import StaleObjectError

logger = logging.getLogger("django.request")


def exception_handler(exc, context):
    """A service's ValidationError becomes a 400 (409 when stale), DRF's own errors keep their answer, and
    anything else is logged and answered with a JSON 500, whatever DEBUG says."""
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
    response = drf_exception_handler(exc, context)
    if response is not None:
        return response
    request = context.get("request")
    logger.error(
        "Internal Server Error: %s",
        getattr(request, "path", "?"),
        exc_info=exc,
        extra={"status_code": 500, "request": getattr(request, "_request", None)},
    )
    return Response(
        {"detail": _("服务器内部错误，请求未能完成。请核对数据后再试。"), "code": "server_error"},
        status=status.HTTP_500_INTERNAL_SERVER_ERROR,
    )


ERROR_RESPONSES = {
    "400": "输入有误：各字段的错误，或 non_field_errors 中违反的规则",
    "401": "未提供或无效的身份凭证",
    "403": "角色无权进行此操作",
    "404": "记录不存在，或不在您的权限范围内",
    "409": "记录在您读取后已被修改",
    "412": "If-Match 与当前版本不符",
    "415": "请求体的格式不受支持或无法解析",
}

# The resources whose changes and workflow steps carry the `version` that was read (409 when stale).
VERSIONED_PATHS = ("/api/v1/projects/", "/api/v1/progress-reports/")


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
            if method != "get" and path_name.startswith(VERSIONED_PATHS):
                codes.append("409")  # the version sent is no longer the record's
            for code in codes:
                responses.setdefault(
                    code,
                    {
                        "description": ERROR_RESPONSES[code],
                        "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}},
                    },
                )
    return result
