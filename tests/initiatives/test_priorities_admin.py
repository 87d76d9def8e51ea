"""The admin calls the same services: its actions respect the activation rule and the focus limit."""

import pytest
from django.test import Client

from initiatives.models import Initiative
from tests.factories import CycleFactory, KeyResultFactory, ObjectiveFactory, UserFactory
from tests.initiatives.factories import InitiativeFactory, InitiativeRatingFactory, PrioritySettingsFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin_client_():
    user = UserFactory(username="root", is_staff=True, is_superuser=True)
    client = Client()
    client.force_login(user)
    return client


def test_admin_activate_action_goes_through_the_service(company, admin_client_):
    cycle = CycleFactory(company=company)
    kr = KeyResultFactory(objective=ObjectiveFactory(cycle=cycle))
    PrioritySettingsFactory(cycle=cycle, focus_limit=1)
    bound = InitiativeFactory(cycle=cycle, key_results=[kr], title="Bound")
    unbound = InitiativeFactory(cycle=cycle, title="Unbound")
    extra = InitiativeFactory(cycle=cycle, key_results=[kr], title="Extra")
    response = admin_client_.post(
        "/admin/initiatives/initiative/",
        {"action": "activate", "_selected_action": [bound.pk, unbound.pk, extra.pk]},
        follow=True,
    )
    html = response.content.decode()
    assert "Bind at least one key result" in html
    assert "focus limit of this cycle is 1 active initiative" in html
    assert list(Initiative.objects.filter(state="active")) == [bound]
    InitiativeRatingFactory(initiative=bound)
    assert admin_client_.get(f"/admin/initiatives/initiative/{bound.pk}/change/").status_code == 200
    assert admin_client_.get("/admin/initiatives/initiativerating/").status_code == 200
    assert admin_client_.get("/admin/initiatives/prioritysettings/").status_code == 200
