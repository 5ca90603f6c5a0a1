"""gunicorn for `make serve` and the load test: settings from the environment, logs to standard error.

WEB_CONCURRENCY workers (default: two per core plus one, at most 9), each with GUNICORN_THREADS threads, on
BIND. Each thread holds its own database connection: workers × threads per app host, which all hosts together
must keep under PostgreSQL's max_connections (100 by default).
Our own request log (portfolio.requests) records every request with its user, so gunicorn's access log is off.
"""

import multiprocessing
import os

bind = os.environ.get("BIND", "127.0.0.1:8000")
workers = int(os.environ.get("WEB_CONCURRENCY", min(multiprocessing.cpu_count() * 2 + 1, 9)))
threads = int(os.environ.get("GUNICORN_THREADS", "2"))
timeout = int(os.environ.get("GUNICORN_TIMEOUT", "120"))  # a large export may take a while
graceful_timeout = 30
# Idle keep-alive connections stay open longer than a proxy or client waits before reusing one; closing them
# sooner races with the next request on them, which then fails with "connection reset".
keepalive = 75
max_requests = 2000
max_requests_jitter = 200
# Bounds on the request line and headers; the body is bounded by MAX_REQUEST_BYTES in the app.
limit_request_line = 8190
limit_request_fields = 100
limit_request_field_size = 8190
accesslog = None
errorlog = "-"
loglevel = os.environ.get("GUNICORN_LOG_LEVEL", "info")
# Behind a reverse proxy on the same host or network: trust its X-Forwarded-* headers.
forwarded_allow_ips = os.environ.get("FORWARDED_ALLOW_IPS", "127.0.0.1")
wsgi_app = "portfolio.wsgi:application"
