"""Teams in the browser, over a slow network: the facilitator of the demo company adds, renames and deletes a team on
the members page (a team owning objectives is refused with its reason), and filters the cascade by team."""

from __future__ import annotations

import time

import pytest
from playwright.sync_api import expect

from companies.models import Profile, Team

pytestmark = pytest.mark.django_db(transaction=True)


def _slow(page, delay_s: float = 0.2):
    def handle(route):
        time.sleep(delay_s)
        route.continue_()

    page.route("**/*", handle)


def test_manage_teams_and_filter_the_cascade_by_team(demo, login, live_server):
    Profile.objects.filter(user__username="lena.berger").update(language="en")
    page = login("lena.berger")
    _slow(page)
    page.goto(f"{live_server.url}/c/voltaria/members/")
    teams = page.get_by_test_id("teams-table")
    expect(teams.locator('tr[data-team="Vertrieb"]')).to_be_visible()

    add = page.get_by_test_id("team-add")
    add.get_by_label("Name").press_sequentially("Key Accounts", delay=30)
    add.get_by_label("Place in the cascade").select_option(label="Sales")
    add.get_by_role("button", name="Add team").click()
    expect(page.get_by_role("status").first).to_contain_text("Team “Key Accounts” added.")

    row = teams.locator('tr[data-team="Key Accounts"]')
    row.get_by_label("Name of team Key Accounts").fill("Großkunden")
    row.get_by_role("button", name="Save").click()
    expect(page.get_by_role("status").first).to_contain_text("Team “Großkunden” saved.")
    assert Team.objects.get(company__slug="voltaria", name="Großkunden").kind == "sales"

    # A team owning objectives stays, and the page says why and what to do instead.
    teams.locator('tr[data-team="Vertrieb"]').get_by_role("link", name="Delete…").click()
    expect(page.get_by_role("alert")).to_contain_text(
        "“Vertrieb” is the team of 2 objectives, so it cannot be deleted."
    )
    expect(page.get_by_role("button", name="Delete team")).to_have_count(0)
    page.get_by_role("link", name="Back to the members").click()

    teams.locator('tr[data-team="Großkunden"]').get_by_role("link", name="Delete…").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Delete the team “Großkunden”?")
    page.get_by_role("button", name="Delete team").click()
    expect(page.get_by_role("status").first).to_contain_text("Team “Großkunden” deleted.")
    expect(teams.locator('tr[data-team="Großkunden"]')).to_have_count(0)
    assert not Team.objects.filter(name="Großkunden").exists()

    page.goto(f"{live_server.url}/c/voltaria/cascade/")
    expect(page.locator("[data-cascade][data-ready='1']")).to_be_attached()
    choose = page.get_by_label("Team", exact=True)
    expect(choose.locator("option", has_text="Vertrieb")).to_have_count(1)
    choose.select_option(label="Vertrieb")
    tree = page.locator(".cascade-tree")
    expect(tree.locator("li[data-title='Neukunden in den Fokussegmenten gewinnen']")).to_be_visible()
    # the matches with their ancestors for context; marketing's objectives are filtered out
    expect(tree.locator("li[data-kind='objective'] .chip-team", has_text="Marketing")).to_have_count(0)
    sales = Team.objects.get(company__slug="voltaria", name="Vertrieb")
    expect(tree.locator(f"li[data-team='{sales.pk}']")).to_have_count(2)
