"""A deadlock or serialization failure the database reports is a 409 "try again", on the API, on pages (plain and
htmx) and in the cascade builder's JSON actions; every other database error stays an error (issue 12, finding 8).
The real race runs on PostgreSQL in tests/budgets/test_deadlock.py."""

from __future__ import annotations

import json

import psycopg.errors
import pytest
from django.db import OperationalError
from django.test import Client
from rest_framework.test import APIClient

from budgets.models import BudgetLine
from companies.permissions import Role
from core.errors import concurrency_conflict
from tests.factories import KeyResultFactory

pytestmark = pytest.mark.django_db

RETRY = "Someone else changed the same data at the same moment; nothing was saved. Please try again."


def _database_error(cause: type[Exception]) -> OperationalError:
    """What Django raises: its OperationalError, caused by psycopg's error class for the SQLSTATE."""
    try:
        raise cause("deadlock detected")
    except Exception as exc:
        try:
            raise OperationalError(str(exc)) from exc
        except OperationalError as wrapped:
            return wrapped


def _raising(cause):
    def service(**kwargs):
        raise _database_error(cause)

    return service


@pytest.mark.parametrize(
    ("cause", "reason"),
    [
        (psycopg.errors.DeadlockDetected, "deadlock_detected"),
        (psycopg.errors.SerializationFailure, "serialization_failure"),
    ],
)
def test_api_answers_409_with_a_retry_message(world, monkeypatch, cause, reason):
    from budgets import services

    line = world.line()
    monkeypatch.setattr(services, "budget_line_approve", _raising(cause))
    client = APIClient()
    client.force_authenticate(world.cmo)
    response = client.post(f"/api/v1/companies/{world.company.slug}/budget-lines/{line.pk}/approve/", {}, format="json")
    assert response.status_code == 409
    assert response.json() == {"detail": RETRY, "field": None, "code": "retry", "reason": reason}
    assert BudgetLine.objects.get(pk=line.pk).state == "submitted"


def test_pages_answer_409_with_a_retry_message(world, monkeypatch):
    from budgets import services

    line = world.line()
    monkeypatch.setattr(services, "budget_line_approve", _raising(psycopg.errors.DeadlockDetected))
    client = Client()
    client.force_login(world.cmo)
    url = f"/c/{world.company.slug}/budgets/lines/{line.pk}/approve/"
    page = client.post(url, {"version": line.version})
    assert page.status_code == 409
    assert RETRY in page.content.decode()
    htmx = client.post(url, {"version": line.version}, HTTP_HX_REQUEST="true")
    assert htmx.status_code == 409
    assert json.loads(htmx["HX-Trigger"])["okr:toast"] == {"message": RETRY, "level": "error"}


def test_cascade_builder_answers_409_json(world, monkeypatch, make_member):
    from objectives.services import cascade

    kr = KeyResultFactory(objective=world.objective, company=world.company)
    monkeypatch.setattr(cascade, "key_result_delete", _raising(psycopg.errors.DeadlockDetected))
    client = Client()
    client.force_login(make_member(world.company, Role.FACILITATOR))
    # the builder's save queue deletes through the API with the session
    response = client.delete(f"/api/v1/companies/{world.company.slug}/key-results/{kr.pk}/?version={kr.version}")
    assert response.status_code == 409
    assert json.loads(response.content) == {
        "detail": RETRY,
        "field": None,
        "code": "retry",
        "reason": "deadlock_detected",
    }


def test_other_database_errors_are_not_turned_into_conflicts():
    assert concurrency_conflict(_database_error(psycopg.errors.UndefinedTable)) is None
    assert concurrency_conflict(OperationalError("disk full")) is None
    assert concurrency_conflict(ValueError("x")) is None
    assert concurrency_conflict(_database_error(psycopg.errors.DeadlockDetected)).status == 409
