"""In CI the suite must run against the machine's real services: a missing one is a failure, never a skip."""

import pytest
from django.conf import settings
from django.db import connection

from .conftest import IN_CI


@pytest.mark.django_db
def test_database_is_postgresql_in_ci():
    if IN_CI:
        assert connection.vendor == "postgresql", "CI must run on PostgreSQL (DATABASE_URL)"
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
        assert cursor.fetchone()[0] == 1


def test_redis_is_reachable_in_ci():
    if not IN_CI and not settings.REDIS_URL:
        assert settings.CELERY_TASK_ALWAYS_EAGER is True
        return
    import redis

    assert settings.REDIS_URL, "CI must set REDIS_URL"
    assert redis.Redis.from_url(settings.REDIS_URL, socket_connect_timeout=3).ping() is True
