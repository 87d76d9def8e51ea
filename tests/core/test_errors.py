"""One error mapping: a domain ValidationError is 400 everywhere (API JSON with detail/field/code, an htmx toast or
page message on pages); 403/404/409 stay as they were."""

from __future__ import annotations

import json

from django.core.exceptions import ValidationError

from companies.permissions import Role
from core.errors import Conflict, NotFound, PermissionDenied, error_detail, error_status
from tests.budgets.conftest import world  # noqa: F401 - the budgets world (company, cmo, lines)
from tests.factories import CycleFactory, KeyResultFactory, ObjectiveFactory
from tests.initiatives.factories import InitiativeFactory, PrioritySettingsFactory


def test_status_and_detail_of_each_kind_of_error():
    refused = ValidationError({"key_result": ValidationError("Bind it first.", code="unbound")})
    assert error_status(refused) == 400
    assert error_detail(refused) == {"detail": "Bind it first.", "field": "key_result", "code": "unbound"}
    assert error_detail(ValidationError("No.")) == {"detail": "No.", "field": None, "code": "invalid"}
    assert [error_status(e) for e in (PermissionDenied(), NotFound(), Conflict())] == [403, 404, 409]


def test_budgets_and_priorities_api_answer_a_refused_rule_the_same_way(world, api_client_for):  # noqa: F811
    # budgets: approving an unbound line
    line = world.line(bound=False)
    line.refresh_from_db()
    api = api_client_for(world.company, Role.CMO)
    budget = api.post(
        f"/api/v1/companies/{world.company.slug}/budget-lines/{line.pk}/approve/",
        {"version": line.version},
        format="json",
    )
    # priorities: activating a second initiative over the focus limit
    cycle = CycleFactory(company=world.company)
    kr = KeyResultFactory(objective=ObjectiveFactory(cycle=cycle))
    PrioritySettingsFactory(cycle=cycle, focus_limit=1)
    InitiativeFactory(cycle=cycle, key_results=[kr], state="active")
    waiting = InitiativeFactory(cycle=cycle, key_results=[kr])
    facilitator = api_client_for(world.company, Role.FACILITATOR)
    priority = facilitator.post(f"/api/v1/companies/{world.company.slug}/initiatives/{waiting.pk}/activate/")
    for response, field in ((budget, "key_result"), (priority, "state")):
        assert response.status_code == 400
        body = response.json()
        assert body["field"] == field
        assert body["detail"] == body[field][0]
        assert body["code"]
    assert "focus limit of this cycle is 1 active initiative" in priority.json()["detail"]


def test_a_serializer_field_error_carries_the_same_summary(company, api_client_for):
    client = api_client_for(company, Role.CMO)
    cycle = CycleFactory(company=company)
    response = client.post(
        f"/api/v1/companies/{company.slug}/initiatives/", {"cycle": cycle.pk, "title": ""}, format="json"
    )
    assert response.status_code == 400
    body = response.json()
    assert body["field"] == "title" and body["detail"] == body["title"][0] and body["code"] == "blank"


def test_priorities_page_refusal_is_400_with_a_toast_like_budgets(company, client_for):
    cycle = CycleFactory(company=company)
    kr = KeyResultFactory(objective=ObjectiveFactory(cycle=cycle))
    PrioritySettingsFactory(cycle=cycle, focus_limit=1)
    InitiativeFactory(cycle=cycle, key_results=[kr], state="active")
    waiting = InitiativeFactory(cycle=cycle, key_results=[kr])
    client = client_for(company, Role.CMO)
    response = client.post(
        f"/c/{company.slug}/priorities/{waiting.pk}/state/", {"action": "activate"}, HTTP_HX_REQUEST="true"
    )
    assert response.status_code == 400
    assert response.headers["HX-Reswap"] == "none"
    toast = json.loads(response.headers["HX-Trigger"])["okr:toast"]
    assert toast["level"] == "error" and "focus limit" in toast["message"]
    waiting.refresh_from_db()
    assert waiting.state == "proposed"
