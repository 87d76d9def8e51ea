"""The Celery app of the fault tests (tests/hardening/test_faults.py): okrplan's own app, with a KPI refresh that
holds for ``OKRPLAN_FAULT_KPI_PERIOD_DELAY`` seconds after each computed period, so that a test can kill the worker
inside the snapshot transaction however fast the machine is. Start it with ``celery -A tests.fault_worker worker``;
the product code knows nothing about it."""

import os
import time

import django

from okrplan.celery import app

django.setup()

from reporting.services import kpi as services_kpi  # noqa: E402 - needs the apps loaded

__all__ = ["app"]

DELAY = float(os.environ.get("OKRPLAN_FAULT_KPI_PERIOD_DELAY") or 0)
_report_progress = services_kpi._report_progress


def _report_progress_then_hold(refresh_id: int, done: int, total: int) -> None:
    _report_progress(refresh_id, done, total)
    time.sleep(DELAY)


services_kpi._report_progress = _report_progress_then_hold
