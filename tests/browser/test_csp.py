"""The Content Security Policy holds in a real browser: no page, not even the API docs, triggers a violation."""

import pytest
from playwright.sync_api import expect

pytestmark = pytest.mark.django_db(transaction=True)

# Collected in the page itself: every CSP violation the browser reports, before any page script runs.
RECORD_VIOLATIONS = """
window.__cspViolations = [];
document.addEventListener("securitypolicyviolation", (event) => {
  window.__cspViolations.push(`${event.violatedDirective} ${event.blockedURI} ${event.sourceFile}:${event.lineNumber}`);
});
"""


@pytest.fixture
def csp_watch(page):
    console: list[str] = []
    page.add_init_script(RECORD_VIOLATIONS)
    page.on("console", lambda msg: console.append(msg.text) if "Content Security Policy" in msg.text else None)

    def violations() -> list[str]:
        return console + page.evaluate("window.__cspViolations || []")

    return violations


def test_a_deliberate_inline_script_is_reported(live_server, page, csp_watch):
    """The watch works: an inline script injected into a page is blocked and reported."""
    page.goto(f"{live_server.url}/login/")
    page.evaluate(
        """() => { const s = document.createElement("script"); s.textContent = "window.__ran = true";
        document.body.appendChild(s); }"""
    )
    expect(page.locator("body")).to_be_visible()
    assert page.evaluate("window.__ran === undefined")
    page.wait_for_function("window.__cspViolations.length > 0")
    assert any("script-src" in v for v in csp_watch())


def test_login_overview_and_api_docs_raise_no_violation(demo, live_server, page, login, csp_watch):
    page.goto(f"{live_server.url}/login/")
    expect(page.locator("#id_username")).to_be_visible()
    assert csp_watch() == []

    login("lena.berger")
    expect(page.get_by_role("heading", level=1)).to_have_text("Voltaria Energie AG")
    page.get_by_label("Sprache").select_option("en")  # app.js runs: the switcher submits the form
    expect(page.get_by_role("button", name="Sign out")).to_be_visible()
    assert csp_watch() == []

    page.goto(f"{live_server.url}/api/docs/")
    # Swagger UI rendered the schema: its init script came from a URL and ran.
    expect(page.get_by_text("/api/v1/companies/{company_slug}/members/").first).to_be_visible()
    assert csp_watch() == []
