"""Factories for the cascade tests (cycles, objectives, key results, check-ins, settings)."""

from __future__ import annotations

from decimal import Decimal

import factory
from django.utils import timezone

from objectives.models import CascadeSettings, CheckIn, Cycle, ObjectiveLink

from .factories import CompanyFactory, CycleFactory, KeyResultFactory, ObjectiveFactory, UserFactory

__all__ = [
    "CascadeSettingsFactory",
    "CheckInFactory",
    "CompanyFactory",
    "CycleFactory",
    "KeyResultFactory",
    "ObjectiveFactory",
    "ObjectiveLinkFactory",
    "UserFactory",
    "active_cycle",
]


class CheckInFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = CheckIn

    key_result = factory.SubFactory(KeyResultFactory)
    company = factory.SelfAttribute("key_result.company")
    value = Decimal("10")
    confidence = Decimal("0.5")
    created_at = factory.LazyFunction(timezone.now)


class ObjectiveLinkFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ObjectiveLink

    source = factory.SubFactory(ObjectiveFactory)
    target = factory.SubFactory(ObjectiveFactory)
    company = factory.SelfAttribute("source.company")


class CascadeSettingsFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = CascadeSettings
        django_get_or_create = ("company",)

    company = factory.SubFactory(CompanyFactory)
    reminder_after_days = 7


def active_cycle(company, **kwargs) -> Cycle:
    return CycleFactory(company=company, state=Cycle.State.ACTIVE, **kwargs)
