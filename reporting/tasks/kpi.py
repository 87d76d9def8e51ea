"""Celery tasks of the board: KPI snapshot refreshes and the weekly digest. Thin: look up ids, call one service.

Arguments are plain ids and strings (JSON serializer). Every task is idempotent, so a redelivery (acks_late) or a
retry after a transient database error recomputes the same rows. A company that is gone or deactivated ends the
task cleanly instead of failing it.
"""

from __future__ import annotations

import logging

from celery import shared_task
from django.db import OperationalError

from companies.models import Company

from ..services import kpi as services_kpi
from ..services import kpi_incremental
from ..services.alerts import kpi_alert_notify as _notify_alert
from ..services.digest import kpi_digest_send_week

logger = logging.getLogger(__name__)

RETRY_OPTIONS = {
    "autoretry_for": (OperationalError,),
    "retry_backoff": 2,
    "retry_backoff_max": 300,
    "retry_jitter": True,
    "max_retries": 5,
}


@shared_task(name="reporting.kpi_snapshots_refresh", acks_late=True, **RETRY_OPTIONS)
def kpi_snapshots_refresh(company_id: int, scope: str = "current", refresh_id: int | None = None) -> dict:
    company = Company.objects.filter(pk=company_id, is_active=True).first()
    if company is None:
        logger.info("KPI refresh skipped: company %s is gone or inactive", company_id)
        services_kpi.kpi_refresh_fail(refresh_id=refresh_id, reason="company gone or inactive")
        return {"status": "skipped", "company_id": company_id}
    try:
        written = services_kpi.kpi_snapshots_refresh(company=company, scope=scope, refresh_id=refresh_id)
    except OperationalError:
        raise  # transient (connection lost, lock timeout): autoretry with backoff and jitter
    except Exception as exc:
        # Not transient: retrying would fail the same way. The refresh row already says "failed" with the reason.
        logger.exception("KPI refresh of company %s failed", company_id)
        return {"status": "failed", "company_id": company_id, "error": str(exc)}
    return {"status": "done", "company_id": company_id, "snapshots": written}


@shared_task(name="reporting.kpi_snapshots_refresh_changed", acks_late=True, **RETRY_OPTIONS)
def kpi_snapshots_refresh_changed(company_id: int) -> dict:
    """After an import or sync: recompute only the periods the changed CRM rows touch."""
    company = Company.objects.filter(pk=company_id, is_active=True).first()
    if company is None:
        return {"status": "skipped", "company_id": company_id}
    result = kpi_incremental.kpi_snapshots_refresh_changed(company=company)
    since = result["since"].isoformat() if result["since"] else None
    return {"status": "done", "company_id": company_id, "since": since, "snapshots": result["snapshots"]}


@shared_task(name="reporting.kpi_snapshots_refresh_all")
def kpi_snapshots_refresh_all(scope: str = "current") -> int:
    """Fan out one refresh task per active company (beat: hourly "current", nightly "open")."""
    company_ids = list(Company.objects.filter(is_active=True).order_by("pk").values_list("pk", flat=True))
    for company_id in company_ids:
        kpi_snapshots_refresh.delay(company_id, scope)
    return len(company_ids)


@shared_task(name="reporting.kpi_digest_send", acks_late=True, **RETRY_OPTIONS)
def kpi_digest_send() -> int:
    """Send this week's KPI e-mail to every subscriber who has not received it yet (idempotent per ISO week)."""
    return kpi_digest_send_week()


@shared_task(name="reporting.kpi_alert_notify", acks_late=True, **RETRY_OPTIONS)
def kpi_alert_notify(alert_id: int) -> int:
    """E-mail a new KPI alert to its KPI's subscribers (idempotent: the alert is claimed before sending)."""
    return _notify_alert(alert_id=alert_id)
