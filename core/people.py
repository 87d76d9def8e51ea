"""How a person is named on every page, in every API answer, export and e-mail: one function."""

from __future__ import annotations


def display_name(user, *, nobody: str = "") -> str:
    """Full name, else the username, else the e-mail address; ``nobody`` for no user (e.g. "the system" for an
    automatic entry)."""
    if user is None:
        return str(nobody)
    full = (user.get_full_name() or "").strip() if hasattr(user, "get_full_name") else ""
    if full:
        return full
    username = user.get_username() if hasattr(user, "get_username") else getattr(user, "username", "")
    return username or getattr(user, "email", "") or ""
