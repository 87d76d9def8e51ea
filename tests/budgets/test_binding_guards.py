"""Issue 12, finding 3: the binding rule is re-checked whenever the cascade changes under an approval.

An approved line must stay bound to a key result of its company whose cycle covers the line's cycle. Moving the key
result to an objective of another cycle, or changing a cycle's dates, is refused (same answer on page, API, admin
and service) while it would uncover approved budget; the message names the lines and what to do. Before the fix
``key-results/<id>/move/`` to another cycle's objective left the approvals standing.
"""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import ValidationError
from django.test import Client
from rest_framework.test import APIClient

from budgets import services
from companies.permissions import Role
from objectives.models import Cycle, KeyResult
from objectives.services import cascade as cascade_services
from tests.factories import CycleFactory, KeyResultFactory, ObjectiveFactory

pytestmark = pytest.mark.django_db

MOVE_REFUSED = (
    "This key result carries approved budget (“Messestand Hannover”) for the cycle “Geschäftsjahr 2026”, which the "
    "cycle “Q1 2027” (2027-01-01–2027-03-31) does not cover. Bind those budget lines to another key result first; "
    "they then go back for re-approval."
)


@pytest.fixture
def facilitator(world, make_member):
    return make_member(world.company, Role.FACILITATOR, username="facilitator")


@pytest.fixture
def q1_2027(world):
    cycle = CycleFactory(
        company=world.company, name="Q1 2027", start_date=dt.date(2027, 1, 1), end_date=dt.date(2027, 3, 31)
    )
    return ObjectiveFactory(company=world.company, cycle=cycle, title="Pipeline 2027")


def login(user) -> Client:
    c = Client()
    c.force_login(user)
    return c


def api(user) -> APIClient:
    c = APIClient()
    c.force_authenticate(user)
    return c


def test_moving_a_key_result_with_approved_budget_to_another_cycle_is_refused_by_the_api(world, facilitator, q1_2027):
    world.approved()
    response = api(facilitator).post(
        f"/api/v1/companies/{world.company.slug}/key-results/{world.kr.pk}/move/",
        {"version": world.kr.version, "objective": q1_2027.pk, "position": 0},
        format="json",
    )
    assert response.status_code == 400
    assert response.json()["objective"] == [MOVE_REFUSED] and response.json()["field"] == "objective"
    assert KeyResult.objects.get(pk=world.kr.pk).objective_id == world.objective.pk


def test_the_move_goes_through_once_the_approved_line_is_rebound(world, facilitator, q1_2027):
    line = world.approved()
    other = KeyResultFactory(objective=world.objective, company=world.company, title="Pipeline 2026")
    services.budget_line_bind(line=line, key_result=other, actor=world.member)
    line.refresh_from_db()
    assert line.state == "submitted"  # back for re-approval, with its audit entry
    assert list(line.audit_entries.values_list("event", flat=True))[-2:] == ["bind", "reopen"]
    kr = KeyResult.objects.get(pk=world.kr.pk)
    cascade_services.key_result_move(
        key_result=kr, version=kr.version, objective=q1_2027, position=0, actor=facilitator
    )
    assert KeyResult.objects.get(pk=world.kr.pk).objective_id == q1_2027.pk


def test_moves_that_keep_the_binding_valid_are_allowed(world, facilitator):
    world.approved()
    submitted = world.line(title="Noch offen")
    same_cycle = ObjectiveFactory(company=world.company, cycle=world.cycle, title="Zweites Ziel")
    kr = KeyResult.objects.get(pk=world.kr.pk)
    moved = cascade_services.key_result_move(
        key_result=kr, version=kr.version, objective=same_cycle, position=0, actor=facilitator
    )
    wider = CycleFactory(
        company=world.company, name="2026–2027", start_date=dt.date(2026, 1, 1), end_date=dt.date(2027, 12, 31)
    )
    cascade_services.key_result_move(
        key_result=moved,
        version=moved.version,
        objective=ObjectiveFactory(company=world.company, cycle=wider),
        position=0,
        actor=facilitator,
    )
    # A submitted line does not block a move; its approval checks the binding when it happens.
    q1 = CycleFactory(
        company=world.company, name="Q1 2026", start_date=dt.date(2026, 1, 1), end_date=dt.date(2026, 3, 31)
    )
    other = KeyResultFactory(objective=ObjectiveFactory(company=world.company, cycle=world.cycle))
    services.budget_line_bind(line=submitted, key_result=other, actor=world.member)
    other.refresh_from_db()
    cascade_services.key_result_move(
        key_result=other,
        version=other.version,
        objective=ObjectiveFactory(company=world.company, cycle=q1),
        position=0,
        actor=facilitator,
    )
    with pytest.raises(ValidationError) as exc:
        services.budget_line_approve(line=submitted, actor=world.cmo)
    assert "does not cover" in exc.value.message_dict["key_result"][0]


def test_shrinking_the_key_results_cycle_under_approved_budget_is_refused_everywhere(
    world, facilitator, django_user_model
):
    q1 = CycleFactory(
        company=world.company, name="Q1 2026", start_date=dt.date(2026, 1, 1), end_date=dt.date(2026, 3, 31)
    )
    world.approved(cycle=q1, title="Messe Q1")  # a Q1 line approved against the fiscal year's key result
    expected = (
        "Key results of this cycle carry approved budget (“Messe Q1”) for the cycle “Q1 2026”, which "
        "2026-04-01–2026-12-31 would no longer cover. Bind those budget lines to another key result first; they then "
        "go back for re-approval."
    )
    with pytest.raises(ValidationError) as exc:
        cascade_services.cycle_update(cycle=world.cycle, actor=facilitator, start_date=dt.date(2026, 4, 1))
    assert exc.value.message_dict == {"start_date": [expected]}

    response = api(facilitator).patch(
        f"/api/v1/companies/{world.company.slug}/cycles/{world.cycle.pk}/", {"start_date": "2026-04-01"}, format="json"
    )
    assert response.status_code == 400
    assert response.json()["start_date"] == [expected] and response.json()["field"] == "start_date"

    page = login(facilitator).post(
        f"/c/{world.company.slug}/cascade/cycles/{world.cycle.pk}/edit/",
        {"name": world.cycle.name, "start_date": "2026-04-01", "end_date": "2026-12-31"},
        follow=True,
    )
    assert expected in page.content.decode()

    admin_user = django_user_model.objects.create_superuser("admin", "admin@example.com", "pw")
    admin = login(admin_user).post(
        f"/admin/objectives/cycle/{world.cycle.pk}/change/",
        {"name": world.cycle.name, "start_date": "2026-04-01", "end_date": "2026-12-31"},
        follow=True,
    )
    assert expected in admin.content.decode()
    cycle = Cycle.objects.get(pk=world.cycle.pk)
    assert (cycle.start_date, cycle.end_date) == (dt.date(2026, 1, 1), dt.date(2026, 12, 31))

    # Widening is fine, and so is shrinking while Q1 stays covered.
    cascade_services.cycle_update(cycle=world.cycle, actor=facilitator, end_date=dt.date(2027, 3, 31))
    cascade_services.cycle_update(cycle=world.cycle, actor=facilitator, end_date=dt.date(2026, 6, 30))
    assert Cycle.objects.get(pk=world.cycle.pk).end_date == dt.date(2026, 6, 30)


def test_widening_a_lines_cycle_beyond_its_key_results_cycle_is_refused(world, facilitator):
    world.approved(title="Messestand Hannover")  # a fiscal-year line on a fiscal-year key result: moves along
    q2 = CycleFactory(
        company=world.company, name="Q2 2026", start_date=dt.date(2026, 4, 1), end_date=dt.date(2026, 6, 30)
    )
    world.approved(cycle=q2, title="Sommerkampagne")  # a Q2 line on the fiscal year's key result
    expected = (
        "Approved budget lines of this cycle (“Sommerkampagne”) are bound to key results of the cycle "
        "“Geschäftsjahr 2026”, which would no longer cover 2026-04-01–2027-01-31. Bind those budget lines to another "
        "key result first; they then go back for re-approval."
    )
    response = api(facilitator).patch(
        f"/api/v1/companies/{world.company.slug}/cycles/{q2.pk}/", {"end_date": "2027-01-31"}, format="json"
    )
    assert response.status_code == 400
    assert response.json()["end_date"] == [expected] and response.json()["field"] == "end_date"
    assert Cycle.objects.get(pk=q2.pk).end_date == dt.date(2026, 6, 30)
    # The fiscal year itself may grow: its own line moves along with it.
    cascade_services.cycle_update(cycle=world.cycle, actor=facilitator, start_date=dt.date(2025, 12, 1))
