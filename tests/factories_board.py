"""Factories for the board: KPI snapshots."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import factory
from django.utils import timezone

from reporting.models_snapshots import KpiSnapshot

from .factories import CompanyFactory


class KpiSnapshotFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = KpiSnapshot

    company = factory.SubFactory(CompanyFactory)
    kpi = "fake_leads"
    period_kind = "month"
    period_start = dt.date(2026, 11, 1)
    period_end = dt.date(2026, 11, 30)
    period_key = factory.LazyAttribute(lambda s: s.period_start.strftime("%Y-%m"))
    period_label = factory.LazyAttribute(lambda s: s.period_start.strftime("%b %Y"))
    value = Decimal("100")
    target = None
    unit = "number"
    breakdown = factory.LazyFunction(dict)
    computed_at = factory.LazyFunction(timezone.now)
