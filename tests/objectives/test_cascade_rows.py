"""The one-pass row renderer's number formatting gives the text the templates' ``number`` filter gives."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.utils import translation

from objectives.cascade_rows import RowSlots
from objectives.templatetags.cascade_tags import number

EDGES = {
    "0": ("0", "0"),
    "-0.0010": ("0", "0"),
    "-0.0050": ("-0,01", "-0.01"),
    "0.0049": ("0", "0"),
    "999.9950": ("1.000", "1,000"),
    "0.9999": ("1", "1"),
    "12.3000": ("12,3", "12.3"),
    "1000.0000": ("1.000", "1,000"),
    "-1234.5000": ("-1.234,5", "-1,234.5"),
    "1234567.8950": ("1.234.567,9", "1,234,567.9"),
}


@pytest.mark.parametrize("language", ["de", "en"])
def test_cascade_numbers_have_up_to_two_decimals_grouped_by_language(language):
    with translation.override(language):
        shown = {edge: number(Decimal(edge)) for edge in EDGES}
        assert number(None) == "–"
    column = 0 if language == "de" else 1
    assert shown == {edge: expected[column] for edge, expected in EDGES.items()}


def test_row_slots_splice_each_fragment_once_where_its_marker_is():
    slots = RowSlots()
    marker = slots.hold("<li>rows</li>")
    page = f"<ul>{marker}</ul><p>&lt;!--rows-</p>"
    assert slots.chunks(page) == ["<ul>", "<li>rows</li>", "</ul><p>&lt;!--rows-</p>"]
    assert RowSlots().chunks("<p>no tree</p>") == ["<p>no tree</p>"]
