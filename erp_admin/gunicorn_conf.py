"""Gunicorn settings for production: `gunicorn -c python:erp_admin.gunicorn_conf wsgi:app`.

Every value can be overridden by the environment variable named beside it
(or by gunicorn's own command-line flags).
"""
import multiprocessing
import os

bind = os.environ.get("ERP_BIND", "127.0.0.1:8000")
# Sync workers: 2 × cores + 1 is gunicorn's own rule of thumb for I/O-bound apps.
workers = int(os.environ.get("ERP_WORKERS", multiprocessing.cpu_count() * 2 + 1))
worker_class = os.environ.get("ERP_WORKER_CLASS", "sync")
threads = int(os.environ.get("ERP_THREADS", "1"))
# A request taking longer than this is killed and its worker replaced. The longest
# request is the panel's CSV Confirm: 100 000 rows took 22 s on a quiet machine and
# 80-95 s on a loaded one (README, CSV import), so 30 s would kill large imports.
timeout = int(os.environ.get("ERP_TIMEOUT", "120"))
graceful_timeout = int(os.environ.get("ERP_GRACEFUL_TIMEOUT", "30"))
keepalive = int(os.environ.get("ERP_KEEPALIVE", "5"))
# Slow-client protection: bounded request line and header sizes.
limit_request_line = 8190
limit_request_fields = 100
limit_request_field_size = 8190
# Recycle workers now and then so a slow leak can never grow without bound.
max_requests = int(os.environ.get("ERP_MAX_REQUESTS", "10000"))
max_requests_jitter = 500
# Loading the app once in the master shares its memory with the workers (copy-on-write).
preload_app = os.environ.get("ERP_PRELOAD", "1") == "1"
# The access log: the app itself writes one JSON line per request (see
# erp_admin/web/observability.py). ERP_GUNICORN_ACCESS_LOG=- adds gunicorn's own line,
# with the same request id; its format leaves the query string out on purpose
# (it may carry secrets).
accesslog = os.environ.get("ERP_GUNICORN_ACCESS_LOG") or None
access_log_format = 'method=%(m)s path="%(U)s" status=%(s)s duration_ms=%(M)s request_id=%({x-request-id}o)s addr=%(h)s'
errorlog = "-"
loglevel = os.environ.get("ERP_LOG_LEVEL", "info")
forwarded_allow_ips = os.environ.get("ERP_FORWARDED_ALLOW_IPS", "127.0.0.1")


def post_fork(server, worker):
    # Each worker opens its own database connections: never share the master's.
    from erp_admin.extensions import db

    app = getattr(worker, "wsgi", None)
    if app is not None and hasattr(app, "app_context"):
        with app.app_context():
            db.engine.dispose(close=False)

# gunicorn 27's control socket is one path per machine user (~/.gunicorn/gunicorn.ctl),
# shared by every instance; this app needs no runtime control, so it stays off.
control_socket_disable = os.environ.get("ERP_GUNICORN_CONTROL_SOCKET", "0") != "1"
