"""Celery tasks of the CRM import (the KPI refresh task lives in reporting.tasks.kpi). Thin: ids in, one service."""

from __future__ import annotations

from celery import shared_task
from django.db import InterfaceError, OperationalError

from ..models import CrmImport
from ..services_crm import crm_import_drafts_purge as purge
from ..services_crm import crm_import_run as run
from .kpi import kpi_snapshots_refresh_changed


@shared_task(
    name="reporting.crm_import_run",
    autoretry_for=(OperationalError, InterfaceError),
    retry_backoff=True,
    retry_jitter=True,
    max_retries=5,
)
def crm_import_run(import_id: int) -> str | None:
    """Validate and write one uploaded CSV; a finished or running import is left alone (idempotent). A written
    import is followed by the KPI refresh of the periods its changed rows touch."""
    job = run(import_id=import_id)
    if job is not None and job.status == CrmImport.Status.DONE:
        kpi_snapshots_refresh_changed.delay(job.company_id)
    return job.status if job is not None else None


@shared_task(name="reporting.crm_import_drafts_purge")
def crm_import_drafts_purge() -> int:
    """Nightly: drop uploads the wizard never confirmed (older than a week) and their files."""
    return purge()
