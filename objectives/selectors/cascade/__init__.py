"""Read queries of the cascade shared by pages, API, import/export and tasks.

``cascade_tree`` loads a cycle's objectives, key results, owners and alignments in a constant number of queries and
builds the tree in Python, so the page and the API cost the same few queries for 10 or 500 objectives.

Progress rules (issue 3):

- key result progress: :func:`objectives.models.key_result_progress` (increase/decrease: clamp((current − start) /
  (target − start), 0, 1); stay above/below: 1 while the bound holds; milestone: 0 or 1).
- own progress of an objective: the weighted mean of its key results (by their weights).
- subtree progress: the weighted mean of its key results and of its child objectives' subtree progress, where
  each child objective counts with weight 1 — as much as one key result of weight 1. We chose weight 1 because
  child objectives carry no weight of their own and a child should not outweigh the parent's own measures just
  because it has many key results.
- progress (what the cascade shows as *the* progress): own progress with roll-up "krs"; with "krs_and_children"
  the weighted mean of the key results and of each child's progress (weight 1 each, recursively by the child's
  own roll-up setting).
- An objective without key results (and, with children rolled up, without children) has progress 0 and says so:
  ``is_measured`` is False and ``progress_note`` explains it.
- Status colour and word compare progress with the expected progress at this date (the share of the cycle
  elapsed): ``score = progress / expected`` (1 when nothing is expected yet), then the company's thresholds
  (red < amber_from ≤ amber < green_from ≤ green). At the end of the cycle that is the plain score; in a closed
  cycle the frozen final scores are used.

A package split by entity: ``lookups`` (one cycle, objective or key result of a company), ``scoring``
(expected progress, status colours, reminder settings), ``rows`` (the columns the tree reads), ``tree`` (the nested
cascade, its filters and signature) and ``key_results`` (my key results, stale ones, check-in history). Every
selector is importable from here, as before the split.
"""

from .key_results import key_result_history, my_key_results, stale_key_results
from .lookups import cycle_default, cycle_get, cycle_list, key_result_get, objective_get
from .rows import OWNER_COLUMNS, KeyResultRow, ObjectiveRow, Person, _rows
from .scoring import (
    DEFAULT_REMINDER_DAYS,
    ONE,
    QUANTUM,
    STATUS_LABELS,
    ZERO,
    _pace_score,
    _q,
    cascade_settings_get,
    expected_progress,
    reminder_after_days,
    score_status,
)
from .tree import (
    CascadeNode,
    KeyResultNode,
    cascade_signature,
    cascade_signature_etag,
    cascade_stale_from,
    cascade_tree,
    walk,
)

__all__ = [
    "DEFAULT_REMINDER_DAYS",
    "ONE",
    "OWNER_COLUMNS",
    "QUANTUM",
    "STATUS_LABELS",
    "ZERO",
    "CascadeNode",
    "KeyResultNode",
    "KeyResultRow",
    "ObjectiveRow",
    "Person",
    "_pace_score",
    "_q",
    "_rows",
    "cascade_settings_get",
    "cascade_signature",
    "cascade_signature_etag",
    "cascade_stale_from",
    "cascade_tree",
    "cycle_default",
    "cycle_get",
    "cycle_list",
    "expected_progress",
    "key_result_get",
    "key_result_history",
    "my_key_results",
    "objective_get",
    "reminder_after_days",
    "score_status",
    "stale_key_results",
    "walk",
]
