"""Periodic tasks of the crm app (collected into the beat schedule by okrplan/celery.py)."""

from datetime import timedelta

from celery.schedules import crontab
from django.conf import settings

BEAT_SCHEDULE = {
    # Uploads the wizard never confirmed, with their files, after a week.
    "crm.crm-import-drafts-purge": {
        "task": "crm.crm_import_drafts_purge",
        "schedule": crontab(hour=3, minute=15),
    },
}

# Live CRM connections: one sync per connected CRM every CRM_SYNC_INTERVAL_MINUTES (settings).
BEAT_SCHEDULE["crm.crm-connections-sync"] = {
    "task": "crm.crm_connections_sync_due",
    "schedule": timedelta(minutes=settings.CRM_SYNC_INTERVAL_MINUTES),
}
