"""The printed board handout, from Chromium's own PDF output (page.pdf): at most two A4 landscape pages — the tiles on
page 1, the charts on page 2 — every chart inside its card, company, period, data age and page numbers in the
margins; in German and in English."""

from __future__ import annotations

import io
import os
import unicodedata

import pytest
from playwright.sync_api import expect
from pypdf import PdfReader

pytestmark = pytest.mark.django_db(transaction=True)

A4_LANDSCAPE = (842, 595)  # points


@pytest.fixture
def full_demo(transactional_db):
    from django.core.management import call_command

    call_command("load_demo", stdout=open(os.devnull, "w"))  # noqa: SIM115 - targets and snapshots included


CHART_BOXES = """() => Array.from(document.querySelectorAll('.chart-card')).map((card) => {
  const c = card.getBoundingClientRect();
  const svgs = Array.from(card.querySelectorAll('.main-svg')).map((svg) => svg.getBoundingClientRect());
  return {chart: card.dataset.chart, card: [c.left, c.top, c.right, c.bottom],
          svgs: svgs.map((s) => [s.left, s.top, s.right, s.bottom])};
})"""


def handout(page, live_server) -> tuple[list, list[str]]:
    page.goto(f"{live_server.url}/c/voltaria/board/")
    page.emulate_media(media="print")
    # charts nobody scrolled to yet (drawn when they scroll into view, issue 19) are drawn for the paper
    expect(page.locator(".chart.js-plotly-plot")).to_have_count(6)
    # board.js lays every chart out to its card when the print media applies
    page.wait_for_function(
        """() => Array.from(document.querySelectorAll('.chart.js-plotly-plot')).every((plot) => {
             const svg = plot.querySelector('.main-svg'); const card = plot.closest('.chart-card');
             return svg && svg.getBoundingClientRect().right <= card.getBoundingClientRect().right + 1
                        && svg.getBoundingClientRect().bottom <= card.getBoundingClientRect().bottom + 1; })""",
        timeout=15000,
    )
    boxes = page.evaluate(CHART_BOXES)
    pdf = page.pdf(prefer_css_page_size=True, print_background=True)
    reader = PdfReader(io.BytesIO(pdf))
    sizes = [(round(float(p.mediabox.width)), round(float(p.mediabox.height))) for p in reader.pages]
    assert all(size == A4_LANDSCAPE for size in sizes), sizes
    # lines joined (labels wrap), ligatures such as "ﬁ" unfolded (NFKC)
    return boxes, [unicodedata.normalize("NFKC", " ".join(p.extract_text().split())) for p in reader.pages]


def assert_charts_inside_cards(boxes):
    assert len(boxes) == 6
    for box in boxes:
        left, top, right, bottom = box["card"]
        assert box["svgs"], box["chart"]
        for s_left, s_top, s_right, s_bottom in box["svgs"]:
            assert s_left >= left - 1 and s_top >= top - 1, box["chart"]
            assert s_right <= right + 1 and s_bottom <= bottom + 1, (box["chart"], box["card"], (s_right, s_bottom))


def test_the_handout_is_two_a4_landscape_pages_with_nothing_clipped(full_demo, login, live_server, page):
    from companies.models import Profile
    from reporting.kpis import KPIS

    login("petra.schulz")  # German
    boxes, pages = handout(page, live_server)
    assert len(pages) == 2, [p[:200] for p in pages]
    assert_charts_inside_cards(boxes)
    first, second = pages
    for label in ("Marketing-Beitrag zur Pipeline", "Kosten pro qualifiziertem Lead", "Funnel-Konversion"):
        assert label in first
    assert first.count("Ziel ") >= len(KPIS)  # every tile has a target
    assert "Funnel" in second and "Attribution" in second
    for text, number in ((first, 1), (second, 2)):
        assert "Voltaria Energie AG" in text and "November 2026" in text  # company and period in the margin
        assert "Zahlen vom" in text  # data age
        assert f"Seite {number} / 2" in text

    Profile.objects.filter(user__username="petra.schulz").update(language="en")
    page.emulate_media(media="screen")
    page.context.clear_cookies()  # sign in again: the profile's language applies at sign-in
    login("petra.schulz")
    boxes, pages = handout(page, live_server)
    assert len(pages) == 2
    assert_charts_inside_cards(boxes)
    assert "Page 1 / 2" in pages[0] and "Figures as of" in pages[0]
    assert "Marketing contribution to pipeline" in pages[0]
    assert "Seite" not in "".join(pages) and "Dezember" not in "".join(pages)
