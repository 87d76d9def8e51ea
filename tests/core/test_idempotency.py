"""Idempotency-Key on the API's POSTs (core.idempotency): a retried create after a lost answer creates one row."""

from __future__ import annotations

import pytest
from django.core.cache import cache

from companies.permissions import Role
from core.idempotency import cache_key
from objectives.models import KeyResult, Objective
from tests.factories_cascade import CycleFactory, ObjectiveFactory

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _empty_cache():
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def facilitator_api(company, api_client_for):
    return api_client_for(company, Role.FACILITATOR)


def key_results(company):
    return f"/api/v1/companies/{company.slug}/key-results/"


def test_the_same_key_twice_creates_one_row_and_answers_the_same(company, facilitator_api):
    objective = ObjectiveFactory(cycle=CycleFactory(company=company), title="Grow")
    body = {
        "objective": objective.pk,
        "title": "Leads",
        "kind": "increase_to",
        "start_value": "0",
        "target_value": "10",
    }
    first = facilitator_api.post(key_results(company), body, format="json", HTTP_IDEMPOTENCY_KEY="create-kr-0001")
    again = facilitator_api.post(key_results(company), body, format="json", HTTP_IDEMPOTENCY_KEY="create-kr-0001")
    assert first.status_code == again.status_code == 201
    assert again.json() == first.json()
    assert again["Idempotent-Replayed"] == "true"
    assert list(KeyResult.objects.values_list("title", flat=True)) == ["Leads"]
    # a new key is a new create; no key at all too
    assert (
        facilitator_api.post(
            key_results(company), body, format="json", HTTP_IDEMPOTENCY_KEY="create-kr-0002"
        ).status_code
        == 201
    )
    assert facilitator_api.post(key_results(company), body, format="json").status_code == 201
    assert KeyResult.objects.count() == 3


def test_a_refused_create_is_not_stored_and_runs_again(company, facilitator_api):
    cycle = CycleFactory(company=company)
    url = f"/api/v1/companies/{company.slug}/objectives/"
    refused = facilitator_api.post(
        url, {"cycle": cycle.pk, "title": ""}, format="json", HTTP_IDEMPOTENCY_KEY="obj-key-1"
    )
    assert refused.status_code == 400
    body = {"cycle": cycle.pk, "title": "Grow"}
    created = facilitator_api.post(url, body, format="json", HTTP_IDEMPOTENCY_KEY="obj-key-2")
    assert created.status_code == 201
    # the same key with another body: refused, nothing created
    other = facilitator_api.post(
        url, {"cycle": cycle.pk, "title": "Other"}, format="json", HTTP_IDEMPOTENCY_KEY="obj-key-2"
    )
    assert other.status_code == 422
    assert other.json()["code"] == "idempotency_reused"
    assert list(Objective.objects.values_list("title", flat=True)) == ["Grow"]


def test_keys_are_per_user(company, facilitator_api, api_client_for):
    objective = ObjectiveFactory(cycle=CycleFactory(company=company))
    body = {
        "objective": objective.pk,
        "title": "Leads",
        "kind": "increase_to",
        "start_value": "0",
        "target_value": "10",
    }
    cmo_api = api_client_for(company, Role.CMO)
    assert (
        facilitator_api.post(key_results(company), body, format="json", HTTP_IDEMPOTENCY_KEY="shared-key-1").status_code
        == 201
    )
    assert (
        cmo_api.post(key_results(company), body, format="json", HTTP_IDEMPOTENCY_KEY="shared-key-1").status_code == 201
    )
    assert KeyResult.objects.count() == 2


def test_a_retry_while_the_first_still_runs_is_asked_to_come_back(company, facilitator_api, monkeypatch):
    monkeypatch.setattr("core.idempotency.WAIT_SECONDS", 0.1)
    objective = ObjectiveFactory(cycle=CycleFactory(company=company))
    body = {
        "objective": objective.pk,
        "title": "Leads",
        "kind": "increase_to",
        "start_value": "0",
        "target_value": "10",
    }
    first = facilitator_api.post(key_results(company), body, format="json", HTTP_IDEMPOTENCY_KEY="running-key-1")
    assert first.status_code == 201
    # a second request with another key that finds the first one still running (its answer not stored yet)
    cache.add(cache_key(facilitator_api.user.pk, key_results(company), "running-key-2") + ":running", "x", 60)
    retry = facilitator_api.post(key_results(company), body, format="json", HTTP_IDEMPOTENCY_KEY="running-key-2")
    assert retry.status_code == 503
    assert retry["Retry-After"] == "1"
    assert KeyResult.objects.count() == 1


def test_a_malformed_key_is_refused(company, facilitator_api):
    cycle = CycleFactory(company=company)
    url = f"/api/v1/companies/{company.slug}/objectives/"
    response = facilitator_api.post(url, {"cycle": cycle.pk, "title": "Grow"}, format="json", HTTP_IDEMPOTENCY_KEY="x")
    assert response.status_code == 400
    assert not Objective.objects.exists()
