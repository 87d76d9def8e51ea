"""cycle_update: rename a cycle, or change its dates while it is in planning, on page, API and admin. New dates must
still frame what hangs off the cycle (parent, child cycles, alignments across cycles); the budget binding guard is
tested in tests/budgets/test_binding_guards.py."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import ValidationError
from django.test import Client

from companies.permissions import Role
from core.errors import PermissionDenied
from objectives.models import Cycle
from objectives.services import cascade as svc
from tests.factories_cascade import CycleFactory, ObjectiveFactory

pytestmark = pytest.mark.django_db

D = dt.date


@pytest.fixture
def year(company):
    return CycleFactory(company=company, name="FY 2026", start_date=D(2026, 1, 1), end_date=D(2026, 12, 31))


@pytest.fixture
def facilitator(company, make_member):
    return make_member(company, Role.FACILITATOR)


def test_rename_and_move_dates(year, facilitator):
    cycle = svc.cycle_update(cycle=year, actor=facilitator, name=" Geschäftsjahr 2026 ", end_date=D(2027, 1, 31))
    assert (cycle.name, cycle.start_date, cycle.end_date) == ("Geschäftsjahr 2026", D(2026, 1, 1), D(2027, 1, 31))
    stored = Cycle.objects.get(pk=year.pk)
    assert (stored.name, stored.end_date) == ("Geschäftsjahr 2026", D(2027, 1, 31))


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        ({"end_date": D(2025, 12, 31)}, "end_date", "The cycle must end on or after its start date."),
        ({"name": "Taken"}, "name", "A cycle with this name exists already."),
    ],
)
def test_refused_inputs_change_nothing(company, year, facilitator, changes, field, message):
    CycleFactory(company=company, name="Taken", start_date=D(2027, 1, 1), end_date=D(2027, 12, 31))
    with pytest.raises(ValidationError) as exc:
        svc.cycle_update(cycle=year, actor=facilitator, **changes)
    assert exc.value.message_dict == {field: [message]}
    stored = Cycle.objects.get(pk=year.pk)
    assert (stored.name, stored.start_date, stored.end_date) == ("FY 2026", D(2026, 1, 1), D(2026, 12, 31))


def test_dates_stay_within_the_parent_and_around_the_children(company, year, facilitator):
    q1 = CycleFactory(
        company=company, name="Q1 2026", parent=year, kind="quarter", start_date=D(2026, 1, 1), end_date=D(2026, 3, 31)
    )
    with pytest.raises(ValidationError) as exc:
        svc.cycle_update(cycle=q1, actor=facilitator, start_date=D(2025, 12, 1))
    assert exc.value.message_dict["start_date"][0].startswith("A cycle must lie within its parent cycle “FY 2026”")
    with pytest.raises(ValidationError) as exc:
        svc.cycle_update(cycle=year, actor=facilitator, start_date=D(2026, 2, 1))
    assert exc.value.message_dict == {
        "start_date": ["The cycle must still cover its child cycles: “Q1 2026” (2026-01-01–2026-03-31)."]
    }


def test_dates_keep_alignments_across_cycles_covered(company, year, facilitator):
    q1 = CycleFactory(company=company, name="Q1 2026", start_date=D(2026, 1, 1), end_date=D(2026, 3, 31))
    parent = ObjectiveFactory(company=company, cycle=year, title="Marktführer")
    ObjectiveFactory(company=company, cycle=q1, parent=parent, title="Leads Q1")
    with pytest.raises(ValidationError) as exc:
        svc.cycle_update(cycle=q1, actor=facilitator, end_date=D(2027, 3, 31))
    assert exc.value.message_dict == {
        "end_date": [
            "“Leads Q1” is aligned to “Marktführer” of the cycle “FY 2026” (2026-01-01–2026-12-31), which would no "
            "longer cover this cycle."
        ]
    }
    with pytest.raises(ValidationError) as exc:
        svc.cycle_update(cycle=year, actor=facilitator, start_date=D(2026, 2, 1))
    assert exc.value.message_dict == {
        "start_date": [
            "“Leads Q1” of the cycle “Q1 2026” (2026-01-01–2026-03-31) is aligned to “Marktführer” of this cycle, "
            "which would no longer cover it."
        ]
    }


def test_dates_only_in_planning_name_until_closed(year, facilitator):
    svc.cycle_activate(cycle=year, actor=facilitator)
    with pytest.raises(ValidationError) as exc:
        svc.cycle_update(cycle=year, actor=facilitator, end_date=D(2027, 1, 31))
    assert "changing the dates of a cycle is only possible in planning" in " ".join(exc.value.messages)
    assert svc.cycle_update(cycle=year, actor=facilitator, name="FY26").name == "FY26"
    svc.cycle_close(cycle=year, actor=facilitator)
    with pytest.raises(ValidationError):
        svc.cycle_update(cycle=year, actor=facilitator, name="FY 26")


def test_members_may_not_and_other_companies_do_not_exist(company, other_company, year, make_member, api_client_for):
    with pytest.raises(PermissionDenied):
        svc.cycle_update(cycle=year, actor=make_member(company, Role.MEMBER), name="X")
    url = f"/api/v1/companies/{company.slug}/cycles/{year.pk}/"
    assert api_client_for(company, Role.MEMBER).patch(url, {"name": "X"}, format="json").status_code == 403
    outsider = api_client_for(other_company, Role.FACILITATOR)
    assert outsider.patch(f"/api/v1/companies/{other_company.slug}/cycles/{year.pk}/", {"name": "X"}).status_code == 404
    assert Cycle.objects.get(pk=year.pk).name == "FY 2026"


def test_api_and_page_update(company, year, facilitator, api_client_for):
    api = api_client_for(company, Role.CMO)
    response = api.patch(
        f"/api/v1/companies/{company.slug}/cycles/{year.pk}/",
        {"name": "FY 2026/27", "end_date": "2027-03-31"},
        format="json",
    )
    assert response.status_code == 200, response.content
    assert (response.json()["name"], response.json()["end_date"]) == ("FY 2026/27", "2027-03-31")
    bad = api.patch(f"/api/v1/companies/{company.slug}/cycles/{year.pk}/", {"end_date": "x"}, format="json")
    assert bad.status_code == 400 and "end_date" in bad.json()

    client = Client()
    client.force_login(facilitator)
    page = client.get(f"/c/{company.slug}/cascade/", {"cycle": year.pk}).content.decode()
    assert 'id="cycle-edit"' in page and 'value="2027-03-31"' in page
    response = client.post(
        f"/c/{company.slug}/cascade/cycles/{year.pk}/edit/",
        {"name": "FY 2026", "start_date": "2026-01-01", "end_date": "2026-12-31"},
        follow=True,
    )
    assert response.status_code == 200
    assert "Cycle “FY 2026” saved." in response.content.decode()
    stored = Cycle.objects.get(pk=year.pk)
    assert (stored.name, stored.end_date) == ("FY 2026", D(2026, 12, 31))
