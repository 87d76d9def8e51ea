"""gunicorn settings for `make serve` (Procfile) and docker-compose: `gunicorn -c python:okrplan.gunicorn_conf`.

Access and error lines go through the same logging setup as Django (JSON unless DEBUG/LOG_FORMAT say otherwise),
each access line with the request id the app answered with (X-Request-ID).
"""

import os

from core.logging import default_log_format, logging_config

_debug = os.environ.get("DEBUG", "").strip().lower() in {"1", "true", "yes", "on"}

bind = os.environ.get("GUNICORN_BIND") or f"0.0.0.0:{os.environ.get('PORT', '8000')}"
workers = int(os.environ.get("WEB_CONCURRENCY", "3"))
timeout = int(os.environ.get("GUNICORN_TIMEOUT", "30"))
# Trust X-Forwarded-* only from these proxy addresses (comma-separated; "*" behind a private load balancer).
forwarded_allow_ips = os.environ.get("FORWARDED_ALLOW_IPS", "127.0.0.1")
logconfig_dict = logging_config(default_log_format(_debug), os.environ.get("LOG_LEVEL", "INFO"))
access_log_format = '%(h)s "%(r)s" %(s)s %(B)s %(M)sms "%(a)s" %({x-request-id}o)s'
