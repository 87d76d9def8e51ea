"""The Celery app. With REDIS_URL unset, tasks run in-process (task_always_eager); set, a worker runs them."""

import os

from celery import Celery

from core.registry import app_modules

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "okrplan.settings")

app = Celery("okrplan")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


def collect_beat_schedule() -> dict:
    """The union of the apps' periodic tasks: each app declares BEAT_SCHEDULE in <app>/schedule.py."""
    schedule: dict = {}
    for module in app_modules("schedule"):
        schedule.update(getattr(module, "BEAT_SCHEDULE", {}))
    return schedule


@app.on_after_configure.connect
def _install_beat_schedule(sender, **kwargs) -> None:
    sender.conf.beat_schedule = {**sender.conf.beat_schedule, **collect_beat_schedule()}
