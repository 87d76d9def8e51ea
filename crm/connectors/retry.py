"""One retry policy for every CRM call (tenacity): a 429 waits what the CRM's Retry-After says (or backs off
exponentially when it says nothing), a 5xx or a network error backs off exponentially with jitter; after
``CRM_SYNC_ATTEMPTS`` tries the error goes up. Not retried: an expired token (nothing changes by waiting), the daily
API limit, and a Retry-After longer than ``CRM_SYNC_MAX_WAIT`` seconds — the sync stops there, keeps its cursors,
and the next scheduled run continues where it stopped."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import TypeVar

from django.conf import settings
from tenacity import Retrying, retry_if_exception, stop_after_attempt, wait_exponential_jitter

from .base import RateLimited, Transient

T = TypeVar("T")
_backoff = wait_exponential_jitter(initial=1, max=30, jitter=1)


def _retryable(exc: BaseException) -> bool:
    if isinstance(exc, RateLimited):
        return not exc.daily and (exc.retry_after or 0) <= settings.CRM_SYNC_MAX_WAIT
    return isinstance(exc, Transient)


def _wait(state) -> float:
    exc = state.outcome.exception()
    if isinstance(exc, RateLimited) and exc.retry_after is not None:
        return float(exc.retry_after)
    return _backoff(state)


def sleep(seconds: float) -> None:
    """The pause between tries (a module function so a test can watch it)."""
    time.sleep(seconds)


def call(fn: Callable[..., T], *args, **kwargs) -> T:
    """``fn(*args, **kwargs)`` under the retry policy; ``fn`` raises the connector errors of :mod:`.base`."""
    retrying = Retrying(
        retry=retry_if_exception(_retryable),
        wait=_wait,
        stop=stop_after_attempt(settings.CRM_SYNC_ATTEMPTS),
        sleep=lambda seconds: sleep(seconds),
        reraise=True,
    )
    return retrying(fn, *args, **kwargs)
