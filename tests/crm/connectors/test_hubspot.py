"""The HubSpot source against the local far end: the real hubspot-api-client, only the server is local."""

import datetime as dt

import pytest

from crm.connectors import AuthExpired, RateLimited
from crm.connectors import hubspot as hubspot_module
from crm.connectors.hubspot import HubSpotSource

from . import farend as farend_module
from .data import HUBSPOT_TOKEN as TOKEN
from .data import T0, hubspot_contact


def _contacts(farend, count=5):
    farend.hubspot_tokens.add(TOKEN)
    for n in range(1, count + 1):
        hubspot_contact(
            farend, n, hs_latest_source="EMAIL_MARKETING", hs_latest_source_timestamp=f"2026-02-1{n}T12:00:00.000Z"
        )


def _source(farend):
    return HubSpotSource({"token": TOKEN})


def test_contacts_page_by_after_cursor_and_map_to_import_rows(farend, waits):
    _contacts(farend)
    farend.page_size = 2
    pages = list(_source(farend).pages("contacts", None))
    assert [len(p.rows["leads"]) for p in pages] == [2, 2, 1]
    assert [h.body.get("after") for h in farend.hits("hubspot-search")] == [None, "2", "4"]
    lead = pages[0].rows["leads"][0]
    empty = ("sal_at", "sql_at", "opportunity_at", "customer_at", "owner", "first_contact_at")
    assert lead == {
        "external_id": "101",
        "created": "2026-02-01T08:00:00.000Z",
        "lifecycle_stage": "marketingqualifiedlead",
        "channel": "PAID_SEARCH",
        "campaign": "Spring",
        "segment": "Manufacturing",
        "mql_at": "2026-02-01T10:00:00.000Z",
        **dict.fromkeys(empty, ""),
    }
    assert {t["channel"] for t in pages[0].rows["touchpoints"]} == {"PAID_SEARCH", "EMAIL_MARKETING"}
    assert pages[-1].cursor == "2026-03-02T09:05:00Z"
    assert waits == []


def test_incremental_search_asks_for_changes_since_the_cursor(farend, waits):
    _contacts(farend)
    pages = list(_source(farend).pages("contacts", "2026-03-02T09:04:00Z"))
    assert [r["external_id"] for r in pages[0].rows["leads"]] == ["104", "105"]
    body = farend.hits("hubspot-search")[0].body
    assert body["filterGroups"][0]["filters"][0] == {
        "propertyName": "lastmodifieddate",
        "operator": "GTE",
        "value": str(int(dt.datetime(2026, 3, 2, 9, 4, tzinfo=dt.UTC).timestamp() * 1000)),
    }


def test_429_waits_the_retry_after_then_goes_on(farend, waits):
    _contacts(farend, 2)
    farend.fail("hubspot-search", 429, retry_after=1)
    pages = list(_source(farend).pages("contacts", None))
    assert len(pages[0].rows["leads"]) == 2
    hits = farend.hits("hubspot-search")
    assert [h.status for h in hits] == [429, 200]
    assert waits == [1.0]
    assert hits[1].at - hits[0].at >= 1.0


def test_500_once_is_retried(farend, waits):
    _contacts(farend, 2)
    farend.fail("hubspot-search", 500)
    assert len(next(_source(farend).pages("contacts", None)).rows["leads"]) == 2
    assert [h.status for h in farend.hits("hubspot-search")] == [500, 200]
    assert len(waits) == 1


def test_lasting_5xx_gives_up_after_the_configured_tries(farend, waits):
    _contacts(farend, 1)
    farend.fail("hubspot-search", 503, times=10)
    with pytest.raises(hubspot_module.Transient, match="503"):
        list(_source(farend).pages("contacts", None))
    assert len(farend.hits("hubspot-search")) == 4


def test_expired_token_is_auth_expired_without_retry(farend, waits):
    _contacts(farend, 1)
    farend.hubspot_tokens.clear()
    with pytest.raises(AuthExpired, match="no longer accepts the private-app token"):
        list(_source(farend).pages("contacts", None))
    assert len(farend.hits("hubspot-search")) == 1


def test_daily_limit_stops_without_retry(farend, waits):
    _contacts(farend, 1)
    farend.fail("hubspot-search", 429, body={"status": "error", "policyName": "DAILY", "errorType": "RATE_LIMIT"})
    with pytest.raises(RateLimited) as caught:
        list(_source(farend).pages("contacts", None))
    assert caught.value.daily
    assert len(farend.hits("hubspot-search")) == 1


def test_deals_carry_their_first_associated_contact(farend, waits):
    farend.hubspot_tokens.add(TOKEN)
    farend.hubspot_put(
        "deals",
        "9001",
        T0,
        createdate="2026-02-01T08:00:00Z",
        amount="12000.50",
        dealstage="closedwon",
        closedate="2026-02-20T00:00:00Z",
        hs_is_closed_won="true",
    )
    farend.hubspot_put("deals", "9002", T0, createdate="2026-02-02T08:00:00Z", amount="500", dealstage="appointment")
    farend.deal_contacts = {"9001": ["207", "105"]}
    rows = next(_source(farend).pages("deals", None)).rows["opportunities"]
    assert rows[0]["external_id"] == "9001" and rows[0]["lead_external_id"] == "105"
    assert rows[0]["amount"] == "12000.50" and rows[0]["is_won"] == "true" and rows[0]["stage"] == "closedwon"
    assert "lead_external_id" not in rows[1]
    assert farend.hits("hubspot-associations")[0].body == {"inputs": [{"id": "9001"}, {"id": "9002"}]}


def test_past_the_search_window_the_query_restarts_from_the_last_change(farend, waits, monkeypatch):
    monkeypatch.setattr(hubspot_module, "SEARCH_LIMIT", 4)
    monkeypatch.setattr(farend_module, "SEARCH_LIMIT", 4)
    _contacts(farend, 7)
    farend.page_size = 2
    monkeypatch.setattr(hubspot_module, "PAGE_SIZE", 2)
    ids = [r["external_id"] for p in _source(farend).pages("contacts", None) for r in p.rows["leads"]]
    assert ids[:4] == ["101", "102", "103", "104"]
    assert set(ids) == {str(n) for n in range(101, 108)}
    assert all(h.status == 200 for h in farend.hits("hubspot-search"))


def test_check_reads_both_objects_and_names_the_token_by_its_end(farend, waits):
    _contacts(farend, 1)
    assert _source(farend).check() == "private-app token …5555"
    assert len(farend.hits("hubspot-search")) == 2
