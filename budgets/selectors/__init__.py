"""Read queries shared by budget pages, the API, the board KPIs and tasks. Every function filters by company and
aggregates in the database, so query counts stay constant however many lines a company has.

Amount definitions used throughout:

- *planned*: the planned amount of every line that is not rejected (draft, submitted, approved);
- *approved*: the planned amount of approved lines;
- *actual*: the sum of spend entries booked on the lines;
- a line is *overspent* when its actual spend exceeds its planned (for approved lines: approved) amount.

One module per concern (``lines``, ``totals``, ``partners``); this package re-exports the names of the first
two, so callers write ``selectors.budget_lines``.
"""

from .base import COUNTED_STATES, MONEY, ZERO
from .lines import (
    audit_trail,
    budget_line_for,
    budget_lines,
    budget_settings_last_change,
    channels,
    company_cycles,
    current_cycle,
    filtered_lines,
    initiative_key_results,
    key_result_search,
    queue_lines,
    requesters,
    spend_entries,
)
from .totals import (
    budget_bound_share,
    budget_by_key_result,
    budget_by_objective,
    monthly_actual,
    overview_totals,
    plan_vs_actual,
    spend_total,
)

__all__ = [
    "COUNTED_STATES",
    "MONEY",
    "ZERO",
    "audit_trail",
    "budget_bound_share",
    "budget_by_key_result",
    "budget_by_objective",
    "budget_line_for",
    "budget_lines",
    "budget_settings_last_change",
    "channels",
    "company_cycles",
    "current_cycle",
    "filtered_lines",
    "initiative_key_results",
    "key_result_search",
    "monthly_actual",
    "overview_totals",
    "plan_vs_actual",
    "queue_lines",
    "requesters",
    "spend_entries",
    "spend_total",
]
