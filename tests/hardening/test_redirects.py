"""Finding 10 of issue 12: a POSTed ``next`` is followed only when it is a URL of this site
(core.safety.safe_redirect_target); anything else falls back to the view's own page."""

from __future__ import annotations

import pytest

from budgets.models import BudgetLine
from companies.permissions import Role
from initiatives.models import Initiative
from tests.budgets.conftest import world  # noqa: F401 (fixture)
from tests.initiatives.factories import InitiativeFactory

pytestmark = pytest.mark.django_db

HOSTILE = [
    "//evil.example",
    "//evil.example/c/acme/budgets/",
    "https://evil.example/",
    "http://testserver.evil.example/",
    "/\\evil.example",
    "\\\\evil.example",
    "javascript:alert(1)",
    "/c/acme/budgets/\r\nSet-Cookie: a=b",
    " //evil.example",
]


def _client(company, user):
    from django.test import Client

    client = Client()
    client.force_login(user)
    return client


@pytest.mark.parametrize("target", HOSTILE)
@pytest.mark.parametrize("step", ["approve", "reject", "bind"])
def test_budget_decisions_never_redirect_off_site(world, step, target):  # noqa: F811
    line = world.line()
    client = _client(world.company, world.cmo)
    data = {"next": target, "version": line.version, "reason": "Zu teuer"}
    if step == "bind":
        data["key_result"] = world.kr.pk
    response = client.post(f"/c/acme/budgets/lines/{line.pk}/{step}/", data)
    assert response.status_code == 302, response.content[:300]
    assert response.url == f"/c/acme/budgets/lines/{line.pk}/"
    line.refresh_from_db()
    assert line.state == {"approve": BudgetLine.State.APPROVED, "reject": BudgetLine.State.REJECTED}.get(
        step, BudgetLine.State.SUBMITTED
    )


def test_budget_decision_follows_a_next_on_this_site(world):  # noqa: F811
    line = world.line()
    response = _client(world.company, world.cmo).post(
        f"/c/acme/budgets/lines/{line.pk}/approve/", {"next": "/c/acme/budgets/?state=all", "version": line.version}
    )
    assert response.status_code == 302 and response.url == "/c/acme/budgets/?state=all"


@pytest.mark.parametrize("target", HOSTILE)
def test_initiative_state_never_redirects_off_site(company, client_for, target):
    initiative = InitiativeFactory(cycle__company=company)
    client = client_for(company, Role.FACILITATOR)
    response = client.post(f"/c/acme/priorities/{initiative.pk}/state/", {"action": "drop", "next": target})
    assert response.status_code == 302
    assert response.url == f"/c/acme/priorities/?cycle={initiative.cycle_id}"
    initiative.refresh_from_db()
    assert initiative.state == Initiative.State.DROPPED


def test_initiative_state_follows_a_next_on_this_site(company, client_for):
    initiative = InitiativeFactory(cycle__company=company)
    client = client_for(company, Role.FACILITATOR)
    target = f"/c/acme/priorities/{initiative.pk}/"
    response = client.post(f"/c/acme/priorities/{initiative.pk}/state/", {"action": "drop", "next": target})
    assert response.status_code == 302 and response.url == target


@pytest.mark.parametrize("target", HOSTILE)
def test_language_switch_never_redirects_off_site(client, target):
    response = client.post("/language/", {"language": "en", "next": target})
    assert response.status_code == 302 and response.url == "/"
