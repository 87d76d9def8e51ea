"""The Salesforce source against the local far end: the real simple-salesforce (and the OAuth token request),
only the server is local."""

import pytest

from crm.connectors import AuthExpired, RateLimited, Transient
from crm.connectors.salesforce import SalesforceSource

from .data import T0, salesforce_credentials, salesforce_org


def _org(farend, leads=5):
    salesforce_org(farend, leads)


def _source(farend, **extra):
    return SalesforceSource(salesforce_credentials(farend) | extra)


def test_leads_page_by_next_records_url_and_map_to_import_rows(farend, waits):
    _org(farend)
    farend.page_size = 2
    pages = list(_source(farend).pages("Lead", None))
    assert [len(p.rows["leads"]) for p in pages] == [2, 2, 1]
    queries = farend.hits("salesforce-query")
    assert "q=SELECT+Id%2C+CreatedDate%2C+LeadSource" in queries[0].path
    assert all("/query/01g" in q.path for q in queries[1:])
    assert pages[0].rows["leads"][0] == {
        "external_id": "00Q000000000001",
        "created": "2026-02-01T08:00:00.000+0000",
        "channel": "Web",
        "lifecycle_stage": "Working",
        "is_converted": True,
        "converted_at": "2026-02-15",
        "crm_opportunity_id": "006000000000001",
        "segment": "Energy",
        "mql_at": "2026-02-01",
        "owner": "005X",
    }
    assert pages[-1].cursor == "2026-03-02T09:05:00Z"


def test_incremental_query_and_only_fields_the_org_has(farend, waits):
    _org(farend)
    pages = list(_source(farend).pages("Lead", "2026-03-02T09:04:00.250Z"))
    assert [r["external_id"] for r in pages[0].rows["leads"]] == ["00Q000000000004", "00Q000000000005"]
    path = farend.hits("salesforce-query")[0].path
    assert "SystemModstamp+%3E%3D+2026-03-02T09%3A04%3A00Z" in path
    assert "SAL_Date__c" not in path  # a custom field this org does not have is not asked for


def test_client_credentials_grant_without_refresh_token(farend, waits):
    _org(farend, 1)
    farend.sf_clients["3MVG9"] = "s3cr3t"
    source = _source(farend, refresh_token="")
    assert source.check() == farend.url
    assert farend.hits("token")[0].body["grant_type"] == ["client_credentials"]


def test_expired_access_token_is_renewed_once(farend, waits):
    _org(farend)
    farend.page_size = 2
    source = _source(farend)
    pages = source.pages("Lead", None)
    next(pages)
    farend.sf_sessions.clear()  # the access token expires between pages
    assert sum(len(p.rows["leads"]) for p in pages) == 3
    assert len(farend.hits("token")) == 2


def test_revoked_grant_is_auth_expired(farend, waits):
    _org(farend)
    with pytest.raises(AuthExpired, match="invalid_grant"):
        list(_source(farend, refresh_token="revoked").pages("Lead", None))
    assert farend.hits("salesforce-query") == []


def test_5xx_once_is_retried_and_429_waits_the_retry_after(farend, waits):
    _org(farend, 2)
    farend.fail("salesforce-query", 503)
    farend.fail("salesforce-query", 429, retry_after=1)
    rows = [r for p in _source(farend).pages("Lead", None) for r in p.rows["leads"]]
    assert len(rows) == 2
    assert [h.status for h in farend.hits("salesforce-query")] == [503, 429, 200]
    assert waits[1] == 1.0


def test_daily_request_limit_stops_without_retry(farend, waits):
    _org(farend, 1)
    farend.sf_daily_remaining = 1  # the describe is the last call of the day
    with pytest.raises(RateLimited) as caught:
        list(_source(farend).pages("Lead", None))
    assert caught.value.daily and waits == []


def test_lasting_5xx_gives_up(farend, waits):
    _org(farend, 1)
    farend.fail("salesforce-query", 500, times=10)
    with pytest.raises(Transient):
        list(_source(farend).pages("Lead", None))


def test_campaign_members_of_leads_are_touchpoints(farend, waits):
    _org(farend, 1)
    farend.salesforce_put("CampaignMember", "00v2", T0, LeadId=None, CreatedDate="2026-02-03T10:00:00.000+0000")
    rows = next(_source(farend).pages("CampaignMember", None)).rows["touchpoints"]
    assert rows == [
        {
            "external_id": "sf-00v000000000001",
            "lead_external_id": "00Q000000000001",
            "occurred": "2026-02-01T07:00:00.000+0000",
            "channel": "Webinar",
            "campaign": "Webinar Q1",
        }
    ]
