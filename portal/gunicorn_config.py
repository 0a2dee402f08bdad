"""Production gunicorn settings.

Use: ``gunicorn -c python:portal.gunicorn_config 'portal:create_app()'``.

Every value can be overridden on the command line or through gunicorn's own environment
variables (``GUNICORN_CMD_ARGS``).
"""

import multiprocessing
import os

bind = os.environ.get("PORTAL_BIND", "127.0.0.1:8000")
workers = int(os.environ.get("WEB_CONCURRENCY", multiprocessing.cpu_count() * 2 + 1))
worker_class = "sync"
timeout = 30
graceful_timeout = 20
keepalive = 5
max_requests = 20000
max_requests_jitter = 2000
accesslog = "-"
errorlog = "-"
logger_class = "portal.web.access_log.RedactingGunicornLogger"
forwarded_allow_ips = os.environ.get("FORWARDED_ALLOW_IPS", "127.0.0.1")
