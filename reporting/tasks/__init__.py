"""Celery tasks of the reporting app, one module per area. Celery's autodiscovery imports ``reporting.tasks``; this
package imports its modules, so every task is registered without importing them by hand (and ``reporting.tasks.X``
names any of them)."""

from .crm import crm_import_drafts_purge, crm_import_run
from .kpi import (
    kpi_alert_notify,
    kpi_digest_send,
    kpi_snapshots_refresh,
    kpi_snapshots_refresh_all,
    kpi_snapshots_refresh_changed,
)

__all__ = [
    "crm_import_drafts_purge",
    "crm_import_run",
    "kpi_alert_notify",
    "kpi_digest_send",
    "kpi_snapshots_refresh",
    "kpi_snapshots_refresh_all",
    "kpi_snapshots_refresh_changed",
]
