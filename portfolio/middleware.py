import logging
import time

from django.conf import settings
from django.http import HttpResponse, JsonResponse
from django.utils import translation
from django.utils.translation import gettext as _

from .views import healthz


class LanguageMiddleware:
    """Chinese unless the user chose another language (the language cookie set by /i18n/setlang/).

    Django's LocaleMiddleware would follow the browser's Accept-Language, which shows an English page to
    anyone whose browser is set to English; for this office the product's language is Chinese.
    """

    def __init__(self, get_response):
        self.get_response = get_response
        self.available = {code for code, _name in settings.LANGUAGES}

    def __call__(self, request):
        chosen = request.COOKIES.get(settings.LANGUAGE_COOKIE_NAME)
        language = chosen if chosen in self.available else settings.LANGUAGE_CODE
        translation.activate(language)
        request.LANGUAGE_CODE = language
        response = self.get_response(request)
        response.headers.setdefault("Content-Language", language)
        return response


requests_log = logging.getLogger("portfolio.requests")


def client_ip(request) -> str:
    """The client's address, for the request log and the login lockout.

    X-Forwarded-For is believed only from a trusted proxy (TRUSTED_PROXIES, with BEHIND_PROXY on): the
    address is then the rightmost one that is not itself a trusted proxy. Anyone else could write any
    address there, and so escape the lockout by sending a new one with every guess.
    """
    remote = request.META.get("REMOTE_ADDR", "")
    if not (settings.BEHIND_PROXY and remote in settings.TRUSTED_PROXIES):
        return remote
    forwarded = request.META.get("HTTP_X_FORWARDED_FOR", "")
    for hop in reversed([hop.strip() for hop in forwarded.split(",") if hop.strip()]):
        if hop not in settings.TRUSTED_PROXIES:
            return hop
    return remote


class RequestLogMiddleware:
    """One structured line per request: method, path, status, user, client address and milliseconds."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        started = time.perf_counter()
        response = self.get_response(request)
        user = getattr(request, "user", None)
        status = response.status_code
        requests_log.log(
            logging.ERROR if status >= 500 else logging.INFO,
            "request",
            extra={
                "method": request.method,
                "path": request.path,
                "status": status,
                "user": user.get_username() if user is not None and user.is_authenticated else None,
                "client": client_ip(request),
                "ms": round((time.perf_counter() - started) * 1000, 1),
            },
        )
        return response


class RequestSizeLimitMiddleware:
    """Refuse a request body over MAX_REQUEST_BYTES (413) before anything reads it."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        try:
            length = int(request.META.get("CONTENT_LENGTH") or 0)
        except ValueError:
            length = 0
        if length > settings.MAX_REQUEST_BYTES:
            limit = settings.MAX_REQUEST_BYTES // (1024 * 1024)
            message = _("请求内容超过 %(n)d MB，已拒绝。") % {"n": limit}
            if request.path.startswith("/api/"):
                return JsonResponse({"detail": message}, status=413)
            return HttpResponse(message, status=413, content_type="text/plain; charset=utf-8")
        return self.get_response(request)


class HealthCheckMiddleware:
    """GET /healthz, answered here: load balancers probe over plain HTTP with the backend's address as Host,
    which the HTTPS redirect and ALLOWED_HOSTS would refuse further down."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if request.path_info == "/healthz" and request.method in ("GET", "HEAD"):
            return healthz(request)
        return self.get_response(request)
