"""The board's contribution to /healthz (core/health.py): how old the newest KPI snapshot is."""

from __future__ import annotations

from django.apps import apps
from django.db.models import DateTimeField, Max
from django.utils import timezone

# Where a KPI snapshot says when it was taken, in order of preference.
SNAPSHOT_TIME_FIELDS = ("computed_at", "taken_at", "created_at", "refreshed_at", "created")


def snapshot_time_field(model) -> str | None:
    latest = model._meta.get_latest_by
    if isinstance(latest, str) and not latest.startswith("-"):
        return latest
    names = {f.name for f in model._meta.get_fields() if isinstance(f, DateTimeField)}
    return next((name for name in SNAPSHOT_TIME_FIELDS if name in names), None)


def kpi_snapshot_age_seconds() -> int | None:
    """Seconds since the newest KPI snapshot; None before the reporting app has snapshots (or the model)."""
    try:
        model = apps.get_model("reporting", "KpiSnapshot")
    except LookupError:
        return None
    field = snapshot_time_field(model)
    if field is None:
        return None
    newest = model._default_manager.aggregate(newest=Max(field))["newest"]
    if newest is None:
        return None
    return max(0, int((timezone.now() - newest).total_seconds()))
