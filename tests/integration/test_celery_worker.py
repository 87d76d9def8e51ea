"""A real Celery worker against Redis and PostgreSQL completes KPI refresh round trips.

Starts ``celery -A okrplan worker --pool=solo`` as a subprocess on the pytest-django test database (the test commits
for real: transactional_db), enqueues through the broker and waits for the results. In CI this must run; locally
it skips without REDIS_URL or PostgreSQL.
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from urllib.parse import quote

import pytest
from django.conf import settings
from django.db import connection

from companies.permissions import Role
from okrplan.celery import app as celery_app
from reporting.kpis import KPIS
from reporting.models import KpiSnapshot
from reporting.services import kpi as services_kpi
from reporting.tasks.kpi import kpi_snapshots_refresh
from tests.conftest import IN_CI, TEST_QUEUE

pytestmark = [pytest.mark.celery_worker, pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

RESULT_TIMEOUT = 60


def _database_url() -> str:
    db = connection.settings_dict
    user = quote(db.get("USER") or "")
    password = f":{quote(db['PASSWORD'])}" if db.get("PASSWORD") else ""
    auth = f"{user}{password}@" if user else ""
    host = db.get("HOST") or "127.0.0.1"
    port = f":{db['PORT']}" if db.get("PORT") else ""
    return f"postgres://{auth}{host}{port}/{db['NAME']}"


@pytest.fixture
def worker(transactional_db):
    if not settings.REDIS_URL or connection.vendor != "postgresql":
        message = "needs REDIS_URL and PostgreSQL (a real worker shares the test database through the broker)"
        if IN_CI:
            pytest.fail(message)
        pytest.skip(message)
    base_dir = Path(settings.BASE_DIR)
    env = {
        **os.environ,
        "DATABASE_URL": _database_url(),  # the test database, e.g. test_okrplan_ci_123
        "REDIS_URL": settings.REDIS_URL,
        "DJANGO_SETTINGS_MODULE": "okrplan.settings",
        "SECRET_KEY": "celery-worker-integration-test",
        "DEBUG": "false",
        "PYTHONUNBUFFERED": "1",
    }
    log = tempfile.NamedTemporaryFile(prefix="celery-worker-", suffix=".log", delete=False)  # noqa: SIM115
    hostname = f"okrplan-test-{os.getpid()}@%h"
    process = subprocess.Popen(
        [sys.executable, "-m", "celery", "-A", "okrplan", "worker", "--pool=solo", "-Q", TEST_QUEUE,
         "--concurrency=1", "--loglevel=INFO", "--without-gossip", "--without-mingle", "-n", hostname],
        cwd=base_dir, env=env, stdout=log, stderr=subprocess.STDOUT,
    )  # fmt: skip
    celery_app.conf.task_always_eager = False
    try:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            if process.poll() is not None:
                pytest.fail(f"the worker exited with {process.returncode}:\n{Path(log.name).read_text()[-4000:]}")
            replies = celery_app.control.ping(timeout=1.0)
            if any(name.startswith(f"okrplan-test-{os.getpid()}@") for reply in replies for name in reply):
                break
        else:
            pytest.fail(f"the worker did not answer within 30 s:\n{Path(log.name).read_text()[-4000:]}")
        yield process, log.name
    finally:
        process.terminate()
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=10)
        Path(log.name).unlink(missing_ok=True)


def _log_tail(path: str) -> str:
    return Path(path).read_text()[-4000:]


def test_worker_completes_a_refresh_round_trip(worker, company):
    _process, log = worker
    result = kpi_snapshots_refresh.delay(company.id)
    try:
        outcome = result.get(timeout=RESULT_TIMEOUT)
    except Exception as exc:  # show the worker's side of the story
        pytest.fail(f"no result from the worker: {exc!r}\n{_log_tail(log)}")
    assert outcome["status"] == "done", outcome
    assert outcome["snapshots"] == KpiSnapshot.objects.filter(company=company).count() > 0
    assert set(KpiSnapshot.objects.filter(company=company).values_list("kpi", flat=True)) == set(KPIS)


def test_refresh_now_is_tracked_until_the_worker_is_done(worker, company, make_member):
    _process, log = worker
    refresh = services_kpi.kpi_refresh_request(company=company, actor=make_member(company, Role.EXECUTIVE))
    assert refresh.status in {"queued", "running", "done"}
    deadline = time.monotonic() + RESULT_TIMEOUT
    while time.monotonic() < deadline:
        refresh.refresh_from_db()
        if not refresh.is_active:
            break
        time.sleep(0.2)
    assert refresh.status == "done", f"{refresh.status} {refresh.error}\n{_log_tail(log)}"
    assert refresh.snapshots_written == KpiSnapshot.objects.filter(company=company).count() > 0
    assert refresh.started_at is not None and refresh.finished_at >= refresh.started_at
