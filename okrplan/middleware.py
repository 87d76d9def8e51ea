"""Request middleware: domain errors (and deadlocks, as a 409 to retry) in HTML views, request ids, the Content
Security Policy, the health check."""

from __future__ import annotations

import re
import uuid

from django.conf import settings
from django.core.exceptions import ValidationError
from django.shortcuts import render

from .errors import DomainError, concurrency_conflict
from .htmx import error_messages, htmx_error_response
from .logging import request_id_var


class DomainErrorMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_exception(self, request, exception):
        exception = concurrency_conflict(exception) or exception
        if isinstance(exception, DomainError):
            status, messages = exception.status, [exception.message]
        elif isinstance(exception, ValidationError):
            status, messages = 400, error_messages(exception)
        else:
            return None
        if getattr(request, "htmx", False):
            return htmx_error_response(messages, status=status)
        return render(request, "okrplan/error.html", {"status": status, "messages": messages}, status=status)


# A client-supplied X-Request-ID is kept when it looks like an id (a proxy's or load balancer's), else replaced.
_REQUEST_ID = re.compile(r"^[A-Za-z0-9._:-]{8,128}$")


class RequestIdMiddleware:
    """Gives every request an id (X-Request-ID passthrough or a new one), puts it on every log line of the request
    and echoes it in the response header, so a user's report and the logs can be matched."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        incoming = request.headers.get("X-Request-ID", "")
        request.id = incoming if _REQUEST_ID.match(incoming) else uuid.uuid4().hex
        token = request_id_var.set(request.id)
        try:
            response = self.get_response(request)
        finally:
            request_id_var.reset(token)
        response["X-Request-ID"] = request.id
        return response


def content_security_policy(directives: dict[str, list[str]]) -> str:
    return "; ".join(" ".join([name, *values]) for name, values in directives.items())


class ContentSecurityPolicyMiddleware:
    """Sends settings.CONTENT_SECURITY_POLICY on every response, also in DEBUG, so tests catch violations."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        policy = content_security_policy(settings.CONTENT_SECURITY_POLICY)
        response.headers.setdefault("Content-Security-Policy", policy)
        return response


class HealthCheckMiddleware:
    """Answers /healthz before host validation and the HTTPS redirect: load balancers and container probes call it
    by IP address over plain HTTP."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if request.path == "/healthz":
            from .health import healthz

            return healthz(request)
        return self.get_response(request)
