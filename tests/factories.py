"""factory_boy factories shared by all tests."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import factory
from django.contrib.auth import get_user_model

from companies.models import Company, Invitation, Membership, Team
from companies.permissions import Role
from objectives.models import Cycle, KeyResult, Objective


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = get_user_model()
        django_get_or_create = ("username",)

    username = factory.Sequence(lambda n: f"user{n}")
    first_name = factory.Sequence(lambda n: f"First{n}")
    last_name = factory.Sequence(lambda n: f"Last{n}")
    email = factory.LazyAttribute(lambda u: f"{u.username}@example.com")
    password = factory.PostGenerationMethodCall("set_password", "pw")

    @classmethod
    def _after_postgeneration(cls, instance, create, results=None):
        if create:
            instance.save()


class CompanyFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Company
        django_get_or_create = ("slug",)

    name = factory.Sequence(lambda n: f"Company {n}")
    slug = factory.Sequence(lambda n: f"company-{n}")


class TeamFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Team
        django_get_or_create = ("company", "name")

    company = factory.SubFactory(CompanyFactory)
    name = factory.Sequence(lambda n: f"Team {n}")
    kind = Team.Kind.OTHER


class TeamByText:
    """``team="Vertrieb"`` or ``team="sales"`` (as before teams were rows): the company's team of that text, made as
    the migration makes it ("sales" and "Vertrieb" are one team of kind sales); "" is no team."""

    @classmethod
    def _create(cls, model_class, *args, **kwargs):
        if isinstance(kwargs.get("team"), str):
            text = kwargs["team"]
            kwargs["team"] = Team.from_backup_value(company=kwargs["company"], value=text) if text.strip() else None
        return super()._create(model_class, *args, **kwargs)


class MembershipFactory(TeamByText, factory.django.DjangoModelFactory):
    class Meta:
        model = Membership

    user = factory.SubFactory(UserFactory)
    company = factory.SubFactory(CompanyFactory)
    role = Role.MEMBER


class InvitationFactory(TeamByText, factory.django.DjangoModelFactory):
    class Meta:
        model = Invitation

    company = factory.SubFactory(CompanyFactory)
    email = factory.Sequence(lambda n: f"invitee{n}@example.com")
    role = Role.MEMBER
    nonce = factory.Sequence(lambda n: f"nonce-{n}")
    sent_at = factory.LazyFunction(lambda: dt.datetime.now(dt.UTC))
    expires_at = factory.LazyFunction(lambda: dt.datetime.now(dt.UTC) + dt.timedelta(days=7))


class CycleFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Cycle

    company = factory.SubFactory(CompanyFactory)
    name = factory.Sequence(lambda n: f"Cycle {n}")
    kind = Cycle.Kind.YEAR
    start_date = dt.date(2026, 1, 1)
    end_date = dt.date(2026, 12, 31)


class ObjectiveFactory(TeamByText, factory.django.DjangoModelFactory):
    class Meta:
        model = Objective

    cycle = factory.SubFactory(CycleFactory)
    company = factory.SelfAttribute("cycle.company")
    title = factory.Sequence(lambda n: f"Objective {n}")
    team = Team.Kind.MARKETING


class KeyResultFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = KeyResult

    objective = factory.SubFactory(ObjectiveFactory)
    company = factory.SelfAttribute("objective.company")
    title = factory.Sequence(lambda n: f"Key result {n}")
    kind = KeyResult.Kind.INCREASE_TO
    start_value = Decimal("0")
    target_value = Decimal("100")
    weight = Decimal("1")
