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
from .initiatives import Initiative, InitiativePartner, InitiativeRating, PrioritySettings

__all__ = [
    "CascadeSettings",
    "CheckIn",
    "Cycle",
    "Initiative",
    "InitiativePartner",
    "InitiativeRating",
    "KeyResult",
    "Objective",
    "ObjectiveLink",
    "PrioritySettings",
    "ReminderLog",
    "key_result_progress",
]
