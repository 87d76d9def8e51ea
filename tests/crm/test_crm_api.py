"""Bulk upsert API for CRM syncs: all or nothing, per-item errors, tenancy and permissions, constant queries."""

from __future__ import annotations

from decimal import Decimal

import pytest

from companies.permissions import Role
from crm.models import Lead, Opportunity, Touchpoint
from tests.factories_crm import LeadFactory, OpportunityFactory, TouchpointFactory, at

pytestmark = pytest.mark.django_db

LEADS = [
    {"external_id": "A1", "created": "2026-03-01T09:00:00+01:00", "channel": "Webinare", "segment": "Stadtwerke",
     "mql_at": "2026-03-02 10:00"},
    {"external_id": "A2", "created": "04.03.2026", "channel": "Direkt", "segment": "Industrie"},
]  # fmt: skip


def url(company, kind):
    return f"/api/v1/companies/{company.slug}/crm/{kind}/"


def test_bulk_upsert_creates_then_updates(company, api_client_for):
    client = api_client_for(company, Role.CMO)
    response = client.post(url(company, "leads"), LEADS, format="json")
    assert response.status_code == 200, response.json()
    assert response.json() == {"received": 2, "created": 2, "updated": 0}
    a1 = Lead.objects.get(company=company, external_id="A1")
    assert a1.mql_at == at(2026, 3, 2, 10) and a1.is_marketing_sourced
    assert Lead.objects.get(external_id="A2").is_marketing_sourced is False  # Direkt: sales source

    changed = [{**LEADS[0], "segment": "Netzbetreiber"}, LEADS[1]]
    response = client.post(url(company, "leads"), {"items": changed}, format="json")
    assert response.json() == {"received": 2, "created": 0, "updated": 2}
    assert Lead.objects.get(external_id="A1").segment == "Netzbetreiber"
    assert Lead.objects.count() == 2

    opportunities = [
        {"external_id": "O1", "lead_external_id": "A1", "created": "2026-03-05", "amount": "25000.00",
         "status": "won", "closed": "2026-03-20"},
        {"external_id": "O2", "created": "2026-03-06", "amount": 1000, "stage": "Qualification",
         "lead_source": "Partner"},
    ]  # fmt: skip
    response = client.post(url(company, "opportunities"), opportunities, format="json")
    assert response.status_code == 200, response.json()
    o1 = Opportunity.objects.get(external_id="O1")
    assert (o1.lead, o1.amount, o1.status) == (a1, Decimal("25000.00"), "won")
    assert Opportunity.objects.get(external_id="O2").is_marketing_sourced is False

    touches = [{"lead_external_id": "A1", "occurred": "2026-02-20T10:00:00Z", "channel": "SEO"}]
    response = client.post(url(company, "touchpoints"), touches, format="json")
    assert response.json()["created"] == 1
    assert client.post(url(company, "touchpoints"), touches, format="json").json()["created"] == 0
    assert Touchpoint.objects.get().lead == a1


def test_invalid_items_reject_the_whole_list_with_errors_per_item(company, api_client_for):
    client = api_client_for(company, Role.CMO)
    items = [
        LEADS[0],
        {"external_id": "B2", "created": "yesterday"},
        {"created": "2026-03-01"},
        {**LEADS[1], "external_id": "A1"},
        "not an object",
    ]
    response = client.post(url(company, "leads"), items, format="json")
    assert response.status_code == 400
    body = response.json()
    assert {(e["index"], e["field"]) for e in body["errors"]} == {
        (1, "created"),
        (2, "external_id"),
        (3, "external_id"),
        (4, ""),
    }
    assert body["error_count"] == 4
    assert Lead.objects.count() == 0
    # touchpoints need an existing lead
    response = client.post(
        url(company, "touchpoints"),
        [{"lead_external_id": "ZZ", "occurred": "2026-03-01", "channel": "SEO"}],
        format="json",
    )
    assert response.status_code == 400
    assert response.json()["errors"][0]["field"] == "lead_external_id"
    assert client.post(url(company, "leads"), {"no": "list"}, format="json").status_code == 400
    assert client.post(url(company, "leads"), [], format="json").status_code == 400


@pytest.mark.parametrize("role", [Role.FACILITATOR, Role.EXECUTIVE, Role.MEMBER])
def test_roles_without_crm_import_get_403(company, api_client_for, role):
    client = api_client_for(company, role)
    assert client.post(url(company, "leads"), LEADS, format="json").status_code == 403
    assert Lead.objects.count() == 0


def test_other_company_is_404(company, other_company, api_client_for):
    client = api_client_for(company, Role.CMO)
    assert client.post(url(other_company, "leads"), LEADS, format="json").status_code == 404
    assert client.get(url(other_company, "opportunities")).status_code == 404


def test_lists_are_paginated_company_scoped_and_constant_in_queries(
    company, other_company, api_client_for, django_assert_max_num_queries
):
    client = api_client_for(company, Role.EXECUTIVE)
    LeadFactory(company=other_company, external_id="FOREIGN")

    def add(n):
        for _i in range(n):
            lead = LeadFactory(company=company)
            OpportunityFactory(company=company, lead=lead)
            TouchpointFactory(lead=lead)

    add(2)
    for kind in ("leads", "opportunities", "touchpoints"):
        with django_assert_max_num_queries(6):
            assert client.get(url(company, kind)).json()["count"] == 2
    add(60)
    for kind in ("leads", "opportunities", "touchpoints"):
        with django_assert_max_num_queries(6):
            body = client.get(url(company, kind)).json()
        assert body["count"] == 62 and len(body["results"]) == 50 and body["next"]
    body = client.get(url(company, "opportunities")).json()
    assert body["results"][0]["lead_external_id"].startswith("L")
    assert "FOREIGN" not in str(client.get(url(company, "leads") + "?page=2").json())
    assert api_client_for(company, Role.MEMBER).get(url(company, "leads")).status_code == 403
