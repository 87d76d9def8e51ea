"""The planning domain. Models hold tables, constraints and small derived values; state changes go through
objectives.services."""

from .cascade import (
    CascadeSettings,
    CheckIn,
    Cycle,
    KeyResult,
    Objective,
    ObjectiveLink,
    ReminderLog,
    key_result_progress,
)

__all__ = [
    "CascadeSettings",
    "CheckIn",
    "Cycle",
    "KeyResult",
    "Objective",
    "ObjectiveLink",
    "ReminderLog",
    "key_result_progress",
]
