"""KPI snapshot refreshes: compute every KPI for a set of periods and write the whole set at once.

Two guarantees the board relies on:

- **Atomic**: every snapshot of a refresh is upserted in ONE transaction (one bulk INSERT ... ON CONFLICT), so a
  reader sees the previous complete set or the new complete set, never a mix.
- **Serialised per company**: the transaction first takes ``advisory_xact_lock("kpi_snapshots_refresh",
  company_id)`` (core.locks), so two refreshes of one company never interleave; the second waits and then
  recomputes from the first one's committed result. Refreshes of different companies run in parallel.
"""

from __future__ import annotations

import datetime as dt
import logging
import threading
import uuid
from collections.abc import Iterable
from contextlib import contextmanager
from decimal import Decimal
from functools import partial

from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.db import DatabaseError, connection, transaction
from django.db.models import Q
from django.utils import timezone, translation
from django.utils.translation import gettext_lazy as _

from companies.models import Company
from companies.permissions import Action, require_actor
from core import versions
from core.errors import DomainError
from core.locks import advisory_xact_lock
from objectives.models import Cycle
from sla.selectors import clock_memo

from .. import attribution, kpis, periods
from ..kpis.base import refresh_memo
from ..models_snapshots import AttributionSnapshot, KpiRefresh, KpiSnapshot, PeriodKind
from ..targets import TargetBook
from . import alerts as services_alerts

logger = logging.getLogger(__name__)

LOCK_NAME = "kpi_snapshots_refresh"
SCOPES = ("current", "open")
# A queued refresh younger than this is reused by "Refresh now"; an older one is presumed lost (its message never
# reached a worker) and no longer blocks a new request. A running refresh is judged by its heartbeat instead.
ACTIVE_REFRESH_WINDOW = dt.timedelta(minutes=15)
# While a refresh runs, a thread of its worker touches ``heartbeat_at`` every HEARTBEAT_INTERVAL (from its own
# database connection: the snapshot transaction's writes are invisible until it commits). A running refresh
# silent for longer than STALE_AFTER lost its worker (killed, out of memory, machine gone): "Refresh now" marks it
# failed and starts a new one instead of handing the lost one back.
HEARTBEAT_INTERVAL = dt.timedelta(seconds=5)
STALE_AFTER = dt.timedelta(seconds=60)
QUEUE_UNAVAILABLE = "queue_unavailable"
_ATTRIBUTION_FIELDS = ["period_kind", "period_start", "period_end", "half_life_days", "pipeline", "rows", "computed_at"]
_SNAPSHOT_FIELDS = [
    "period_kind",
    "period_label",
    "period_start",
    "period_end",
    "value",
    "target",
    "unit",
    "data_through",
    "comparison_value",
    "comparison_start",
    "comparison_end",
]


class QueueUnavailable(DomainError):
    """The task queue (Redis) cannot be reached: nothing was enqueued."""

    status = 503
    default_message = _(
        "The task queue is unavailable right now, so the refresh could not be started. "
        "Please try again in a few minutes."
    )
    code = "queue_unavailable"


def _broker_errors() -> tuple[type[BaseException], ...]:
    from kombu.exceptions import OperationalError as KombuOperationalError

    errors: list[type[BaseException]] = [KombuOperationalError, ConnectionError, TimeoutError]
    try:
        from redis.exceptions import ConnectionError as RedisConnectionError
        from redis.exceptions import TimeoutError as RedisTimeoutError

        errors += [RedisConnectionError, RedisTimeoutError]
    except ImportError:  # pragma: no cover - redis is a dependency
        pass
    return tuple(errors)


def current_cycles(*, company: Company, on: dt.date) -> list[Cycle]:
    """The cycles the board calls "current": active top-level cycles running on ``on`` (else any active one)."""
    running = list(
        Cycle.objects.filter(company=company, state=Cycle.State.ACTIVE, start_date__lte=on, end_date__gte=on).order_by(
            "start_date", "pk"
        )
    )
    top_level = [c for c in running if c.parent_id is None]
    return top_level or running


def refresh_periods(*, company: Company, scope: str, on: dt.date) -> list[periods.Period]:
    """The periods a refresh computes. ``current``: this and last month, this and last quarter (the board opens on
    the last complete period) and the current cycle(s). ``open``:
    additionally every month and quarter (up to ``on``) of every cycle that is not closed, and those cycles."""
    found: dict[str, periods.Period] = {}

    def add(items: Iterable[periods.Period]) -> None:
        for period in items:
            found.setdefault(period.key, period)

    for kind in (PeriodKind.MONTH, PeriodKind.QUARTER):
        current = periods.period_for(company=company, kind=kind, on=on)
        # The last complete period too: the board opens on it.
        add([periods.period_for(company=company, kind=kind, on=current.start - dt.timedelta(days=1)), current])
    add(periods.cycle_period(cycle) for cycle in current_cycles(company=company, on=on))
    check_in_period = kpis.kpi_cycle_period(company, on)
    if check_in_period is not None:
        add([check_in_period])
    if scope == "open":
        # Top-level cycles only: their quarters are covered by the quarter periods, and the board's cycle history
        # should not mix a year with its own quarters.
        open_cycles = Cycle.objects.filter(company=company, start_date__lte=on, parent__isnull=True).exclude(
            state=Cycle.State.CLOSED
        )
        for cycle in open_cycles.order_by("start_date", "pk"):
            add([periods.cycle_period(cycle)])
            last = min(cycle.end_date, on)
            for kind in (PeriodKind.MONTH, PeriodKind.QUARTER):
                add(periods.periods_between(company=company, kind=kind, start=cycle.start_date, end=last))
    return sorted(found.values(), key=lambda p: (p.start, p.kind, p.key))


def _running_comparison(*, company: Company, period: periods.Period, on: dt.date, book: TargetBook):
    """For a period still running on ``on``: the KPIs of the previous period over the same number of days (its
    first N days, N = days elapsed including ``on``), the truncated previous period, and ``on`` (the last day the
    value covers). ``(None, None, None)`` for a period that has ended (it compares with the whole previous one)."""
    if not period.start <= on < period.end:
        return None, None, None
    previous = periods.previous_period(period, company=company)
    if previous is None:
        return {}, None, on
    elapsed = (on - period.start).days
    end = min(previous.start + dt.timedelta(days=elapsed), previous.end)
    truncated = periods.Period(kind=previous.kind, start=previous.start, end=end, key=previous.key,
                               label=previous.label)  # fmt: skip
    values = {r.key: r for r in kpis.compute_kpis(company=company, period=truncated, book=book)}
    return values, truncated, on


def _progress_key(refresh_id: int) -> str:
    return f"okrplan:kpi-refresh:{refresh_id}:progress"


def refresh_progress(refresh_id: int) -> dict | None:
    """``{"done": n, "total": m}`` periods of a running refresh, as far as the worker has reported it.

    Progress lives in the cache (Redis when configured), outside the snapshot transaction so pollers see it move;
    it is best effort: without a reachable cache the page just shows no progress bar."""
    try:
        return cache.get(_progress_key(refresh_id))
    except Exception:  # the cache backend is down: progress is optional
        logger.warning("KPI refresh progress unavailable (cache unreachable)")
        return None


def _report_progress(refresh_id: int | None, done: int, total: int) -> None:
    if refresh_id is None:
        return
    try:
        cache.set(_progress_key(refresh_id), {"done": done, "total": total}, timeout=3600)
    except Exception:  # never fail a refresh because its progress could not be shown
        logger.warning("KPI refresh progress could not be stored (cache unreachable)")


def _mark(refresh_id: int | None, *, status: str, from_status: Iterable[str] | None = None, **fields) -> bool:
    """Compare-and-set the status of a refresh row (outside the snapshot transaction, so pollers see it)."""
    if refresh_id is None:
        return False
    rows = KpiRefresh.objects.filter(pk=refresh_id)
    if from_status is not None:
        rows = rows.filter(status__in=list(from_status))
    return rows.update(status=status, **fields) > 0


def _touch_heartbeat(refresh_id: int) -> None:
    KpiRefresh.objects.filter(pk=refresh_id, status=KpiRefresh.Status.RUNNING).update(heartbeat_at=timezone.now())


@contextmanager
def _heartbeat(refresh_id: int | None):
    """Touch the refresh row's heartbeat every HEARTBEAT_INTERVAL while the body runs, from a thread of this
    process (Django gives it its own connection, in autocommit), so the beat is visible while the snapshot
    transaction is still open and stops when the process dies."""
    if refresh_id is None:
        yield
        return
    stop = threading.Event()

    def beat() -> None:
        try:
            while not stop.wait(HEARTBEAT_INTERVAL.total_seconds()):
                try:
                    _touch_heartbeat(refresh_id)
                except DatabaseError as exc:  # a missed beat is not fatal: the next one may get through
                    logger.warning("KPI refresh %s: heartbeat not stored: %s", refresh_id, exc)
        finally:
            connection.close()  # this thread's own connection

    thread = threading.Thread(target=beat, name=f"kpi-refresh-heartbeat-{refresh_id}", daemon=True)
    thread.start()
    try:
        yield
    finally:
        stop.set()
        thread.join(timeout=HEARTBEAT_INTERVAL.total_seconds())


def kpi_snapshots_refresh(
    *,
    company: Company,
    scope: str = "current",
    actor=None,
    refresh_id: int | None = None,
    on: dt.date | None = None,
    since: dt.date | None = None,
) -> int:
    """Compute every KPI for the periods of ``scope`` and upsert all snapshots in one transaction. With ``since``
    only the periods that end on or after it (reporting.services.kpi_incremental: the first month changed data touches).

    The attribution of every period under every model (attribution.MODELS, one statement for all periods) is
    stored in the same transaction as AttributionSnapshot rows: the board reads those and never computes
    attribution during a request.

    Returns the number of KPI snapshots written (attribution snapshots are not counted). Idempotent: a second run
    on unchanged data writes the same rows (same ids, values, targets and breakdowns; only ``computed_at`` moves).
    Key results bound to a KPI receive their automatic check-in inside the same transaction.
    """
    require_actor(actor, company, Action.KPI_REFRESH)
    if scope not in SCOPES:
        raise ValidationError({"scope": _("Unknown scope %(scope)s: use current or open.") % {"scope": scope}})
    on = on or timezone.localdate()
    if refresh_id is not None and KpiRefresh.objects.filter(pk=refresh_id, replaced_by__isnull=False).exists():
        # A redelivery (acks_late) of a refresh whose worker was lost: another refresh replaced it and does the
        # work; running it again would flip the failed row back to "running".
        logger.info("KPI refresh %s was replaced after its worker was lost; the redelivered task ends", refresh_id)
        return 0
    started = timezone.now()
    _mark(
        refresh_id,
        status=KpiRefresh.Status.RUNNING,
        from_status=[KpiRefresh.Status.QUEUED, KpiRefresh.Status.FAILED],
        started_at=started,
        heartbeat_at=started,
        finished_at=None,
        error="",
    )
    try:
        # clock_memo: the handover KPIs measure every SLA case once per refresh, at one moment (sla.selectors);
        # refresh_memo: the leads qualified by their first opportunity and the opportunities' marketing influence are
        # read once (reporting.kpis.base).
        with _heartbeat(refresh_id), transaction.atomic(), clock_memo(), refresh_memo():
            # Before anything is read: a second refresh of this company waits here until the first has committed.
            advisory_xact_lock(LOCK_NAME, company.pk)
            todo = refresh_periods(company=company, scope=scope, on=on)
            if since is not None:
                todo = [period for period in todo if period.end >= since]
            computed_at = timezone.now()
            rows: list[KpiSnapshot] = []
            half_life_days = kpis.reporting_settings(company).attribution_half_life_days
            check_in_results: list[kpis.KpiResult] = []
            # Bound key results get the values of the most specific cycle covering today (kpis.kpi_cycle_period).
            check_in_period = kpis.kpi_cycle_period(company, on)
            book = TargetBook(company)
            for done, period in enumerate(todo, start=1):
                comparison, compared_period, through = _running_comparison(
                    company=company, period=period, on=on, book=book
                )
                for result in kpis.compute_kpis(company=company, period=period, book=book):
                    compared = comparison.get(result.key) if comparison is not None else None
                    rows.append(
                        KpiSnapshot(
                            company=company,
                            kpi=result.key,
                            period_kind=period.kind,
                            period_key=period.key,
                            period_label=str(period.label)[:80],
                            period_start=period.start,
                            period_end=period.end,
                            value=result.value,
                            target=result.target,
                            unit=result.unit,
                            breakdown=result.breakdown or {},
                            computed_at=computed_at,
                            data_through=through,
                            comparison_value=compared.value if compared is not None else None,
                            comparison_start=compared_period.start if compared_period is not None else None,
                            comparison_end=compared_period.end if compared_period is not None else None,
                        )
                    )
                    if check_in_period is not None and period.key == check_in_period.key:
                        check_in_results.append(result)
                _report_progress(refresh_id, done, len(todo))
            attribution_rows = _attribution_snapshots(
                company=company, todo=todo, half_life_days=half_life_days, computed_at=computed_at
            )
            KpiSnapshot.objects.bulk_create(
                rows,
                batch_size=500,
                update_conflicts=True,
                unique_fields=["company", "kpi", "period_key"],
                update_fields=[*_SNAPSHOT_FIELDS, "breakdown", "computed_at"],
            )
            AttributionSnapshot.objects.bulk_create(
                attribution_rows,
                batch_size=500,
                update_conflicts=True,
                unique_fields=["company", "model", "period_key"],
                update_fields=_ATTRIBUTION_FIELDS,
            )
            kpis.kpi_auto_check_ins(company=company, results=check_in_results)
            # The new figures are checked in the same transaction: an alert appears with the figures that raised
            # it, never before or without them; its e-mails go out after commit.
            services_alerts.kpi_alerts_check(company=company, on=on)
            versions.bump("board", company_id=company.pk)  # bulk_create sends no signal
    except Exception as exc:
        _mark(refresh_id, status=KpiRefresh.Status.FAILED, finished_at=timezone.now(), error=str(exc)[:2000])
        raise
    _mark(
        refresh_id,
        status=KpiRefresh.Status.DONE,
        finished_at=timezone.now(),
        snapshots_written=len(rows),
        error="",
    )
    logger.info("KPI refresh of company %s (%s): %d snapshots", company.pk, scope, len(rows))
    return len(rows)


def _attribution_snapshots(
    *, company: Company, todo: list[periods.Period], half_life_days: int, computed_at: dt.datetime
) -> list[AttributionSnapshot]:
    """Every attribution model's rows for every period of ``todo`` (one statement for all of them)."""
    by_period = attribution.attribute_periods(
        company=company,
        periods=[(period.key, *period.datetime_range()) for period in todo],
        half_life_days=half_life_days,
    )
    return [
        AttributionSnapshot(
            company=company,
            model=model,
            period_kind=period.kind,
            period_key=period.key,
            period_start=period.start,
            period_end=period.end,
            half_life_days=half_life_days,
            pipeline=sum((row["pipeline"] for row in rows), Decimal(0)),
            rows=[{**row, **{k: str(row[k]) for k in ("pipeline", "won", "credit")}} for row in rows],
            computed_at=computed_at,
        )
        for period in todo
        for model, rows in by_period[period.key].items()
    ]


def kpi_refresh_fail(*, refresh_id: int | None, reason: str) -> None:
    """Close a refresh that cannot run (e.g. its company was deactivated)."""
    _mark(
        refresh_id,
        status=KpiRefresh.Status.FAILED,
        from_status=[KpiRefresh.Status.QUEUED, KpiRefresh.Status.RUNNING],
        finished_at=timezone.now(),
        error=reason[:2000],
    )


def _enqueue_refresh(refresh_id: int) -> None:
    from ..tasks.kpi import kpi_snapshots_refresh as refresh_task  # tasks.kpi imports this module: a cycle

    refresh = KpiRefresh.objects.get(pk=refresh_id)
    try:
        refresh_task.apply_async(
            args=[refresh.company_id, refresh.scope, refresh.pk],
            task_id=refresh.task_id,
            # The refresh row carries the outcome; not subscribing to the result backend also means a Redis outage
            # fails here at once instead of after the result backend's reconnect attempts.
            ignore_result=True,
            # Fail fast when the broker is down: the user gets an answer instead of a hanging button.
            retry=True,
            retry_policy={"max_retries": 1, "interval_start": 0, "interval_step": 0.5, "interval_max": 0.5},
        )
    except _broker_errors() as exc:
        logger.warning("KPI refresh %s could not be enqueued: %s", refresh_id, exc)
        _mark(refresh_id, status=KpiRefresh.Status.FAILED, finished_at=timezone.now(), error=QUEUE_UNAVAILABLE)


def lost_message(at: dt.datetime) -> str:
    return _("The worker stopped responding at %(time)s; a new refresh was started.") % {
        "time": timezone.localtime(at).strftime("%H:%M")
    }


def _lost(refresh: KpiRefresh) -> bool:
    """Compare-and-set a running refresh without a heartbeat for STALE_AFTER to failed; True if it was lost."""
    if refresh.status != KpiRefresh.Status.RUNNING:
        return False
    last = refresh.last_sign_of_life
    if last >= timezone.now() - STALE_AFTER:
        return False
    with translation.override("en"):  # the stored reason is read by the API and the logs; pages translate it
        reason = lost_message(last)
    marked = KpiRefresh.objects.filter(
        pk=refresh.pk, status=KpiRefresh.Status.RUNNING, heartbeat_at=refresh.heartbeat_at
    ).update(status=KpiRefresh.Status.FAILED, finished_at=timezone.now(), error=reason)
    if marked:
        logger.warning("KPI refresh %s of company %s lost its worker (last heartbeat %s)", refresh.pk,
                       refresh.company_id, last.isoformat())  # fmt: skip
    return bool(marked)


def kpi_refresh_request(*, company: Company, actor, scope: str = "current") -> KpiRefresh:
    """ "Refresh now": record a refresh and enqueue its task after commit.

    A queued refresh of the company (younger than ACTIVE_REFRESH_WINDOW) or a running one is returned instead of a
    new one, so repeated clicks do not pile up work. A running one whose heartbeat is older than STALE_AFTER lost
    its worker: it is marked failed with the time the worker stopped responding, and a new refresh replaces it.
    Raises QueueUnavailable (503) when the broker is unreachable.
    """
    require_actor(actor, company, Action.KPI_REFRESH)
    if scope not in SCOPES:
        raise ValidationError({"scope": _("Unknown scope %(scope)s: use current or open.") % {"scope": scope}})
    with transaction.atomic():
        # Serialises concurrent requests of one company so only one of them creates the refresh.
        Company.objects.select_for_update().filter(pk=company.pk).first()
        active = (
            KpiRefresh.objects.filter(company=company)
            .filter(
                Q(status=KpiRefresh.Status.QUEUED, created_at__gte=timezone.now() - ACTIVE_REFRESH_WINDOW)
                | Q(status=KpiRefresh.Status.RUNNING)  # however long it runs: its heartbeat says if it is alive
            )
            .order_by("-created_at")
            .first()
        )
        replaces = None
        if active is not None:
            if not _lost(active):
                return active
            replaces = active
        refresh = KpiRefresh(
            company=company, scope=scope, requested_by=actor, task_id=str(uuid.uuid4()), replaces=replaces
        )
        refresh.full_clean()
        refresh.save()
        transaction.on_commit(partial(_enqueue_refresh, refresh.pk))
    refresh.refresh_from_db()
    if refresh.status == KpiRefresh.Status.FAILED and refresh.error == QUEUE_UNAVAILABLE:
        raise QueueUnavailable()
    return refresh
