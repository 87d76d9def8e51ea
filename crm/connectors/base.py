"""What every source shares: the page it yields and the errors it raises (library errors are translated into these
at the source's edge, so the sync and the retry policy never see a library's exception types)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from django.utils.translation import gettext_lazy as _


class ConnectorError(Exception):
    """The CRM refused a request for a reason a retry will not change (shown to the people who manage the sync)."""

    def __init__(self, message, *, status: int | None = None):
        self.message = message
        self.status = status
        super().__init__(str(message))


class AuthExpired(ConnectorError):
    """The token or OAuth grant is no longer accepted: the connection needs to be connected again."""

    def __init__(self, message=None, *, status: int | None = 401):
        super().__init__(
            message or _("The CRM no longer accepts the stored credentials: connect again."), status=status
        )


class RateLimited(ConnectorError):
    """429 (or Salesforce's REQUEST_LIMIT_EXCEEDED). ``retry_after`` in seconds when the CRM said; ``daily`` when the
    daily API allowance is spent (no use retrying before tomorrow)."""

    def __init__(self, message=None, *, retry_after: float | None = None, daily: bool = False, status: int = 429):
        self.retry_after = retry_after
        self.daily = daily
        default = _("The CRM's daily API limit is reached.") if daily else _("The CRM asks to slow down (rate limit).")
        super().__init__(message or default, status=status)


class Transient(ConnectorError):
    """A 5xx or a network error: worth retrying after a pause."""


@dataclass
class Page:
    """One page of one stream: import rows per kind (leads, opportunities, touchpoints — written in that order), or
    for a deletion stream the CRM ids deleted per kind, and the cursor to resume from once the page is written (the
    greatest modification or deletion time in it, UTC ISO 8601)."""

    stream: str
    rows: dict[str, list[dict]] = field(default_factory=dict)
    cursor: str | None = None
    skipped: list[tuple[str, str]] = field(default_factory=list)  # (record id, why) for records not turned into rows
    deleted: dict[str, list[str]] = field(default_factory=dict)  # kind -> CRM ids deleted (archived) in the CRM


def iso(value: dt.datetime) -> str:
    return value.astimezone(dt.UTC).isoformat().replace("+00:00", "Z")


def parse_iso(text: str) -> dt.datetime:
    """A CRM timestamp ("2026-03-04T10:22:00.000Z", Salesforce's "…+0000", epoch milliseconds) as aware UTC."""
    text = str(text).strip()
    if text.isdigit():
        return dt.datetime.fromtimestamp(int(text) / 1000, dt.UTC)
    text = text.replace("Z", "+00:00")
    if len(text) > 5 and text[-5] in "+-" and text[-3] != ":":
        text = f"{text[:-2]}:{text[-2:]}"
    value = dt.datetime.fromisoformat(text)
    return value if value.tzinfo else value.replace(tzinfo=dt.UTC)
