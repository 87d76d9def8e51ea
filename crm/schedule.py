"""Periodic tasks of the crm app (collected into the beat schedule by okrplan/celery.py)."""

from celery.schedules import crontab

BEAT_SCHEDULE = {
    # Uploads the wizard never confirmed, with their files, after a week.
    "crm.crm-import-drafts-purge": {
        "task": "crm.crm_import_drafts_purge",
        "schedule": crontab(hour=3, minute=15),
    },
}
