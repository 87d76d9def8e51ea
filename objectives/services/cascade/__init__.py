"""Every state change of the cascade: cycles, objectives, alignments, key results and check-ins.

All functions are keyword-only, check the permission table for ``actor`` (None = the system), lock what they change,
validate, bump ``version`` and set ``updated_by`` on every change of an objective or key result, and refuse a stale
``version`` with :class:`core.errors.StaleVersion`.

Cycle states lock the cascade: in *planning* everything is editable; in *active* the structure is locked (no new,
moved or deleted objectives or key results, no alignment changes, key result targets, kind, unit and weight fixed)
while titles, descriptions, owners, commitment and check-ins go on; *closed* is read-only and carries frozen final
scores.

A package split by entity: ``common`` (field lists, locks, version checks, state guards, lookups), ``cycles``,
``objectives`` (objectives and their alignments), ``key_results``, ``check_ins`` and ``cascade_settings``. Every
service is importable from here, as before the split.
"""

from .cascade_settings import cascade_settings_update
from .check_ins import check_in_create
from .common import (
    KEY_RESULT_FIELDS,
    KEY_RESULT_FIELDS_WHILE_ACTIVE,
    MAX_LEVELS,
    OBJECTIVE_FIELDS,
    OBJECTIVE_FIELDS_WHILE_ACTIVE,
    ONE,
    ZERO,
    default_team,
    display_name,
    key_result_snapshot,
    objective_snapshot,
)
from .cycles import cycle_activate, cycle_carry_over, cycle_close, cycle_create, cycle_reopen, cycle_update
from .key_results import key_result_create, key_result_delete, key_result_move, key_result_update
from .objectives import (
    objective_create,
    objective_delete,
    objective_indent,
    objective_links_set,
    objective_move,
    objective_outdent,
    objective_update,
)

__all__ = [
    "KEY_RESULT_FIELDS",
    "KEY_RESULT_FIELDS_WHILE_ACTIVE",
    "MAX_LEVELS",
    "OBJECTIVE_FIELDS",
    "OBJECTIVE_FIELDS_WHILE_ACTIVE",
    "ONE",
    "ZERO",
    "cascade_settings_update",
    "check_in_create",
    "cycle_activate",
    "cycle_carry_over",
    "cycle_close",
    "cycle_create",
    "cycle_reopen",
    "cycle_update",
    "default_team",
    "display_name",
    "key_result_create",
    "key_result_delete",
    "key_result_move",
    "key_result_snapshot",
    "key_result_update",
    "objective_create",
    "objective_delete",
    "objective_indent",
    "objective_links_set",
    "objective_move",
    "objective_outdent",
    "objective_snapshot",
    "objective_update",
]
