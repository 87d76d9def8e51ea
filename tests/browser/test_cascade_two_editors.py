"""Two people build the same cascade at the same time, each in their own browser with 400 ms latency, keystrokes
interleaved at human speed for about a minute: every row of each lands where its author typed it, the live updates of
the other's rows never move a caret, and a simultaneous edit of the same title is answered "Changed by X at HH:MM"
with the typed text kept."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from companies.demo import DEMO_PASSWORD
from objectives.models import KeyResult, Objective
from objectives.services import cascade as services
from tests.browser.test_cascade import wait_saved, workshop  # noqa: F401 - fixture

pytestmark = pytest.mark.django_db(transaction=True)


def steps_for(prefix: str) -> list[tuple[str, str]]:
    steps: list[tuple[str, str]] = []

    def type_(text):
        steps.extend(("type", char) for char in text)

    def press(key):
        steps.append(("press", key))

    def key_results(objective):
        press("k")
        for n in (1, 2, 3):
            type_(f"{objective} KR{n}")
            press("Tab")
            press("Tab")
            type_("0")
            press("Tab")
            type_(str(n * 5))
            press("Enter")
        press("Escape")

    press("n")
    type_(f"{prefix} Ziel")
    press("Enter")
    press("Escape")
    key_results(f"{prefix} Ziel")
    press("c")
    type_(f"{prefix} Teil")
    press("Enter")
    press("Escape")
    key_results(f"{prefix} Teil")
    return steps


def open_as(browser, live_server, username, cycle):
    context = browser.new_context(viewport={"width": 1280, "height": 900}, locale="de-DE")
    page = context.new_page()
    page.goto(f"{live_server.url}/login/")
    page.get_by_label("Benutzername").or_(page.get_by_label("Username")).fill(username)
    page.get_by_label("Passwort").or_(page.get_by_label("Password")).fill(DEMO_PASSWORD)
    page.get_by_role("button", name="Anmelden").or_(page.get_by_role("button", name="Sign in")).click()
    page.wait_for_load_state("domcontentloaded")
    page.goto(f"{live_server.url}/c/voltaria/cascade/?cycle={cycle.pk}")
    expect(page.locator("[data-cascade][data-ready='1']")).to_be_attached()
    cdp = context.new_cdp_session(page)
    cdp.send("Network.enable")
    cdp.send(
        "Network.emulateNetworkConditions",
        {"offline": False, "latency": 400, "downloadThroughput": -1, "uploadThroughput": -1},
    )
    return context, page


def test_two_people_build_at_once_with_latency(workshop, browser, live_server):  # noqa: F811
    _company, cycle, facilitator = workshop
    shared = services.objective_create(cycle=cycle, title="Gemeinsames Ziel", actor=facilitator)
    lena_context, lena = open_as(browser, live_server, "lena.berger", cycle)
    markus_context, markus = open_as(browser, live_server, "markus.hoffmann", cycle)

    lena_steps, markus_steps = steps_for("Lena"), steps_for("Markus")
    for n in range(max(len(lena_steps), len(markus_steps))):
        for page, steps in ((lena, lena_steps), (markus, markus_steps)):
            if n < len(steps):
                kind, value = steps[n]
                if kind == "type":
                    page.keyboard.type(value)
                else:
                    page.keyboard.press(value)
        lena.wait_for_timeout(60)  # two people at ~120 ms per key each
    wait_saved(lena, timeout=60_000)
    wait_saved(markus, timeout=60_000)

    for prefix in ("Lena", "Markus"):
        top = Objective.objects.get(cycle=cycle, title=f"{prefix} Ziel")
        child = Objective.objects.get(cycle=cycle, title=f"{prefix} Teil")
        assert top.parent_id is None and child.parent_id == top.pk
        for objective in (top, child):
            krs = KeyResult.objects.filter(objective=objective).order_by("position")
            assert [(k.title, int(k.target_value)) for k in krs] == [
                (f"{objective.title} KR{n}", n * 5) for n in (1, 2, 3)
            ]
    assert Objective.objects.filter(cycle=cycle).count() == 5  # the shared one + 2 × 2: no stray rows
    assert KeyResult.objects.filter(objective__cycle=cycle).count() == 12
    # Each page shows the other's rows too (live updates), without a reload.
    for page in (lena, markus):
        for title in ("Lena Teil KR3", "Markus Teil KR3"):
            expect(page.locator(f"li[data-title='{title}']")).to_be_attached(timeout=15_000)

    # Both rename the shared objective at the same moment: one wins, the other is told who and keeps the text.
    for page, text in ((lena, "Lenas Titel"), (markus, "Markus' Titel")):
        page.locator(f"li[data-kind='objective'][data-id='{shared.pk}']").focus()
        page.keyboard.press("Enter")
        page.locator(".editor-inplace input[name=title]").fill(text)
    lena.keyboard.press("Enter")
    wait_saved(lena)
    markus.keyboard.press("Enter")
    error = markus.locator("[data-editor-error]")
    expect(error).to_contain_text(re.compile(r"Geändert von Lena Berger um \d\d:\d\d"))
    expect(markus.locator(".editor-inplace input[name=title]")).to_have_value("Markus' Titel")
    shared.refresh_from_db()
    assert shared.title == "Lenas Titel"
    lena_context.close()
    markus_context.close()
