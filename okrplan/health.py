"""/healthz for load balancers and probes: is the database there, is Redis there, how old are the board KPIs.

200 while the database answers (Redis down is "degraded": pages keep serving, background work waits); 503 when it
does not. No login, no session, no template: it must answer even when little else works.
"""

from __future__ import annotations

import logging
import time

from django.apps import apps
from django.conf import settings
from django.db import DatabaseError, connection
from django.db.models import DateTimeField, Max
from django.http import HttpRequest, JsonResponse
from django.utils import timezone
from django.views.decorators.cache import never_cache

logger = logging.getLogger(__name__)

REDIS_TIMEOUT_SECONDS = 1.0
# Where a KPI snapshot says when it was taken, in order of preference (reporting.KpiSnapshot lands later).
SNAPSHOT_TIME_FIELDS = ("computed_at", "taken_at", "created_at", "refreshed_at", "created")


def _elapsed_ms(started: float) -> float:
    return round((time.perf_counter() - started) * 1000, 1)


def check_database() -> dict:
    started = time.perf_counter()
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except DatabaseError as exc:
        logger.error("health check: database unavailable: %s", exc)
        return {"ok": False, "error": exc.__class__.__name__, "latency_ms": _elapsed_ms(started)}
    return {"ok": True, "latency_ms": _elapsed_ms(started)}


def check_redis() -> dict:
    url = getattr(settings, "REDIS_URL", "")
    if not url:
        return {"ok": True, "status": "not configured"}
    import redis

    started = time.perf_counter()
    try:
        client = redis.Redis.from_url(
            url, socket_timeout=REDIS_TIMEOUT_SECONDS, socket_connect_timeout=REDIS_TIMEOUT_SECONDS
        )
        try:
            client.ping()
        finally:
            client.close()
    except redis.RedisError as exc:
        logger.warning("health check: Redis unavailable: %s", exc)
        return {"ok": False, "error": exc.__class__.__name__, "latency_ms": _elapsed_ms(started)}
    return {"ok": True, "latency_ms": _elapsed_ms(started)}


def snapshot_time_field(model) -> str | None:
    latest = model._meta.get_latest_by
    if isinstance(latest, str) and not latest.startswith("-"):
        return latest
    names = {f.name for f in model._meta.get_fields() if isinstance(f, DateTimeField)}
    return next((name for name in SNAPSHOT_TIME_FIELDS if name in names), None)


def kpi_snapshot_age_seconds() -> int | None:
    """Seconds since the newest KPI snapshot; None before the reporting app has snapshots (or the model)."""
    try:
        model = apps.get_model("reporting", "KpiSnapshot")
    except LookupError:
        return None
    field = snapshot_time_field(model)
    if field is None:
        return None
    newest = model._default_manager.aggregate(newest=Max(field))["newest"]
    if newest is None:
        return None
    return max(0, int((timezone.now() - newest).total_seconds()))


@never_cache
def healthz(request: HttpRequest) -> JsonResponse:
    database = check_database()
    redis_state = check_redis()
    age = None
    if database["ok"]:
        try:
            age = kpi_snapshot_age_seconds()
        except DatabaseError as exc:
            logger.warning("health check: KPI snapshot age unavailable: %s", exc)
    if not database["ok"]:
        status = "error"
    elif not redis_state["ok"]:
        status = "degraded"
    else:
        status = "ok"
    return JsonResponse(
        {"status": status, "database": database, "redis": redis_state, "kpi_snapshot_age_seconds": age},
        status=503 if status == "error" else 200,
    )
