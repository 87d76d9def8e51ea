"""Typing the whole cascade by keyboard on real networks: nothing typed is lost or lands anywhere else.

Each condition builds 5 objectives on three levels with 3 key results each (15) by keyboard alone, waits for the save
indicator to say "Saved", and compares every title, level and order in the database and in the reloaded page with
what was typed: zero differences, zero stray rows. Latency is the browser's own network emulation (CDP), so requests
are slow while the typing goes on; the failing condition aborts one create request, which the save queue retries.
OKRPLAN_WORKSHOP_REPEAT=10 runs each condition 10 times (default 1, to bound `make test`).
"""

from __future__ import annotations

import os
import time

import pytest
from playwright.sync_api import expect

from objectives.models import KeyResult, Objective
from tests.browser.test_cascade import open_cascade, wait_saved, workshop  # noqa: F401 - fixture

pytestmark = pytest.mark.django_db(transaction=True)

REPEAT = int(os.environ.get("OKRPLAN_WORKSHOP_REPEAT", "1"))

# (name, latency in ms, delay between keys in ms, abort the n-th key result create once)
CONDITIONS = [
    # Machine speed on localhost is the hardest for the page's own live updates: a tree snapshot fetched before a
    # save was queued used to arrive after that save returned and was morphed in, removing the new row and its focus
    # (fixed: live.js drops a snapshot older than the last queued change; see the snapshot test below).
    ("localhost-machine-speed", 0, 0, None),
    ("400ms-human-speed", 400, 120, None),
    ("400ms-machine-speed", 400, 0, None),
    ("1s-human-speed", 1000, 120, None),
    ("1s-machine-speed-one-request-fails", 1000, 0, 2),
]

# (title, level, parent title); key results: 3 per objective.
OBJECTIVES = [
    ("Profitabel wachsen", 1, None),
    ("Pipeline Energie", 2, "Profitabel wachsen"),
    ("Webinare Netz", 3, "Pipeline Energie"),
    ("Marke Industrie", 2, "Profitabel wachsen"),
    ("Partner gewinnen", 1, None),
]


def kr_titles(objective: str) -> list[str]:
    short = objective.split()[0][:6]
    return [f"{short} KR {n} Leads" for n in (1, 2, 3)]


def type_key_result(page, title: str, target: int, delay: int = 0) -> None:
    page.keyboard.type(title, delay=delay)
    page.keyboard.press("Tab")  # type
    page.keyboard.press("Tab")  # start value
    page.keyboard.type("0", delay=delay)
    page.keyboard.press("Tab")  # target value
    page.keyboard.type(str(target), delay=delay)
    page.keyboard.press("Enter")


def type_key_results(page, objective: str, delay: int) -> None:
    page.keyboard.press("k")
    for n, title in enumerate(kr_titles(objective), start=1):
        type_key_result(page, title, 10 * n, delay)
    page.keyboard.press("Escape")  # the empty key result row: focus goes to the last key result


def build_by_keyboard(page, delay: int) -> None:
    o1, o2, o3, o4, o5 = (title for title, _level, _parent in OBJECTIVES)
    page.keyboard.press("n")  # a new company objective
    page.keyboard.type(o1, delay=delay)
    page.keyboard.press("Enter")
    page.keyboard.press("Escape")  # focus on o1
    type_key_results(page, o1, delay)
    page.keyboard.press("c")  # child of o1
    page.keyboard.type(o2, delay=delay)
    page.keyboard.press("Enter")
    page.keyboard.press("Escape")
    type_key_results(page, o2, delay)
    page.keyboard.press("c")  # child of o2
    page.keyboard.type(o3, delay=delay)
    page.keyboard.press("Enter")
    page.keyboard.press("Escape")
    type_key_results(page, o3, delay)
    page.keyboard.press("ArrowLeft")  # from the key result to o3
    page.keyboard.press("n")  # below o3 ...
    page.keyboard.type(o4, delay=delay)
    page.keyboard.press("Alt+ArrowLeft")  # ... one level up: a sibling of o2
    page.keyboard.press("Enter")
    page.keyboard.press("Escape")
    type_key_results(page, o4, delay)
    page.keyboard.press("ArrowLeft")
    page.keyboard.press("n")
    page.keyboard.type(o5, delay=delay)
    page.keyboard.press("Alt+ArrowLeft")  # a company objective after o1
    page.keyboard.press("Enter")
    page.keyboard.press("Escape")
    type_key_results(page, o5, delay)


def expected_rows() -> list[tuple[str, str, int]]:
    rows = []
    order = ["Profitabel wachsen", "Pipeline Energie", "Webinare Netz", "Marke Industrie", "Partner gewinnen"]
    levels = {title: level for title, level, _parent in OBJECTIVES}
    for title in order:
        rows.append(("objective", title, levels[title]))
        rows.extend(("kr", kr, levels[title] + 1) for kr in kr_titles(title))
    return rows


def database_rows(cycle) -> list[tuple[str, str, int]]:
    objectives = list(Objective.objects.filter(cycle=cycle).order_by("position", "id"))
    children: dict = {}
    for objective in objectives:
        children.setdefault(objective.parent_id, []).append(objective)
    out = []

    def walk(parent_id, level):
        for objective in children.get(parent_id, []):
            out.append(("objective", objective.title, level))
            for kr in KeyResult.objects.filter(objective=objective).order_by("position", "id"):
                out.append(("kr", kr.title, level + 1))
            walk(objective.pk, level + 1)

    walk(None, 1)
    return out


def page_rows(page) -> list[tuple[str, str, int]]:
    return [
        (kind, title, int(level))
        for kind, title, level in page.eval_on_selector_all(
            "[data-tree] li[data-kind]",
            "els => els.map(e => [e.dataset.kind, e.dataset.title, e.getAttribute('aria-level')])",
        )
    ]


@pytest.mark.parametrize("repetition", range(REPEAT))
@pytest.mark.parametrize(
    ("name", "latency", "delay", "fail_nth"), CONDITIONS, ids=[getattr(c, "values", c)[0] for c in CONDITIONS]
)
def test_build_five_objectives_and_fifteen_key_results_by_keyboard(
    workshop,  # noqa: F811 - the fixture imported above
    login,
    live_server,
    name,
    latency,
    delay,
    fail_nth,
    repetition,
):
    _company, cycle, _facilitator = workshop
    page = open_cascade(login, live_server, cycle)
    if latency:
        cdp = page.context.new_cdp_session(page)
        cdp.send("Network.enable")
        cdp.send(
            "Network.emulateNetworkConditions",
            {"offline": False, "latency": latency, "downloadThroughput": -1, "uploadThroughput": -1},
        )
    aborted = []
    if fail_nth:
        seen = []

        def fail_once(route):
            if route.request.method == "POST":
                seen.append(route.request.url)
                if len(seen) == fail_nth and not aborted:
                    aborted.append(route.request.url)
                    route.abort("connectionreset")
                    return
            route.continue_()

        page.route("**/api/v1/companies/*/key-results/", fail_once)
    # every state the save indicator shows, in order
    page.evaluate(
        """() => { window.saveStates = []; const el = document.querySelector('[data-save-state]');
        new MutationObserver(() => window.saveStates.push(el.dataset.state))
          .observe(el, {attributes: true, attributeFilter: ['data-state']}); }"""
    )
    started = time.monotonic()
    build_by_keyboard(page, delay)
    # one request at a time: at 1 s latency the queue behind machine-speed typing takes a while to drain
    wait_saved(page, timeout=120_000)
    elapsed = time.monotonic() - started
    states = page.evaluate("window.saveStates")
    if fail_nth:
        # the failed request was shown as such and retried; "Saved" came only after the retry went through
        assert aborted, "the injected failure did not happen"
        failed_at = states.index("failed")
        assert "saving" in states[failed_at:]
        assert "saved" not in states[failed_at : failed_at + states[failed_at:].index("saving")]
    assert "refused" not in states

    # The page's poller stops before the test reads the database (SQLite's shared in-memory database locks tables).
    page.goto("about:blank")
    assert database_rows(cycle) == expected_rows()
    assert Objective.objects.filter(cycle=cycle).count() == 5
    assert KeyResult.objects.filter(objective__cycle=cycle).count() == 15
    assert (
        list(
            KeyResult.objects.filter(objective__cycle=cycle)
            .order_by("objective__title", "position")
            .values_list("target_value", flat=True)
        )
        == [10, 20, 30] * 5
    )
    page.goto(f"{live_server.url}/c/voltaria/cascade/?cycle={cycle.pk}")
    expect(page.locator("[data-cascade][data-ready='1']")).to_be_attached()
    assert page_rows(page) == expected_rows()
    print(f"\n[workshop] {name} run {repetition + 1}: 20 rows, 0 differences, 0 stray rows, {elapsed:.1f} s")


# The tree snapshot is held back in the page for 1.5 s. After it arrives (and after whatever the page does with it),
# the page notes whether the second key result's row is still there and whether the focus is still in the tree.
HOLD_SNAPSHOTS = """() => {
  window.snapshots = { asked: 0, seen: [] };
  const fetch = window.fetch;
  window.fetch = function (url, init) {
    if (!String(url).includes("partial=tree")) return fetch.apply(this, arguments);
    window.snapshots.asked += 1;
    return fetch.apply(this, arguments).then((response) => new Promise((resolve) => setTimeout(() => {
      resolve(response);
      setTimeout(() => window.snapshots.seen.push({
        second: !!document.querySelector("[data-tree] li[data-title='Alpha KR 2']"),
        focus: document.querySelector("[data-tree]").contains(document.activeElement),
      }), 50);
    }, 1500)));
  };
}"""


def test_a_snapshot_older_than_a_save_never_replaces_the_rows_or_the_focus(
    workshop,  # noqa: F811 - the fixture imported above
    login,
    live_server,
):
    """The known defect behind the machine-speed condition: a live update fetched before a save was queued arrived
    after the save returned (the queue was empty again) and was morphed in, removing the new row with the focus on
    it, so the next "c" went nowhere and the next "n" opened a company objective."""
    _company, cycle, _facilitator = workshop
    page = open_cascade(login, live_server, cycle)
    page.keyboard.press("n")
    page.keyboard.type("Alpha")
    page.keyboard.press("Enter")
    page.keyboard.press("Escape")
    wait_saved(page)
    expect(page.locator("li[data-kind='objective'][data-id]")).to_have_count(1)
    page.evaluate(HOLD_SNAPSHOTS)
    page.keyboard.press("k")
    type_key_result(page, "Alpha KR 1", 10)
    # the first key result is saved and the page asks for a fresh tree: the answer is on its way for 1.5 s ...
    page.wait_for_function("() => window.snapshots.asked > 0")
    # ... while the second key result is typed, saved and focused
    type_key_result(page, "Alpha KR 2", 20)
    page.keyboard.press("Escape")
    wait_saved(page)
    page.wait_for_function("() => window.snapshots.seen.length > 0", timeout=10_000)
    assert all(seen == {"second": True, "focus": True} for seen in page.evaluate("window.snapshots.seen"))
    expect(page.locator("li[data-title='Alpha KR 2']")).to_be_focused()
    page.keyboard.press("c")  # a child of Alpha, from the focused key result
    expect(page.get_by_label("Objective title")).to_be_focused()
    page.keyboard.type("Beta")
    page.keyboard.press("Enter")
    page.keyboard.press("Escape")
    wait_saved(page)
    page.goto("about:blank")
    assert database_rows(cycle) == [
        ("objective", "Alpha", 1),
        ("kr", "Alpha KR 1", 2),
        ("kr", "Alpha KR 2", 2),
        ("objective", "Beta", 2),
    ]


def test_a_create_whose_answer_was_lost_is_retried_without_a_second_row(
    workshop,  # noqa: F811 - the fixture imported above
    login,
    live_server,
):
    """The first create reaches the server, which creates the row, but its answer never reaches the page (the
    connection drops). The save queue retries with the same Idempotency-Key and gets the first answer back."""
    _company, cycle, _facilitator = workshop
    page = open_cascade(login, live_server, cycle)
    dropped = []

    def drop_first_answer(route):
        if route.request.method == "POST" and not dropped:
            answer = route.fetch()  # the server creates the objective ...
            dropped.append((answer.status, route.request.headers.get("idempotency-key")))
            route.abort("connectionreset")  # ... and the page never hears of it
            return
        route.continue_()

    page.route("**/api/v1/companies/*/objectives/", drop_first_answer)
    page.keyboard.press("n")
    page.keyboard.type("Grow profitably")
    page.keyboard.press("Enter")
    expect(page.get_by_test_id("save-state")).to_have_attribute("data-state", "failed")
    wait_saved(page)
    assert list(Objective.objects.filter(cycle=cycle).values_list("title", flat=True)) == ["Grow profitably"]
    assert dropped[0][0] == 201 and dropped[0][1]  # the dropped answer was a real create, sent with a key
    objective = Objective.objects.get(cycle=cycle)
    expect(page.locator("[data-tree] li[data-kind='objective']")).to_have_count(1)
    expect(page.locator(f"[data-tree] li[data-kind='objective'][data-id='{objective.pk}']")).to_have_attribute(
        "data-title", "Grow profitably"
    )
    page.keyboard.press("Escape")
    page.reload()
    expect(page.locator("[data-cascade][data-ready='1']")).to_be_attached()
    expect(page.locator("[data-tree] li[data-kind='objective']")).to_have_count(1)
