"""Faults: Redis down, a worker killed in the middle of a KPI refresh, the database connection lost during an import.

The Redis-down tests point the cache and the Celery broker at a closed port (nothing to skip). The worker test
starts a real ``celery -A okrplan worker --pool=solo`` against the test database and Redis (marked ``postgres``
and ``celery_worker``: it runs in CI and skips locally only without PostgreSQL/REDIS_URL).
"""

from __future__ import annotations

import datetime as dt
import os
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pytest
from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import OperationalError, connection
from django.urls import reverse

from companies.permissions import Role
from crm.models import CrmImport, Lead
from crm.services import crm_import_create
from objectives.models import KeyResult, Objective
from objectives.services import cascade as cascade_services
from objectives.services import cascade_io
from okrplan.celery import app as celery_app
from reporting.models import KpiRefresh, KpiSnapshot
from reporting.services import kpi as services_kpi
from reporting.tasks.kpi import kpi_snapshots_refresh
from tests.conftest import IN_CI, TEST_QUEUE
from tests.factories import CycleFactory

CLOSED_PORT = "redis://127.0.0.1:1/0"


def _reset_broker_pools() -> None:
    # Celery caches its broker connection pool and producer pool; a new broker URL needs fresh ones.
    celery_app._pool = None
    celery_app.amqp._producer_pool = None


@pytest.fixture
def redis_down(settings):
    settings.REDIS_URL = CLOSED_PORT
    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": CLOSED_PORT}}
    previous = (celery_app.conf.broker_url, celery_app.conf.task_always_eager)
    celery_app.conf.broker_url = CLOSED_PORT
    celery_app.conf.task_always_eager = False
    _reset_broker_pools()
    yield
    celery_app.conf.broker_url, celery_app.conf.task_always_eager = previous
    _reset_broker_pools()


@pytest.mark.django_db
def test_redis_down_pages_and_api_keep_serving(company, client_for, api_client_for, redis_down):
    client = client_for(company, Role.EXECUTIVE)
    for name in ("company_home", "reporting:board", "history"):
        assert client.get(reverse(name, kwargs={"company_slug": company.slug})).status_code == 200, name
    api = api_client_for(company, Role.EXECUTIVE)
    assert api.get(reverse("api-company", kwargs={"company_slug": company.slug})).status_code == 200
    assert api.get(f"/api/v1/companies/{company.slug}/kpis/").status_code == 200


@pytest.mark.django_db(transaction=True)
def test_redis_down_refresh_now_says_the_queue_is_unavailable(company, client_for, api_client_for, redis_down):
    api = api_client_for(company, Role.EXECUTIVE)
    started = time.monotonic()
    response = api.post(f"/api/v1/companies/{company.slug}/kpis/refresh/", {}, format="json")
    assert response.status_code == 503, response.content
    assert response.json()["code"] == "queue_unavailable"
    assert "queue is unavailable" in response.json()["detail"]
    assert time.monotonic() - started < 15  # an answer, not a hanging request

    client = client_for(company, Role.EXECUTIVE)
    page = client.post(reverse("reporting:board_refresh", kwargs={"company_slug": company.slug}), follow=True)
    assert page.status_code < 500
    assert "queue is unavailable" in page.content.decode() or "queue was unavailable" in page.content.decode()
    assert not KpiRefresh.objects.filter(company=company, status__in=["queued", "running"]).exists()


# ------------------------------------------------------------------------------------ database lost during imports


def _lose_connection_after(monkeypatch, target, name: str, calls: int) -> None:
    real = getattr(target, name)
    seen = {"n": 0}

    def flaky(*args, **kwargs):
        seen["n"] += 1
        if seen["n"] > calls:
            raise OperationalError("server closed the connection unexpectedly")
        return real(*args, **kwargs)

    monkeypatch.setattr(target, name, flaky)


CASCADE = (
    "path,type,title,kind,target_value\n1,objective,Pipeline,,\n1.K1,key result,SQLs,increase_to,120\n"
    "2,objective,Brand,,\n2.K1,key result,Share of voice,increase_to,30\n"
)


@pytest.mark.django_db
def test_connection_lost_during_cascade_import_writes_nothing_and_a_retry_works(company, make_member, monkeypatch):
    facilitator = make_member(company, Role.FACILITATOR)
    cycle = CycleFactory(company=company)

    def run():
        upload = SimpleUploadedFile("cascade.csv", CASCADE.encode())
        return cascade_io.cascade_import(company=company, cycle=cycle, file=upload, filename="cascade.csv",
                                         actor=facilitator)  # fmt: skip

    with monkeypatch.context() as patch:
        _lose_connection_after(patch, cascade_services, "key_result_create", calls=1)
        with pytest.raises(OperationalError):
            run()
    assert not Objective.objects.filter(company=company).exists()
    assert not KeyResult.objects.filter(company=company).exists()
    result = run()
    assert (result.objectives, result.key_results) == (2, 2)


@pytest.mark.django_db
def test_connection_lost_during_crm_import_writes_nothing_and_the_retry_works(
    company, make_member, monkeypatch, settings, tmp_path, django_capture_on_commit_callbacks
):
    from crm.services import import_run as services_crm
    from crm.services import imports_pg as crm_import_pg
    from crm.tasks import crm_import_run

    settings.CRM_IMPORT_ROOT = tmp_path / "uploads"
    monkeypatch.setattr(services_crm, "BATCH_SIZE", 2)
    rows = "".join(f"{100 + i},Lead {i},2026-03-0{1 + i % 9} 10:00,lead\n" for i in range(7))
    upload = SimpleUploadedFile("contacts.csv", ("Record ID,First Name,Create Date,Lifecycle Stage\n" + rows).encode())
    with monkeypatch.context() as patch:
        if connection.vendor == "postgresql":  # the set-based path of crm.services.imports_pg writes in one INSERT
            _lose_connection_after(patch, crm_import_pg, "_write", calls=0)
        else:
            _lose_connection_after(patch, services_crm, "_upsert_batch", calls=1)
        with django_capture_on_commit_callbacks(execute=False) as callbacks:
            job = crm_import_create(company=company, kind="leads", source="hubspot", uploaded_file=upload,
                                    actor=make_member(company, Role.CMO))  # fmt: skip
        with pytest.raises(OperationalError):
            crm_import_run.run(job.pk)
    assert callbacks  # the task was scheduled after commit
    job.refresh_from_db()
    assert job.status == CrmImport.Status.PENDING  # back to waiting: the task's retry picks it up
    assert not Lead.objects.filter(company=company).exists()
    assert crm_import_run.run(job.pk) == CrmImport.Status.DONE
    assert Lead.objects.filter(company=company).count() == 7


@pytest.mark.django_db
def test_connection_lost_during_spend_import_writes_nothing_and_a_retry_works(company, make_member, monkeypatch):
    from budgets import imports, services
    from budgets.models import SpendEntry
    from objectives.models import KeyResult as KR
    from tests.factories import ObjectiveFactory
    from tests.factories_budgets import BudgetLineFactory, ChannelFactory

    cmo = make_member(company, Role.CMO)
    cycle = CycleFactory(company=company)
    kr = KR.objects.create(company=company, objective=ObjectiveFactory(cycle=cycle), title="Bound")
    requester = make_member(company, Role.FACILITATOR)
    line = BudgetLineFactory(company=company, cycle=cycle, channel=ChannelFactory(company=company),
                             requester=requester, state="submitted", key_result=kr)  # fmt: skip
    services.budget_line_approve(line=line, actor=cmo)
    content = f"line,date,amount\n{line.pk},2026-03-01,100\n{line.pk},2026-03-02,200\n{line.pk},2026-03-03,300\n"

    with monkeypatch.context() as patch:
        _lose_connection_after(patch, services, "spend_entry_create", calls=2)
        with pytest.raises(OperationalError):
            imports.spend_import_csv(company=company, upload=SimpleUploadedFile("s.csv", content.encode()), actor=cmo)
    assert not SpendEntry.objects.filter(company=company).exists()
    assert imports.spend_import_csv(company=company, upload=SimpleUploadedFile("s.csv", content.encode()),
                                    actor=cmo) == 3  # fmt: skip


# ----------------------------------------------------------------------------- a worker killed in the middle


def _database_url() -> str:
    from urllib.parse import quote

    db = connection.settings_dict
    user = quote(db.get("USER") or "")
    password = f":{quote(db['PASSWORD'])}" if db.get("PASSWORD") else ""
    auth = f"{user}{password}@" if user else ""
    port = f":{db['PORT']}" if db.get("PORT") else ""
    return f"postgres://{auth}{db.get('HOST') or '127.0.0.1'}{port}/{db['NAME']}"


def _start_worker(name: str, *, app: str = "okrplan", **extra_env) -> tuple[subprocess.Popen, str]:
    """A real worker of ``app``: okrplan's, or tests.fault_worker (the same app, its KPI refresh held after each
    period for OKRPLAN_FAULT_KPI_PERIOD_DELAY seconds)."""
    env = {**os.environ, "DATABASE_URL": _database_url(), "REDIS_URL": settings.REDIS_URL,
           "DJANGO_SETTINGS_MODULE": "okrplan.settings", "SECRET_KEY": "fault-test", "DEBUG": "false",
           "PYTHONUNBUFFERED": "1", **extra_env}  # fmt: skip
    log = tempfile.NamedTemporaryFile(prefix="celery-fault-", suffix=".log", delete=False)  # noqa: SIM115
    hostname = f"{name}-{os.getpid()}@%h"
    process = subprocess.Popen(
        [sys.executable, "-m", "celery", "-A", app, "worker", "--pool=solo", "-Q", TEST_QUEUE,
         "--concurrency=1", "--loglevel=INFO", "--without-gossip", "--without-mingle", "-n", hostname],
        cwd=settings.BASE_DIR, env=env, stdout=log, stderr=subprocess.STDOUT,
    )  # fmt: skip
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if process.poll() is not None:
            pytest.fail(f"the worker exited with {process.returncode}:\n{Path(log.name).read_text()[-3000:]}")
        replies = celery_app.control.ping(timeout=1.0)
        if any(n.startswith(f"{name}-{os.getpid()}@") for reply in replies for n in reply):
            return process, log.name
    process.kill()
    pytest.fail(f"the worker did not answer within 30 s:\n{Path(log.name).read_text()[-3000:]}")


def _stop(process: subprocess.Popen, log: str) -> None:
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=10)
    Path(log).unlink(missing_ok=True)


@pytest.fixture
def real_services(transactional_db):
    if not settings.REDIS_URL or connection.vendor != "postgresql":
        message = "needs REDIS_URL and PostgreSQL (a real worker shares the test database through the broker)"
        if IN_CI:
            pytest.fail(message)
        pytest.skip(message)
    celery_app.conf.task_always_eager = False
    yield


@pytest.mark.postgres
@pytest.mark.celery_worker
@pytest.mark.django_db(transaction=True)
def test_worker_killed_mid_refresh_keeps_the_previous_snapshots_and_the_next_refresh_completes(
    real_services, company, make_member
):
    services_kpi.kpi_snapshots_refresh(company=company)  # the previous, complete set
    before = sorted(KpiSnapshot.objects.filter(company=company).values_list("id", "kpi", "period_key", "computed_at"))
    assert before

    # The worker holds after each computed period far longer than the test waits: it is killed inside the
    # snapshot transaction however slow the machine is.
    slow, slow_log = _start_worker("slow", app="tests.fault_worker", OKRPLAN_FAULT_KPI_PERIOD_DELAY="600")
    try:
        refresh = services_kpi.kpi_refresh_request(company=company, actor=make_member(company, Role.EXECUTIVE))
        deadline = time.monotonic() + 60
        progress = None
        while time.monotonic() < deadline:
            refresh.refresh_from_db()
            progress = services_kpi.refresh_progress(refresh.pk)
            if refresh.status == KpiRefresh.Status.RUNNING and progress and progress["done"] >= 1:
                break
            time.sleep(0.1)
        assert refresh.status == KpiRefresh.Status.RUNNING, Path(slow_log).read_text()[-3000:]
        assert progress and progress["done"] >= 1, Path(slow_log).read_text()[-3000:]
        # inside the snapshot transaction: a period computed, nothing committed
        os.kill(slow.pid, signal.SIGKILL)
        slow.wait(timeout=10)
    finally:
        _stop(slow, slow_log)

    after = sorted(KpiSnapshot.objects.filter(company=company).values_list("id", "kpi", "period_key", "computed_at"))
    assert after == before  # the killed transaction was rolled back whole: old set intact, nothing half-written

    worker, log = _start_worker("fresh")
    try:
        outcome = kpi_snapshots_refresh.delay(company.id).get(timeout=90)
    except Exception as exc:
        pytest.fail(f"no result from the new worker: {exc!r}\n{Path(log).read_text()[-3000:]}")
    finally:
        _stop(worker, log)
    assert outcome["status"] == "done", outcome
    newest = KpiSnapshot.objects.filter(company=company).values_list("computed_at", flat=True)
    assert min(newest) > max(row[3] for row in before)


@pytest.mark.postgres
@pytest.mark.celery_worker
@pytest.mark.django_db(transaction=True)
def test_refresh_now_after_a_worker_was_killed_mid_refresh_starts_a_new_refresh_that_completes(
    real_services, company, api_client_for
):
    """Issue 12, finding 5: the killed worker's refresh stays "running"; once its heartbeat is a minute old the
    next "Refresh now" marks it failed and a new refresh completes on another worker."""
    api = api_client_for(company, Role.EXECUTIVE)
    slow, slow_log = _start_worker("slow-beat", app="tests.fault_worker", OKRPLAN_FAULT_KPI_PERIOD_DELAY="600")
    try:
        first = api.post(f"/api/v1/companies/{company.slug}/kpis/refresh/", {}, format="json").json()
        lost = KpiRefresh.objects.get(pk=first["refresh_id"])
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:  # running, and the worker's heartbeat thread has beaten at least once
            lost.refresh_from_db()
            if lost.status == KpiRefresh.Status.RUNNING and lost.heartbeat_at > lost.started_at:
                break
            time.sleep(0.2)
        assert lost.heartbeat_at > lost.started_at, Path(slow_log).read_text()[-3000:]
        os.kill(slow.pid, signal.SIGKILL)
        slow.wait(timeout=10)
    finally:
        _stop(slow, slow_log)

    again = api.post(f"/api/v1/companies/{company.slug}/kpis/refresh/", {}, format="json").json()
    assert again["refresh_id"] == lost.pk, "within the minute the refresh still counts as alive"
    # A minute passes without a sign of life (the row ages instead of the test waiting).
    lost.refresh_from_db()
    aged = lost.heartbeat_at - dt.timedelta(seconds=61)
    KpiRefresh.objects.filter(pk=lost.pk).update(heartbeat_at=aged, started_at=aged)

    worker, log = _start_worker("fresh-beat")
    try:
        response = api.post(f"/api/v1/companies/{company.slug}/kpis/refresh/", {}, format="json")
        assert response.status_code == 202
        new = KpiRefresh.objects.get(pk=response.json()["refresh_id"])
        assert new.pk != lost.pk and new.replaces_id == lost.pk
        deadline = time.monotonic() + 90
        while time.monotonic() < deadline and new.is_active:
            time.sleep(0.2)
            new.refresh_from_db()
    finally:
        _stop(worker, log)
    assert new.status == KpiRefresh.Status.DONE, f"{new.status} {new.error}"
    assert new.snapshots_written == KpiSnapshot.objects.filter(company=company).count() > 0
    lost.refresh_from_db()
    assert lost.status == KpiRefresh.Status.FAILED
    assert lost.error.startswith("The worker stopped responding at ")
    assert response.json()["notice"] == lost.error
