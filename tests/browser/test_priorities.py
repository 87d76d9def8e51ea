"""A participant rates on a phone; the facilitator's matrix (another browser) moves the point to another quadrant."""

import re

import pytest
from playwright.sync_api import expect

from companies.demo import DEMO_PASSWORD
from companies.models import Company
from initiatives.models import Initiative, InitiativeRating, PrioritySettings
from objectives.models import Cycle
from objectives.models.cascade import KeyResult, Objective

pytestmark = pytest.mark.django_db(transaction=True)


def _workshop():
    import datetime as dt

    from django.contrib.auth import get_user_model

    company = Company.objects.get(slug="voltaria")
    cycle, _ = Cycle.objects.get_or_create(
        company=company,
        name="Workshop 2026",
        defaults={"start_date": dt.date(2026, 1, 1), "end_date": dt.date(2026, 12, 31), "state": "active"},
    )
    objective = Objective.objects.create(company=company, cycle=cycle, title="Pipeline")
    kr = KeyResult.objects.create(company=company, objective=objective, title="120 MQL pro Quartal", target_value=120)
    initiative = Initiative.objects.create(company=company, cycle=cycle, title="Webinar-Reihe Netzstabilität")
    initiative.key_results.add(kr)
    PrioritySettings.objects.create(company=company, cycle=cycle, rating_state="open")
    lena = get_user_model().objects.get(username="lena.berger")
    InitiativeRating.objects.create(company=company, initiative=initiative, rater=lena, contribution=2, effort=4)
    return cycle, initiative


def test_participant_rates_on_a_phone_and_the_facilitator_sees_the_point_move(demo, browser, page, live_server, login):
    cycle, initiative = _workshop()

    facilitator_context = browser.new_context(viewport={"width": 1280, "height": 900})
    matrix = facilitator_context.new_page()
    matrix.goto(f"{live_server.url}/login/")
    matrix.get_by_label("Benutzername").or_(matrix.get_by_label("Username")).fill("lena.berger")
    matrix.get_by_label("Passwort").or_(matrix.get_by_label("Password")).fill(DEMO_PASSWORD)
    matrix.get_by_role("button", name="Anmelden").or_(matrix.get_by_role("button", name="Sign in")).click()
    matrix.wait_for_load_state("domcontentloaded")
    matrix.goto(f"{live_server.url}/c/voltaria/priorities/?cycle={cycle.pk}")
    item = matrix.locator(f'[data-initiative="{initiative.pk}"]')
    expect(item).to_have_attribute("data-quadrant", "time_sinks")
    expect(item).to_contain_text("Zeitfresser")
    expect(matrix.locator("#priority-chart .main-svg").first).to_be_attached()

    page.set_viewport_size({"width": 375, "height": 740})
    login("jonas.weber")
    page.goto(f"{live_server.url}/c/voltaria/priorities/rate/?cycle={cycle.pk}")
    expect(page.get_by_test_id("rating-progress")).to_contain_text("0 von 1 bewertet")
    expect(page.get_by_role("heading", name="Webinar-Reihe Netzstabilität")).to_be_visible()
    tap = page.locator("label[for=contribution-5]")
    box = tap.bounding_box()
    assert box["height"] >= 44 and box["width"] >= 44  # a thumb-sized target on a 375 px screen
    tap.click()
    expect(page.get_by_test_id("rating-status")).to_contain_text("Wählen Sie jetzt noch den Aufwand.")
    page.locator("label[for=effort-1]").click()
    expect(page.get_by_test_id("rating-status")).to_contain_text("Gespeichert")
    expect(page.get_by_test_id("rating-progress")).to_contain_text("1 von 1 bewertet")
    expect(page.locator("#contribution-anchor")).to_contain_text("5 = Bewegt ein Key Result entscheidend")

    # medians of (2, 5) and (4, 1): contribution 3.5, effort 2.5 -> quick win, without reloading the matrix
    expect(item).to_have_attribute("data-quadrant", "quick_wins", timeout=15000)
    expect(matrix.locator(f'[data-initiative="{initiative.pk}"]')).to_contain_text("Quick Wins")
    point = matrix.evaluate(
        "() => { const d = document.getElementById('priority-chart').data;"
        " const t = d.find(t => t.customdata && t.customdata.length); return [t.x[0], t.y[0]]; }"
    )
    assert point == [2.5, 3.5]
    expect(matrix.locator(".prio-kpi-value").first).to_have_text(re.compile(r"^0"))
    facilitator_context.close()
