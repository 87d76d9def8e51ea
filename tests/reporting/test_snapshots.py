"""KPI snapshot refresh: which periods, idempotent upsert, all-or-nothing, refresh rows, task and schedule."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.db import OperationalError
from kombu.exceptions import OperationalError as KombuOperationalError

from companies.permissions import Role
from core.errors import PermissionDenied
from objectives.models import Cycle
from reporting.models import KpiRefresh, KpiSnapshot
from reporting.services import kpi as services_kpi
from reporting.tasks import kpi as tasks_kpi
from tests.factories import CompanyFactory, CycleFactory
from tests.reporting.board_fixtures import fake_kpis_fixture  # noqa: F401

pytestmark = pytest.mark.django_db

ON = dt.date(2026, 11, 21)


SNAPSHOT_FIELDS = ["pk", "kpi", "period_kind", "period_key", "period_start", "period_end", "value", "target", "unit"]


def snapshot_state(company) -> list[tuple]:
    return list(
        KpiSnapshot.objects.filter(company=company)
        .order_by("kpi", "period_key")
        .values_list(*SNAPSHOT_FIELDS, "breakdown")
    )


@pytest.fixture
def fy2026(company):
    return CycleFactory(
        company=company,
        name="FY 2026",
        start_date=dt.date(2026, 1, 1),
        end_date=dt.date(2026, 12, 31),
        state=Cycle.State.ACTIVE,
    )


def test_current_scope_writes_this_and_the_last_complete_month_and_quarter_and_the_cycle(company, fake_kpis, fy2026):
    written = services_kpi.kpi_snapshots_refresh(company=company, on=ON)
    assert written == 10  # 2 KPIs × (October, November, Q3, Q4, FY 2026): the board opens on October / Q3
    rows = {(s.kpi, s.period_key): s for s in KpiSnapshot.objects.filter(company=company)}
    keys = ("2026-10", "2026-11", "2026-Q3", "2026-Q4", f"cycle-{fy2026.pk}")
    assert set(rows) == {(kpi, key) for kpi in ("fake_leads", "fake_cost") for key in keys}
    november = rows[("fake_leads", "2026-11")]
    assert november.value == Decimal("111")  # base 100 + month 11
    assert november.target == Decimal("120")
    assert (november.period_start, november.period_end) == (dt.date(2026, 11, 1), dt.date(2026, 11, 30))
    assert november.breakdown["segments"] == {"Energie": 3, "Industrie": 2}
    assert rows[("fake_cost", "2026-Q4")].value == Decimal("90")  # quarter starts in October
    assert rows[("fake_cost", f"cycle-{fy2026.pk}")].unit == "currency"


def test_a_running_period_stores_the_previous_period_over_the_same_number_of_days(company, fake_kpis, fy2026):
    services_kpi.kpi_snapshots_refresh(company=company, on=ON)
    rows = {(s.kpi, s.period_key): s for s in KpiSnapshot.objects.filter(company=company)}
    november = rows[("fake_leads", "2026-11")]  # running on 21 November: day 21 of 30
    assert november.data_through == ON
    # October's first 21 days (the fake KPI's value is base + the start month: 100 + 10)
    assert (november.comparison_start, november.comparison_end) == (dt.date(2026, 10, 1), dt.date(2026, 10, 21))
    assert november.comparison_value == Decimal("110")
    q4 = rows[("fake_leads", "2026-Q4")]  # 1 Oct – 21 Nov = 52 days; Q3's first 52 days: 1 Jul – 21 Aug
    assert (q4.comparison_start, q4.comparison_end) == (dt.date(2026, 7, 1), dt.date(2026, 8, 21))
    october = rows[("fake_leads", "2026-10")]  # complete: compared with the whole September on the board
    assert (october.data_through, october.comparison_value, october.comparison_start) == (None, None, None)


def test_open_scope_builds_history_of_every_open_cycle_up_to_today(company, fake_kpis, fy2026):
    CycleFactory(
        company=company, name="FY 2025", start_date=dt.date(2025, 1, 1), end_date=dt.date(2025, 12, 31), state="closed"
    )
    written = services_kpi.kpi_snapshots_refresh(company=company, scope="open", on=ON)
    keys = set(KpiSnapshot.objects.filter(company=company, kpi="fake_leads").values_list("period_key", flat=True))
    months = {f"2026-{m:02d}" for m in range(1, 12)}
    quarters = {f"2026-Q{q}" for q in range(1, 5)}
    assert keys == months | quarters | {f"cycle-{fy2026.pk}"}
    assert written == 2 * len(keys)
    assert "2025-12" not in keys and "2026-12" not in keys  # closed cycle, future month


def test_refresh_is_idempotent(company, fake_kpis, fy2026):
    services_kpi.kpi_snapshots_refresh(company=company, scope="open", on=ON)
    first = snapshot_state(company)
    services_kpi.kpi_snapshots_refresh(company=company, scope="open", on=ON)
    assert snapshot_state(company) == first  # same rows: ids, values, targets, breakdowns


def test_refresh_updates_changed_values_in_place(company, fake_kpis, fy2026):
    services_kpi.kpi_snapshots_refresh(company=company, on=ON)
    before = KpiSnapshot.objects.get(company=company, kpi="fake_leads", period_key="2026-11")
    fake_kpis.base["fake_leads"] = Decimal("200")
    fake_kpis.targets["fake_leads"] = None
    services_kpi.kpi_snapshots_refresh(company=company, on=ON)
    after = KpiSnapshot.objects.get(company=company, kpi="fake_leads", period_key="2026-11")
    assert after.pk == before.pk
    assert (after.value, after.target) == (Decimal("211"), None)
    assert after.computed_at > before.computed_at


def test_a_failing_refresh_writes_nothing_and_keeps_the_previous_set(company, fake_kpis, fy2026):
    services_kpi.kpi_snapshots_refresh(company=company, on=ON)
    previous = snapshot_state(company)
    fake_kpis.base["fake_leads"] = Decimal("500")
    fake_kpis.fail_on = "2026-Q4"  # computed after November: November's new values must not land either
    refresh = KpiRefresh.objects.create(company=company)
    with pytest.raises(RuntimeError):
        services_kpi.kpi_snapshots_refresh(company=company, on=ON, refresh_id=refresh.pk)
    assert snapshot_state(company) == previous
    refresh.refresh_from_db()
    assert refresh.status == "failed"
    assert "cannot compute 2026-Q4" in refresh.error
    assert refresh.finished_at is not None


def test_refresh_row_goes_from_queued_to_done_with_progress(company, fake_kpis, fy2026):
    refresh = KpiRefresh.objects.create(company=company)
    services_kpi.kpi_snapshots_refresh(company=company, on=ON, refresh_id=refresh.pk)
    refresh.refresh_from_db()
    assert refresh.status == "done"
    assert refresh.snapshots_written == 10  # 2 KPIs × 5 periods
    assert refresh.started_at <= refresh.finished_at
    assert services_kpi.refresh_progress(refresh.pk) == {"done": 5, "total": 5}


def test_bound_key_results_get_the_values_of_the_covering_cycle(company, fake_kpis, fy2026):
    services_kpi.kpi_snapshots_refresh(company=company, on=ON)
    [batch] = fake_kpis.check_in_batches
    assert {(r.key, r.value) for r in batch} == {("fake_leads", Decimal("101")), ("fake_cost", Decimal("81"))}


def test_without_a_cycle_month_and_quarter_are_still_refreshed(company, fake_kpis):
    services_kpi.kpi_snapshots_refresh(company=company, on=ON)
    assert set(KpiSnapshot.objects.values_list("period_key", flat=True)) == {"2026-10", "2026-11", "2026-Q3", "2026-Q4"}
    assert fake_kpis.check_in_batches == [[]]


def test_refresh_checks_permission_and_scope(company, make_member, fake_kpis):
    with pytest.raises(PermissionDenied):
        services_kpi.kpi_snapshots_refresh(company=company, actor=make_member(company, Role.FACILITATOR), on=ON)
    from django.core.exceptions import ValidationError

    with pytest.raises(ValidationError) as error:
        services_kpi.kpi_snapshots_refresh(company=company, scope="everything", on=ON)
    assert "scope" in error.value.message_dict
    assert not KpiSnapshot.objects.exists()


def test_refreshes_of_two_companies_stay_apart(company, other_company, fake_kpis):
    services_kpi.kpi_snapshots_refresh(company=company, on=ON)
    services_kpi.kpi_snapshots_refresh(company=other_company, on=ON)
    assert KpiSnapshot.objects.filter(company=company).count() == 8  # 2 KPIs × 2 months × 2 quarters
    assert KpiSnapshot.objects.filter(company=other_company).count() == 8  # 2 KPIs × 2 months × 2 quarters


def test_real_kpis_refresh_on_an_empty_company(company, fy2026):
    """The real registry: every KPI gets a snapshot, even without CRM data (values may be empty)."""
    from reporting.kpis import KPIS

    written = services_kpi.kpi_snapshots_refresh(company=company, on=ON)
    assert written == 5 * len(KPIS)  # last and this month and quarter, the cycle
    assert set(KpiSnapshot.objects.values_list("kpi", flat=True)) == set(KPIS)


# --- "Refresh now" request -------------------------------------------------------------------------------------


def test_refresh_request_runs_the_task_after_commit(
    company, make_member, fake_kpis, django_capture_on_commit_callbacks
):
    cmo = make_member(company, Role.CMO)
    with django_capture_on_commit_callbacks(execute=True):
        refresh = services_kpi.kpi_refresh_request(company=company, actor=cmo)
    refresh.refresh_from_db()
    assert refresh.status == "done"
    assert refresh.requested_by == cmo
    assert refresh.task_id
    assert KpiSnapshot.objects.filter(company=company).count() == 8  # 2 KPIs × (last and this month and quarter)


def test_refresh_request_reuses_a_running_refresh(company, make_member):
    executive = make_member(company, Role.EXECUTIVE)
    running = KpiRefresh.objects.create(company=company, status="running")
    assert services_kpi.kpi_refresh_request(company=company, actor=executive) == running
    KpiRefresh.objects.filter(pk=running.pk).update(created_at=running.created_at - dt.timedelta(hours=1))
    assert services_kpi.kpi_refresh_request(company=company, actor=executive) != running  # a lost one no longer blocks


@pytest.mark.django_db(transaction=True)
def test_refresh_request_says_when_the_queue_is_unavailable(company, make_member, monkeypatch):
    """Committed for real (transaction=True), so the enqueue runs right after the service's commit, as in a request."""

    def broker_down(*args, **kwargs):
        raise KombuOperationalError("Error 111 connecting to 127.0.0.1:6379. Connection refused.")

    monkeypatch.setattr(tasks_kpi.kpi_snapshots_refresh, "apply_async", broker_down)
    with pytest.raises(services_kpi.QueueUnavailable) as error:
        services_kpi.kpi_refresh_request(company=company, actor=make_member(company, Role.CMO))
    assert error.value.status == 503
    assert "queue is unavailable" in error.value.message
    refresh = KpiRefresh.objects.get()
    assert (refresh.status, refresh.error) == ("failed", services_kpi.QUEUE_UNAVAILABLE)


def test_refresh_request_needs_the_refresh_permission(company, make_member):
    with pytest.raises(PermissionDenied):
        services_kpi.kpi_refresh_request(company=company, actor=make_member(company, Role.MEMBER))
    assert not KpiRefresh.objects.exists()


# --- tasks and schedule ----------------------------------------------------------------------------------------


def test_task_refreshes_and_reports(company, fake_kpis):
    result = tasks_kpi.kpi_snapshots_refresh.delay(company.pk).get()
    assert result["status"] == "done" and result["snapshots"] == 8


def test_task_ends_cleanly_when_the_company_is_gone_or_inactive(fake_kpis):
    assert tasks_kpi.kpi_snapshots_refresh.delay(987654).get() == {"status": "skipped", "company_id": 987654}
    inactive = CompanyFactory(is_active=False)
    refresh = KpiRefresh.objects.create(company=inactive)
    tasks_kpi.kpi_snapshots_refresh.delay(inactive.pk, "current", refresh.pk).get()
    refresh.refresh_from_db()
    assert refresh.status == "failed" and "inactive" in refresh.error
    assert not KpiSnapshot.objects.exists()


def test_task_reports_a_broken_kpi_without_retrying(company, fake_kpis, monkeypatch):
    fake_kpis.fail_on = "2026-11"
    monkeypatch.setattr(services_kpi.timezone, "localdate", lambda: ON)
    result = tasks_kpi.kpi_snapshots_refresh.delay(company.pk).get()
    assert result["status"] == "failed" and "cannot compute" in result["error"]


def test_task_retries_transient_database_errors_with_backoff_and_jitter():
    task = tasks_kpi.kpi_snapshots_refresh
    assert task.autoretry_for == (OperationalError,)
    assert task.retry_backoff and task.retry_jitter
    assert task.max_retries == 5
    assert task.name == "reporting.kpi_snapshots_refresh"


def test_refresh_all_fans_out_per_active_company(company, other_company, fake_kpis):
    CompanyFactory(is_active=False)
    assert tasks_kpi.kpi_snapshots_refresh_all.delay("current").get() == 2
    assert set(KpiSnapshot.objects.values_list("company_id", flat=True)) == {company.pk, other_company.pk}


def test_beat_schedule_runs_hourly_nightly_and_weekly():
    from okrplan.celery import collect_beat_schedule

    schedule = collect_beat_schedule()
    hourly = schedule["reporting.kpi-snapshots-refresh-current"]
    nightly = schedule["reporting.kpi-snapshots-refresh-open"]
    weekly = schedule["reporting.kpi-digest-weekly"]
    assert (hourly["task"], hourly["args"]) == ("reporting.kpi_snapshots_refresh_all", ("current",))
    assert hourly["schedule"].minute == {5} and len(hourly["schedule"].hour) == 24
    assert (nightly["args"], nightly["schedule"].hour) == (("open",), {2})
    assert weekly["task"] == "reporting.kpi_digest_send"
    assert (weekly["schedule"].day_of_week, weekly["schedule"].hour, weekly["schedule"].minute) == ({1}, {7}, {0})


def test_lock_helper_insists_on_a_transaction():
    from core.locks import advisory_xact_lock, lock_key, lock_namespace

    assert lock_namespace("kpi_snapshots_refresh") == lock_namespace("kpi_snapshots_refresh") < 2**31
    assert lock_key(2**31 + 5) == 5
    from django.db import transaction

    with transaction.atomic():
        advisory_xact_lock("kpi_snapshots_refresh", 1)  # fine inside a transaction

    from unittest import mock

    with mock.patch("core.locks.connections") as connections:
        connections.__getitem__.return_value.in_atomic_block = False
        with pytest.raises(RuntimeError):
            advisory_xact_lock("kpi_snapshots_refresh", 1)


@pytest.mark.django_db(transaction=True)
def test_an_unreachable_broker_answers_quickly_with_queue_unavailable(company, make_member):
    """No mock of the enqueue: the broker URL points at a closed port, as when Redis is down."""
    import time

    from okrplan.celery import app as celery_app

    executive = make_member(company, Role.EXECUTIVE)

    def reset_pools():
        # Forget (not close) the pools: producers acquired later must be built for the broker URL in force.
        celery_app._pool = None
        celery_app.amqp._producer_pool = None

    saved = {key: celery_app.conf[key] for key in ("task_always_eager", "broker_url", "broker_write_url")}
    celery_app.conf.update(task_always_eager=False, broker_url="redis://127.0.0.1:9/0", broker_write_url=None)
    reset_pools()
    try:
        started = time.monotonic()
        with pytest.raises(services_kpi.QueueUnavailable):
            services_kpi.kpi_refresh_request(company=company, actor=executive)
        assert time.monotonic() - started < 10
    finally:
        celery_app.conf.update(saved)
        reset_pools()
    assert KpiRefresh.objects.get().status == "failed"
