"""Domain errors, and the one mapping of an error to what a user gets back. Services raise these (or Django's
ValidationError); :func:`error_status`, :func:`error_messages` and :func:`error_detail` decide the answer for the API
(core.api.exception_handler), pages (core.middleware) and htmx (core.htmx): a ValidationError is 400 everywhere, a
DomainError its own status (403, 404, 409). Services never import DRF."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext_lazy as _


class DomainError(Exception):
    """A rule of the domain refused the operation. ``status`` is the HTTP status interfaces answer with."""

    status = 400
    default_message = _("The operation is not allowed.")
    code = "domain_error"

    def __init__(self, message: str | None = None, *, field: str | None = None, extra: dict[str, Any] | None = None):
        self.message = str(message) if message is not None else str(self.default_message)
        self.field = field
        self.extra = extra or {}
        super().__init__(self.message)

    def as_dict(self) -> dict[str, Any]:
        data: dict[str, Any] = {"detail": self.message, "field": self.field, "code": self.code}
        if self.field:
            data[self.field] = [self.message]
        data.update(self.extra)
        return data


class PermissionDenied(DomainError):
    status = 403
    default_message = _("Your role does not allow this.")
    code = "permission_denied"


class NotFound(DomainError):
    status = 404
    default_message = _("Not found.")
    code = "not_found"


class Conflict(DomainError):
    """The state changed underneath the caller, e.g. a stale version or a decision someone else already made."""

    status = 409
    default_message = _("This was changed in the meantime.")
    code = "conflict"


class StaleVersion(Conflict):
    code = "stale_version"

    def __init__(self, *, changed_by: str, changed_at, current: dict[str, Any] | None = None):
        from django.utils import timezone
        from django.utils.formats import time_format

        local = timezone.localtime(changed_at) if changed_at else None
        when = time_format(local, "H:i") if local else "?"
        message = _("Changed by %(who)s at %(when)s.") % {"who": changed_by, "when": when}
        super().__init__(
            message,
            extra={
                "changed_by": changed_by,
                "changed_at": changed_at.isoformat() if changed_at else None,
                "current": current or {},
            },
        )


# SQLSTATEs of a transaction the database aborted because of a concurrent one: retrying it is the remedy.
_RETRYABLE_SQLSTATES = {"40P01": "deadlock_detected", "40001": "serialization_failure"}


class RetryConflict(Conflict):
    """The database aborted the transaction because of a simultaneous one (deadlock, serialization failure)."""

    code = "retry"
    default_message = _("Someone else changed the same data at the same moment; nothing was saved. Please try again.")


def concurrency_conflict(exc: BaseException) -> RetryConflict | None:
    """A 409 for a deadlock or serialization failure (Django's OperationalError wrapping psycopg's DeadlockDetected
    or SerializationFailure), else None. Pages and API map database errors through this one function."""
    from django.db import DatabaseError

    if not isinstance(exc, DatabaseError):
        return None
    sqlstate = getattr(exc.__cause__, "sqlstate", None) or getattr(exc, "sqlstate", None)
    if sqlstate not in _RETRYABLE_SQLSTATES:
        return None
    return RetryConflict(extra={"reason": _RETRYABLE_SQLSTATES[sqlstate]})


# ------------------------------------------------------------------------------------------ one error mapping


def error_status(exc: BaseException) -> int:
    """400 for a Django ValidationError (on pages, htmx and API alike), a DomainError's own status otherwise."""
    if isinstance(exc, DomainError):
        return exc.status
    return 400


def error_messages(exc) -> list[str]:
    """Every message of a ValidationError or DomainError, in order, as plain strings."""
    from django.core.exceptions import ValidationError

    if isinstance(exc, DomainError):
        return [exc.message]
    if isinstance(exc, ValidationError):
        if hasattr(exc, "error_dict"):
            return [str(m) for messages in exc.message_dict.values() for m in messages]
        return [str(m) for m in exc.messages]
    return [str(exc)]


def error_detail(exc) -> dict[str, Any]:
    """``{"detail", "field", "code"}`` of an error: its first message, the field it is about (None for the whole
    request) and a machine-readable code."""
    from django.core.exceptions import NON_FIELD_ERRORS, ValidationError

    if isinstance(exc, DomainError):
        return {"detail": exc.message, "field": exc.field, "code": exc.code}
    field, code = None, "invalid"
    if isinstance(exc, ValidationError):
        if hasattr(exc, "error_dict"):
            name, errors = next(iter(exc.error_dict.items()), (None, []))
            field = None if name == NON_FIELD_ERRORS else name
            code = (errors[0].code if errors else None) or code
        else:
            code = (exc.error_list[0].code if exc.error_list else None) or code
    messages = error_messages(exc)
    return {"detail": messages[0] if messages else "", "field": field, "code": code}
