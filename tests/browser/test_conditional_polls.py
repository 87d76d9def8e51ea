"""Issue 19 in a real browser: the cascade page's poll of the signature is a conditional GET — 304 while nothing
changed, with 300 ms of latency on every poll — and someone else's change still arrives in the tree."""

from __future__ import annotations

import time

import pytest
from playwright.sync_api import expect

from objectives.services import cascade as services
from tests.browser.test_cascade import workshop  # noqa: F401 - fixture

pytestmark = pytest.mark.django_db(transaction=True)


def test_the_cascade_poll_answers_304_until_someone_else_changes_the_cascade(live_server, login, workshop):  # noqa: F811
    _company, cycle, facilitator = workshop
    services.objective_create(cycle=cycle, title="Grow profitably", actor=facilitator)
    polls: list[tuple[str | None, int]] = []
    page = login("lena.berger")

    def slow(route):
        time.sleep(0.3)
        route.continue_()

    page.route("**/cascade/signature/**", slow)
    page.on(
        "response",
        lambda response: (
            "/cascade/signature/" in response.url
            and polls.append((response.request.headers.get("if-none-match"), response.status))
        ),
    )
    page.goto(f"{live_server.url}/c/voltaria/cascade/?cycle={cycle.pk}")
    expect(page.locator("[data-cascade][data-ready='1']")).to_be_attached()
    expect(page.locator(".node-objective", has_text="Grow profitably")).to_be_visible()
    deadline = time.monotonic() + 20
    while len(polls) < 3 and time.monotonic() < deadline:
        page.wait_for_timeout(500)
    assert len(polls) >= 3, polls
    # the page carries the ETag of its first poll: every poll so far asked conditionally and got a 304
    assert all(sent and status == 304 for sent, status in polls), polls

    services.objective_create(cycle=cycle, title="Win the DACH region", actor=facilitator)
    expect(page.locator(".node-objective", has_text="Win the DACH region")).to_be_visible(timeout=15_000)
    assert any(status == 200 for _sent, status in polls), polls
    before = len(polls)
    deadline = time.monotonic() + 20
    while len(polls) < before + 2 and time.monotonic() < deadline:
        page.wait_for_timeout(500)
    assert [status for _sent, status in polls[before:]] and all(s == 304 for _x, s in polls[before:]), polls


def test_the_browser_keeps_the_cascade_page_and_gets_304_until_it_changes(live_server, login, workshop):  # noqa: F811
    """The whole page is kept by Chromium (private, no-cache + ETag): opening it again asks with If-None-Match and
    is answered 304 — the browser shows its kept copy; after someone else's change the page comes anew."""
    _company, cycle, facilitator = workshop
    services.objective_create(cycle=cycle, title="Grow profitably", actor=facilitator)
    page = login("lena.berger")
    url = f"{live_server.url}/c/voltaria/cascade/?cycle={cycle.pk}"
    # What went over the wire (Playwright reports a revalidated page as the kept 200): the DevTools protocol's raw
    # request headers and status of each navigation to the page.
    cdp = page.context.new_cdp_session(page)
    cdp.send("Network.enable")
    navigations: dict[str, dict] = {}
    cdp.on(
        "Network.requestWillBeSent",
        lambda event: (
            event["type"] == "Document"
            and "/cascade/" in event["request"]["url"]
            and navigations.setdefault(event["requestId"], {"order": len(navigations)})
        ),
    )
    cdp.on(
        "Network.requestWillBeSentExtraInfo",
        lambda event: (
            event["requestId"] in navigations
            and navigations[event["requestId"]].update(asked="if-none-match" in {h.lower() for h in event["headers"]})
        ),
    )
    cdp.on(
        "Network.responseReceivedExtraInfo",
        lambda event: (
            event["requestId"] in navigations and navigations[event["requestId"]].update(status=event["statusCode"])
        ),
    )

    def last() -> dict:
        page.wait_for_timeout(300)  # the protocol's events arrive after the page
        return max(navigations.values(), key=lambda entry: entry["order"])

    page.goto(url)
    expect(page.locator(".node-objective", has_text="Grow profitably")).to_be_visible()
    page.goto(url)
    expect(page.locator(".node-objective", has_text="Grow profitably")).to_be_visible()
    assert last().get("asked") and last().get("status") == 304, navigations

    services.objective_create(cycle=cycle, title="Win the DACH region", actor=facilitator)
    page.goto(url)
    expect(page.locator(".node-objective", has_text="Win the DACH region")).to_be_visible()
    assert last().get("asked") and last().get("status") == 200, navigations

    # signing out clears what the browser kept; the page asked for afterwards is the sign-in page
    page.locator("form[action='/logout/'] button").click()
    page.wait_for_load_state("domcontentloaded")
    page.goto(url)
    expect(page.get_by_label("Password").or_(page.get_by_label("Passwort"))).to_be_visible()
