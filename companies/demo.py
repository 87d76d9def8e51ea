"""The demo company (German): Voltaria Energie AG, a fictitious European energy-sector market leader.

Headcount grows ~20 % a year; a marketing team of 15 (product marketing, digital, events) ran more than ten
initiatives in parallel with budgets spread evenly, until management, sales and marketing built an OKR cascade
together. Every part here is idempotent: what exists already is left exactly as it is.
"""

from __future__ import annotations

from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import make_password
from django.db import transaction

from companies.models import Company, Membership, Profile, Team
from companies.permissions import Role, role_names

DEMO_SLUG = "voltaria"
DEMO_PASSWORD = "okrplan-demo"
PARTNER_USERNAME = "kai.lorenz"

# The company's teams (members page) and where each sits in the cascade: the company level, marketing and sales
# own the objectives of the first two levels; the teams below them are teams of their own.
DEMO_TEAMS = [
    ("Unternehmen", Team.Kind.COMPANY),
    ("Marketing", Team.Kind.MARKETING),
    ("Vertrieb", Team.Kind.SALES),
    ("Vorstand", Team.Kind.OTHER),
    ("Digital Marketing", Team.Kind.OTHER),
    ("Produktmarketing", Team.Kind.OTHER),
    ("Events & Messen", Team.Kind.OTHER),
    ("Marketing Operations", Team.Kind.OTHER),
    ("Strategie & Moderation", Team.Kind.OTHER),
    ("Agentur Nordlicht", Team.Kind.OTHER),
]

# (username, first name, last name, role, team, one of the four printed logins?)
DEMO_PEOPLE = [
    ("lena.berger", "Lena", "Berger", Role.FACILITATOR, "Strategie & Moderation", True),
    ("markus.hoffmann", "Markus", "Hoffmann", Role.CMO, "Marketing", True),
    ("petra.schulz", "Petra", "Schulz", Role.EXECUTIVE, "Vorstand", True),
    ("jonas.weber", "Jonas", "Weber", Role.MEMBER, "Digital Marketing", True),
    # An agency working on the webinar series (initiatives/demo.py assigns it): sees only that.
    (PARTNER_USERNAME, "Kai", "Lorenz", Role.PARTNER, "Agentur Nordlicht", True),
    ("thomas.krueger", "Thomas", "Krüger", Role.EXECUTIVE, "Vertrieb", False),
    ("sabine.wolf", "Sabine", "Wolf", Role.MEMBER, "Vertrieb", False),
    ("anna.fischer", "Anna", "Fischer", Role.MEMBER, "Produktmarketing", False),
    ("david.neumann", "David", "Neumann", Role.MEMBER, "Produktmarketing", False),
    ("julia.schneider", "Julia", "Schneider", Role.MEMBER, "Produktmarketing", False),
    ("felix.braun", "Felix", "Braun", Role.MEMBER, "Produktmarketing", False),
    ("laura.zimmermann", "Laura", "Zimmermann", Role.MEMBER, "Digital Marketing", False),
    ("niklas.hartmann", "Niklas", "Hartmann", Role.MEMBER, "Digital Marketing", False),
    ("mia.koch", "Mia", "Koch", Role.MEMBER, "Digital Marketing", False),
    ("tim.richter", "Tim", "Richter", Role.MEMBER, "Digital Marketing", False),
    ("sophie.klein", "Sophie", "Klein", Role.MEMBER, "Events & Messen", False),
    ("lukas.schaefer", "Lukas", "Schäfer", Role.MEMBER, "Events & Messen", False),
    ("hannah.becker", "Hannah", "Becker", Role.MEMBER, "Events & Messen", False),
    ("paul.lange", "Paul", "Lange", Role.MEMBER, "Events & Messen", False),
    ("clara.vogel", "Clara", "Vogel", Role.MEMBER, "Marketing Operations", False),
]


def demo_logins() -> list[tuple[str, str]]:
    """The printed logins with their role in both languages ("Facilitator / Moderation"), as the README names them."""
    return [(username, role_names(role)) for username, _f, _l, role, _t, printed in DEMO_PEOPLE if printed]


@transaction.atomic
def load() -> Company:
    company, _ = Company.objects.get_or_create(
        slug=DEMO_SLUG,
        defaults={"name": "Voltaria Energie AG", "currency": "EUR", "fiscal_year_start_month": 1},
    )
    teams = {
        name: Team.objects.get_or_create(company=company, name=name, defaults={"kind": kind})[0]
        for name, kind in DEMO_TEAMS
    }
    user_model = get_user_model()
    password_hash = None  # hashing is deliberately slow: hash the shared demo password once
    for username, first, last, role, team, _printed in DEMO_PEOPLE:
        user = user_model.objects.filter(username=username).first()
        if user is None:
            domain = "nordlicht-agentur.example" if role == Role.PARTNER else "voltaria.example"
            user = user_model(username=username, first_name=first, last_name=last, email=f"{username}@{domain}")
            password_hash = password_hash or make_password(DEMO_PASSWORD)
            user.password = password_hash
            user.save()
        Profile.objects.get_or_create(user=user, defaults={"language": "de"})
        Membership.objects.get_or_create(
            user=user,
            company=company,
            defaults={"role": role, "team": teams[team], "partner_sees_budget": role == Role.PARTNER},
        )
    return company
