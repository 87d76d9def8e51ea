"""In a real browser: a CMO finds the handover SLAs in the navigation, reads the open breaches with their owners and
the reasons sales gave, and tightens the MQL rule on a slow connection (typed at human speed); the overview then
measures the new rule. The pages have no serious axe-core violations."""

from __future__ import annotations

import datetime as dt
import time

import pytest
from playwright.sync_api import expect

from companies.permissions import Role
from sla.models import SlaRule
from tests.browser.test_accessibility import serious_violations
from tests.factories import CompanyFactory, MembershipFactory, UserFactory
from tests.factories_crm import LeadFactory

pytestmark = pytest.mark.django_db(transaction=True)


def test_cmo_reads_breaches_and_feedback_and_tightens_a_rule(live_server, login):
    company = CompanyFactory(name="Acme Energie", slug="acme")
    cmo = UserFactory(username="carla", first_name="Carla", last_name="Marketing")
    MembershipFactory(user=cmo, company=company, role=Role.CMO)
    now = dt.datetime.now(tz=dt.UTC)
    LeadFactory(company=company, external_id="WAIT-1", owner="Ben Vertrieb", mql_at=now - dt.timedelta(days=12))
    LeadFactory(company=company, external_id="WAIT-2", owner="Anna Vertrieb", mql_at=now - dt.timedelta(days=20))
    asked = now - dt.timedelta(days=9)
    LeadFactory(company=company, external_id="NO-1", owner="Anna Vertrieb", mql_at=asked,
                rejected_at=asked + dt.timedelta(minutes=30), rejection_reason="Kein Budget")  # fmt: skip

    page = login("carla", "pw")
    page.goto(f"{live_server.url}/c/acme/")
    page.get_by_role("navigation").get_by_role("link", name="SLAs").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Handover SLAs")
    expect(page.get_by_role("heading", name="2 open breaches")).to_be_visible()
    rows = page.get_by_test_id("breach-row")
    expect(rows).to_have_count(2)
    expect(rows.first).to_contain_text("WAIT-2")  # the longest overdue first
    expect(rows.first).to_contain_text("Anna Vertrieb")
    assert serious_violations(page) == []

    page.get_by_role("link", name="Rejected and recycled leads").click()
    expect(page.get_by_test_id("reason-row")).to_contain_text("Kein Budget")
    expect(page.get_by_test_id("rejected-leads")).to_contain_text("NO-1")

    page.get_by_role("link", name="Rules and working hours").click()

    def slow(route):
        time.sleep(0.8)  # a slow connection: the page must not count the save before the server has it
        route.continue_()

    page.route("**/sla/rules/", slow)
    hours = page.locator("fieldset[data-rule='mql_response']").get_by_label("Within working hours")
    hours.fill("")
    hours.press_sequentially("8", delay=120)
    page.get_by_role("button", name="Save SLA rules").click()
    expect(page.get_by_text("The SLA rules were saved.")).to_be_visible()
    assert SlaRule.objects.get(company=company, kind="mql_response").hours == 8
    assert serious_violations(page) == []

    page.unroute("**/sla/rules/")
    page.get_by_role("link", name="Compliance").click()
    expect(page.get_by_text("An MQL is accepted (SAL) or rejected by sales within 8 working hours.")).to_be_visible()
    # the rejection after 30 minutes still meets the tighter rule; the two waiting leads stay open breaches
    expect(page.get_by_role("heading", name="2 open breaches")).to_be_visible()
