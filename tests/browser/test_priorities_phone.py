"""Rating on a phone over a slow mobile connection: taps 100 ms apart are all sent, in order; the stored rating is
the last tap; the card shows what the server stored; one initiative fits a 375×740 screen without scrolling."""

import pytest
from playwright.sync_api import expect

from companies.demo import DEMO_PASSWORD
from initiatives.models import InitiativeRating
from tests.browser.test_priorities import _workshop

pytestmark = pytest.mark.django_db(transaction=True)

# (contribution, effort) tap sequences; the last tap of each scale is what must be stored
SEQUENCES = [
    [("contribution", 5), ("effort", 1)],
    [("contribution", 2), ("effort", 4), ("contribution", 4), ("effort", 2)],
    [("effort", 3), ("contribution", 1), ("contribution", 3), ("effort", 5), ("effort", 4)],
]


def test_taps_on_a_slow_phone_are_stored_in_order_and_fit_the_screen(demo, browser, live_server):
    cycle, initiative = _workshop()
    context = browser.new_context(
        viewport={"width": 375, "height": 740}, has_touch=True, is_mobile=True, locale="de-DE"
    )
    page = context.new_page()
    page.goto(f"{live_server.url}/login/")
    page.get_by_label("Benutzername").or_(page.get_by_label("Username")).fill("jonas.weber")
    page.get_by_label("Passwort").or_(page.get_by_label("Password")).fill(DEMO_PASSWORD)
    page.get_by_role("button", name="Anmelden").or_(page.get_by_role("button", name="Sign in")).click()
    page.wait_for_load_state("domcontentloaded")
    page.goto(f"{live_server.url}/c/voltaria/priorities/rate/?cycle={cycle.pk}")
    expect(page.get_by_role("heading", name="Webinar-Reihe Netzstabilität")).to_be_visible()

    # One initiative with both scales and "Next"/"Finish" fits without scrolling.
    assert page.evaluate("document.documentElement.scrollHeight") <= 740
    nav = page.locator(".prio-rate-nav").bounding_box()
    assert nav["y"] + nav["height"] <= 740

    cdp = context.new_cdp_session(page)
    cdp.send("Network.enable")
    cdp.send(
        "Network.emulateNetworkConditions",
        {"offline": False, "latency": 400, "downloadThroughput": -1, "uploadThroughput": -1},
    )
    for sequence in SEQUENCES:
        for scale, value in sequence:
            page.locator(f"label[for={scale}-{value}]").tap()
            page.wait_for_timeout(100)
        last = dict(sequence)
        status = page.get_by_test_id("rating-status")
        expect(status).to_contain_text("Gespeichert", timeout=15_000)
        rating = InitiativeRating.objects.get(initiative=initiative, rater__username="jonas.weber")
        assert (rating.contribution, rating.effort) == (last["contribution"], last["effort"])
        # the card shows the stored values
        expect(page.locator(f"#contribution-{rating.contribution}")).to_be_checked()
        expect(page.locator(f"#effort-{rating.effort}")).to_be_checked()
        assert page.evaluate("document.documentElement.scrollHeight") <= 740
    context.close()
