"""One display name for a person on every page and in every API: full name, else username, else e-mail."""

from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model

from companies.permissions import Role
from core.people import display_name
from tests.factories import CycleFactory, KeyResultFactory, ObjectiveFactory
from tests.factories_budgets import BudgetLineFactory


def test_full_name_else_username_else_email():
    user_model = get_user_model()
    assert display_name(user_model(username="anna", first_name="Anna", last_name="Berg")) == "Anna Berg"
    assert display_name(user_model(username="anna", first_name=" ", last_name="")) == "anna"
    assert display_name(user_model(username="", email="anna@example.com")) == "anna@example.com"
    assert display_name(None) == "" and display_name(None, nobody="the system") == "the system"


@pytest.mark.parametrize(("first", "last", "shown"), [("Anna", "Berg", "Anna Berg"), ("", "", "anna.berg")])
def test_budgets_and_objectives_apis_name_the_same_user_the_same_way(
    company, api_client_for, make_member, first, last, shown
):
    anna = make_member(company, Role.CMO, username="anna.berg", first_name=first, last_name=last)
    cycle = CycleFactory(company=company)
    objective = ObjectiveFactory(company=company, cycle=cycle, owner=anna)
    KeyResultFactory(objective=objective, owner=anna)
    line = BudgetLineFactory(company=company, cycle=cycle, requester=anna)
    client = api_client_for(company, Role.EXECUTIVE)
    base = f"/api/v1/companies/{company.slug}"
    budget = client.get(f"{base}/budget-lines/{line.pk}/")
    objective_api = client.get(f"{base}/objectives/{objective.pk}/")
    assert budget.status_code == 200 and objective_api.status_code == 200
    assert budget.json()["requester"] == shown
    assert objective_api.json()["owner_name"] == shown
