"""Accessibility of the board with axe-core (npm, pinned in package-lock.json): no serious or critical violation and
no interactive control nested in a chart, in German and English, on screen and in the targets settings page."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from playwright.sync_api import expect

pytestmark = pytest.mark.django_db(transaction=True)

AXE = Path(__file__).resolve().parents[2] / "node_modules" / "axe-core" / "axe.min.js"


@pytest.fixture
def full_demo(transactional_db):
    from django.core.management import call_command

    call_command("load_demo", stdout=open(os.devnull, "w"))  # noqa: SIM115


def axe_violations(page) -> list[dict]:
    if not AXE.exists():
        pytest.fail("axe-core is missing: run `npm ci` (make test does)")
    page.evaluate(AXE.read_text(encoding="utf-8") + "\n;true")
    result = page.evaluate("async () => await axe.run(document, {resultTypes: ['violations']})")
    return [
        {"id": v["id"], "impact": v["impact"], "nodes": [n["target"] for n in v["nodes"]][:5]}
        for v in result["violations"]
    ]


@pytest.mark.parametrize("language", ["de", "en"])
def test_the_board_has_no_serious_accessibility_violations(full_demo, login, live_server, page, language):
    from companies.models import Profile

    Profile.objects.filter(user__username="petra.schulz").update(language=language)
    login("petra.schulz")
    for path in ("/c/voltaria/board/", "/c/voltaria/board/targets/"):
        page.goto(f"{live_server.url}{path}")
        if path.endswith("/board/"):
            for card in page.locator(".chart-card").all():  # each chart is drawn when it scrolls into view
                card.scroll_into_view_if_needed()
            expect(page.locator(".chart.js-plotly-plot")).to_have_count(6)
            page.locator("details.board-definitions summary").click()  # the disclosure's content counts too
        violations = axe_violations(page)
        serious = [v for v in violations if v["impact"] in ("serious", "critical")]
        assert serious == [], (path, serious)
        assert not [v for v in violations if v["id"] == "nested-interactive"], (path, violations)
