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
