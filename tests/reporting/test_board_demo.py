"""The demo board as an executive sees it: every tile has a value, a target and a light with a word in the month,
quarter and cycle views, on the last complete period by default; in English without German period names."""

from __future__ import annotations

import re

import pytest
from django.core.management import call_command

from companies.demo import DEMO_PASSWORD
from companies.models import Profile
from reporting.kpis import KPIS

pytestmark = pytest.mark.django_db


def tiles(page: str) -> dict[str, str]:
    return {
        key: re.sub(r"\s+", " ", body)
        for key, body in re.findall(r'<li class="kpi-tile[^"]*" data-kpi="([a-z_]+)"(.*?)</li>', page, re.S)
    }


def test_every_demo_tile_shows_value_target_and_light_in_every_view_and_language(client):
    call_command("load_demo")
    for language, target_word, lights, month in (
        ("de", "Ziel", ("im Plan", "im Verzug", "gefährdet"), "November 2026"),
        ("en", "Target", ("on track", "behind", "at risk"), "November 2026"),
    ):
        Profile.objects.filter(user__username="petra.schulz").update(language=language)
        client.logout()
        client.post("/login/", {"username": "petra.schulz", "password": DEMO_PASSWORD})  # the language applies
        seen = set()
        for kind in ("month", "quarter", "cycle"):
            page = client.get(f"/c/voltaria/board/?period={kind}&key=").content.decode()
            found = tiles(page)
            assert set(found) == set(KPIS), (language, kind)
            for key, body in found.items():
                value = re.search(r'data-testid="kpi-value">(.*?)</p>', body).group(1)
                assert value != "–", (language, kind, key)
                assert re.search(rf'data-testid="kpi-target">\s*{target_word}', body), (language, kind, key)
                status = re.search(r'data-testid="kpi-status">(.*?)</span>', body).group(1)
                assert status in lights, (language, kind, key, status)
                seen.add(status)
            if kind == "month":  # the last complete month, named in the user's language
                header = re.search(r'data-testid="board-period">(.*?)</p>', page, re.S).group(1)
                assert month in header
            if language == "en":
                assert "Dezember" not in page and "Oktober" not in page
        assert len(seen) >= 2, seen  # the demo's lights are not all the same
