"""The cascade builder in a real browser: keyboard-only building, drag and drop, a refused move, a stale edit."""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal

import pytest
from playwright.sync_api import expect

from companies.demo import DEMO_PASSWORD
from companies.models import Company, Membership, Profile
from objectives.models import Cycle, KeyResult, Objective
from objectives.services import cascade as services

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def workshop(demo):
    """A fresh planning cycle of the demo company, and the facilitator working in English."""
    company = Company.objects.get(slug="voltaria")
    facilitator = Membership.objects.get(company=company, user__username="lena.berger").user
    Profile.objects.filter(user=facilitator).update(language="en")
    cycle = services.cycle_create(
        company=company,
        name="Workshop 2027",
        kind=Cycle.Kind.YEAR,
        start_date=dt.date(2027, 1, 1),
        end_date=dt.date(2027, 12, 31),
        actor=facilitator,
    )
    return company, cycle, facilitator


def open_cascade(login, live_server, cycle):
    page = login("lena.berger")
    page.goto(f"{live_server.url}/c/voltaria/cascade/?cycle={cycle.pk}")
    expect(page.locator("[data-cascade][data-ready='1']")).to_be_attached()
    return page


def wait_saved(page, timeout=15_000):
    """The save indicator says "Saved" only once the server has every change."""
    expect(page.get_by_test_id("save-state")).to_have_attribute("data-state", "saved", timeout=timeout)


def row(page, kind, obj):
    return page.locator(f"li[data-kind='{kind}'][data-id='{obj.pk}']")


def test_build_a_small_cascade_by_keyboard_alone(workshop, login, live_server):
    _company, cycle, _facilitator = workshop
    page = open_cascade(login, live_server, cycle)
    expect(page.get_by_text("Start the cascade")).to_be_visible()

    page.keyboard.press("n")
    title = page.get_by_label("Objective title")
    expect(title).to_be_focused()
    page.keyboard.type("Grow profitably in the energy market")
    page.keyboard.press("Enter")

    # Enter saved the objective and opened the next empty row below it, on the same level.
    expect(page.locator("li[data-title='Grow profitably in the energy market']")).to_be_visible()
    expect(page.get_by_label("Objective title")).to_be_focused()
    page.keyboard.type("More qualified leads from the focus segments")
    page.keyboard.press("Alt+ArrowRight")  # indent: a child of the objective above
    page.keyboard.press("Enter")
    child_row = page.locator("li[data-title='More qualified leads from the focus segments']")
    expect(child_row).to_be_visible()
    expect(page.get_by_label("Objective title")).to_be_focused()
    page.keyboard.press("Escape")
    expect(page.get_by_label("Objective title")).to_have_count(0)
    expect(child_row).to_be_focused()

    page.keyboard.press("k")
    expect(page.get_by_label("Key result title")).to_be_focused()
    page.keyboard.type("Qualified leads +18 %")
    page.keyboard.press("Tab")  # type
    page.keyboard.press("Tab")  # start value
    page.keyboard.type("0")
    page.keyboard.press("Tab")  # target value
    page.keyboard.type("18")
    page.keyboard.press("Enter")
    expect(page.locator("li[data-kind='kr'][data-title='Qualified leads +18 %']")).to_be_visible()
    expect(page.get_by_label("Key result title")).to_be_focused()
    page.keyboard.press("Escape")
    expect(page.get_by_label("Key result title")).to_have_count(0)
    wait_saved(page)

    top = Objective.objects.get(cycle=cycle, title="Grow profitably in the energy market")
    child = Objective.objects.get(cycle=cycle, title="More qualified leads from the focus segments")
    assert top.parent_id is None
    assert child.parent_id == top.pk
    kr = KeyResult.objects.get(objective=child)
    assert kr.title == "Qualified leads +18 %"
    assert kr.target_value == Decimal("18")
    assert Objective.objects.filter(cycle=cycle).count() == 2


@pytest.fixture
def small_tree(workshop):
    _company, cycle, facilitator = workshop
    a = services.objective_create(cycle=cycle, title="Alpha objective", actor=facilitator)
    a1 = services.objective_create(cycle=cycle, title="Alpha child", parent=a, actor=facilitator)
    services.key_result_create(
        objective=a1, title="Alpha child KR", kind="increase_to", target_value=10, actor=facilitator
    )
    b = services.objective_create(cycle=cycle, title="Beta objective", actor=facilitator)
    return cycle, a, a1, b


def drag(page, source, target, fraction):
    """Press on the source row's handle, move in small steps to ``fraction`` of the target row's height, release."""
    start = source.locator(".grip").bounding_box()
    end = target.bounding_box()
    page.mouse.move(start["x"] + start["width"] / 2, start["y"] + start["height"] / 2)
    page.mouse.down()
    x, y = end["x"] + end["width"] / 3, end["y"] + end["height"] * fraction
    page.mouse.move(x, y - 30, steps=8)
    page.mouse.move(x, y, steps=8)
    page.wait_for_timeout(150)
    page.mouse.up()


def test_drag_a_subtree_to_a_new_parent(small_tree, login, live_server):
    cycle, _a, a1, b = small_tree
    page = open_cascade(login, live_server, cycle)
    drag(page, row(page, "objective", a1).locator("> .row"), row(page, "objective", b).locator("> .row"), 1.15)
    wait_saved(page)
    # The subtree (with its key result) now hangs under Beta.
    expect(row(page, "objective", b).locator(f"li[data-kind='objective'][data-id='{a1.pk}']")).to_be_visible()
    expect(row(page, "objective", b).get_by_text("Alpha child KR")).to_be_visible()
    a1.refresh_from_db()
    assert a1.parent_id == b.pk
    assert KeyResult.objects.get(title="Alpha child KR").objective_id == a1.pk


def test_a_refused_move_snaps_back_and_says_why(small_tree, login, live_server):
    cycle, a, a1, b = small_tree
    page = open_cascade(login, live_server, cycle)
    # Live updates are cut off (the signature poll fails) while the CMO renames the child objective: the page still
    # holds the old version, so the server refuses the drag as stale.
    page.route("**/cascade/signature/**", lambda route: route.abort())
    cmo = Membership.objects.get(company=cycle.company, user__username="markus.hoffmann").user
    fresh = Objective.objects.get(pk=a1.pk)
    services.objective_update(objective=fresh, version=fresh.version, title="Renamed", actor=cmo)
    drag(page, row(page, "objective", a1).locator("> .row"), row(page, "objective", b).locator("> .row"), 1.15)
    message = page.get_by_test_id("cascade-message")
    expect(message).to_be_visible()
    expect(message).to_contain_text(re.compile(r"Changed by Markus Hoffmann at \d\d:\d\d"))
    expect(page.get_by_test_id("save-state")).to_have_attribute("data-state", "refused")
    # Snapped back: the child is under Alpha again, nothing hangs under Beta.
    expect(row(page, "objective", a).locator(f"li[data-id='{a1.pk}']")).to_be_visible()
    expect(row(page, "objective", b).locator("li[data-kind]")).to_have_count(0)
    a1.refresh_from_db()
    assert a1.parent_id == a.pk
    assert a1.title == "Renamed"


def test_a_stale_edit_is_refused_and_shows_the_fresh_value(small_tree, login, live_server):
    cycle, _a, _a1, b = small_tree
    page = open_cascade(login, live_server, cycle)
    beta = row(page, "objective", b)
    beta.focus()
    page.keyboard.press("Enter")
    field = page.get_by_label("Objective title")
    expect(field).to_have_value("Beta objective")

    # Meanwhile the CMO renames the objective.
    cmo = Membership.objects.get(company=cycle.company, user__username="markus.hoffmann").user
    fresh = Objective.objects.get(pk=b.pk)
    services.objective_update(objective=fresh, version=fresh.version, title="Beta renamed by the CMO", actor=cmo)

    field.fill("Beta as the facilitator typed it")
    page.keyboard.press("Enter")
    error = page.locator("[data-editor-error]")
    expect(error).to_be_visible()
    expect(error).to_contain_text(re.compile(r"Changed by Markus Hoffmann at \d\d:\d\d"))
    expect(error).to_contain_text("Beta renamed by the CMO")
    # The typed text is kept; the database holds the CMO's version.
    expect(page.get_by_label("Objective title")).to_have_value("Beta as the facilitator typed it")
    b.refresh_from_db()
    assert b.title == "Beta renamed by the CMO"


def test_changes_by_someone_else_appear_without_a_reload(small_tree, login, live_server):
    cycle, a, _a1, _b = small_tree
    page = open_cascade(login, live_server, cycle)
    cmo = Membership.objects.get(company=cycle.company, user__username="markus.hoffmann").user
    services.objective_create(cycle=cycle, title="Added by the CMO meanwhile", parent=a, actor=cmo)
    expect(page.locator("li[data-title='Added by the CMO meanwhile']")).to_be_visible(timeout=10_000)


def test_sunburst_and_key_result_history_render_under_the_csp(small_tree, login, live_server):
    cycle, _a, a1, _b = small_tree
    kr = KeyResult.objects.get(title="Alpha child KR")
    services.check_in_create(key_result=kr, value=4, confidence=Decimal("0.6"), comment="First week", actor=None)
    page = login("lena.berger")
    violations = []
    page.on("console", lambda m: violations.append(m.text) if "Content Security Policy" in m.text else None)
    page.goto(f"{live_server.url}/c/voltaria/cascade/?cycle={cycle.pk}")
    page.get_by_role("button", name="Sunburst").click()
    expect(page.locator("[data-sunburst] .main-svg").first).to_be_visible(timeout=20_000)
    expect(page.locator("[data-sunburst]")).to_contain_text("Alpha child")
    page.goto(f"{live_server.url}/c/voltaria/objectives/{a1.pk}/")
    expect(page.locator(f"[data-plotly-figure='kr-chart-data-{kr.pk}'] .main-svg").first).to_be_visible(timeout=20_000)
    expect(page.get_by_text("First week")).to_be_visible()
    assert violations == []


def touch_drag(page, source, target, fraction):
    """A finger on a 1024×768 touch screen: press and hold the source row, slide to ``fraction`` of the target row's
    height, lift (CDP touch events: Playwright's touchscreen only taps)."""
    cdp = page.context.new_cdp_session(page)
    start = source.bounding_box()
    end = target.bounding_box()
    x0, y0 = start["x"] + start["width"] / 3, start["y"] + start["height"] / 2
    x1, y1 = end["x"] + end["width"] / 3, end["y"] + end["height"] * fraction

    def touch(kind, x, y):
        points = [] if kind == "touchEnd" else [{"x": x, "y": y, "id": 1}]
        cdp.send("Input.dispatchTouchEvent", {"type": kind, "touchPoints": points})

    touch("touchStart", x0, y0)
    page.wait_for_timeout(300)  # hold: a short swipe scrolls, a held finger drags
    steps = 16
    for n in range(1, steps + 1):
        touch("touchMove", x0 + (x1 - x0) * n / steps, y0 + (y1 - y0) * n / steps)
        page.wait_for_timeout(20)
    page.wait_for_timeout(150)
    touch("touchEnd", x1, y1)


def test_drag_and_drop_by_touch_reparents_and_reorders(small_tree, browser, live_server):
    cycle, a, a1, b = small_tree
    context = browser.new_context(viewport={"width": 1024, "height": 768}, has_touch=True, locale="en-GB")
    page = context.new_page()
    page.goto(f"{live_server.url}/login/")
    page.get_by_label("Username").or_(page.get_by_label("Benutzername")).fill("lena.berger")
    page.get_by_label("Password").or_(page.get_by_label("Passwort")).fill(DEMO_PASSWORD)
    page.get_by_role("button", name="Sign in").or_(page.get_by_role("button", name="Anmelden")).click()
    page.wait_for_load_state("domcontentloaded")
    page.goto(f"{live_server.url}/c/voltaria/cascade/?cycle={cycle.pk}")
    expect(page.locator("[data-cascade][data-ready='1']")).to_be_attached()

    # Re-parent: Alpha's child under Beta, by finger.
    touch_drag(page, row(page, "objective", a1).locator("> .row"), row(page, "objective", b).locator("> .row"), 1.15)
    wait_saved(page)
    expect(row(page, "objective", b).locator(f"li[data-kind='objective'][data-id='{a1.pk}']")).to_be_visible()
    a1.refresh_from_db()
    assert a1.parent_id == b.pk
    assert KeyResult.objects.get(title="Alpha child KR").objective_id == a1.pk

    # Re-order: Beta above Alpha at the top level.
    touch_drag(page, row(page, "objective", b).locator("> .row"), row(page, "objective", a).locator("> .row"), 0.1)
    wait_saved(page)
    expect(page.locator("[data-root-group] > li[data-kind='objective']").first).to_have_attribute("data-id", str(b.pk))
    assert list(
        Objective.objects.filter(cycle=cycle, parent=None).order_by("position").values_list("pk", flat=True)
    ) == [
        b.pk,
        a.pk,
    ]
    # The order survives a reload.
    page.reload()
    expect(page.locator("[data-root-group] > li[data-kind='objective']").first).to_have_attribute("data-id", str(b.pk))
    context.close()


def test_delete_asks_in_the_sites_confirm_dialog(small_tree, login, live_server):
    cycle, _a, _a1, b = small_tree
    page = open_cascade(login, live_server, cycle)
    beta = row(page, "objective", b)
    beta.focus()
    page.keyboard.press("Delete")
    dialog = page.get_by_role("dialog", name="Please confirm")
    expect(dialog).to_be_visible()
    expect(dialog).to_contain_text("Delete the objective “Beta objective” with its key results?")
    page.keyboard.press("Escape")  # cancel: nothing happens, focus returns to the row
    expect(dialog).to_be_hidden()
    expect(beta).to_be_focused()
    assert Objective.objects.filter(pk=b.pk).exists()
    page.keyboard.press("Delete")
    dialog.get_by_role("button", name="Delete").click()
    expect(beta).to_have_count(0)
    wait_saved(page)
    assert not Objective.objects.filter(pk=b.pk).exists()
