"""Celery tasks of the CRM import (the KPI refresh task lives in reporting.tasks_kpi). Thin: ids in, one service."""

from __future__ import annotations

from celery import shared_task
from django.db import InterfaceError, OperationalError

from .services_crm import crm_import_run as run


@shared_task(
    name="reporting.crm_import_run",
    autoretry_for=(OperationalError, InterfaceError),
    retry_backoff=True,
    retry_jitter=True,
    max_retries=5,
)
def crm_import_run(import_id: int) -> str | None:
    """Validate and write one uploaded CSV; a finished or running import is left alone (idempotent)."""
    job = run(import_id=import_id)
    return job.status if job is not None else None
