"""People in the browser, over a slow network: a CMO invites a colleague, the colleague creates an account from the
e-mail (a real SMTP server) and joins, the CMO changes the colleague's team and deactivates someone, who is locked out
at once."""

from __future__ import annotations

import re
import time

import pytest
from playwright.sync_api import expect

from companies.models import Membership
from companies.permissions import Role
from tests.factories import CompanyFactory, MembershipFactory, TeamFactory, UserFactory

pytestmark = pytest.mark.django_db(transaction=True)


def _slow(page, delay_s: float = 0.3):
    def handle(route):
        time.sleep(delay_s)
        route.continue_()

    page.route("**/*", handle)


def _sign_in(page, url, username, password="pw"):
    page.goto(f"{url}/login/")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_load_state("domcontentloaded")


def test_invite_join_change_team_and_deactivate(live_server, browser, smtp):
    company = CompanyFactory(name="Voltaria Energie AG", slug="voltaria")
    cmo = UserFactory(username="markus", first_name="Markus", last_name="Hoffmann")
    MembershipFactory(user=cmo, company=company, role=Role.CMO)
    MembershipFactory(user=UserFactory(username="lena"), company=company, role=Role.FACILITATOR)
    MembershipFactory(user=UserFactory(username="petra"), company=company, role=Role.EXECUTIVE)
    leaver = UserFactory(username="paul", first_name="Paul", last_name="Weg")
    MembershipFactory(user=leaver, company=company, role=Role.MEMBER)
    TeamFactory(company=company, name="Vertrieb", kind="sales")
    TeamFactory(company=company, name="Marketing", kind="marketing")

    cmo_page = browser.new_context(locale="en-US").new_page()
    _slow(cmo_page)
    _sign_in(cmo_page, live_server.url, "markus")
    cmo_page.get_by_role("navigation", name="Main navigation").get_by_role("link", name="Members").click()
    expect(cmo_page.get_by_role("heading", level=1)).to_have_text("Members")
    cmo_page.get_by_label("E-mail").fill("nina@voltaria.example")
    cmo_page.get_by_label("Role", exact=True).select_option("member")
    cmo_page.get_by_label("Team", exact=True).select_option(label="Marketing")
    cmo_page.get_by_label("Language of the invitation").select_option("en")
    cmo_page.get_by_role("button", name="Send invitation").click()
    expect(cmo_page.get_by_role("status").first).to_contain_text("Invitation sent to nina@voltaria.example.")
    expect(cmo_page.get_by_test_id("invitations-table")).to_contain_text("nina@voltaria.example")

    [mail] = smtp.wait_for(1)
    link = re.search(r"https?://\S+", mail.get_body(preferencelist=("plain",)).get_content()).group(0)
    nina_page = browser.new_context(locale="en-US").new_page()
    _slow(nina_page)
    nina_page.goto(link)
    expect(nina_page.get_by_role("heading", level=1)).to_have_text("Join Voltaria Energie AG")
    nina_page.get_by_label("Username").fill("nina")
    nina_page.get_by_label("First name").fill("Nina")
    nina_page.get_by_label("Last name").fill("Neu")
    nina_page.get_by_label("Password", exact=True).press_sequentially("Sommer-Wiese-42!", delay=40)
    nina_page.get_by_label("Repeat password").press_sequentially("Sommer-Wiese-42!", delay=40)
    nina_page.get_by_role("button", name="Create account and join").click()
    expect(nina_page.get_by_role("heading", level=1)).to_have_text("Voltaria Energie AG")
    expect(nina_page.get_by_test_id("signed-in-user")).to_contain_text("Nina Neu")

    cmo_page.reload()
    row = cmo_page.locator('tr[data-member="nina"]')
    expect(row).to_contain_text("Nina Neu")
    row.get_by_label("Team of Nina Neu").select_option(label="Vertrieb")
    row.get_by_role("button", name="Save").click()
    expect(cmo_page.get_by_role("status").first).to_contain_text("Nina Neu: role and team saved.")
    assert Membership.objects.get(user__username="nina").team.name == "Vertrieb"

    paul_page = browser.new_context(locale="en-US").new_page()
    _sign_in(paul_page, live_server.url, "paul")
    expect(paul_page.get_by_role("heading", level=1)).to_have_text("Voltaria Energie AG")

    cmo_page.locator('tr[data-member="paul"]').get_by_role("link", name="Deactivate…").click()
    expect(cmo_page.get_by_role("heading", level=1)).to_have_text("Deactivate Paul Weg?")
    cmo_page.get_by_role("button", name="Deactivate", exact=True).click()
    expect(cmo_page.get_by_role("status").first).to_contain_text("Paul Weg was deactivated")
    expect(cmo_page.locator('tr[data-member="paul"]')).to_have_count(0)

    paul_page.reload()  # the open session ends at once
    expect(paul_page).to_have_url(re.compile(r"/login/"))
    _sign_in(paul_page, live_server.url, "paul")
    expect(paul_page.get_by_role("alert")).to_be_visible()
    assert "/login/" in paul_page.url
