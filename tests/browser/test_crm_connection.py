"""A live HubSpot connection in a real browser: connect with a private-app token, see the first sync's counts, sync
again, disconnect after confirming — against the local far end (tests/crm/connectors/farend.py)."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from companies.permissions import Role
from tests.browser.test_accessibility import serious_violations
from tests.crm.connectors.conftest import farend, waits  # noqa: F401 (fixtures)
from tests.crm.connectors.data import HUBSPOT_TOKEN, hubspot_portal

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def browser_context_args(browser_context_args):
    return {**browser_context_args, "locale": "en-US"}


@pytest.fixture
def cmo():
    from tests.factories import CompanyFactory, MembershipFactory, UserFactory

    company = CompanyFactory(slug="acme", name="Acme Energie")
    MembershipFactory(user=UserFactory(username="carla"), company=company, role=Role.CMO)
    return company


def test_connect_sync_and_see_the_counts(cmo, farend, waits, live_server, login):  # noqa: F811
    from crm.models import CrmConnection, Lead

    hubspot_portal(farend, contacts=4, deals=2)
    page = login("carla", "pw")
    page.goto(f"{live_server.url}/c/acme/board/import/")
    hubspot = page.get_by_test_id("connection-hubspot")
    token = hubspot.get_by_label("Private-app access token")
    token.fill("pat-wrong")
    token.press("Enter")  # the keyboard submits
    expect(page.get_by_test_id("connection-hubspot")).to_contain_text("HubSpot no longer accepts the private-app token")
    hubspot = page.get_by_test_id("connection-hubspot")
    hubspot.get_by_label("Private-app access token").fill(HUBSPOT_TOKEN)
    hubspot.get_by_role("button", name="Connect").click()

    expect(page.get_by_test_id("connection-state")).to_contain_text("connected as private-app token …5555 since")
    counts = page.get_by_test_id("sync-counts")
    expect(counts.locator("tr", has_text="Leads / contacts")).to_contain_text("4")
    expect(counts.locator("tr", has_text="Opportunities / deals")).to_contain_text("2")
    assert HUBSPOT_TOKEN not in page.content()
    assert Lead.objects.count() == 4
    assert serious_violations(page) == []

    page.get_by_role("button", name="Sync now").click()
    expect(page.locator(".messages")).to_contain_text("The sync has started.")
    expect(page.get_by_test_id("last-sync")).to_contain_text("Sync now")

    page.get_by_role("link", name="Disconnect…").click()
    expect(page.get_by_role("heading", name="Disconnect HubSpot?")).to_be_visible()
    page.get_by_role("button", name="Disconnect").click()
    expect(page.get_by_test_id("connect-hubspot")).to_be_visible()
    assert CrmConnection.objects.get().credentials == ""
