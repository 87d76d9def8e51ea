"""The Celery app. With REDIS_URL unset, tasks run in-process (task_always_eager); set, a worker runs them."""

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "okrplan.settings")

app = Celery("okrplan")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
