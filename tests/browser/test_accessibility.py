"""axe-core (from npm, package-lock.json) in both languages: zero serious or critical violations.

Every page of the site: the test signs in with the demo data as the CMO (the role that sees most) and then as the
facilitator (who also sees the history), and visits every entry of the main navigation, every link of the header and
one of each kind of page linked from those pages (an objective's detail, an initiative, a budget line, …), found by
following the links themselves, so a new page or section is checked without changing this test. The workshop screens
are checked in their states too: the cascade with a tree, an open row editor and a refused row, in wall mode; rating
on a phone-sized screen."""

from __future__ import annotations

import re
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from playwright.sync_api import expect

from companies.models import Profile
from tests.browser.test_cascade import small_tree, workshop  # noqa: F401 - fixtures
from tests.browser.test_priorities import _workshop

pytestmark = pytest.mark.django_db(transaction=True)

AXE = Path(__file__).resolve().parents[2] / "node_modules" / "axe-core" / "axe.min.js"

# Links that are no page to check: downloads, signing out, the admin, the API and its docs.
NOT_PAGES = re.compile(r"/(logout|admin|api)/|export|download|\.(csv|xlsx|pdf|json|svg|png|ico)$")


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


def page_shape(path: str) -> str:
    """/c/voltaria/objectives/12/ and /c/voltaria/objectives/31/ are one kind of page: checked once."""
    return re.sub(r"/\d+(?=/|$)", "/N", path)


def links_on(page, live_server, selector: str) -> list[str]:
    hrefs = page.eval_on_selector_all(selector, "links => links.map((a) => a.getAttribute('href'))")
    out = []
    for href in hrefs:
        if not href or href.startswith(("#", "mailto:", "javascript:")):
            continue
        parts = urlsplit(href)
        if parts.netloc and parts.netloc != urlsplit(live_server.url).netloc:
            continue
        if not parts.path.startswith("/") or NOT_PAGES.search(parts.path):
            continue
        out.append(parts.path)
    return out


def check_every_page(login, live_server, usernames, language) -> tuple[dict[str, list[str]], list[str]]:
    """Every navigation entry and header link (depth 0) and one page of each kind they link to (depth 1)."""
    found: dict[str, list[str]] = {}
    visited: list[str] = []
    seen: set[str] = set()
    for username in usernames:
        Profile.objects.filter(user__username=username).update(language=language)
        page = login(username)
        page.goto(f"{live_server.url}/c/voltaria/")
        queue = [(path, 0) for path in links_on(page, live_server, ".mainnav a, .topbar-tools a, .brand")]
        while queue:
            path, depth = queue.pop(0)
            if page_shape(path) in seen:
                continue
            seen.add(page_shape(path))
            response = page.goto(live_server.url + path)
            assert response is not None and response.status == 200, f"{path}: {response and response.status}"
            page.wait_for_load_state("load")
            assert page.locator("html").get_attribute("lang") == language
            visited.append(path)
            violations = serious_violations(page)
            if violations:
                found[path] = violations
            if depth == 0:
                # a link that htmx loads into the page (hx-get) is a part of this page, not a page of its own
                queue.extend((link, 1) for link in links_on(page, live_server, "main a[href]:not([hx-get])"))
        page.context.clear_cookies()
    return found, visited


@pytest.mark.parametrize("language", ["de", "en"])
def test_every_page_has_no_serious_axe_violations(demo, login, live_server, language):
    found, visited = check_every_page(login, live_server, ["markus.hoffmann", "lena.berger"], language)
    # every section of the navigation and the detail pages below them were reached
    shapes = {page_shape(path) for path in visited}
    for section in ("/c/voltaria/cascade/", "/c/voltaria/priorities/", "/c/voltaria/budgets/", "/c/voltaria/board/"):
        assert any(shape.startswith(section) for shape in shapes), (section, sorted(shapes))
    assert any(re.search(r"/N/", shape) for shape in shapes), sorted(shapes)  # at least one detail page
    assert len(visited) >= 15, visited
    print(f"\n[axe] {language}: {len(visited)} pages, {len(found)} with serious or critical violations")
    assert found == {}, "\n".join(
        f"{path}: {violation}" for path, violations in found.items() for violation in violations
    )
