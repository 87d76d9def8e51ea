"""The compact header on small screens, on every section of the site: at 375×740 the top bar is one short line
(brand and "Menu"); the navigation opens by keyboard (Enter on the button, Escape closes it and returns the focus)
and by touch (a tap), in German and English. On a wide screen the navigation stays in the bar, without the button."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from companies.demo import DEMO_PASSWORD
from companies.models import Profile

pytestmark = pytest.mark.django_db(transaction=True)

PHONE = {"viewport": {"width": 375, "height": 740}, "has_touch": True, "is_mobile": True}
SECTIONS = ["", "cascade/", "priorities/", "budgets/", "board/", "my-key-results/"]


def sign_in(context, live_server, username):
    page = context.new_page()
    page.goto(f"{live_server.url}/login/")
    page.get_by_label("Benutzername").or_(page.get_by_label("Username")).fill(username)
    page.get_by_label("Passwort").or_(page.get_by_label("Password")).fill(DEMO_PASSWORD)
    page.get_by_role("button", name="Anmelden").or_(page.get_by_role("button", name="Sign in")).click()
    page.wait_for_load_state("domcontentloaded")
    return page


@pytest.mark.parametrize(("language", "menu"), [("de", "Menü"), ("en", "Menu")])
def test_phone_header_is_one_line_and_the_navigation_opens_by_keyboard_and_touch(
    demo, browser, live_server, language, menu
):
    Profile.objects.filter(user__username="markus.hoffmann").update(language=language)
    context = browser.new_context(**PHONE)
    page = sign_in(context, live_server, "markus.hoffmann")
    navigation = page.get_by_role("navigation", name="Hauptnavigation" if language == "de" else "Main navigation")
    for section in SECTIONS:
        page.goto(f"{live_server.url}/c/voltaria/{section}")
        header = page.locator("header.topbar")
        toggle = page.get_by_role("button", name=menu)
        expect(toggle).to_be_visible()
        expect(toggle).to_have_attribute("aria-expanded", "false")
        expect(navigation).to_be_hidden()
        box = header.bounding_box()
        assert box["height"] <= 64, (section, box)  # under 9 % of a 740 px screen (it was ~40 %)
        target = toggle.bounding_box()
        assert target["height"] >= 44 and target["width"] >= 44  # a thumb-sized target

    # keyboard: Tab reaches the button (after the skip link and the brand), Enter opens, the links follow in order
    page.goto(f"{live_server.url}/c/voltaria/budgets/")
    toggle = page.get_by_role("button", name=menu)
    for _ in range(3):
        page.keyboard.press("Tab")
        if page.evaluate("document.activeElement.hasAttribute('data-nav-toggle')"):
            break
    expect(toggle).to_be_focused()
    page.keyboard.press("Enter")
    expect(toggle).to_have_attribute("aria-expanded", "true")
    expect(navigation).to_be_visible()
    page.keyboard.press("Tab")
    first_link = navigation.get_by_role("link").first
    expect(first_link).to_be_focused()
    page.keyboard.press("Escape")
    expect(navigation).to_be_hidden()
    expect(toggle).to_be_focused()
    expect(toggle).to_have_attribute("aria-expanded", "false")
    page.keyboard.press("Space")
    expect(navigation).to_be_visible()
    page.keyboard.press("Space")
    expect(navigation).to_be_hidden()

    # touch: a tap opens the menu, a tap on an entry goes there
    toggle.tap()
    expect(navigation).to_be_visible()
    board = navigation.get_by_role("link", name="Vorstand" if language == "de" else "Board")
    board.tap()
    page.wait_for_url("**/c/voltaria/board/")
    expect(page.get_by_role("button", name=menu)).to_have_attribute("aria-expanded", "false")
    expect(page.locator(".mainnav a[aria-current='page']")).to_have_attribute("data-nav", "board")
    context.close()


def test_wide_screen_keeps_the_navigation_in_the_bar(demo, browser, live_server):
    context = browser.new_context(viewport={"width": 1280, "height": 800})
    page = sign_in(context, live_server, "markus.hoffmann")
    page.goto(f"{live_server.url}/c/voltaria/cascade/")
    expect(page.locator("[data-nav-toggle]")).to_be_hidden()
    expect(page.locator("nav.mainnav")).to_be_visible()
    expect(page.locator("#company-switcher")).to_be_visible()
    context.close()
