"""Smoke test in a real browser: each demo user signs in, sees the navigation, and switches the language."""

import pytest
from playwright.sync_api import expect

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.mark.parametrize(
    ("username", "role_de"),
    [
        ("lena.berger", "Moderation"),
        ("markus.hoffmann", "CMO"),
        ("petra.schulz", "Geschäftsführung"),
        ("jonas.weber", "Mitglied"),
    ],
)
def test_demo_user_signs_in_sees_navigation_and_switches_language(demo, login, live_server, username, role_de):
    page = login(username)
    expect(page.get_by_role("heading", level=1)).to_have_text("Voltaria Energie AG")
    nav = page.get_by_role("navigation", name="Hauptnavigation")
    expect(nav).to_be_visible()
    expect(nav.get_by_role("link", name="Übersicht")).to_have_attribute("aria-current", "page")
    expect(page.get_by_test_id("signed-in-user")).to_contain_text(role_de)

    page.get_by_label("Sprache").select_option("en")
    page.wait_for_url(f"{live_server.url}/c/voltaria/")
    nav = page.get_by_role("navigation", name="Main navigation")
    expect(nav.get_by_role("link", name="Overview")).to_be_visible()
    expect(page.get_by_role("button", name="Sign out")).to_be_visible()

    page.get_by_label("Language").select_option("de")
    expect(page.get_by_role("button", name="Abmelden")).to_be_visible()


def test_wrong_password_is_explained_in_the_browser(demo, login):
    page = login("jonas.weber", "falsch")
    expect(page.get_by_role("alert")).to_be_visible()
    assert "/login/" in page.url
