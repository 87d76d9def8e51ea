"""The sync against the local far end: connect, page, upsert through the import's path, cursors, rate limits, expired
tokens, 5xx, a crash halfway and the resume."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from companies.permissions import Role
from crm.models import CrmConnection, CrmSyncRun, Lead, Opportunity, Touchpoint
from crm.services import connections as sync_service
from crm.services import crm_connection_connect, crm_connection_revoke, crm_connection_sync
from crm.signals import crm_data_changed

from .data import HUBSPOT_TOKEN, T0, hubspot_contact, hubspot_portal, salesforce_credentials, salesforce_org

pytestmark = pytest.mark.django_db


@pytest.fixture
def changed():
    """The company ids crm_data_changed was sent for (reporting's incremental KPI refresh listens to it)."""
    seen: list[int] = []

    def receiver(sender, company_id, **kwargs):
        seen.append(company_id)

    crm_data_changed.connect(receiver, weak=False)
    yield seen
    crm_data_changed.disconnect(receiver)


def _connect_hubspot(company, cmo, capture, execute=True):
    with capture(execute=execute):
        return crm_connection_connect(company=company, kind="hubspot", values={"token": HUBSPOT_TOKEN}, actor=cmo)


def _sync(connection, trigger="manual"):
    return crm_connection_sync(connection_id=connection.pk, trigger=trigger)


def test_connect_tests_the_token_stores_it_encrypted_and_runs_the_first_sync(
    farend, waits, company, cmo, django_capture_on_commit_callbacks, changed
):
    hubspot_portal(farend)
    connection = _connect_hubspot(company, cmo, django_capture_on_commit_callbacks)
    connection.refresh_from_db()
    assert HUBSPOT_TOKEN not in connection.credentials and connection.credentials.startswith("gAAAA")
    assert connection.status == "active" and connection.label == "private-app token …5555"
    run = connection.runs.get()
    assert run.trigger == "connect" and run.status == "done" and run.message == "", run.message
    assert run.counts == {
        "leads": {"created": 5, "updated": 0},
        "opportunities": {"created": 2, "updated": 0},
        "touchpoints": {"created": 5, "updated": 0},
    }
    lead = Lead.objects.get(company=company, external_id="101")
    assert lead.channel == "PAID_SEARCH" and lead.campaign == "Spring" and lead.segment == "Manufacturing"
    assert lead.mql_at == dt.datetime(2026, 2, 1, 10, 0, tzinfo=dt.UTC)
    won = Opportunity.objects.get(company=company, external_id="9001")
    assert won.amount == Decimal("1000.50") and won.status == "won" and won.lead == lead
    assert Touchpoint.objects.filter(company=company, lead=lead, channel="PAID_SEARCH").count() == 1
    assert connection.cursors == {"contacts": "2026-03-02T09:05:00Z", "deals": "2026-03-02T09:02:00Z"}
    assert changed == [company.pk]


def test_a_refused_token_is_a_clear_error_and_nothing_is_stored(farend, waits, company, cmo):
    hubspot_portal(farend)
    with pytest.raises(Exception, match="did not accept the connection: HubSpot no longer accepts"):
        crm_connection_connect(company=company, kind="hubspot", values={"token": "pat-wrong"}, actor=cmo)
    assert not CrmConnection.objects.exists()


def test_pages_and_incremental_resync(farend, waits, company, cmo, django_capture_on_commit_callbacks):
    hubspot_portal(farend, contacts=7, deals=0)
    farend.page_size = 3
    connection = _connect_hubspot(company, cmo, django_capture_on_commit_callbacks)
    assert Lead.objects.filter(company=company).count() == 7
    assert [h.body.get("after") for h in farend.hits("hubspot-search")[2:]] == [None, "3", "6", None]
    hubspot_contact(farend, 2, modified=T0 + dt.timedelta(hours=1), industry="Utilities")
    farend.requests.clear()
    run = _sync(connection)
    assert run.status == "done"
    # since the cursor (09:07): the last contact again (GTE) and the changed one
    assert run.counts["leads"] == {"created": 0, "updated": 2}
    assert Lead.objects.get(company=company, external_id="102").segment == "Utilities"
    assert Lead.objects.filter(company=company).count() == 7


def test_429_with_retry_after_is_honoured(farend, waits, company, cmo, django_capture_on_commit_callbacks):
    hubspot_portal(farend, contacts=2, deals=0)
    connection = _connect_hubspot(company, cmo, django_capture_on_commit_callbacks, execute=False)
    farend.fail("hubspot-search", 429, retry_after=1)
    run = _sync(connection)
    assert run.status == "done" and run.counts["leads"]["created"] == 2
    assert 1.0 in waits


def test_expired_token_marks_the_connection_for_reconnecting(
    farend, waits, company, cmo, django_capture_on_commit_callbacks
):
    hubspot_portal(farend, contacts=2, deals=0)
    connection = _connect_hubspot(company, cmo, django_capture_on_commit_callbacks, execute=False)
    farend.hubspot_tokens.clear()
    run = _sync(connection)
    connection.refresh_from_db()
    assert run.status == "failed" and "no longer accepts the private-app token" in run.message
    assert connection.status == "needs_auth" and connection.last_error == run.message
    assert _sync(connection) is None  # no sync until connected again
    farend.hubspot_tokens.add(HUBSPOT_TOKEN)
    with django_capture_on_commit_callbacks(execute=True):
        crm_connection_connect(company=company, kind="hubspot", values={"token": HUBSPOT_TOKEN}, actor=cmo)
    connection.refresh_from_db()
    assert connection.status == "active" and connection.last_error == ""
    assert Lead.objects.filter(company=company).count() == 2


def test_5xx_once_is_retried(farend, waits, company, cmo, django_capture_on_commit_callbacks):
    hubspot_portal(farend, contacts=2, deals=1)
    connection = _connect_hubspot(company, cmo, django_capture_on_commit_callbacks, execute=False)
    farend.fail("hubspot-associations", 502)
    run = _sync(connection)
    assert run.status == "done" and run.counts["opportunities"] == {"created": 1, "updated": 0}
    assert [h.status for h in farend.hits("hubspot-associations")] == [502, 200]


def test_crash_halfway_resumes_without_duplicates(
    farend, waits, company, cmo, django_capture_on_commit_callbacks, monkeypatch, changed
):
    hubspot_portal(farend, contacts=7, deals=0)
    farend.page_size = 3
    connection = _connect_hubspot(company, cmo, django_capture_on_commit_callbacks, execute=False)
    real_upsert = sync_service._upsert_batch
    calls = {"n": 0}

    def crash_on_second_page(company, kind, batch, ctx):
        calls["n"] += 1
        if kind == "leads" and calls["n"] > 2:  # page 1: leads + touchpoints; page 2's leads crash
            raise RuntimeError("worker killed")
        return real_upsert(company, kind, batch, ctx)

    monkeypatch.setattr(sync_service, "_upsert_batch", crash_on_second_page)
    with django_capture_on_commit_callbacks(execute=True):
        first = _sync(connection)
    connection.refresh_from_db()
    assert first.status == "failed" and "last written page" in first.message
    assert Lead.objects.filter(company=company).count() == 3  # the first page, committed; the second rolled back
    assert connection.cursors == {"contacts": "2026-03-02T09:03:00Z"}
    monkeypatch.setattr(sync_service, "_upsert_batch", real_upsert)
    with django_capture_on_commit_callbacks(execute=True):
        second = _sync(connection)
    assert second.status == "done"
    assert Lead.objects.filter(company=company).count() == 7
    assert first.counts["leads"]["created"] + second.counts["leads"]["created"] == 7
    assert second.counts["leads"]["updated"] == 1  # only the boundary record is read twice
    assert Touchpoint.objects.filter(company=company).count() == 7
    assert changed == [company.pk, company.pk]


def test_lasting_5xx_stops_the_run_and_the_next_goes_on(
    farend, waits, company, cmo, django_capture_on_commit_callbacks
):
    hubspot_portal(farend, contacts=4, deals=0)
    farend.page_size = 2
    connection = _connect_hubspot(company, cmo, django_capture_on_commit_callbacks, execute=False)
    source_pages = sync_service.HubSpotSource.pages

    def fail_after_first_page(self, stream, cursor):
        for index, page in enumerate(source_pages(self, stream, cursor)):
            yield page
            if index == 0:
                farend.fail("hubspot-search", 503, times=10)

    sync_service.HubSpotSource.pages = fail_after_first_page
    try:
        first = _sync(connection)
    finally:
        sync_service.HubSpotSource.pages = source_pages
    assert first.status == "failed" and "503" in first.message
    farend.faults.clear()
    second = _sync(connection)
    assert second.status == "done" and Lead.objects.filter(company=company).count() == 4


def test_daily_limit_pauses_and_keeps_the_cursors(farend, waits, company, cmo, django_capture_on_commit_callbacks):
    hubspot_portal(farend, contacts=2, deals=1)
    connection = _connect_hubspot(company, cmo, django_capture_on_commit_callbacks, execute=False)
    farend.fail("hubspot-associations", 429, body={"status": "error", "policyName": "DAILY"})
    run = _sync(connection)
    connection.refresh_from_db()
    assert run.status == "paused" and "daily API limit" in run.message and "goes on where" in run.message
    assert connection.status == "active" and connection.cursors == {"contacts": "2026-03-02T09:02:00Z"}


def test_a_record_the_import_rules_refuse_is_listed_and_the_rest_written(
    farend, waits, company, cmo, django_capture_on_commit_callbacks
):
    hubspot_portal(farend, contacts=3, deals=0)
    hubspot_contact(farend, 2, createdate="")
    connection = _connect_hubspot(company, cmo, django_capture_on_commit_callbacks)
    run = connection.runs.get()
    assert run.status == "done" and run.error_count == 2
    assert run.errors[0] == {
        "stream": "contacts",
        "record": "102",
        "field": "created",
        "message": "This value is required.",
    }
    assert run.errors[1]["field"] == "lead_external_id" and run.errors[1]["message"] == "No lead with id “102”."
    assert sorted(Lead.objects.values_list("external_id", flat=True)) == ["101", "103"]


def test_salesforce_sync_links_opportunities_and_campaign_touches(
    farend, waits, company, cmo, django_capture_on_commit_callbacks
):
    salesforce_org(farend)
    with django_capture_on_commit_callbacks(execute=True):
        connection = crm_connection_connect(
            company=company, kind="salesforce", values=salesforce_credentials(farend), actor=cmo
        )
    run = connection.runs.get()
    assert run.status == "done", run.message
    assert run.counts == {
        "leads": {"created": 3, "updated": 0},
        "opportunities": {"created": 1, "updated": 0},
        "touchpoints": {"created": 1, "updated": 0},
    }
    lead = Lead.objects.get(company=company, external_id="00Q000000000001")
    assert lead.crm_opportunity_id == "006000000000001" and lead.channel == "Web"
    opportunity = Opportunity.objects.get(company=company)
    assert opportunity.lead == lead and opportunity.status == "won" and opportunity.amount == Decimal("25000")
    touch = Touchpoint.objects.get(company=company)
    assert (touch.lead, touch.channel, touch.campaign) == (lead, "Webinar", "Webinar Q1")
    assert set(CrmConnection.objects.get().cursors) == {
        "Lead",
        "Opportunity",
        "CampaignMember",
        "deleted:Lead",
        "deleted:Opportunity",
        "deleted:CampaignMember",
    }


def test_salesforce_revoked_grant_needs_connecting_again(
    farend, waits, company, cmo, django_capture_on_commit_callbacks
):
    salesforce_org(farend)
    with django_capture_on_commit_callbacks(execute=False):
        connection = crm_connection_connect(
            company=company, kind="salesforce", values=salesforce_credentials(farend), actor=cmo
        )
    farend.sf_refresh_tokens.clear()
    farend.sf_sessions.clear()
    run = _sync(connection)
    connection.refresh_from_db()
    assert run.status == "failed" and "invalid_grant" in run.message and connection.status == "needs_auth"


def test_revoke_deletes_the_credentials_and_stops_syncing(
    farend, waits, company, cmo, django_capture_on_commit_callbacks
):
    hubspot_portal(farend, contacts=1, deals=0)
    connection = _connect_hubspot(company, cmo, django_capture_on_commit_callbacks)
    crm_connection_revoke(connection=connection, actor=cmo)
    connection.refresh_from_db()
    assert connection.status == "revoked" and connection.credentials == "" and connection.cursors == {}
    assert _sync(connection) is None
    assert Lead.objects.filter(company=company).count() == 1  # the data stays
    assert connection.runs.count() == 1


def test_one_sync_per_connection_at_a_time_and_a_stale_run_is_closed(
    farend, waits, company, cmo, django_capture_on_commit_callbacks
):
    hubspot_portal(farend, contacts=1, deals=0)
    connection = _connect_hubspot(company, cmo, django_capture_on_commit_callbacks, execute=False)
    running = CrmSyncRun.objects.create(connection=connection, company=company)
    assert _sync(connection) is None
    CrmSyncRun.objects.filter(pk=running.pk).update(heartbeat_at=dt.datetime(2026, 1, 1, tzinfo=dt.UTC))
    run = _sync(connection)
    running.refresh_from_db()
    assert run.status == "done" and running.status == "failed" and "Interrupted" in running.message


def test_members_without_crm_import_cannot_connect(farend, company, make_member):
    from core.errors import PermissionDenied

    executive = make_member(company, Role.EXECUTIVE)
    with pytest.raises(PermissionDenied):
        crm_connection_connect(company=company, kind="hubspot", values={"token": HUBSPOT_TOKEN}, actor=executive)


def test_beat_schedules_one_task_per_active_connection(
    farend, waits, company, cmo, other_company, make_member, django_capture_on_commit_callbacks
):
    from crm.schedule import BEAT_SCHEDULE
    from crm.tasks import crm_connections_sync_due

    assert BEAT_SCHEDULE["crm.crm-connections-sync"]["task"] == "crm.crm_connections_sync_due"
    hubspot_portal(farend, contacts=2, deals=0)
    _connect_hubspot(company, cmo, django_capture_on_commit_callbacks, execute=False)
    with django_capture_on_commit_callbacks(execute=False):
        revoked = crm_connection_connect(
            company=other_company,
            kind="hubspot",
            values={"token": HUBSPOT_TOKEN},
            actor=make_member(other_company, Role.CMO),
        )
    crm_connection_revoke(connection=revoked, actor=None)
    assert crm_connections_sync_due.delay().get() == 1
    assert CrmSyncRun.objects.get().company == company
    assert Lead.objects.filter(company=company).count() == 2


def test_rotating_the_key_keeps_the_connection_working(
    farend, waits, company, cmo, settings, django_capture_on_commit_callbacks
):
    from cryptography.fernet import Fernet
    from django.core.management import call_command

    old, new = Fernet.generate_key().decode(), Fernet.generate_key().decode()
    settings.CRM_CREDENTIALS_KEYS = [old]
    hubspot_portal(farend, contacts=1, deals=0)
    connection = _connect_hubspot(company, cmo, django_capture_on_commit_callbacks, execute=False)
    settings.CRM_CREDENTIALS_KEYS = [new, old]
    call_command("crm_credentials_rotate", stdout=open("/dev/null", "w"))  # noqa: SIM115
    settings.CRM_CREDENTIALS_KEYS = [new]
    assert _sync(connection).status == "done"


def test_credentials_the_keys_cannot_read_need_connecting_again(
    farend, waits, company, cmo, settings, django_capture_on_commit_callbacks
):
    from cryptography.fernet import Fernet

    settings.CRM_CREDENTIALS_KEYS = [Fernet.generate_key().decode()]
    hubspot_portal(farend, contacts=1, deals=0)
    connection = _connect_hubspot(company, cmo, django_capture_on_commit_callbacks, execute=False)
    settings.CRM_CREDENTIALS_KEYS = [Fernet.generate_key().decode()]  # the key was replaced, not rotated
    run = _sync(connection)
    connection.refresh_from_db()
    assert run.status == "failed" and "cannot be read with the configured keys" in run.message
    assert connection.status == "needs_auth"


def test_hubspot_deletions_follow_the_crm(farend, waits, company, cmo, django_capture_on_commit_callbacks, changed):
    """A contact or deal archived in HubSpot is deleted here on the next sync (the contact's touchpoints with it), the
    run counts it, the KPIs are recomputed, and an archived record seen once is not counted again."""
    hubspot_portal(farend, contacts=5, deals=2)
    farend.page_size = 2  # the archived list comes in pages too
    connection = _connect_hubspot(company, cmo, django_capture_on_commit_callbacks)
    assert Lead.objects.filter(company=company).count() == 5
    touches = Touchpoint.objects.filter(company=company, lead__external_id="102").count()
    assert touches >= 1
    for n, contact in enumerate(("102", "103", "104")):
        farend.hubspot_archive("contacts", contact, T0 + dt.timedelta(hours=2, minutes=n))
    farend.hubspot_archive("deals", "9002", T0 + dt.timedelta(hours=2))
    changed.clear()
    farend.requests.clear()
    with django_capture_on_commit_callbacks(execute=True):
        run = _sync(connection)
    assert run.status == "done", run.message
    assert run.counts["leads"]["deleted"] == 3
    assert run.counts["opportunities"]["deleted"] == 1
    assert run.counts["touchpoints"]["deleted"] >= touches
    assert sorted(Lead.objects.filter(company=company).values_list("external_id", flat=True)) == ["101", "105"]
    assert list(Opportunity.objects.filter(company=company).values_list("external_id", flat=True)) == ["9001"]
    assert not Touchpoint.objects.filter(company=company, lead__external_id__in=["102", "103", "104"]).exists()
    assert changed == [company.pk]
    assert [h.path.split("?", 1)[1] for h in farend.hits("hubspot-archived")] == [
        "limit=100&archived=True",  # contacts: a page of two, then one of one
        "limit=100&after=2&archived=True",
        "limit=100&archived=True",  # deals: one page
    ]
    # Nothing archived since: the next sync deletes and counts nothing.
    run = _sync(connection)
    assert run.status == "done" and "deleted" not in run.counts.get("leads", {})
    # The page shows what the last sync deleted.
    html = _page(company, cmo)
    assert "Deleted in the CRM" in html


def test_hubspot_merged_contacts_become_one_lead(farend, waits, company, cmo, django_capture_on_commit_callbacks):
    """Contacts merged in HubSpot vanish from search without being archived; the primary lists their ids in
    hs_merged_object_ids. The next sync deletes the merged ones here (with their touchpoints), counts them, keeps the
    primary, and a later sync of the primary deletes nothing more."""
    hubspot_portal(farend, contacts=5, deals=0)
    connection = _connect_hubspot(company, cmo, django_capture_on_commit_callbacks)
    assert Lead.objects.filter(company=company).count() == 5
    farend.hubspot_merge("101", ["103", "104"], T0 + dt.timedelta(hours=3))
    with django_capture_on_commit_callbacks(execute=True):
        run = _sync(connection)
    assert run.status == "done", run.message
    assert run.counts["leads"]["deleted"] == 2
    assert sorted(Lead.objects.filter(company=company).values_list("external_id", flat=True)) == ["101", "102", "105"]
    assert not Touchpoint.objects.filter(company=company, lead__external_id__in=["103", "104"]).exists()
    farend.hubspot_put("contacts", "101", T0 + dt.timedelta(hours=4), firstname="Anna-Lena")
    run = _sync(connection)
    assert run.status == "done" and "deleted" not in run.counts.get("leads", {})
    assert Lead.objects.filter(company=company).count() == 3


def test_salesforce_deletions_follow_the_crm(farend, waits, company, cmo, django_capture_on_commit_callbacks):
    """A lead, opportunity or campaign member deleted in Salesforce is deleted here on the next sync; a cursor older
    than Salesforce's 30-day window asks for the window only (Salesforce refuses anything older)."""
    salesforce_org(farend)
    with django_capture_on_commit_callbacks(execute=True):
        connection = crm_connection_connect(
            company=company, kind="salesforce", values=salesforce_credentials(farend), actor=cmo
        )
    assert Touchpoint.objects.filter(company=company).count() == 1
    now = dt.datetime.now(dt.UTC)
    farend.salesforce_delete("CampaignMember", "00v000000000001", now - dt.timedelta(seconds=5))
    farend.salesforce_delete("Lead", "00Q000000000003", now - dt.timedelta(seconds=5))
    CrmConnection.objects.filter(pk=connection.pk).update(
        cursors={**connection.cursors, **{f"deleted:{o}": "2025-01-01T00:00:00Z" for o in ("Lead", "CampaignMember")}}
    )
    run = _sync(connection)
    assert run.status == "done", run.message
    assert run.counts["leads"]["deleted"] == 1 and run.counts["touchpoints"]["deleted"] == 1
    assert not Touchpoint.objects.filter(company=company).exists()
    assert not Lead.objects.filter(company=company, external_id="00Q000000000003").exists()
    assert all(h.status == 200 for h in farend.hits("salesforce-deleted"))
    cursor = CrmConnection.objects.get().cursors["deleted:Lead"]
    assert dt.datetime.fromisoformat(cursor.replace("Z", "+00:00")) > now - dt.timedelta(minutes=1)


def _page(company, user) -> str:
    from django.test import Client
    from django.urls import reverse

    client = Client()
    client.force_login(user)
    return client.get(reverse("crm:crm_import", kwargs={"company_slug": company.slug})).content.decode()


def test_salesforce_sync_leaves_the_rest_of_the_daily_allowance_to_other_integrations(
    farend, waits, company, cmo, django_capture_on_commit_callbacks, settings
):
    """Past CRM_SALESFORCE_API_SHARE of the org's daily calls (Sforce-Limit-Info) the sync pauses before its next call,
    says why, keeps its cursors and goes on once the allowance allows."""
    settings.CRM_SALESFORCE_API_SHARE = 0.8
    salesforce_org(farend)
    with django_capture_on_commit_callbacks(execute=True):
        connection = crm_connection_connect(
            company=company, kind="salesforce", values=salesforce_credentials(farend), actor=cmo
        )
    cursors = CrmConnection.objects.get().cursors
    farend.salesforce_put("Lead", "00Q000000000009", T0 + dt.timedelta(hours=1), CreatedDate="2026-02-09T08:00:00Z")
    farend.sf_api_used, farend.sf_api_limit = 12_000, 15_000
    farend.requests.clear()
    run = _sync(connection)
    assert run.status == "paused"
    assert "The org has used 12,000 of its 15,000 daily API calls; the sync stops at 80%" in run.message
    assert len(farend.hits("salesforce-query")) + len(farend.hits("salesforce-describe")) == 1  # then it stopped
    assert CrmConnection.objects.get().cursors == cursors
    assert not Lead.objects.filter(company=company, external_id="00Q000000000009").exists()
    farend.sf_api_used = 100  # the allowance renewed
    run = _sync(connection)
    assert run.status == "done", run.message
    assert Lead.objects.filter(company=company, external_id="00Q000000000009").exists()
