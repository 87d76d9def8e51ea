"""The Celery app. With REDIS_URL unset, tasks run in-process (task_always_eager); set, a worker runs them."""

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "okrplan.settings")

app = Celery("okrplan")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


# Periodic tasks: each app declares BEAT_SCHEDULE in <app>/schedule.py; beat runs the union.
SCHEDULE_MODULES = ["objectives.schedule", "budgets.schedule", "reporting.schedule"]


def collect_beat_schedule() -> dict:
    import importlib

    schedule: dict = {}
    for name in SCHEDULE_MODULES:
        try:
            module = importlib.import_module(name)
        except ModuleNotFoundError as exc:
            if exc.name != name:
                raise
            continue
        schedule.update(getattr(module, "BEAT_SCHEDULE", {}))
    return schedule


@app.on_after_configure.connect
def _install_beat_schedule(sender, **kwargs) -> None:
    sender.conf.beat_schedule = {**sender.conf.beat_schedule, **collect_beat_schedule()}
