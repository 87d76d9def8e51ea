"""The Content Security Policy holds in a real browser: no page, not even the API docs, triggers a violation."""

from pathlib import Path

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


PLOTLY_PAGE = """<!doctype html><html><head><meta charset="utf-8"><title>chart</title>
<script src="/static/vendor/plotly.min.js"></script><script src="/static/chart-test.js" defer></script></head>
<body><div id="chart"></div><script type="application/json" id="figure">%s</script></body></html>"""
PLOTLY_INIT = """const figure = JSON.parse(document.getElementById("figure").textContent);
Plotly.newPlot("chart", figure.data, figure.layout, {displaylogo: false}).then(() => { window.__plotted = true; });"""


def test_plotly_figures_render_under_the_policy(page, csp_watch, settings):
    """The recipe from DESIGN.md (figure JSON in a data block, drawn by a static script with the plotly.js bundle
    of the plotly package) works under our exact policy: a line and a bar chart render, nothing is blocked."""
    import plotly.graph_objects as go
    from django.contrib.staticfiles import finders

    from core.middleware import content_security_policy

    figure = go.Figure([go.Scatter(x=[1, 2, 3], y=[3, 1, 2], name="Pipeline"), go.Bar(x=[1, 2, 3], y=[1, 2, 3])])
    policy = content_security_policy(settings.CONTENT_SECURITY_POLICY)
    bodies = {
        "/": ("text/html", PLOTLY_PAGE % figure.to_json().replace("</", "<\\/")),
        "/static/vendor/plotly.min.js": (
            "application/javascript",
            Path(finders.find("vendor/plotly.min.js")).read_text(),
        ),
        "/static/chart-test.js": ("application/javascript", PLOTLY_INIT),
    }

    def serve(route):
        path = "/" + route.request.url.split("//", 1)[1].split("/", 1)[1]
        content_type, body = bodies[path]
        route.fulfill(status=200, body=body, headers={"Content-Type": content_type, "Content-Security-Policy": policy})

    page.route("http://okrplan.test/**", serve)
    page.goto("http://okrplan.test/")
    page.wait_for_function("window.__plotted === true")
    expect(page.locator("#chart .main-svg").first).to_be_visible()
    expect(page.locator("#chart .legendtext", has_text="Pipeline")).to_be_visible()
    assert csp_watch() == []
