"""/healthz for load balancers and probes: is the database there, is Redis there, and the facts apps add (how old
the board KPIs are).

200 while the database answers (Redis down is "degraded": pages keep serving, background work waits); 503 when it
does not. No login, no session, no template: it must answer even when little else works.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable

from django.conf import settings
from django.db import DatabaseError, connection
from django.http import HttpRequest, JsonResponse
from django.views.decorators.cache import never_cache

logger = logging.getLogger(__name__)

REDIS_TIMEOUT_SECONDS = 1.0


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


# Facts the apps add to the answer (``register_health_fact`` in their AppConfig.ready), e.g. the KPI snapshot age.
_FACTS: dict[str, Callable[[], object]] = {}


def register_health_fact(name: str, compute: Callable[[], object]) -> None:
    """Add ``name: compute()`` to every /healthz answer (None while the database is down or the query fails)."""
    _FACTS[name] = compute


@never_cache
def healthz(request: HttpRequest) -> JsonResponse:
    database = check_database()
    redis_state = check_redis()
    facts: dict[str, object] = dict.fromkeys(_FACTS)
    for name, compute in _FACTS.items() if database["ok"] else ():
        try:
            facts[name] = compute()
        except DatabaseError as exc:
            logger.warning("health check: %s unavailable: %s", name, exc)
    if not database["ok"]:
        status = "error"
    elif not redis_state["ok"]:
        status = "degraded"
    else:
        status = "ok"
    return JsonResponse(
        {"status": status, "database": database, "redis": redis_state, **facts},
        status=503 if status == "error" else 200,
    )
