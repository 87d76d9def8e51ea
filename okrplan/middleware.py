"""Turns domain errors raised inside HTML views into pages or htmx messages with the right status."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.shortcuts import render

from .errors import DomainError
from .htmx import error_messages, htmx_error_response


class DomainErrorMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_exception(self, request, exception):
        if isinstance(exception, DomainError):
            status, messages = exception.status, [exception.message]
        elif isinstance(exception, ValidationError):
            status, messages = 400, error_messages(exception)
        else:
            return None
        if getattr(request, "htmx", False):
            return htmx_error_response(messages, status=status)
        return render(request, "okrplan/error.html", {"status": status, "messages": messages}, status=status)
