"""Shared fixtures. In CI (CI=true) the suite runs against real PostgreSQL and Redis; a missing service fails."""

from __future__ import annotations

import logging
import os

import pytest
from django.test import Client

from companies.permissions import Role
from okrplan.celery import app as celery_app

from .factories import CompanyFactory, MembershipFactory, UserFactory
from .smtp import smtp  # noqa: F401 (the fixture: a real SMTP server for e-mails people act on)

IN_CI = os.environ.get("CI", "").lower() in {"1", "true", "yes"}

# This run's own Celery queue: the workers the tests start consume only it, so a worker left running by another
# run on the same Redis (another checkout, an interrupted run) never takes this run's tasks, and vice versa.
TEST_QUEUE = f"okrplan-test-{os.getpid()}"
os.environ["CELERY_QUEUE"] = TEST_QUEUE  # inherited by the worker processes the tests start
celery_app.conf.task_default_queue = TEST_QUEUE


@pytest.fixture(autouse=True)
def _celery_in_process(request):
    """Unit tests run tasks in-process; tests marked celery_worker talk to a real worker instead."""
    if request.node.get_closest_marker("celery_worker"):
        yield
        return
    previous = celery_app.conf.task_always_eager
    celery_app.conf.task_always_eager = True
    yield
    celery_app.conf.task_always_eager = previous


@pytest.fixture(autouse=True)
def _postgres_marker(request):
    """Tests marked ``postgres("why")`` need PostgreSQL: skipped on a local SQLite run, a failure in CI, where the
    suite must run against the machine's real server."""
    marker = request.node.get_closest_marker("postgres")
    if marker is None:
        return
    from django.db import connection

    if connection.vendor != "postgresql":
        reason = marker.args[0] if marker.args else "needs PostgreSQL"
        if IN_CI:
            pytest.fail(f"CI runs the suite on PostgreSQL, but this ran on {connection.vendor}: {reason}")
        pytest.skip(reason)


@pytest.fixture(autouse=True)
def _fresh_data_versions():
    """Ids repeat across rolled-back tests: each test gets its own namespace of data versions and rendered
    fragments (core.versions), so no test reads what another one cached."""
    import uuid

    from core import versions

    versions.namespace = uuid.uuid4().hex[:12]
    yield


@pytest.fixture
def quiet_client_errors():
    """Django logs every refused request with the request attached to the record (``django.request`` for a 4xx,
    ``django.security.*`` for a body or query over the limits), and pytest keeps each record until the test ends: a
    test that sends thousands of 10 MB requests kept gigabytes of them (7.2 GB for the hostile-input API test, 0.66 GB
    without the records). Tests that generate hostile requests by the thousand use this; they judge every answer by
    its status code, not by the log."""
    loggers = [logging.getLogger(name) for name in ("django.request", "django.security")]
    levels = [logger.level for logger in loggers]
    for logger in loggers:
        logger.setLevel(logging.CRITICAL)
    yield
    for logger, level in zip(loggers, levels, strict=True):
        logger.setLevel(level)


@pytest.fixture(autouse=True)
def _english_by_default(settings):
    """Tests read English unless they ask for German (the product defaults to German)."""
    settings.LANGUAGE_CODE = "en"


@pytest.fixture
def company(db):
    return CompanyFactory(name="Acme Energie", slug="acme")


@pytest.fixture
def other_company(db):
    return CompanyFactory(name="Other Corp", slug="other")


@pytest.fixture
def make_member(db):
    """make_member(company, role) -> user who is a member of company with role."""

    def _make(company, role=Role.MEMBER, **user_kwargs):
        user = UserFactory(**user_kwargs)
        MembershipFactory(user=user, company=company, role=role)
        return user

    return _make


@pytest.fixture
def client_for(make_member):
    """client_for(company, role) -> a logged-in django test Client of a new member with that role."""

    def _client(company, role=Role.MEMBER, **user_kwargs):
        user = make_member(company, role, **user_kwargs)
        client = Client()
        client.force_login(user)
        client.user = user
        return client

    return _client


@pytest.fixture
def api_client_for(make_member):
    """api_client_for(company, role) -> a DRF APIClient authenticated as a new member with that role."""
    from rest_framework.test import APIClient

    def _client(company, role=Role.MEMBER, **user_kwargs):
        user = make_member(company, role, **user_kwargs)
        client = APIClient()
        client.force_authenticate(user)
        client.user = user
        return client

    return _client
