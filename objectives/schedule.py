"""Periodic tasks of the planning domain (collected by okrplan.celery; CELERY_TIMEZONE is Europe/Berlin)."""

from celery.schedules import crontab

BEAT_SCHEDULE = {
    "key-result-reminders-weekly": {
        "task": "objectives.key_result_reminders_send",
        "schedule": crontab(minute=0, hour=8, day_of_week="mon"),
    },
}
