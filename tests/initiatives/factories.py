"""Factories of the priorities area."""

from __future__ import annotations

import factory

from companies.permissions import Role
from initiatives.models import Initiative, InitiativePartner, InitiativeRating, PrioritySettings

from ..factories import CycleFactory, MembershipFactory, UserFactory


class InitiativeFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Initiative
        skip_postgeneration_save = True

    cycle = factory.SubFactory(CycleFactory)
    company = factory.SelfAttribute("cycle.company")
    title = factory.Sequence(lambda n: f"Initiative {n:03d}")
    state = Initiative.State.PROPOSED

    @factory.post_generation
    def key_results(self, create, extracted, **kwargs):
        if create and extracted:
            self.key_results.set(extracted)


class InitiativeRatingFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = InitiativeRating

    initiative = factory.SubFactory(InitiativeFactory)
    company = factory.SelfAttribute("initiative.company")
    rater = factory.SubFactory(UserFactory)
    contribution = 3
    effort = 3


class PrioritySettingsFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = PrioritySettings
        django_get_or_create = ("cycle",)

    cycle = factory.SubFactory(CycleFactory)
    company = factory.SelfAttribute("cycle.company")


class InitiativePartnerFactory(factory.django.DjangoModelFactory):
    """A partner (a membership with the partner role) assigned to an initiative of the same company."""

    class Meta:
        model = InitiativePartner

    initiative = factory.SubFactory(InitiativeFactory)
    company = factory.SelfAttribute("initiative.company")
    membership = factory.SubFactory(MembershipFactory, company=factory.SelfAttribute("..company"), role=Role.PARTNER)
