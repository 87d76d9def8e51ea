"""The sync through a real Celery worker (Redis, PostgreSQL): "Sync now" queues the task, the worker syncs from the
local far end. Skips locally without REDIS_URL or PostgreSQL, like the other worker tests; in CI it must run."""

from __future__ import annotations

import time

import pytest
from cryptography.fernet import Fernet

from companies.permissions import Role
from crm.models import CrmSyncRun, Lead
from crm.services import crm_connection_connect, crm_connection_sync_request
from tests.integration.test_celery_worker import RESULT_TIMEOUT, _log_tail, worker  # noqa: F401 (fixture)

from .data import HUBSPOT_TOKEN, hubspot_portal

pytestmark = [pytest.mark.celery_worker, pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def worker_env(farend, monkeypatch, settings):
    """The worker is another process: it reaches the far end and reads the credentials through its environment."""
    key = Fernet.generate_key().decode()
    settings.CRM_CREDENTIALS_KEYS = [key]
    monkeypatch.setenv("CRM_CREDENTIALS_KEYS", key)
    monkeypatch.setenv("HUBSPOT_API_URL", farend.url)
    monkeypatch.setenv("CRM_CONNECTOR_CA_BUNDLE", farend.ca_path)


def test_the_worker_syncs_from_the_far_end(farend, worker_env, worker, company, make_member):  # noqa: F811
    _process, log = worker
    hubspot_portal(farend, contacts=3, deals=1)
    cmo = make_member(company, Role.CMO)
    connection = crm_connection_connect(company=company, kind="hubspot", values={"token": HUBSPOT_TOKEN}, actor=cmo)
    deadline = time.monotonic() + RESULT_TIMEOUT
    while time.monotonic() < deadline and not connection.runs.exclude(status="running").exists():
        time.sleep(0.2)
    run = connection.runs.get()
    assert run.status == "done", f"{run.status} {run.message}\n{_log_tail(log)}"
    assert Lead.objects.filter(company=company).count() == 3
    crm_connection_sync_request(connection=connection, actor=cmo)
    while time.monotonic() < deadline and connection.runs.exclude(status="running").count() < 2:
        time.sleep(0.2)
    assert CrmSyncRun.objects.filter(connection=connection, status="done", trigger="manual").count() == 1
