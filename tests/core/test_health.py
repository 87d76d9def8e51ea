"""/healthz: database, Redis and the age of the newest KPI snapshot, for load balancers; no login needed."""

import datetime as dt
import os

import pytest
import redis
from django.db import OperationalError
from django.test import Client
from django.utils import timezone

from companies.models import Company
from core import health
from reporting import health as reporting_health
from tests.conftest import IN_CI

pytestmark = pytest.mark.django_db

REAL_REDIS_URL = os.environ.get("REDIS_URL") or "redis://127.0.0.1:6379/8"


def _redis_available(url: str) -> bool:
    try:
        return bool(redis.Redis.from_url(url, socket_connect_timeout=0.5).ping())
    except redis.RedisError:
        return False


def test_healthy_without_redis_configured_and_without_snapshots(settings):
    settings.REDIS_URL = ""
    response = Client().get("/healthz")
    assert response.status_code == 200
    assert response["Content-Type"] == "application/json"
    assert "no-cache" in response["Cache-Control"]
    body = response.json()
    assert body["status"] == "ok"
    assert body["database"]["ok"] is True
    assert body["database"]["latency_ms"] >= 0
    assert body["redis"] == {"ok": True, "status": "not configured"}
    assert body["kpi_snapshot_age_seconds"] is None


def test_answers_any_host_over_plain_http_even_with_ssl_redirect(settings):
    """Probes call it by IP address over HTTP: no DisallowedHost 400, no redirect to HTTPS."""
    settings.ALLOWED_HOSTS = ["okr.example.com"]
    settings.SECURE_SSL_REDIRECT = True
    settings.REDIS_URL = ""
    response = Client().get("/healthz", HTTP_HOST="10.0.0.7:8000")
    assert response.status_code == 200
    assert response.json()["status"] == "ok"
    assert Client().get("/login/", HTTP_HOST="10.0.0.7:8000").status_code == 400


def test_redis_down_is_degraded_but_200(settings):
    settings.REDIS_URL = "redis://127.0.0.1:1/0"  # nothing listens on port 1
    response = Client().get("/healthz")
    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "degraded"
    assert body["database"]["ok"] is True
    assert body["redis"]["ok"] is False
    assert body["redis"]["error"] == "ConnectionError"


def test_redis_up_is_ok(settings):
    if not _redis_available(REAL_REDIS_URL):
        if IN_CI:
            pytest.fail(f"Redis is not reachable at {REAL_REDIS_URL}")
        pytest.skip("no Redis on this machine")
    settings.REDIS_URL = REAL_REDIS_URL
    body = Client().get("/healthz").json()
    assert body["status"] == "ok"
    assert body["redis"]["ok"] is True
    assert body["redis"]["latency_ms"] >= 0


class _BrokenCursor:
    def __enter__(self):
        raise OperationalError("connection refused")

    def __exit__(self, *exc):
        return False


class _BrokenConnection:
    def cursor(self):
        return _BrokenCursor()


def test_database_down_is_error_and_503(settings, monkeypatch):
    settings.REDIS_URL = ""
    monkeypatch.setattr(health, "connection", _BrokenConnection())
    response = Client().get("/healthz")
    assert response.status_code == 503
    body = response.json()
    assert body["status"] == "error"
    assert body["database"] == {"ok": False, "error": "OperationalError", "latency_ms": body["database"]["latency_ms"]}
    assert body["kpi_snapshot_age_seconds"] is None


def test_kpi_snapshot_age_is_null_before_the_reporting_model_exists(monkeypatch):
    def missing(app_label, model_name):
        raise LookupError(f"App {app_label!r} doesn't have a {model_name!r} model.")

    monkeypatch.setattr(reporting_health.apps, "get_model", missing)
    assert reporting_health.kpi_snapshot_age_seconds() is None


def test_kpi_snapshot_age_is_seconds_since_the_newest_snapshot(monkeypatch, settings):
    """Stand-in for reporting.KpiSnapshot: any model with a created_at time works the same way."""
    settings.REDIS_URL = ""
    monkeypatch.setattr(reporting_health.apps, "get_model", lambda app_label, model_name: Company)
    now = timezone.now()
    older = Company.objects.create(name="A", slug="a")
    newer = Company.objects.create(name="B", slug="b")
    Company.objects.filter(pk=older.pk).update(created_at=now - dt.timedelta(hours=5))
    Company.objects.filter(pk=newer.pk).update(created_at=now - dt.timedelta(seconds=300))
    age = Client().get("/healthz").json()["kpi_snapshot_age_seconds"]
    assert 300 <= age <= 330


def test_kpi_snapshot_age_is_null_while_there_are_no_snapshots(monkeypatch):
    monkeypatch.setattr(reporting_health.apps, "get_model", lambda app_label, model_name: Company)
    assert not Company.objects.exists()
    assert reporting_health.kpi_snapshot_age_seconds() is None
