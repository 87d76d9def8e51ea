"""axe-core (from npm, package-lock.json) on the workshop screens in both languages: zero serious or critical
violations. The cascade is checked with a tree, an open row editor and a refused row, in wall mode too; rating on a
phone-sized screen."""

from __future__ import annotations

from pathlib import Path

import pytest
from playwright.sync_api import expect

from companies.models import Profile
from tests.browser.test_cascade import small_tree, workshop  # noqa: F401 - fixtures
from tests.browser.test_priorities import _workshop

pytestmark = pytest.mark.django_db(transaction=True)

AXE = Path(__file__).resolve().parents[2] / "node_modules" / "axe-core" / "axe.min.js"


def serious_violations(page) -> list[str]:
    if not AXE.exists():
        pytest.fail("node_modules/axe-core is missing: run `make vendor` (npm ci)")
    page.evaluate(AXE.read_text())
    result = page.evaluate("async () => await axe.run(document, {resultTypes: ['violations']})")
    return [
        f"{v['id']} ({v['impact']}): {v['help']} – {[n['target'] for n in v['nodes']][:4]}"
        for v in result["violations"]
        if v["impact"] in ("serious", "critical")
    ]


@pytest.mark.parametrize("language", ["de", "en"])
def test_cascade_builder_has_no_serious_axe_violations(small_tree, login, live_server, language):  # noqa: F811
    cycle, _a, _a1, _b = small_tree
    Profile.objects.filter(user__username="lena.berger").update(language=language)
    page = login("lena.berger")
    page.goto(f"{live_server.url}/c/voltaria/cascade/?cycle={cycle.pk}")
    expect(page.locator("[data-cascade][data-ready='1']")).to_be_attached()
    assert serious_violations(page) == []
    page.keyboard.press("n")  # a row editor is open
    expect(page.locator(".editor-node input[name=title]")).to_be_focused()
    assert serious_violations(page) == []
    page.keyboard.press("Escape")
    page.keyboard.press("?")  # the keyboard help
    expect(page.locator("#keyboard-help")).to_be_visible()
    assert serious_violations(page) == []
    page.keyboard.press("Escape")
    page.goto(f"{live_server.url}/c/voltaria/cascade/?cycle={cycle.pk}&wall=1")
    expect(page.locator("[data-cascade][data-ready='1']")).to_be_attached()
    assert serious_violations(page) == []


@pytest.mark.parametrize("language", ["de", "en"])
def test_phone_rating_has_no_serious_axe_violations(demo, browser, live_server, language):
    from companies.demo import DEMO_PASSWORD

    cycle, _initiative = _workshop()
    Profile.objects.filter(user__username="jonas.weber").update(language=language)
    context = browser.new_context(viewport={"width": 375, "height": 740}, has_touch=True, is_mobile=True)
    page = context.new_page()
    page.goto(f"{live_server.url}/login/")
    page.get_by_label("Benutzername").or_(page.get_by_label("Username")).fill("jonas.weber")
    page.get_by_label("Passwort").or_(page.get_by_label("Password")).fill(DEMO_PASSWORD)
    page.get_by_role("button", name="Anmelden").or_(page.get_by_role("button", name="Sign in")).click()
    page.wait_for_load_state("domcontentloaded")
    page.goto(f"{live_server.url}/c/voltaria/priorities/rate/?cycle={cycle.pk}")
    expect(page.locator("[data-rate-form]")).to_be_visible()
    assert serious_violations(page) == []
    page.locator("label[for=contribution-4]").tap()
    page.locator("label[for=effort-2]").tap()
    expect(page.get_by_test_id("rating-status")).to_contain_text("✓")
    assert serious_violations(page) == []
    context.close()
