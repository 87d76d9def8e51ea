"""Celery tasks of the CRM imports. Thin: ids in, one service."""

from __future__ import annotations

from celery import shared_task
from django.db import InterfaceError, OperationalError

from .models import CrmImport
from .services import crm_connection_sync as sync
from .services import crm_connections_due as connections_due
from .services import crm_import_drafts_purge as purge
from .services import crm_import_run as run
from .signals import crm_data_changed


@shared_task(
    name="crm.crm_import_run",
    autoretry_for=(OperationalError, InterfaceError),
    retry_backoff=True,
    retry_jitter=True,
    max_retries=5,
)
def crm_import_run(import_id: int) -> str | None:
    """Validate and write one uploaded CSV; a finished or running import is left alone (idempotent). A written
    import tells the apps above (crm.signals: reporting refreshes the KPI periods its changed rows touch)."""
    job = run(import_id=import_id)
    if job is not None and job.status == CrmImport.Status.DONE:
        crm_data_changed.send(sender=CrmImport, company_id=job.company_id)
    return job.status if job is not None else None


@shared_task(name="crm.crm_import_drafts_purge")
def crm_import_drafts_purge() -> int:
    """Nightly: drop uploads the wizard never confirmed (older than a week) and their files."""
    return purge()


@shared_task(
    name="crm.crm_connection_sync",
    autoretry_for=(OperationalError, InterfaceError),
    retry_backoff=True,
    retry_jitter=True,
    max_retries=5,
)
def crm_connection_sync(connection_id: int, trigger: str = "schedule") -> str | None:
    """Sync one live CRM connection from its cursors (idempotent: a running sync of it makes this a no-op; rows are
    upserted by CRM id). Rate limits, expired tokens and CRM errors end the run with its status, not a retry: the
    next scheduled run goes on where it stopped."""
    run = sync(connection_id=connection_id, trigger=trigger)
    return run.status if run is not None else None


@shared_task(name="crm.crm_connections_sync_due")
def crm_connections_sync_due() -> int:
    """Beat: one sync task per connected CRM."""
    ids = connections_due()
    for connection_id in ids:
        crm_connection_sync.delay(connection_id, "schedule")
    return len(ids)
