"""Sections other apps add to the weekly reminder e-mail (objectives.services.cascade_reminders sends it).

An app registers a section in ``AppConfig.ready()``: ``collect(company=, now=)`` returns ``{user_id: (user,
items)}`` for the people who have something in it, and ``render(company=, user=, items=, now=)`` the section's
plain text, called in the recipient's language. Someone with items in any section gets the reminder even without a
stale key result; the e-mail stays at most one per person, company and ISO week."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass


@dataclass(frozen=True)
class ReminderSection:
    key: str
    collect: Callable[..., dict]
    render: Callable[..., str]


REMINDER_SECTIONS: list[ReminderSection] = []


def register_reminder_section(key: str, collect: Callable[..., dict], render: Callable[..., str] | None = None) -> None:
    """Add (or replace) a section. ``collect`` may be an object with ``collect`` and ``render`` attributes."""
    if render is None:
        collect, render = collect.collect, collect.render
    REMINDER_SECTIONS[:] = [*(s for s in REMINDER_SECTIONS if s.key != key), ReminderSection(key, collect, render)]
