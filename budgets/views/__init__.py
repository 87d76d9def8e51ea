"""Budget pages and their htmx partials, one module per screen; thin: parse input, call a service or selector,
render. ``partners`` holds the partner area and the CMO's partner scorecard."""

from .budget_settings import settings_page
from .files import export_lines, import_page
from .lines import initiative_suggestions, line_create, line_detail, line_edit, line_submit, spend_add
from .overview import overview
from .queue import key_result_search, line_approve, line_bind, line_reject, queue

__all__ = [
    "export_lines",
    "import_page",
    "initiative_suggestions",
    "key_result_search",
    "line_approve",
    "line_bind",
    "line_create",
    "line_detail",
    "line_edit",
    "line_reject",
    "line_submit",
    "overview",
    "queue",
    "settings_page",
    "spend_add",
]
