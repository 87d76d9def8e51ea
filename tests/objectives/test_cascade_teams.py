"""The cascade with teams as company data: the editor's team field, import/export by team name (unknown names become
teams, as a workshop expects), the API's team as id + name, and the tree filter."""

from __future__ import annotations

import csv
import io

import pytest
from django.core.exceptions import ValidationError

from companies import permissions
from companies.models import Team
from companies.permissions import Action, Role
from objectives.models import Objective
from objectives.services import cascade as svc
from objectives.services import cascade_io
from tests.factories import TeamFactory
from tests.factories_cascade import CycleFactory

pytestmark = pytest.mark.django_db


def _csv(rows: list[dict]) -> io.BytesIO:
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=["path", "type", "title", "team"])
    writer.writeheader()
    writer.writerows(rows)
    return io.BytesIO(out.getvalue().encode())


def test_export_names_the_team_and_import_finds_teams_by_name_in_any_case(company, make_member, teams):
    facilitator = make_member(company, Role.FACILITATOR)
    cycle = CycleFactory(company=company)
    top = svc.objective_create(cycle=cycle, title="Wachsen", actor=facilitator)
    svc.objective_create(cycle=cycle, title="Pipeline", parent=top, team=teams["sales"], actor=facilitator)
    rows = cascade_io.cascade_export_rows(company=company, cycle=cycle)
    assert [(r["title"], r["team"]) for r in rows] == [("Wachsen", "Unternehmen"), ("Pipeline", "Vertrieb")]

    target = CycleFactory(company=company, name="Copy")
    file = _csv([
        {"path": "1", "type": "objective", "title": "A", "team": "UNTERNEHMEN"},
        {"path": "1.1", "type": "objective", "title": "B", "team": " vertrieb "},
        {"path": "1.2", "type": "objective", "title": "C", "team": "marketing"},  # a value of earlier exports
        {"path": "1.2.1", "type": "objective", "title": "D", "team": ""},  # inherits its parent's
    ])  # fmt: skip
    result = cascade_io.cascade_import(company=company, cycle=target, file=file, filename="c.csv", actor=facilitator)
    assert result.teams_created == []
    teams_of = dict(Objective.objects.filter(cycle=target).values_list("title", "team__name"))
    assert teams_of == {"A": "Unternehmen", "B": "Vertrieb", "C": "Marketing", "D": "Marketing"}
    assert Team.objects.filter(company=company).count() == 3


def test_import_creates_the_teams_a_workshop_names_and_says_so(company, client_for, teams):
    client = client_for(company, Role.FACILITATOR)
    cycle = CycleFactory(company=company)
    file = _csv([
        {"path": "1", "type": "objective", "title": "A", "team": "Key Accounts"},
        {"path": "2", "type": "objective", "title": "B", "team": "key accounts"},
        {"path": "3", "type": "objective", "title": "C", "team": "Events & Messen"},
    ])  # fmt: skip
    file.name = "workshop.csv"
    response = client.post(
        f"/c/{company.slug}/cascade/import/?cycle={cycle.pk}", {"file": file}, follow=True, HTTP_ACCEPT_LANGUAGE="en"
    )
    assert response.status_code == 200
    html = response.content.decode()
    assert (
        "New teams from the file (rename or merge them on the members page): Key Accounts, Events &amp; Messen" in html
    )
    created = Team.objects.filter(company=company, name__in=["Key Accounts", "Events & Messen"])
    assert sorted(created.values_list("name", flat=True)) == ["Events & Messen", "Key Accounts"]
    assert Objective.objects.filter(cycle=cycle, team__name="Key Accounts").count() == 2


def test_a_new_team_name_is_a_row_error_for_whoever_may_not_add_teams(company, make_member, teams, monkeypatch):
    cmo = make_member(company, Role.CMO)
    # A role that builds the cascade without managing members (none does today; the table may change).
    monkeypatch.setitem(permissions.PERMISSIONS, Role.CMO, permissions.PERMISSIONS[Role.CMO] - {Action.MEMBERS_MANAGE})
    cycle = CycleFactory(company=company)
    file = _csv([{"path": "1", "type": "objective", "title": "A", "team": "Key Accounts"},
                 {"path": "2", "type": "objective", "title": "B", "team": "x" * 61}])  # fmt: skip
    with pytest.raises(ValidationError) as exc:
        cascade_io.cascade_import(company=company, cycle=cycle, file=file, filename="c.csv", actor=cmo)
    assert exc.value.message_dict["file"] == [
        "row 2, column team: there is no team “Key Accounts”. Ask someone who manages the members to add it, or "
        "use one of: Marketing, Unternehmen, Vertrieb.",
        "row 3, column team: at most 60 characters.",
    ]
    assert not Objective.objects.filter(cycle=cycle).exists() and Team.objects.filter(company=company).count() == 3


def test_service_refuses_another_companys_team(company, other_company, make_member, teams):
    facilitator = make_member(company, Role.FACILITATOR)
    cycle = CycleFactory(company=company)
    foreign = TeamFactory(company=other_company, name="Fremd")
    with pytest.raises(ValidationError) as exc:
        svc.objective_create(cycle=cycle, title="A", team=foreign, actor=facilitator)
    assert "Choose one of the company's teams" in str(exc.value)
    with pytest.raises(ValidationError):
        svc.objective_create(cycle=cycle, title="A", team=foreign.pk, actor=facilitator)
    objective = svc.objective_create(cycle=cycle, title="A", team=teams["sales"].pk, actor=facilitator)
    updated = svc.objective_update(objective=objective, version=objective.version, actor=facilitator, team=None)
    assert updated.team is None and updated.version == 2


def test_cascade_api_names_the_team_and_filters_by_its_id(company, api_client_for, teams):
    api = api_client_for(company, Role.FACILITATOR)
    cycle = CycleFactory(company=company)
    top = svc.objective_create(cycle=cycle, title="Top", actor=None)
    svc.objective_create(cycle=cycle, title="Sales", parent=top, team=teams["sales"], actor=None)
    svc.objective_create(cycle=cycle, title="Marketing", parent=top, team=teams["marketing"], actor=None)
    base = f"/api/v1/companies/{company.slug}"
    tree = api.get(f"{base}/cascade/", {"cycle": cycle.pk}).json()["objectives"]
    assert tree[0]["team"] == {"id": teams["company"].pk, "name": "Unternehmen", "kind": "company"}
    filtered = api.get(f"{base}/cascade/", {"cycle": cycle.pk, "team": teams["sales"].pk}).json()["objectives"]
    assert [c["title"] for c in filtered[0]["children"]] == ["Sales"]
    assert api.get(f"{base}/cascade/", {"cycle": cycle.pk, "team": "sales"}).status_code == 400

    created = api.post(
        f"{base}/objectives/", {"cycle": cycle.pk, "title": "New", "team": teams["sales"].pk}, format="json"
    )
    assert created.status_code == 201 and created.json()["team"]["name"] == "Vertrieb"
    foreign = TeamFactory(company=CycleFactory().company, name="Fremd")
    refused = api.patch(f"{base}/objectives/{created.json()['id']}/", {"version": 1, "team": foreign.pk}, format="json")
    assert refused.status_code == 400 and "Choose one of the company's teams" in str(refused.json())
    cleared = api.patch(f"{base}/objectives/{created.json()['id']}/", {"version": 1, "team": None}, format="json")
    assert cleared.status_code == 200 and cleared.json()["team"] is None


def test_objective_page_edits_the_team_with_a_chooser(company, client_for, teams):
    client = client_for(company, Role.FACILITATOR)
    cycle = CycleFactory(company=company)
    objective = svc.objective_create(cycle=cycle, title="Top", actor=None)
    page = client.get(f"/c/{company.slug}/objectives/{objective.pk}/", HTTP_ACCEPT_LANGUAGE="en")
    html = page.content.decode()
    assert f'<option value="{teams["company"].pk}" selected>Unternehmen</option>' in html
    assert '<span class="chip chip-team">Unternehmen</span>' in html
    response = client.post(
        f"/c/{company.slug}/objectives/{objective.pk}/",
        {"form": "edit", "version": 1, "team": teams["sales"].pk},
    )
    assert response.status_code == 302
    assert Objective.objects.get(pk=objective.pk).team == teams["sales"]
