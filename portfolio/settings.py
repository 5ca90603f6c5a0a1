"""Settings for the Beautiful Guangzhou project library.

Everything that differs between a laptop and the city's servers comes from the environment:
DATABASE_URL, SECRET_KEY, DEBUG, ALLOWED_HOSTS (and HTTPS for the transport settings).
"""

import datetime
import os
import warnings
from decimal import Decimal
from pathlib import Path

import dj_database_url
from csp.constants import NONE, SELF
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent.parent


def env_bool(name: str, default: bool = False) -> bool:
    value = os.environ.get(name)
    if value is None or value == "":
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def env_list(name: str, default: str = "") -> list[str]:
    return [item.strip() for item in os.environ.get(name, default).split(",") if item.strip()]


DEBUG = env_bool("DEBUG", False)
# pytest sets PYTEST_VERSION for the length of a test session.
TESTING = "PYTEST_VERSION" in os.environ

SECRET_KEY = os.environ.get("SECRET_KEY", "")
if not SECRET_KEY:
    if DEBUG or TESTING:
        SECRET_KEY = "insecure-development-key-never-used-in-production-0123456789abcdef"
    else:
        raise ImproperlyConfigured(
            "SECRET_KEY is not set. Set it in the environment, or set DEBUG=1 for local development."
        )

ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", "127.0.0.1,localhost" if DEBUG or TESTING else "")
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "axes",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "rest_framework",
    "rest_framework.authtoken",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "bootstrap",
    "django_htmx",
    "django_tasks",
    "django_tasks_db",
    "portfolio",
    "projects",
    "financing",
]

MIDDLEWARE = [
    # First: a load balancer's probe is answered before host validation, HTTPS redirect or logging.
    "portfolio.middleware.HealthCheckMiddleware",
    "portfolio.middleware.RequestLogMiddleware",
    "portfolio.middleware.RequestSizeLimitMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "portfolio.middleware.LanguageMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "csp.middleware.CSPMiddleware",
    # Last, so that it sees the outcome of every login attempt.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "portfolio.urls"
WSGI_APPLICATION = "portfolio.wsgi.application"
ASGI_APPLICATION = "portfolio.asgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "portfolio.context_processors.access",
                "portfolio.context_processors.notifications",
            ],
        },
    },
]
# Django's form renderer, with select boxes written in Python rather than a template per option.
FORM_RENDERER = "portfolio.renderers.FormRenderer"

DATABASES = {
    "default": dj_database_url.config(
        default=f"sqlite:///{BASE_DIR / 'db.sqlite3'}",
        conn_max_age=int(os.environ.get("CONN_MAX_AGE", "60")),
        conn_health_checks=True,
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # Several request threads (and the runserver autoreloader) share one file: wait for the lock
    # instead of failing with "database is locked".
    DATABASES["default"].setdefault("OPTIONS", {})
    DATABASES["default"]["OPTIONS"].update({"timeout": 20, "transaction_mode": "IMMEDIATE"})
    # Read the file through a memory map (up to SQLITE_MMAP_SIZE bytes, 4 GiB by default, capped by the
    # SQLite build: 2 GiB in Debian's and Python's) rather than a
    # read() into SQLite's small page cache for every page: the dashboard's whole-library sums at 100,000
    # projects (a 2 GB file) ran 20-35 % faster. The pages are the operating system's cache, shared by
    # every connection; 0 turns it off.
    mmap_size = int(os.environ.get("SQLITE_MMAP_SIZE", str(4 * 1024**3)))
    DATABASES["default"]["OPTIONS"]["init_command"] = f"PRAGMA mmap_size={mmap_size};"
    DATABASES["default"]["CONN_MAX_AGE"] = 0
    # A file, not memory, for the test database: the browser tests' live server then gives each request
    # thread its own connection instead of sharing the test thread's.
    # One file per run, so that two runs on one checkout never share it.
    DATABASES["default"]["TEST"] = {"NAME": str(BASE_DIR / f".test-db-{os.getpid()}.sqlite3")}
elif DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
    options = DATABASES["default"].setdefault("OPTIONS", {})
    # JIT compilation pays off for long analytic queries; the app's are short OLTP ones, and on the library
    # sorted by 资金缺口 at 100,000 projects the planner spent most of the time compiling (README, "Scaling").
    options.setdefault("options", "-c jit=off")
    # DB_POOL_SIZE > 0: each worker process keeps a psycopg pool of up to that many connections (Django's
    # "pool" option) instead of one persistent connection per thread; size it in the README's "Scaling".
    pool_size = int(os.environ.get("DB_POOL_SIZE", "0"))
    if pool_size > 0:
        options["pool"] = {
            "min_size": 1,
            "max_size": pool_size,
            "timeout": int(os.environ.get("DB_POOL_TIMEOUT", "10")),
        }
        DATABASES["default"]["CONN_MAX_AGE"] = 0  # Django refuses a pool with persistent connections

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# Argon2 first (portfolio/hashers.py says with which parameters, and why): memory-hard, and cheaper per
# login on the servers' CPU than PBKDF2 at its default rounds. The others stay so that existing hashes still
# verify; each is upgraded to Argon2 at the user's next login.
PASSWORD_HASHERS = [
    "portfolio.hashers.LibraryArgon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2SHA1PasswordHasher",
    "django.contrib.auth.hashers.ScryptPasswordHasher",
]

AUTHENTICATION_BACKENDS = [
    # Refuses a locked-out user and address before the password is checked, and counts failures.
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]

# Login protection: after AXES_FAILURE_LIMIT failed logins for one user name from one address, that pair is
# locked out for AXES_COOLOFF_MINUTES; a successful login resets the count. Pages and the API's token
# endpoint alike (portfolio.views.locked_out says so in Chinese).
AXES_FAILURE_LIMIT = int(os.environ.get("AXES_FAILURE_LIMIT", "5"))
AXES_COOLOFF_TIME = datetime.timedelta(minutes=int(os.environ.get("AXES_COOLOFF_MINUTES", "15")))
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_CALLABLE = "portfolio.views.locked_out"
AXES_CLIENT_IP_CALLABLE = "portfolio.middleware.client_ip"
AXES_VERBOSE = False

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"

LANGUAGE_CODE = "zh-hans"
LANGUAGES = [("zh-hans", "简体中文"), ("en", "English")]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = "Asia/Shanghai"
USE_I18N = True
USE_TZ = True

# Documents (附件), imports waiting for their confirmation and the files of background jobs are kept through
# STORAGES["default"]: files under MEDIA_ROOT by default, or an S3-compatible bucket (README, "Documents and
# storage"), shared by every app host and worker. There is no MEDIA_URL route: every download goes through a
# view that checks the user's scope.
MEDIA_ROOT = os.environ.get("MEDIA_ROOT", str(BASE_DIR / "var" / "media"))

STATIC_URL = "static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
# In production whitenoise serves the collected files itself: compressed, under hashed names that can be
# cached for good. Development and tests read them straight from the apps.
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"
        if DEBUG or TESTING
        else "whitenoise.storage.CompressedManifestStaticFilesStorage"
    },
}

if DEBUG or TESTING:
    # Nothing is collected outside production; whitenoise then serves from the apps' folders.
    WHITENOISE_USE_FINDERS = True
    WHITENOISE_AUTOREFRESH = True
    warnings.filterwarnings("ignore", message="No directory at", module="whitenoise.base")

# Uploads: the whole request body is bounded before Django reads it (413 beyond): room for a 20 MB document
# with its form fields (a larger file is refused by projects.documents, with its size). An Excel workbook is
# refused above its own 10 MB limit before it is parsed (projects.imports).
MAX_REQUEST_BYTES = int(os.environ.get("MAX_REQUEST_BYTES", str(21 * 1024 * 1024)))
DATA_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024
FILE_UPLOAD_MAX_MEMORY_SIZE = 2 * 1024 * 1024

REST_FRAMEWORK = {
    # Token first, so that a request without credentials is told 401 with a WWW-Authenticate header.
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "rest_framework.authentication.TokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["portfolio.api.permissions.HasRole"],
    "DEFAULT_FILTER_BACKENDS": ["django_filters.rest_framework.DjangoFilterBackend"],
    "DEFAULT_PAGINATION_CLASS": "portfolio.api.pagination.Pagination",
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "EXCEPTION_HANDLER": "portfolio.api.handlers.exception_handler",
    "COERCE_DECIMAL_TO_STRING": True,
}

SPECTACULAR_SETTINGS = {
    "TITLE": "美丽广州建设重大项目库 API",
    "DESCRIPTION": "Projects, milestones, funding lines and loans of the Beautiful Guangzhou major project "
    "library. Amounts are in 元 as decimal strings; dates are YYYY-MM-DD.",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SERVE_PERMISSIONS": ["rest_framework.permissions.IsAuthenticated"],
    "SWAGGER_UI_DIST": "SIDECAR",
    # No call to the public validator service: the site works offline.
    "SWAGGER_UI_SETTINGS": {"deepLinking": True, "validatorUrl": None},
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "COMPONENT_SPLIT_REQUEST": True,
    "ENUM_NAME_OVERRIDES": {
        "StageEnum": "projects.choices.Stage",
        "ReviewStatusEnum": "projects.choices.ReviewStatus",
        "FundingStatusEnum": "financing.choices.FundingStatus",
        "LoanStatusEnum": "financing.choices.LoanStatus",
        "SourceTypeEnum": "financing.choices.SourceType",
    },
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        "portfolio.api.handlers.document_error_responses",
    ],
}

# Transport security. In production (DEBUG off) the site is assumed to sit behind HTTPS unless
# HTTPS=0 says otherwise, e.g. on a closed network without TLS.
HTTPS = env_bool("HTTPS", not DEBUG and not TESTING)
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SECURE = HTTPS
# No script of ours reads the CSRF cookie: pages and the API docs take the token from the page.
CSRF_COOKIE_HTTPONLY = True
CSRF_COOKIE_SECURE = HTTPS
SECURE_SSL_REDIRECT = HTTPS
SECURE_HSTS_SECONDS = int(os.environ.get("SECURE_HSTS_SECONDS", "31536000")) if HTTPS else 0
SECURE_HSTS_INCLUDE_SUBDOMAINS = HTTPS
SECURE_HSTS_PRELOAD = False
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
# Behind a reverse proxy that sets X-Forwarded-Proto and appends the client's address to X-Forwarded-For.
BEHIND_PROXY = env_bool("BEHIND_PROXY")
# The proxies whose X-Forwarded-For is believed (gunicorn's FORWARDED_ALLOW_IPS names the same ones).
TRUSTED_PROXIES = set(env_list("FORWARDED_ALLOW_IPS", "127.0.0.1"))
if BEHIND_PROXY:
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")

# Content Security Policy: our own static files only, no inline script or style, no framing.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF],
        "style-src": [SELF],
        "img-src": [SELF, "data:"],
        "font-src": [SELF],
        "connect-src": [SELF],
        "object-src": [NONE],
        "base-uri": [SELF],
        "form-action": [SELF],
        "frame-ancestors": [NONE],
    }
}

SILENCED_SYSTEM_CHECKS = [
    # HSTS preload is a decision for the city's domain owners, not for the application.
    "security.W021",
]

# Logs go to standard error, one JSON object a line: every request (method, path, status, user, time) from
# portfolio.requests, and errors with their traceback from django.request. Nothing of it reaches a client.
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {
        "json": {
            "()": "pythonjsonlogger.json.JsonFormatter",
            "fmt": "%(asctime)s %(levelname)s %(name)s %(message)s",
            "rename_fields": {"asctime": "time", "levelname": "level", "name": "logger"},
        }
    },
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "json"}},
    "root": {"handlers": ["console"], "level": os.environ.get("LOG_LEVEL", "INFO")},
    "loggers": {
        # The request log says it once, with the user; Django's own line per 4xx would repeat it.
        "django.request": {"level": "ERROR"},
        "django.server": {"level": "WARNING"},
        # The PDF renderer reports each step and every font it subsets at INFO.
        "weasyprint": {"level": "WARNING"},
        "fontTools": {"level": "WARNING"},
    },
}

# Background jobs (portfolio.jobs): long exports, PDFs, batch imports and the reminders run as tasks queued in
# the database and run by `manage.py db_worker` (one or more per host, README "Background jobs"), so that no
# other server is needed. The tests run a task at once where they enqueue it, except those of a job's life,
# which switch to the database backend and run the worker themselves (tests/portfolio/test_jobs.py).
TASKS = {
    "default": {
        "BACKEND": "django_tasks.backends.immediate.ImmediateBackend"
        if TESTING
        else "django_tasks_db.DatabaseBackend"
    }
}
# Above these sizes the file is made by a job and the user is sent to its page: rows of an export (projects
# for projects.xlsx and financing.xlsx, a batch's entries, the dispatch's projects), the projects of a
# dispatch bulletin (PDF), the rows of a batch import.
EXPORT_JOB_THRESHOLD = int(os.environ.get("EXPORT_JOB_THRESHOLD", "5000"))
PDF_JOB_THRESHOLD = int(os.environ.get("PDF_JOB_THRESHOLD", "1000"))
IMPORT_JOB_THRESHOLD = int(os.environ.get("IMPORT_JOB_THRESHOLD", "2000"))

if TESTING:
    # Hashing strength is not what the tests are about; PBKDF2 per test user would dominate their time.
    PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher", *PASSWORD_HASHERS]

# The monthly dispatch: a month's progress report is due by this working day of the next month.
PROGRESS_REPORT_DUE_WORKING_DAY = int(os.environ.get("PROGRESS_REPORT_DUE_WORKING_DAY", "5"))
# The dispatch's flags: a project or district this many percentage points or more behind 序时进度 is red
# (红旗) or yellow (黄旗); a late report makes it red whatever its figures.
DISPATCH_RED_POINTS = Decimal(os.environ.get("DISPATCH_RED_POINTS", "20"))
DISPATCH_YELLOW_POINTS = Decimal(os.environ.get("DISPATCH_YELLOW_POINTS", "10"))
# Reminders (manage.py remind): reports coming due within this many working days are announced.
REMIND_DUE_WITHIN_WORKING_DAYS = int(os.environ.get("REMIND_DUE_WITHIN_WORKING_DAYS", "2"))

# Mail for the reminders: sent only where EMAIL_HOST is given (Django's SMTP backend, no outside service);
# without it the reminders are in-app notifications only.
EMAIL_HOST = os.environ.get("EMAIL_HOST", "")
EMAIL_PORT = int(os.environ.get("EMAIL_PORT", "25"))
EMAIL_HOST_USER = os.environ.get("EMAIL_HOST_USER", "")
EMAIL_HOST_PASSWORD = os.environ.get("EMAIL_HOST_PASSWORD", "")
EMAIL_USE_TLS = os.environ.get("EMAIL_USE_TLS", "0") == "1"
EMAIL_USE_SSL = os.environ.get("EMAIL_USE_SSL", "0") == "1"
EMAIL_TIMEOUT = int(os.environ.get("EMAIL_TIMEOUT", "30"))
DEFAULT_FROM_EMAIL = os.environ.get("DEFAULT_FROM_EMAIL", "美丽广州项目库 <noreply@localhost>")
# The address the reminders' links start with (mail is read outside the site).
SITE_URL = os.environ.get("SITE_URL", "http://127.0.0.1:8000").rstrip("/")
