"""Factories of the weekly review (action log) and of KPI alerts."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import factory
from django.utils import timezone

from reporting.models import KpiAlert
from review.models import ReviewAction

from .factories import CompanyFactory, UserFactory


def monday(day: dt.date) -> dt.date:
    return day - dt.timedelta(days=day.weekday())


class ReviewActionFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ReviewAction

    company = factory.SubFactory(CompanyFactory)
    title = factory.Sequence(lambda n: f"Action {n}")
    owner = factory.SubFactory(UserFactory)
    due_date = factory.LazyFunction(lambda: timezone.localdate() + dt.timedelta(days=5))
    week_start = factory.LazyFunction(lambda: monday(timezone.localdate()))


class KpiAlertFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = KpiAlert

    company = factory.SubFactory(CompanyFactory)
    kpi = "pipeline_contribution"
    period_key = factory.Sequence(lambda n: f"20{10 + n // 12:02d}-{n % 12 + 1:02d}")
    period_label = "November 2026"
    period_start = dt.date(2026, 11, 1)
    period_end = dt.date(2026, 11, 30)
    value = Decimal("1000")
    unit = "currency"
    reasons = factory.LazyFunction(lambda: ["history"])
    inputs = factory.LazyFunction(
        lambda: {
            "value": "1000",
            "k": "3",
            "n": 6,
            "target": None,
            "history": [],
            "median": "5000",
            "mad": "500",
            "lower": "3500",
            "upper": "6500",
            "direction": "below",
        }
    )
    raised_at = factory.LazyFunction(timezone.now)
