"""Request middleware: domain errors (and deadlocks, as a 409 to retry) in HTML views, request ids, the Content
Security Policy, the health check."""

from __future__ import annotations

import re
import uuid

from django.conf import settings
from django.core.exceptions import ValidationError
from django.http import JsonResponse
from django.shortcuts import render

from .errors import DomainError, concurrency_conflict, error_messages, error_status
from .health import healthz
from .htmx import htmx_error_response
from .logging import request_id_var
from .safety import text_problem


class DomainErrorMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_exception(self, request, exception):
        exception = concurrency_conflict(exception) or exception
        if not isinstance(exception, DomainError | ValidationError):
            return None
        status, messages = error_status(exception), error_messages(exception)
        if getattr(request, "htmx", False):
            return htmx_error_response(messages, status=status)
        return render(request, "core/error.html", {"status": status, "messages": messages}, status=status)


class HostileParameterMiddleware:
    """Query parameters and form fields with a NUL character are refused with 400, naming the parameter, before
    any view reads them: PostgreSQL cannot compare or store NUL (a 500 from ``?search=%00`` before), and views read
    many parameters outside forms. (JSON bodies are checked by core.api.SafeJSONParser; Django decodes query
    strings and form bodies with replacement characters, so no unpaired surrogate gets this far.)

    In process_view, after CsrfViewMiddleware: a forged request is refused as such first."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_view(self, request, view_func, view_args, view_kwargs):
        sources = [request.GET, request.POST] if request.method == "POST" else [request.GET]
        for source in sources:
            for name, values in source.lists():
                for text in (name, *values):
                    if problem := text_problem(text):
                        return _parameter_error(request, name, problem)
        return None


def _parameter_error(request, name: str, problem: str):
    name = name.replace("\x00", "\\x00")
    if request.path.startswith("/api/"):
        return JsonResponse({name: [problem]}, status=400)
    message = f"{name}: {problem}"
    if getattr(request, "htmx", False):
        return htmx_error_response([message], status=400)
    return render(request, "core/error.html", {"status": 400, "messages": [message]}, status=400)


class PrivateCacheMiddleware:
    """Answers to a signed-in user (pages, partials, API, downloads) carry personal or company data: no shared or
    browser cache may keep them (``Cache-Control: private, no-store``), unless a view said otherwise (pages with an
    ETag: ``private, no-cache``, core.conditional); signing in and out clears what the browser kept. Static files
    never get here (WhiteNoise answers them earlier), and anonymous pages (sign-in) keep Django's defaults."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated and "Cache-Control" not in response.headers:
            response.headers["Cache-Control"] = "private, no-store"
        if getattr(request, "session_changed_hands", False):
            # Pages with an ETag are kept by the browser (core.conditional): none outlives the session it was for.
            response.headers["Clear-Site-Data"] = '"cache"'
        return response


def session_changed_hands(sender, request, **kwargs) -> None:
    """``user_logged_in``/``user_logged_out``: the answer clears the browser's cache (PrivateCacheMiddleware)."""
    if request is not None:
        request.session_changed_hands = True


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
            return healthz(request)
        return self.get_response(request)
