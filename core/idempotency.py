"""Idempotent POSTs for the API: a request that carries an ``Idempotency-Key`` header is carried out at most once.

The pages' save queue sends a fresh key with every create and the same key again when it retries that create after a
network failure. When the first request did reach the server and only its answer was lost, the retry gets the stored
answer of the first (same status, same body: the row that was created) instead of creating a second row.

- The key is scoped to the user and the URL; answers are kept in the cache (Redis in production) for a day.
- Only successful answers are stored: a refused or failed request created nothing, so its retry runs again.
- A retry that arrives while the first request is still running waits for its answer (a few seconds), else gets
  503 with Retry-After (the save queue retries it later, the indicator says "Saving…").
- The same key with a different body is refused (422): the client has a bug, and guessing would be worse.

Used once, by ``companies.api.CompanyScopedMixin``: every company endpoint of the API has it.
"""

from __future__ import annotations

import hashlib
import json
import re
import time

from django.core.cache import cache
from django.utils.translation import gettext_lazy as _
from rest_framework.exceptions import APIException
from rest_framework.response import Response

HEADER = "Idempotency-Key"
KEY_PATTERN = re.compile(r"^[A-Za-z0-9_.:-]{8,100}$")
STORED_SECONDS = 24 * 60 * 60
RUNNING_SECONDS = 60
WAIT_SECONDS = 5.0
POLL_SECONDS = 0.05


class _Answer(APIException):
    """Carries a finished answer (a stored one, or a refusal of the key) out of ``initial``."""

    def __init__(self, response: Response):
        self.response = response
        super().__init__()


def cache_key(user_id, path: str, key: str) -> str:
    """Where the answer (``…:answer``) and the running mark (``…:running``) of one key of one user and URL live."""
    return "idempotency:" + hashlib.sha256(f"{user_id}|{path}|{key}".encode()).hexdigest()


def _fingerprint(data) -> str:
    body = json.dumps(data, sort_keys=True, default=str, ensure_ascii=False)
    return hashlib.sha256(body.encode()).hexdigest()


def _error(status: int, detail, code: str) -> _Answer:
    return _Answer(Response({"detail": str(detail), "field": None, "code": code}, status=status))


class IdempotentPostMixin:
    """For DRF views: replays the stored answer of a POST whose Idempotency-Key was seen before."""

    _idempotency = None  # (cache key, fingerprint) while this request holds the key

    def initial(self, request, *args, **kwargs):
        super().initial(request, *args, **kwargs)
        self._idempotency = None
        key = request.headers.get(HEADER)
        if request.method != "POST" or key is None:
            return
        if not KEY_PATTERN.match(key):
            raise _error(400, _("The Idempotency-Key header must be 8 to 100 letters, digits or -_.:"), "invalid")
        base = cache_key(getattr(request.user, "pk", None), request.path, key)
        fingerprint = _fingerprint(request.data)
        deadline = time.monotonic() + WAIT_SECONDS
        while True:
            stored = cache.get(base + ":answer")
            if stored is not None:
                if stored["fingerprint"] != fingerprint:
                    raise _error(
                        422, _("This Idempotency-Key was already used for a different request."), "idempotency_reused"
                    )
                response = Response(stored["data"], status=stored["status"])
                response["Idempotent-Replayed"] = "true"
                raise _Answer(response)
            if cache.add(base + ":running", fingerprint, RUNNING_SECONDS):
                self._idempotency = (base, fingerprint)
                return
            if time.monotonic() >= deadline:
                answer = _error(503, _("This change is still being saved. Try again in a moment."), "in_progress")
                answer.response["Retry-After"] = "1"
                raise answer
            time.sleep(POLL_SECONDS)

    def handle_exception(self, exc):
        if isinstance(exc, _Answer):
            return exc.response
        return super().handle_exception(exc)

    def finalize_response(self, request, response, *args, **kwargs):
        response = super().finalize_response(request, response, *args, **kwargs)
        if self._idempotency is not None:
            base, fingerprint = self._idempotency
            self._idempotency = None
            if 200 <= response.status_code < 300 and isinstance(response, Response):
                stored = {"status": response.status_code, "data": response.data, "fingerprint": fingerprint}
                cache.set(base + ":answer", stored, STORED_SECONDS)
            cache.delete(base + ":running")
        return response
