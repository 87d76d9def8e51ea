"""Celery finds the reporting tasks by its own autodiscovery: the ``reporting.tasks`` package imports its modules, and
nothing imports them by hand when Django starts."""

from __future__ import annotations

import json
import os
import subprocess
import sys

from django.conf import settings

PROBE = """
import json, sys
import django
django.setup()
before = "reporting.tasks" in sys.modules or "reporting.tasks.kpi" in sys.modules
from okrplan.celery import app
app.loader.import_default_modules()
print(json.dumps({"imported_at_startup": before, "tasks": sorted(n for n in app.tasks if n.startswith("reporting."))}))
"""


def test_autodiscovery_registers_every_reporting_task_without_hand_imports():
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "tests.settings"}
    done = subprocess.run(
        [sys.executable, "-c", PROBE], cwd=settings.BASE_DIR, env=env, capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stderr
    found = json.loads(done.stdout.strip().splitlines()[-1])
    assert found["imported_at_startup"] is False
    # the board's tasks (the CRM import's tasks are found the same way, wherever they live)
    assert {
        "reporting.kpi_alert_notify",
        "reporting.kpi_digest_send",
        "reporting.kpi_snapshots_refresh",
        "reporting.kpi_snapshots_refresh_all",
        "reporting.kpi_snapshots_refresh_changed",
    } <= set(found["tasks"])
