"""Finding 5 of issue 12: a refresh whose worker died no longer blocks "Refresh now" for 15 minutes.

While a refresh runs, its worker touches ``heartbeat_at`` every few seconds. A request that finds a running refresh
silent for more than a minute marks it failed ("The worker stopped responding at HH:MM; a new refresh was
started.") and starts a new one; the board's status panel and the API say so. The heartbeat's age is set on the
row (a frozen clock for the worker), never by a switch in the service.
"""

from __future__ import annotations

import datetime as dt
import time

import pytest
from django.utils import timezone

from companies.permissions import Role
from okrplan.celery import app as celery_app
from reporting import kpis
from reporting.models import KpiRefresh
from reporting.services import kpi as services_kpi

STATUS_URL = "/c/acme/board/refresh/{}/"


def _reset_broker_pools() -> None:
    celery_app._pool = None
    celery_app.amqp._producer_pool = None


@pytest.fixture
def queue_without_worker():
    """A task queue that accepts tasks but has no worker yet (an in-memory broker): a new refresh stays queued."""
    previous = (celery_app.conf.broker_url, celery_app.conf.task_always_eager)
    celery_app.conf.broker_url = "memory://"
    celery_app.conf.task_always_eager = False
    _reset_broker_pools()
    yield
    celery_app.conf.broker_url, celery_app.conf.task_always_eager = previous
    _reset_broker_pools()


def _running(company, *, silent_for: dt.timedelta, heartbeat: bool = True) -> KpiRefresh:
    """A refresh a worker started five minutes ago and last reported on ``silent_for`` ago."""
    now = timezone.now()
    refresh = KpiRefresh.objects.create(company=company, status=KpiRefresh.Status.RUNNING, task_id="lost-task")
    KpiRefresh.objects.filter(pk=refresh.pk).update(
        created_at=now - dt.timedelta(minutes=5),
        started_at=now - dt.timedelta(minutes=5) if heartbeat else now - silent_for,
        heartbeat_at=now - silent_for if heartbeat else None,
    )
    refresh.refresh_from_db()
    return refresh


def _hh_mm(at: dt.datetime) -> str:
    return timezone.localtime(at).strftime("%H:%M")


@pytest.mark.django_db
def test_a_refresh_silent_for_over_a_minute_is_failed_and_replaced_through_the_page(
    company, client_for, queue_without_worker
):
    lost = _running(company, silent_for=dt.timedelta(seconds=61))
    client = client_for(company, Role.EXECUTIVE)
    response = client.post("/c/acme/board/refresh/", HTTP_HX_REQUEST="true")
    assert response.status_code == 200
    html = response.content.decode()
    expected = f"The worker stopped responding at {_hh_mm(lost.heartbeat_at)}; a new refresh was started."
    assert expected in html
    assert "Refresh queued" in html

    lost.refresh_from_db()
    assert lost.status == KpiRefresh.Status.FAILED and lost.finished_at is not None
    assert lost.error == expected
    new = KpiRefresh.objects.exclude(pk=lost.pk).get(company=company)
    assert new.status == KpiRefresh.Status.QUEUED and new.replaces_id == lost.pk
    assert f'hx-get="/c/acme/board/refresh/{new.pk}/?poll=1"' in html

    # A board that was still polling the lost refresh follows the new one and says what happened.
    polled = client.get(STATUS_URL.format(lost.pk) + "?poll=1", HTTP_HX_REQUEST="true").content.decode()
    assert expected in polled and f"/c/acme/board/refresh/{new.pk}/?poll=1" in polled

    # The full board page says it too.
    assert expected in client.get("/c/acme/board/").content.decode()


@pytest.mark.django_db
def test_a_refresh_silent_for_over_a_minute_is_failed_and_replaced_through_the_api(
    company, api_client_for, queue_without_worker
):
    lost = _running(company, silent_for=dt.timedelta(minutes=3))
    api = api_client_for(company, Role.EXECUTIVE)
    response = api.post("/api/v1/companies/acme/kpis/refresh/", {}, format="json")
    assert response.status_code == 202, response.content
    body = response.json()
    expected = f"The worker stopped responding at {_hh_mm(lost.heartbeat_at)}; a new refresh was started."
    assert body["refresh_id"] != lost.pk and body["status"] == "queued"
    assert body["replaces"] == lost.pk and body["notice"] == expected
    old = api.get(f"/api/v1/companies/acme/kpis/refresh/{lost.pk}/").json()
    assert old["status"] == "failed" and old["error"] == expected and old["finished_at"]


@pytest.mark.django_db
def test_a_lost_refresh_without_any_heartbeat_counts_from_its_start(company, api_client_for, queue_without_worker):
    lost = _running(company, silent_for=dt.timedelta(minutes=2), heartbeat=False)
    body = api_client_for(company, Role.EXECUTIVE).post("/api/v1/companies/acme/kpis/refresh/").json()
    assert body["replaces"] == lost.pk
    assert _hh_mm(lost.started_at) in body["notice"]


@pytest.mark.django_db
def test_the_replacement_runs_at_once_without_a_queue(company, client_for, django_capture_on_commit_callbacks):
    lost = _running(company, silent_for=dt.timedelta(seconds=90))
    client = client_for(company, Role.EXECUTIVE)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post("/c/acme/board/refresh/", HTTP_HX_REQUEST="true")
    assert response.status_code == 200
    new = KpiRefresh.objects.get(replaces=lost)
    assert new.status == KpiRefresh.Status.DONE and new.snapshots_written > 0
    lost.refresh_from_db()
    assert lost.status == KpiRefresh.Status.FAILED


@pytest.mark.django_db
@pytest.mark.parametrize("silent_for", [dt.timedelta(seconds=5), dt.timedelta(seconds=55)])
def test_a_refresh_with_a_recent_heartbeat_is_handed_back(
    company, client_for, api_client_for, queue_without_worker, silent_for
):
    alive = _running(company, silent_for=silent_for)
    body = api_client_for(company, Role.EXECUTIVE).post("/api/v1/companies/acme/kpis/refresh/").json()
    assert body["refresh_id"] == alive.pk and body["status"] == "running" and body["notice"] == ""
    html = client_for(company, Role.EXECUTIVE).post("/c/acme/board/refresh/", HTTP_HX_REQUEST="true").content
    assert f"/c/acme/board/refresh/{alive.pk}/?poll=1".encode() in html
    assert b"stopped responding" not in html
    assert KpiRefresh.objects.filter(company=company).count() == 1
    alive.refresh_from_db()
    assert alive.status == KpiRefresh.Status.RUNNING


@pytest.mark.postgres("the heartbeat is written from a second connection while the refresh transaction is open")
@pytest.mark.django_db(transaction=True)
def test_the_worker_beats_while_the_refresh_transaction_is_open(company, monkeypatch):
    monkeypatch.setattr(services_kpi, "HEARTBEAT_INTERVAL", dt.timedelta(seconds=0.1))
    compute = kpis.compute_kpis
    seen: list[dt.datetime | None] = []

    def slow_compute(**kwargs):
        time.sleep(0.4)  # a slow period: the heartbeat must move meanwhile, visible to other connections
        seen.append(KpiRefresh.objects.get(pk=refresh.pk).heartbeat_at)
        return compute(**kwargs)

    monkeypatch.setattr(kpis, "compute_kpis", slow_compute)
    refresh = KpiRefresh.objects.create(company=company)
    services_kpi.kpi_snapshots_refresh(company=company, refresh_id=refresh.pk)
    refresh.refresh_from_db()
    assert refresh.status == KpiRefresh.Status.DONE
    assert refresh.heartbeat_at > refresh.started_at
    assert len(set(seen)) > 1, seen  # read inside the open transaction: other beats were committed meanwhile


@pytest.mark.django_db
def test_the_lost_refresh_notice_in_german(company, client_for, queue_without_worker):
    lost = _running(company, silent_for=dt.timedelta(minutes=2))
    client = client_for(company, Role.EXECUTIVE)
    html = client.post("/c/acme/board/refresh/", HTTP_HX_REQUEST="true", HTTP_ACCEPT_LANGUAGE="de").content.decode()
    expected = f"Der Worker hat um {_hh_mm(lost.heartbeat_at)} aufgehört zu antworten; eine neue Aktualisierung wurde"
    assert expected in html


@pytest.mark.django_db
def test_a_long_refresh_that_still_beats_is_handed_back_after_fifteen_minutes(company, api_client_for,
                                                                               queue_without_worker):  # fmt: skip
    alive = _running(company, silent_for=dt.timedelta(seconds=3))
    KpiRefresh.objects.filter(pk=alive.pk).update(created_at=timezone.now() - dt.timedelta(minutes=40),
                                                  started_at=timezone.now() - dt.timedelta(minutes=40))  # fmt: skip
    body = api_client_for(company, Role.EXECUTIVE).post("/api/v1/companies/acme/kpis/refresh/").json()
    assert body["refresh_id"] == alive.pk and body["status"] == "running"
    assert KpiRefresh.objects.filter(company=company).count() == 1


@pytest.mark.django_db
def test_a_redelivered_task_of_a_replaced_refresh_does_not_run_again(company, client_for, queue_without_worker):
    """With acks_late the killed worker's task comes back later; the refresh it belonged to stays failed."""
    lost = _running(company, silent_for=dt.timedelta(seconds=90))
    client_for(company, Role.EXECUTIVE).post("/c/acme/board/refresh/", HTTP_HX_REQUEST="true")
    lost.refresh_from_db()
    assert lost.status == KpiRefresh.Status.FAILED

    written = services_kpi.kpi_snapshots_refresh(company=company, refresh_id=lost.pk)

    lost.refresh_from_db()
    assert written == 0
    assert lost.status == KpiRefresh.Status.FAILED and "stopped responding" in lost.error
