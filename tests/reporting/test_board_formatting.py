"""How KPI values and changes read on the board and in the e-mail, in German and English; chart JSON is safe."""

from decimal import Decimal

import pytest
from django.utils import translation

from reporting.charts import figure_json, funnel_figure
from reporting.formatting import format_change, format_kpi_value
from reporting.selectors.kpi import kpi_status

NBSP = "\xa0"


@pytest.mark.parametrize(
    ("value", "unit", "language", "expected"),
    [
        (Decimal("2100000"), "currency", "de", f"2.100.000,00{NBSP}€"),  # as on every page
        (Decimal("2100000"), "currency", "en", "€2,100,000.00"),
        (Decimal("20.6912"), "currency", "de", f"20,69{NBSP}€"),
        (Decimal("20.6912"), "currency", "en", "€20.69"),
        (Decimal("42.55"), "percent", "de", f"42,6{NBSP}%"),
        (Decimal("0.98"), "percent", "de", f"1,0{NBSP}%"),
        (Decimal("80"), "percent", "en", "80%"),
        (Decimal("1180"), "number", "de", "1.180"),
        (Decimal("37.5"), "number", "en", "37.5"),
        (Decimal("38.4"), "days", "de", "38 Tage"),
        (Decimal("1"), "days", "en", "1 day"),
        (None, "currency", "de", "–"),
    ],
)
def test_kpi_values_read_like_a_board_member_expects(value, unit, language, expected):
    with translation.override(language):
        assert format_kpi_value(value, unit, currency="EUR", language=language) == expected


def test_changes_are_relative_or_in_percentage_points():
    with translation.override("de"):
        assert format_change(Decimal("115"), Decimal("100"), "number", language="de") == f"+15{NBSP}%"
        assert format_change(Decimal("98"), Decimal("100"), "number", language="de") == f"−2{NBSP}%"
        assert format_change(Decimal("2.4"), Decimal("2.2"), "percent", language="de") == f"+0,2{NBSP}Pp."
        assert format_change(Decimal("20.69"), Decimal("0"), "currency", language="de") == f"+20,69{NBSP}€"
        assert format_change(Decimal("5"), Decimal("5"), "number", language="de") == f"±0{NBSP}%"
        assert format_change(Decimal("5"), None, "number", language="de") == ""


@pytest.mark.parametrize(
    ("value", "target", "higher_is_better", "status"),
    [
        ("96", "100", True, "on_track"),
        ("94", "100", True, "behind"),
        ("79", "100", True, "at_risk"),
        ("20", "25", False, "on_track"),
        ("30", "25", False, "behind"),  # 83 % attainment
        ("40", "25", False, "at_risk"),
        ("0", "25", False, "on_track"),
        ("5", None, True, "no_target"),
        (None, "5", True, "no_target"),
        ("-3", "0", True, "at_risk"),
    ],
)
def test_traffic_light_against_the_target(value, target, higher_is_better, status):
    value = None if value is None else Decimal(value)
    target = None if target is None else Decimal(target)
    assert kpi_status(value, target, higher_is_better=higher_is_better) == status


def test_figure_json_cannot_break_out_of_its_script_block():
    text = str(figure_json(funnel_figure([("</script><script>alert(1)</script>", 3)])))
    assert "</script>" not in text and "<" not in text
    assert "alert(1)" in text  # the text survives, escaped
