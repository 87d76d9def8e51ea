"""The board KPI page in a real browser: refresh from the empty state, every tile with its trend line and every chart
drawn by plotly (each when it scrolls into view, issue 19), the attribution model switcher (htmx) and the period
switcher."""

import datetime as dt
import os

import pytest
from django.utils import timezone
from playwright.sync_api import expect

pytestmark = pytest.mark.django_db(transaction=True)

CHARTS = ["funnel", "attribution", "okr", "bound", "spend", "segments"]


@pytest.fixture
def voltaria(demo):
    """The demo company plus a running cycle with objectives, budget and spend (owned by other areas' demos)."""
    from companies.models import Company, Membership
    from companies.permissions import Role
    from tests.factories_board import board_scenario

    company = Company.objects.get(slug="voltaria")
    cmo = Membership.objects.get(company=company, role=Role.CMO).user
    executive = Membership.objects.filter(company=company, role=Role.EXECUTIVE).first().user
    board_scenario(company, today=timezone.localdate(), requester=cmo, approver=executive)
    return company


def test_executive_refreshes_the_empty_board_and_sees_every_chart(voltaria, login, live_server, page):
    from reporting.kpis import KPIS
    from reporting.selectors.kpi import objective_progress, spend_plan_vs_actual

    month = timezone.localdate().replace(day=1)
    month_end = (month + dt.timedelta(days=32)).replace(day=1) - dt.timedelta(days=1)
    objectives = len(objective_progress(company=voltaria, start=month, end=month_end))
    spend_channels = len(spend_plan_vs_actual(company=voltaria, start=month, end=month_end))
    kpis = len(KPIS)
    login("petra.schulz")
    page.goto(f"{live_server.url}/c/voltaria/board/")
    expect(page.get_by_role("heading", name="Noch keine KPI-Zahlen")).to_be_visible()

    page.get_by_role("button", name="Jetzt aktualisieren").click()
    # In-process refresh (no worker in tests): the page reloads with the figures. The refresh computes every KPI of
    # the running and the last complete month, quarter and cycle plus the same-days comparisons: several seconds
    # on PostgreSQL on a busy machine.
    tiles = page.get_by_test_id("kpi-tile")
    expect(tiles).to_have_count(kpis, timeout=60_000)
    expect(page.get_by_test_id("refresh-status")).to_contain_text("Letzte Aktualisierung abgeschlossen")
    for status in tiles.get_by_test_id("kpi-status").all_inner_texts():
        assert status in {"im Plan", "im Verzug", "gefährdet", "kein Ziel"}

    # Every tile has its trend line (server-drawn SVG), and every chart is drawn by plotly once scrolled to.
    expect(page.get_by_test_id("kpi-sparkline")).to_have_count(kpis)
    expect(page.locator(".kpi-spark .js-plotly-plot")).to_have_count(0)
    for chart in CHARTS:
        page.locator(f'[data-chart="{chart}"]').scroll_into_view_if_needed()
        expect(page.locator(f'[data-chart="{chart}"] .js-plotly-plot')).to_have_count(1)
    expect(page.locator(".js-plotly-plot")).to_have_count(len(CHARTS))
    # ...with their marks: six funnel stages, one cascade box per objective, a gauge, bars and lines.
    expect(page.locator('[data-chart="funnel"] .funnellayer .point')).to_have_count(6)
    expect(page.locator('[data-chart="okr"] .iciclelayer .slice')).to_have_count(objectives + 1)  # + the company
    expect(page.locator('[data-chart="bound"] .indicatorlayer .trace')).to_have_count(1)
    expect(page.locator('[data-chart="spend"] .barlayer .point')).to_have_count(2 * spend_channels)
    expect(page.locator('[data-chart="segments"] .scatterlayer .trace')).to_have_count(2)

    # The attribution model switcher swaps the panel through htmx and states the model's anchor.
    page.get_by_label("Modell").select_option("time_decay")
    expect(page.get_by_test_id("attribution-explanation")).to_contain_text("Halbwertszeit")
    expect(page.locator('[data-chart="attribution"] .js-plotly-plot')).to_have_count(1)
    expect(page.locator('[data-plotly-figure="fig-attribution-time_decay"]')).to_have_class("chart js-plotly-plot")

    # Period switcher: the quarter view has its own tiles.
    page.get_by_role("navigation", name="Periodentyp").get_by_role("link", name="Quartal").click()
    expect(page.get_by_test_id("board-period")).to_contain_text("Q")
    expect(page.get_by_test_id("kpi-tile")).to_have_count(kpis)


def test_member_has_no_board_in_the_navigation(demo, login, live_server, page):
    login("jonas.weber")
    nav = page.get_by_role("navigation", name="Hauptnavigation")
    expect(nav.get_by_role("link", name="Übersicht")).to_be_visible()
    expect(nav.get_by_role("link", name="Board-KPIs")).to_have_count(0)
    expect(nav.locator("[data-nav=board]")).to_have_count(0)


@pytest.fixture
def full_demo(transactional_db):
    from django.core.management import call_command

    call_command("load_demo", stdout=open(os.devnull, "w"))  # noqa: SIM115 - targets and snapshots included


def test_charts_below_the_fold_are_drawn_when_scrolled_to_without_errors(full_demo, login, live_server, page):
    """Issue 19, light pages: the first screen (tiles) needs no chart code; a chart is drawn when it comes near the
    viewport, and every one is there for a person who scrolls. Nothing goes wrong in the console on the way."""
    errors = []
    page.on("console", lambda message: errors.append(message.text) if message.type == "error" else None)
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.set_viewport_size({"width": 1280, "height": 600})
    login("petra.schulz")
    page.goto(f"{live_server.url}/c/voltaria/board/")
    expect(page.get_by_test_id("kpi-sparkline").first).to_be_visible()
    last = page.locator('[data-chart="segments"]')
    page.wait_for_function("() => !!window.Plotly")  # fetched in idle time, ready for printing
    expect(last.locator(".js-plotly-plot")).to_have_count(0)  # far below the fold: not drawn yet
    for chart in CHARTS:
        card = page.locator(f'[data-chart="{chart}"]')
        card.scroll_into_view_if_needed()
        expect(card.locator(".main-svg").first).to_be_visible()
    expect(page.locator(".chart.js-plotly-plot")).to_have_count(len(CHARTS))
    assert errors == []
