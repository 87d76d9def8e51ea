"""Concurrency of KPI refreshes on PostgreSQL: a reader during a refresh sees the old complete set, and two
refreshes of one company never interleave (the advisory lock makes the second wait)."""

from __future__ import annotations

import datetime as dt
import threading
import time
from decimal import Decimal

import pytest
from django.db import connection, connections

from reporting.models import KpiSnapshot
from reporting.services import kpi as services_kpi
from tests.reporting.board_fixtures import fake_kpis_fixture  # noqa: F401

pytestmark = [
    pytest.mark.postgres("needs PostgreSQL (advisory locks, concurrent transactions)"),
    pytest.mark.django_db(transaction=True),
]

ON = dt.date(2026, 11, 21)


def values(company) -> dict[tuple[str, str], Decimal]:
    return {(s.kpi, s.period_key): s.value for s in KpiSnapshot.objects.filter(company=company)}


def start_refresh(company, name: str, errors: list) -> threading.Thread:
    def run():
        try:
            services_kpi.kpi_snapshots_refresh(company=company, on=ON)
        except Exception as exc:  # surfaced by the test
            errors.append(exc)
        finally:
            connections.close_all()

    thread = threading.Thread(target=run, name=name, daemon=True)
    thread.start()
    return thread


def waiting_advisory_locks() -> int:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND NOT granted AND classid = %s",
            [services_kpi_lock_namespace()],
        )
        return cursor.fetchone()[0]


def services_kpi_lock_namespace() -> int:
    from core.locks import lock_namespace

    return lock_namespace(services_kpi.LOCK_NAME)


def test_a_reader_during_a_refresh_sees_the_complete_old_set(company, fake_kpis):
    services_kpi.kpi_snapshots_refresh(company=company, on=ON)
    old = values(company)
    assert old[("fake_leads", "2026-11")] == Decimal("111")

    fake_kpis.base.update({"fake_leads": Decimal("500"), "fake_cost": Decimal("700")})
    fake_kpis.block = threading.Event()
    errors: list = []
    writer = start_refresh(company, "writer", errors)
    try:
        # The writer has upserted every snapshot and waits inside its transaction, before commit.
        assert fake_kpis.blocked.wait(10)
        assert values(company) == old
    finally:
        fake_kpis.block.set()
        writer.join(10)
    assert not errors
    new = values(company)
    assert set(new) == set(old)
    assert all(new[key] != old[key] for key in old)
    assert new[("fake_leads", "2026-11")] == Decimal("511")


def test_two_refreshes_of_one_company_never_interleave(company, fake_kpis):
    fake_kpis.block = threading.Event()
    errors: list = []
    first = start_refresh(company, "first", errors)
    assert fake_kpis.blocked.wait(10)  # first holds the company's lock, its snapshots written but not committed
    second = start_refresh(company, "second", errors)
    try:
        deadline = time.monotonic() + 10
        while waiting_advisory_locks() == 0 and time.monotonic() < deadline:
            time.sleep(0.05)
        assert waiting_advisory_locks() == 1, "the second refresh must wait for the first one's lock"
        assert second.is_alive()
        # last and this month and quarter, and for the two running ones the previous period's same days: 6
        assert [name for name, _key in fake_kpis.computed] == ["first"] * 6  # second has computed nothing yet
    finally:
        fake_kpis.block.set()
        first.join(10)
        second.join(10)
    assert not errors
    names = [name for name, _key in fake_kpis.computed]
    assert names == ["first"] * 6 + ["second"] * 6  # one refresh after the other
    assert KpiSnapshot.objects.filter(company=company).count() == 8  # 2 KPIs × 4 periods


def test_refreshes_of_different_companies_do_not_wait_for_each_other(company, other_company, fake_kpis):
    held = fake_kpis.block = threading.Event()
    errors: list = []
    first = start_refresh(company, "first", errors)
    assert fake_kpis.blocked.wait(10)  # the first company's lock is held
    fake_kpis.block = None  # later refreshes pass straight through
    try:
        other = start_refresh(other_company, "other", errors)
        other.join(10)
        assert not other.is_alive(), "another company's refresh must not wait for this lock"
        assert KpiSnapshot.objects.filter(company=other_company).count() == 8
        assert first.is_alive()
    finally:
        held.set()
        first.join(10)
    assert not errors
    assert KpiSnapshot.objects.filter(company=company).count() == 8
