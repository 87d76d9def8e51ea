"""htmx helpers shared by all views: one way to turn domain errors into form errors and toast messages."""

from __future__ import annotations

import json

from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.forms import Form
from django.http import HttpResponse

from .errors import DomainError, error_messages, error_status

__all__ = ["apply_to_form", "error_messages", "htmx_error_response", "htmx_refusal", "trigger_toast"]


def apply_to_form(form: Form, exc: ValidationError | DomainError) -> None:
    """Put a service's errors onto a bound form: field errors where the form has the field, the rest as non-field."""
    if isinstance(exc, DomainError):
        form.add_error(exc.field if exc.field in form.fields else None, exc.message)
        return
    if hasattr(exc, "error_dict"):
        for field, messages in exc.message_dict.items():
            target = field if field in form.fields else None
            for message in messages:
                form.add_error(target, message if field in (NON_FIELD_ERRORS,) or target else f"{field}: {message}")
        return
    for message in exc.messages:
        form.add_error(None, message)


def trigger_toast(response: HttpResponse, message: str, level: str = "success") -> HttpResponse:
    """Ask the page (static/js/app.js) to show a toast once htmx has swapped the response."""
    existing = response.headers.get("HX-Trigger")
    triggers = json.loads(existing) if existing else {}
    triggers["okr:toast"] = {"message": str(message), "level": level}
    response.headers["HX-Trigger"] = json.dumps(triggers)
    return response


def htmx_error_response(messages: list[str], *, status: int = 400) -> HttpResponse:
    """An htmx answer for a refused action: nothing is swapped, the page shows the reason as an error toast."""
    response = HttpResponse(status=status)
    response.headers["HX-Reswap"] = "none"
    return trigger_toast(response, " ".join(str(m) for m in messages), level="error")


def htmx_refusal(exc: ValidationError | DomainError) -> HttpResponse:
    """The htmx answer to a service's refusal: 400 for a ValidationError, the DomainError's status otherwise
    (core.errors.error_status), the reasons in an error toast."""
    return htmx_error_response(error_messages(exc), status=error_status(exc))
