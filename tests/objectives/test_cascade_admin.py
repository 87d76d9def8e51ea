"""Admin: workflow fields read-only, cycle actions call the services, check-ins are read-only."""

from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model

from objectives.models import CheckIn, Cycle, Objective
from tests.factories_cascade import CheckInFactory, CycleFactory, KeyResultFactory, ObjectiveFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin_client(client):
    user = get_user_model().objects.create_superuser("root", "root@example.com", "pw")
    client.force_login(user)
    return client


def test_cycle_actions_call_the_services(admin_client, company):
    cycle = CycleFactory(company=company, name="Q1")
    objective = ObjectiveFactory(cycle=cycle)
    KeyResultFactory(objective=objective, current_value=50)
    url = "/admin/objectives/cycle/"
    response = admin_client.post(url, {"action": "activate_cycles", "_selected_action": [cycle.pk]}, follow=True)
    assert "1 cycle(s) activated." in response.content.decode()
    response = admin_client.post(url, {"action": "close_cycles", "_selected_action": [cycle.pk]}, follow=True)
    cycle.refresh_from_db()
    assert cycle.state == Cycle.State.CLOSED
    assert Objective.objects.get().final_score == 0.5
    response = admin_client.post(url, {"action": "activate_cycles", "_selected_action": [cycle.pk]}, follow=True)
    assert "Only a cycle in planning can be activated" in response.content.decode()
    page = admin_client.get(f"/admin/objectives/cycle/{cycle.pk}/change/").content.decode()
    assert 'name="state"' not in page


def test_objective_edit_goes_through_the_service(admin_client, company):
    cycle = CycleFactory(company=company, state=Cycle.State.ACTIVE)
    objective = ObjectiveFactory(cycle=cycle, title="Old", team="marketing")
    url = f"/admin/objectives/objective/{objective.pk}/change/"
    page = admin_client.get(url).content.decode()
    assert 'name="version"' not in page and 'name="state"' not in page
    data = {"title": "New", "description": "", "team": objective.team_id, "owner": "", "rollup": "krs_and_children"}
    data.update({"key_results-TOTAL_FORMS": 0, "key_results-INITIAL_FORMS": 0})
    response = admin_client.post(url, data)
    assert response.status_code == 302
    objective.refresh_from_db()
    assert (objective.title, objective.version) == ("New", 2)
    assert admin_client.get("/admin/objectives/objective/add/").status_code == 403


def test_check_ins_are_read_only_in_admin(admin_client, company):
    check_in = CheckInFactory(
        key_result=KeyResultFactory(objective=ObjectiveFactory(cycle=CycleFactory(company=company)))
    )
    assert admin_client.get("/admin/objectives/checkin/").status_code == 200
    assert admin_client.get("/admin/objectives/checkin/add/").status_code == 403
    page = admin_client.get(f"/admin/objectives/checkin/{check_in.pk}/change/")
    assert page.status_code == 200 and 'name="value"' not in page.content.decode()  # view only
    assert admin_client.post(f"/admin/objectives/checkin/{check_in.pk}/delete/", {"post": "yes"}).status_code == 403
    assert CheckIn.objects.count() == 1
