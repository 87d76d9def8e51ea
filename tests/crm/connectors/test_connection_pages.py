"""The live connections on the CRM import page and over the API: who may, what is shown (never the secret), tenancy."""

from __future__ import annotations

import pytest

from companies.permissions import Role
from crm.models import CrmConnection, CrmSyncRun, Lead

from .data import HUBSPOT_TOKEN, hubspot_portal

pytestmark = pytest.mark.django_db


def base(company):
    return f"/c/{company.slug}/board/import/"


def _connect(client, company, capture, token=HUBSPOT_TOKEN):
    with capture(execute=True):
        return client.post(f"{base(company)}connections/hubspot/connect/", {"hubspot-token": token})


def test_connect_sync_and_see_the_counts_never_the_token(
    farend, waits, company, client_for, django_capture_on_commit_callbacks
):
    hubspot_portal(farend, contacts=3, deals=1)
    client = client_for(company, Role.CMO)
    page = client.get(base(company)).content.decode()
    assert "Private-app access token" in page and "Consumer key" in page and "Not synced yet" not in page
    response = _connect(client, company, django_capture_on_commit_callbacks)
    assert response.status_code == 302 and response["Location"] == base(company)
    html = client.get(base(company)).content.decode()
    assert HUBSPOT_TOKEN not in html
    assert "HubSpot is connected; the first sync has started." in html
    assert "connected as private-app token …5555 since" in html
    assert "Sync now" in html and "Disconnect…" in html and "Done" in html
    counts = html[html.index('data-testid="sync-counts"') :]
    assert '<td>Leads / contacts</td><td class="num">3</td><td class="num">0</td>' in counts
    assert '<td>Opportunities / deals</td><td class="num">1</td>' in counts
    # Sync now: runs again, everything updated
    with django_capture_on_commit_callbacks(execute=True):
        synced = client.post(f"{base(company)}connections/hubspot/sync/")
    assert synced.status_code == 302
    assert CrmSyncRun.objects.count() == 2 and CrmSyncRun.objects.first().trigger == "manual"


def test_a_refused_token_is_shown_in_the_form(farend, waits, company, client_for, django_capture_on_commit_callbacks):
    hubspot_portal(farend, contacts=1, deals=0)
    client = client_for(company, Role.CMO)
    response = _connect(client, company, django_capture_on_commit_callbacks, token="pat-wrong-token")
    html = response.content.decode()
    assert response.status_code == 400
    assert "The CRM did not accept the connection: HubSpot no longer accepts the private-app token" in html
    assert "pat-wrong-token" not in html  # the password field is not filled in again
    assert not CrmConnection.objects.exists()


def test_an_empty_form_says_what_is_missing(farend, company, client_for, django_capture_on_commit_callbacks):
    client = client_for(company, Role.CMO)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(f"{base(company)}connections/salesforce/connect/", {"salesforce-login_url": "http://x"})
    html = response.content.decode()
    assert response.status_code == 400 and html.count("This field is required.") == 2


def test_needs_auth_is_explained_with_a_connect_again_form(
    farend, waits, company, client_for, django_capture_on_commit_callbacks
):
    hubspot_portal(farend, contacts=1, deals=0)
    client = client_for(company, Role.CMO)
    _connect(client, company, django_capture_on_commit_callbacks)
    farend.hubspot_tokens.clear()
    with django_capture_on_commit_callbacks(execute=True):
        client.post(f"{base(company)}connections/hubspot/sync/")
    html = client.get(base(company)).content.decode()
    assert "Needs connecting again" in html and "no longer accepts the private-app token" in html
    assert "Connect again" in html and ">Sync now</button>" not in html


def test_revoke_asks_first_then_deletes_the_credentials(
    farend, waits, company, client_for, django_capture_on_commit_callbacks
):
    hubspot_portal(farend, contacts=1, deals=0)
    client = client_for(company, Role.CMO)
    _connect(client, company, django_capture_on_commit_callbacks)
    confirm = client.get(f"{base(company)}connections/hubspot/revoke/")
    assert confirm.status_code == 200 and "Disconnect HubSpot?" in confirm.content.decode()
    assert CrmConnection.objects.get().status == "active"
    done = client.post(f"{base(company)}connections/hubspot/revoke/")
    assert done.status_code == 302
    connection = CrmConnection.objects.get()
    assert connection.status == "revoked" and connection.credentials == ""
    html = client.get(base(company)).content.decode()
    assert "HubSpot is disconnected; its credentials were deleted." in html and "Private-app access token" in html
    assert Lead.objects.count() == 1
    assert client.get(f"{base(company)}connections/hubspot/revoke/").status_code == 404


@pytest.mark.parametrize("role", [Role.EXECUTIVE, Role.FACILITATOR, Role.MEMBER])
def test_only_roles_that_import_crm_data_manage_connections(company, client_for, role):
    client = client_for(company, role)
    assert client.get(base(company)).status_code == 403
    assert client.post(f"{base(company)}connections/hubspot/connect/", {"hubspot-token": "x"}).status_code == 403
    assert client.post(f"{base(company)}connections/hubspot/sync/").status_code == 403


def test_other_companies_connections_are_404(
    farend, waits, company, other_company, client_for, make_member, django_capture_on_commit_callbacks
):
    hubspot_portal(farend, contacts=1, deals=0)
    theirs = client_for(other_company, Role.CMO)
    _connect(theirs, other_company, django_capture_on_commit_callbacks)
    mine = client_for(company, Role.CMO)
    assert mine.post(f"{base(company)}connections/hubspot/sync/").status_code == 404
    assert mine.get(f"{base(company)}connections/hubspot/revoke/").status_code == 404
    assert mine.post(f"{base(other_company)}connections/hubspot/sync/").status_code == 404
    assert mine.get(f"{base(company)}connections/pipedrive/status/").status_code == 404
    assert CrmSyncRun.objects.count() == 1


def test_a_running_sync_polls_its_part_of_the_page(
    farend, waits, company, client_for, django_capture_on_commit_callbacks
):
    hubspot_portal(farend, contacts=1, deals=0)
    client = client_for(company, Role.CMO)
    _connect(client, company, django_capture_on_commit_callbacks)
    connection = CrmConnection.objects.get()
    CrmSyncRun.objects.create(connection=connection, company=company, trigger="manual")
    html = client.get(base(company)).content.decode()
    assert f'hx-get="{base(company)}connections/hubspot/status/"' in html and "Sync running since" in html
    partial = client.get(f"{base(company)}connections/hubspot/status/", HTTP_HX_REQUEST="true").content.decode()
    assert "<html" not in partial and "Sync running since" in partial


def test_import_page_queries_do_not_grow_with_the_sync_history(
    farend, waits, company, client_for, django_assert_max_num_queries, django_capture_on_commit_callbacks
):
    hubspot_portal(farend, contacts=1, deals=0)
    client = client_for(company, Role.CMO)
    _connect(client, company, django_capture_on_commit_callbacks)
    connection = CrmConnection.objects.get()
    client.get(base(company))
    with django_assert_max_num_queries(30) as few:
        client.get(base(company))
    for _n in range(20):
        CrmSyncRun.objects.create(
            connection=connection,
            company=company,
            status="done",
            finished_at=connection.connected_at,
            counts={"leads": {"created": 1, "updated": 0}},
        )
    with django_assert_max_num_queries(len(few.captured_queries)):
        client.get(base(company))


def test_api_connect_list_sync_and_disconnect(
    farend, waits, company, api_client_for, django_capture_on_commit_callbacks
):
    hubspot_portal(farend, contacts=2, deals=0)
    api = api_client_for(company, Role.CMO)
    url = f"/api/v1/companies/{company.slug}/crm/connections/"
    refused = api.put(f"{url}hubspot/", {"token": "pat-wrong"}, format="json")
    assert refused.status_code == 400 and "no longer accepts" in str(refused.json())
    with django_capture_on_commit_callbacks(execute=True):
        connected = api.put(f"{url}hubspot/", {"token": HUBSPOT_TOKEN}, format="json")
    assert connected.status_code == 200 and connected.json()["connected"] is True
    assert HUBSPOT_TOKEN not in connected.content.decode()
    listed = api.get(url).json()
    hubspot = next(item for item in listed if item["kind"] == "hubspot")
    assert hubspot["last_sync"]["status"] == "done" and hubspot["last_sync"]["counts"]["leads"]["created"] == 2
    assert next(item for item in listed if item["kind"] == "salesforce")["status"] is None
    with django_capture_on_commit_callbacks(execute=True):
        assert api.post(f"{url}hubspot/sync/").status_code == 202
    assert CrmSyncRun.objects.count() == 2
    assert api.delete(f"{url}hubspot/").status_code == 204
    assert api.delete(f"{url}hubspot/").status_code == 404
    assert api_client_for(company, Role.EXECUTIVE).get(url).status_code == 403
