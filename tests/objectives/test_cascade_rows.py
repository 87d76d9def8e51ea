"""The one-pass row renderer's number formatting gives the text the templates' ``number`` filter gives."""

from __future__ import annotations

import random
from decimal import Decimal

import pytest
from django.utils import translation

from objectives.cascade_rows import NumberFormat, RowSlots
from objectives.templatetags.cascade_tags import number

EDGES = ["0", "-0.0010", "-0.0050", "0.0050", "0.0049", "999.9950", "0.9999", "12.3000", "1000.0000", "-1234.5000"]


@pytest.mark.parametrize("language", ["de", "en"])
def test_number_format_matches_the_number_filter(language):
    rng = random.Random(7)
    values = [Decimal(edge) for edge in EDGES]
    for _ in range(3000):
        digits = rng.randint(0, 14)
        value = Decimal(rng.randint(-(10**digits), 10**digits)).scaleb(-rng.randint(0, 4))
        values.append(value.quantize(Decimal("0.0001")))
    with translation.override(language):
        format_number = NumberFormat()
        assert [format_number(value) for value in values] == [number(value) for value in values]
        assert format_number(None) == "–"
    with translation.override("de"):
        assert NumberFormat()(Decimal("1234567.8950")) == "1.234.567,90"


def test_row_slots_splice_each_fragment_once_where_its_marker_is():
    slots = RowSlots()
    marker = slots.hold("<li>rows</li>")
    page = f"<ul>{marker}</ul><p>&lt;!--rows-</p>"
    assert slots.chunks(page) == ["<ul>", "<li>rows</li>", "</ul><p>&lt;!--rows-</p>"]
    assert RowSlots().chunks("<p>no tree</p>") == ["<p>no tree</p>"]
