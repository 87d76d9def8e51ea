"""Factories of the crm app (leads, opportunities, touchpoints)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import factory
from django.utils import timezone

from crm.models import Lead, Opportunity, Touchpoint

from .factories import CompanyFactory


def at(year: int, month: int, day: int, hour: int = 12, minute: int = 0) -> dt.datetime:
    """An aware datetime in the project time zone (Europe/Berlin)."""
    return dt.datetime(year, month, day, hour, minute, tzinfo=timezone.get_default_timezone())


class LeadFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Lead

    company = factory.SubFactory(CompanyFactory)
    external_id = factory.Sequence(lambda n: f"L{n:06d}")
    created = factory.LazyFunction(lambda: at(2026, 3, 10))
    channel = "Webinare"
    campaign = ""
    segment = "Stadtwerke"
    is_marketing_sourced = True


class OpportunityFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Opportunity

    company = factory.SubFactory(CompanyFactory)
    external_id = factory.Sequence(lambda n: f"O{n:06d}")
    lead = None
    created = factory.LazyFunction(lambda: at(2026, 3, 15))
    amount = Decimal("10000.00")
    status = Opportunity.Status.OPEN
    is_marketing_sourced = True


class TouchpointFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Touchpoint

    lead = factory.SubFactory(LeadFactory)
    company = factory.SelfAttribute("lead.company")
    external_id = factory.Sequence(lambda n: f"T{n:06d}")
    occurred = factory.LazyFunction(lambda: at(2026, 3, 1))
    channel = "SEO"
    campaign = ""
