"""A database migrated by main before teams were company data migrates forward: the free-text teams of memberships
and invitations and the objectives' "company", "marketing", "sales" or names become one Team per distinct name
(whitespace and case aside; "sales" and a member team "Vertrieb" are one team), and the step can be undone."""

from __future__ import annotations

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.test import override_settings

# The last migrations of main before the Team table.
BEFORE = [("companies", "0005_membership_partner_role"), ("objectives", "0009_initiative_partner_assignments")]

pytestmark = pytest.mark.django_db(transaction=True)


def _migrate(targets):
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(targets)
    return MigrationExecutor(connection)._create_project_state(with_applied_migrations=True).apps


def _leaves():
    return MigrationExecutor(connection).loader.graph.leaf_nodes()


@override_settings(LANGUAGE_CODE="de")
def test_free_text_teams_become_one_team_per_name_and_back():
    old = _migrate(BEFORE)
    user_model = old.get_model("auth", "User")
    company_model = old.get_model("companies", "Company")
    membership_model = old.get_model("companies", "Membership")
    acme = company_model.objects.create(name="Acme Energie", slug="acme")
    other = company_model.objects.create(name="Other", slug="other")
    for name, company, team in [
        ("lena", acme, "Vertrieb "),
        ("jonas", acme, "vertrieb"),
        ("mia", acme, "Events  &  Messen"),
        ("paul", acme, ""),
        ("otto", other, "Vertrieb"),
    ]:
        membership_model.objects.create(user=user_model.objects.create(username=name), company=company, team=team)
    old.get_model("companies", "Invitation").objects.create(
        company=acme, email="nina@acme.example", team="events & messen", nonce="n",
        sent_at="2026-01-01T00:00:00Z", expires_at="2026-01-08T00:00:00Z",
    )  # fmt: skip
    cycle = old.get_model("objectives", "Cycle").objects.create(
        company=acme, name="2026", kind="year", start_date="2026-01-01", end_date="2026-12-31"
    )
    objective_model = old.get_model("objectives", "Objective")
    objectives = {
        team: objective_model.objects.create(company=acme, cycle=cycle, title=f"Objective {team}", team=team)
        for team in ("company", "marketing", "sales", "Management")
    }

    _migrate(_leaves())
    from companies.models import Invitation, Membership, Team
    from objectives.models import Objective

    teams = {(t.company.slug, t.name): t.kind for t in Team.objects.select_related("company")}
    assert teams == {
        ("acme", "Vertrieb"): "sales",
        ("acme", "Events & Messen"): "other",
        ("acme", "Unternehmen"): "company",
        ("acme", "Marketing"): "marketing",
        ("acme", "Management"): "other",
        ("other", "Vertrieb"): "sales",
    }
    by_user = {m.user.username: (m.team.name if m.team else None) for m in Membership.objects.select_related("team")}
    assert by_user == {"lena": "Vertrieb", "jonas": "Vertrieb", "mia": "Events & Messen", "paul": None,
                       "otto": "Vertrieb"}  # fmt: skip
    assert Membership.objects.get(user__username="lena").team != Membership.objects.get(user__username="otto").team
    assert Invitation.objects.get().team.name == "Events & Messen"
    names = {o.pk: o.team.name for o in Objective.objects.select_related("team")}
    assert names == {
        objectives["company"].pk: "Unternehmen",
        objectives["marketing"].pk: "Marketing",
        objectives["sales"].pk: "Vertrieb",
        objectives["Management"].pk: "Management",
    }

    old = _migrate(BEFORE)
    back = dict(old.get_model("objectives", "Objective").objects.values_list("pk", "team"))
    assert back == {o.pk: value for value, o in objectives.items()}
    members = dict(old.get_model("companies", "Membership").objects.values_list("user__username", "team"))
    assert members == {"lena": "Vertrieb", "jonas": "Vertrieb", "mia": "Events & Messen", "paul": "",
                       "otto": "Vertrieb"}  # fmt: skip
    _migrate(_leaves())
