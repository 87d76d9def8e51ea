"""Demo part of the board: compute the KPI snapshots once, so the demo board shows figures and history at once.

Runs after every other demo part (it reads the cascade, budgets and funnel data). Idempotent: when the demo company
has snapshots already, nothing happens; hourly/nightly refreshes or "Refresh now" keep them current afterwards.
"""

from __future__ import annotations

from companies.demo import DEMO_SLUG
from companies.models import Company

from .models import KpiSnapshot
from .services_kpi import kpi_snapshots_refresh


def load() -> None:
    company = Company.objects.filter(slug=DEMO_SLUG).first()
    if company is None or KpiSnapshot.objects.filter(company=company).exists():
        return
    kpi_snapshots_refresh(company=company, scope="open")
