"""Every state change of budget lines, approvals, channels, settings and spend. Interfaces (pages, API, admin,
commands, imports) call these functions and never repeat a rule.

The core rule — a line can only be approved once it is bound to a key result of the same company whose cycle
covers the line's period — is checked here with a clear message and, for every other path into the data, held by
the database constraint ``budget_line_approved_is_bound``.

One module per entity; this package re-exports their public names, so callers write ``services.budget_line_approve``.
"""

from .approvals import approval_refusal, budget_line_approve, budget_line_reject
from .base import (
    BINDING_CYCLE,
    BINDING_OTHER_COMPANY,
    BINDING_REQUIRED,
    OWN_VERSION,
    SAME_PERSON_TWO_STEPS,
    SELF_APPROVAL,
    key_result_binding_errors,
)
from .budget_settings import budget_settings_for, budget_settings_update
from .channels import DEFAULT_CHANNELS, channel_create, channel_update, channels_ensure_defaults
from .guards import (
    CYCLE_DATES_UNCOVERED_KR,
    CYCLE_DATES_UNCOVERED_LINE,
    KR_MOVE_UNCOVERED,
    budget_lines_unbind_key_result,
    cycle_dates_guard,
    key_result_cycle_guard,
)
from .lines import budget_line_bind, budget_line_create, budget_line_submit, budget_line_update
from .spend import spend_entry_create

__all__ = [
    "BINDING_CYCLE",
    "BINDING_OTHER_COMPANY",
    "BINDING_REQUIRED",
    "CYCLE_DATES_UNCOVERED_KR",
    "CYCLE_DATES_UNCOVERED_LINE",
    "DEFAULT_CHANNELS",
    "KR_MOVE_UNCOVERED",
    "OWN_VERSION",
    "SAME_PERSON_TWO_STEPS",
    "SELF_APPROVAL",
    "approval_refusal",
    "budget_line_approve",
    "budget_line_bind",
    "budget_line_create",
    "budget_line_reject",
    "budget_line_submit",
    "budget_line_update",
    "budget_lines_unbind_key_result",
    "budget_settings_for",
    "budget_settings_update",
    "channel_create",
    "channel_update",
    "channels_ensure_defaults",
    "cycle_dates_guard",
    "key_result_binding_errors",
    "key_result_cycle_guard",
    "spend_entry_create",
]
