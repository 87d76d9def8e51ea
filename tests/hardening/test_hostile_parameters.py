"""Finding 7 of issue 12: inputs that answered 500 now answer 400 with the field and the reason."""

from __future__ import annotations

import pytest

from companies.permissions import Role
from crm.models import Lead

pytestmark = pytest.mark.django_db

NUL = "Null characters are not allowed."
SURROGATE = "Unpaired surrogate characters (U+D800–U+DFFF) are not allowed."
DIGITS = "Enter a whole number (digits 0–9)."


@pytest.fixture
def cmo_api(company, api_client_for):
    return api_client_for(company, Role.CMO)


@pytest.mark.parametrize("depth", [65, 1000, 10_000])
def test_deeply_nested_json_is_refused_on_every_json_endpoint(cmo_api, depth):
    body = "[" * depth + "]" * depth
    for url in (
        "/api/v1/companies/acme/crm/leads/",
        "/api/v1/companies/acme/cycles/",
        "/api/v1/companies/acme/kpis/refresh/",
    ):
        response = cmo_api.post(url, body, content_type="application/json")
        assert response.status_code == 400, url
        assert response.json()["detail"] == "JSON nested too deeply (more than 64 levels)."
    nested = '{"name": ' + "[" * depth + "]" * depth + "}"
    assert cmo_api.post("/api/v1/companies/acme/cycles/", nested, content_type="application/json").status_code == 400


def test_json_nested_64_levels_still_parses(cmo_api):
    body = '{"name": ' + "[" * 63 + "]" * 63 + "}"
    response = cmo_api.post("/api/v1/companies/acme/cycles/", body, content_type="application/json")
    assert response.status_code == 400 and "name" in response.json()  # a list is no name: the serializer says so


@pytest.mark.parametrize(("raw", "message"), [('"L\\u0000-1"', NUL), ('"L\\ud800-1"', SURROGATE)])
def test_crm_api_strings_with_nul_or_lone_surrogate(company, cmo_api, raw, message):
    body = '[{"external_id": "ok", "created": "2026-03-01"}, {"external_id": ' + raw + ', "created": "2026-03-01"}]'
    response = cmo_api.post("/api/v1/companies/acme/crm/leads/", body, content_type="application/json")
    assert response.status_code == 400
    body = response.json()
    assert body["1.external_id"] == [message]
    assert (body["detail"], body["field"]) == (message, "1.external_id")
    key = '[{"ext' + raw.strip('"') + '": "x"}]'
    response = cmo_api.post("/api/v1/companies/acme/crm/leads/", key, content_type="application/json")
    assert response.status_code == 400 and response.json()["detail"] == message
    assert [v for k, v in response.json().items() if k not in ("detail", "field", "code")] == [[message]]
    assert not Lead.objects.filter(company=company).exists()


def test_nul_in_query_parameters_api_and_pages(company, cmo_api, client_for):
    response = cmo_api.get("/api/v1/companies/acme/budget-lines/?search=%00")
    assert response.status_code == 400 and response.json() == {"search": [NUL]}
    page = client_for(company, Role.CMO).get("/c/acme/budgets/key-results/?q=%00")
    assert page.status_code == 400 and f"q: {NUL}" in page.content.decode()
    htmx = client_for(company, Role.CMO).get("/c/acme/budgets/key-results/?q=a%00", HTTP_HX_REQUEST="true")
    assert htmx.status_code == 400 and f"q: {NUL}" in htmx.headers["HX-Trigger"]


def test_nul_in_a_posted_form_field(company, client_for):
    response = client_for(company, Role.CMO).post("/c/acme/budgets/lines/1/reject/", {"reason": "zu\x00teuer"})
    assert response.status_code == 400 and f"reason: {NUL}" in response.content.decode()


@pytest.mark.parametrize("value", ["²", "١٢", "1.5", "-3", "99999999999999999999"])
@pytest.mark.parametrize("param", ["channel", "cycle", "requester"])
def test_ids_with_unicode_digits_api_and_pages(company, cmo_api, client_for, param, value):
    response = cmo_api.get("/api/v1/companies/acme/budget-lines/", {param: value})
    assert response.status_code == 400 and param in response.json()
    page = client_for(company, Role.CMO).get("/c/acme/budgets/", {param: value})
    assert page.status_code == 400 and f"{param}: " in page.content.decode()


@pytest.mark.parametrize("value", ["²", "١٢"])
def test_unicode_digits_in_every_id_parameter_answer_400(company, cmo_api, client_for, value):
    assert cmo_api.get("/api/v1/companies/acme/budget-lines/", {"channel": value}).json()["channel"] == [DIGITS]
    client = client_for(company, Role.CMO)
    for url in ("/c/acme/budgets/overview/", "/c/acme/budgets/export/"):
        page = client.get(url, {"cycle": value})
        assert page.status_code == 400 and f"cycle: {DIGITS}" in page.content.decode(), url
    assert cmo_api.get("/api/v1/companies/acme/cascade/", {"cycle": value}).status_code == 400
    assert cmo_api.get("/api/v1/companies/acme/objectives/", {"owner": value}).status_code == 400
