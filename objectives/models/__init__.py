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
from .companies import Company, Membership, Profile
from .initiatives import Initiative, InitiativeRating, PrioritySettings

__all__ = [
    "CascadeSettings",
    "CheckIn",
    "Company",
    "Cycle",
    "Initiative",
    "InitiativeRating",
    "KeyResult",
    "Membership",
    "Objective",
    "ObjectiveLink",
    "PrioritySettings",
    "Profile",
    "ReminderLog",
    "key_result_progress",
]
