"""Periodic tasks of the reporting app (collected into the beat schedule by okrplan/celery.py)."""

from celery.schedules import crontab

BEAT_SCHEDULE = {
    # The current month, quarter and cycle, every hour: the board is never more than an hour old.
    "reporting.kpi-snapshots-refresh-current": {
        "task": "reporting.kpi_snapshots_refresh_all",
        "schedule": crontab(minute=5),
        "args": ("current",),
    },
    # Every month and quarter of every open cycle, at night: history stays right after late CRM imports.
    "reporting.kpi-snapshots-refresh-open": {
        "task": "reporting.kpi_snapshots_refresh_all",
        "schedule": crontab(hour=2, minute=30),
        "args": ("open",),
    },
    # The weekly KPI e-mail, Monday 07:00 (CELERY_TIMEZONE, Europe/Berlin by default).
    "reporting.kpi-digest-weekly": {
        "task": "reporting.kpi_digest_send",
        "schedule": crontab(hour=7, minute=0, day_of_week=1),
    },
}
