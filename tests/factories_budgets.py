"""Factories of the budgets area (rows straight into the database; workflows go through budgets.services)."""

from __future__ import annotations

from decimal import Decimal

import factory

from budgets.models import BudgetLine, BudgetSettings, Channel, SpendEntry

from .factories import CompanyFactory, CycleFactory, UserFactory


class ChannelFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Channel
        django_get_or_create = ("company", "name")

    company = factory.SubFactory(CompanyFactory)
    name = factory.Sequence(lambda n: f"Channel {n}")
    position = factory.Sequence(lambda n: n * 10)


class BudgetSettingsFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = BudgetSettings
        django_get_or_create = ("company",)

    company = factory.SubFactory(CompanyFactory)
    cmo_approval_limit = Decimal("50000.00")


class BudgetLineFactory(factory.django.DjangoModelFactory):
    """A draft line (pass state="submitted" for the queue). Approved lines come from budgets.services."""

    class Meta:
        model = BudgetLine

    company = factory.SubFactory(CompanyFactory)
    cycle = factory.SubFactory(CycleFactory, company=factory.SelfAttribute("..company"))
    channel = factory.SubFactory(ChannelFactory, company=factory.SelfAttribute("..company"))
    title = factory.Sequence(lambda n: f"Budget line {n}")
    planned_amount = Decimal("10000.00")
    requester = factory.SubFactory(UserFactory)
    state = BudgetLine.State.DRAFT


class SpendEntryFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = SpendEntry

    line = factory.SubFactory(BudgetLineFactory)
    company = factory.SelfAttribute("line.company")
    date = factory.LazyAttribute(lambda e: e.line.cycle.start_date)
    amount = Decimal("1000.00")
