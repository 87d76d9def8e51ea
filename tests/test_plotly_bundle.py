"""The partial plotly.js bundle (frontend/plotly-bundle.js, built by `make vendor`) registers every trace type our
figures use, and the pages load it through the one loader instead of a script tag of their own."""

from __future__ import annotations

import re
from pathlib import Path

import plotly.graph_objects as go
from django.conf import settings
from django.contrib.staticfiles import finders
from plotly.basedatatypes import BaseTraceType

BASE = Path(settings.BASE_DIR)
TRACE_TYPES = {
    name.lower()
    for name in dir(go)
    if isinstance(getattr(go, name), type) and issubclass(getattr(go, name), BaseTraceType)
}
CHART_MODULES = ["reporting/charts.py", "budgets/charts.py", "objectives/charts.py", "initiatives/charts.py"]


def used_trace_types() -> set[str]:
    used = set()
    for module in CHART_MODULES:
        source = (BASE / module).read_text()
        used |= {t for t in re.findall(r'"type":\s*"(\w+)"', source) if t in TRACE_TYPES}
        used |= {t.lower() for t in re.findall(r"go\.([A-Z]\w+)\(", source) if t.lower() in TRACE_TYPES}
        used |= {t for t in re.findall(r"\.add_(\w+)\(", source) if t in TRACE_TYPES}
    return used


def test_the_bundle_registers_every_trace_type_the_figures_use():
    entry = (BASE / "frontend/plotly-bundle.js").read_text()
    registered = set(re.findall(r'require\("plotly\.js/lib/(\w+)"\)', entry)) - {"core"}
    registered.add("scatter")  # part of plotly.js/lib/core
    used = used_trace_types()
    assert {"scatter", "bar", "pie", "funnel", "indicator", "icicle", "treemap", "sunburst"} <= used
    assert used <= registered, f"add to frontend/plotly-bundle.js: {sorted(used - registered)}"
    assert registered <= used, f"not used by any figure: {sorted(registered - used)}"


def test_the_built_bundle_is_a_fraction_of_the_complete_one():
    built = Path(finders.find("vendor/plotly.min.js"))
    assert built.stat().st_size < 1_600_000  # the complete bundle is 4.8 MB
    assert "plotly.js" in built.read_text()[:2000] or b"Plotly" in built.read_bytes()[:200_000]


def test_no_page_loads_plotly_with_a_script_tag_of_its_own():
    for template in (BASE / "templates").rglob("*.html"):
        assert "vendor/plotly.min.js' %}\" defer" not in template.read_text(), template
        assert "<script src=\"{% static 'vendor/plotly" not in template.read_text(), template
    loaders = [p for p in (BASE / "static/js").rglob("*.js") if 'createElement("script")' in p.read_text()]
    assert [p.relative_to(BASE).as_posix() for p in loaders] == ["static/js/okr/plotly.js"]
