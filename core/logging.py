"""Logging: one JSON object per line in production (LOG_FORMAT=json), readable text in development.

Django (settings.LOGGING), gunicorn (okrplan/gunicorn_conf.py) and Celery (worker_hijack_root_logger off) all log
through the root logger configured here, so every line of every process has the same shape. Each line of a web
request carries its request id (core.middleware.RequestIdMiddleware), also echoed in the X-Request-ID header.
"""

from __future__ import annotations

import contextvars
import datetime as dt
import logging
import os
from collections.abc import Mapping

from pythonjsonlogger.json import JsonFormatter as _BaseJsonFormatter

request_id_var: contextvars.ContextVar[str | None] = contextvars.ContextVar("request_id", default=None)

# gunicorn access log atoms (https://docs.gunicorn.org/en/stable/settings.html#access-log-format) → JSON fields.
ACCESS_FIELDS = {
    "remote_addr": "h",
    "method": "m",
    "path": "U",
    "query": "q",
    "status": "s",
    "bytes": "B",
    "duration_ms": "M",
    "user_agent": "a",
    "referer": "f",
}


def default_log_format(debug: bool) -> str:
    """``LOG_FORMAT`` from the environment; JSON unless DEBUG is on."""
    value = os.environ.get("LOG_FORMAT", "").strip().lower()
    if value in {"json", "text"}:
        return value
    return "text" if debug else "json"


class RequestIdFilter(logging.Filter):
    """Adds ``request_id`` (the current request's id, or None outside a request) to every record."""

    def filter(self, record: logging.LogRecord) -> bool:
        if not hasattr(record, "request_id"):
            # django.request logs a failed response after the middleware has finished; its record carries the request.
            record.request_id = getattr(getattr(record, "request", None), "id", None) or request_id_var.get()
        return True


class JsonFormatter(_BaseJsonFormatter):
    """time, level, logger, message, request_id, exception (+ extras); gunicorn access lines get request fields."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("rename_fields", {"levelname": "level", "name": "logger", "exc_info": "exception"})
        super().__init__("%(levelname)s %(name)s %(message)s", *args, **kwargs)

    def add_fields(self, log_data: dict, record: logging.LogRecord, message_dict: dict) -> None:
        log_data["time"] = dt.datetime.fromtimestamp(record.created, tz=dt.UTC).isoformat(timespec="milliseconds")
        super().add_fields(log_data, record, message_dict)
        # Django's request loggers attach the HttpRequest object; keep what is useful and serialisable.
        request = log_data.pop("request", None)
        if request is not None and hasattr(request, "path"):
            log_data.setdefault("method", request.method)
            log_data.setdefault("path", request.path)
        if record.name == "gunicorn.access" and isinstance(record.args, Mapping):
            for field, atom in ACCESS_FIELDS.items():
                value = record.args.get(atom, "-")
                if value in ("-", ""):
                    continue
                numeric = field in {"status", "bytes", "duration_ms"} and str(value).isdigit()
                log_data[field] = int(value) if numeric else value
            header_id = record.args.get("{x-request-id}o", "-")
            if header_id != "-":
                log_data["request_id"] = header_id


TEXT_FORMAT = "%(asctime)s %(levelname)s [%(name)s] [%(request_id)s] %(message)s"


def logging_config(log_format: str, level: str = "INFO") -> dict:
    """The dictConfig for Django, gunicorn and Celery."""
    formatter = {"()": "core.logging.JsonFormatter"} if log_format == "json" else {"format": TEXT_FORMAT}
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "filters": {"request_id": {"()": "core.logging.RequestIdFilter"}},
        "formatters": {"default": formatter},
        "handlers": {
            "console": {
                "class": "logging.StreamHandler",
                "formatter": "default",
                "filters": ["request_id"],
                "stream": "ext://sys.stderr",
            }
        },
        "root": {"handlers": ["console"], "level": level},
        "loggers": {
            "django.db.backends": {"level": "WARNING"},
            # gunicorn's own handlers are replaced: its lines go through the root handler above.
            "gunicorn.error": {"level": level, "handlers": [], "propagate": True},
            "gunicorn.access": {"level": "INFO", "handlers": [], "propagate": True},
        },
    }
