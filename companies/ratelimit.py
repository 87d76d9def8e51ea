"""Sign-in rate limit: after LOGIN_RATE_LIMIT failed attempts for one username from one IP address within
LOGIN_RATE_LIMIT_WINDOW seconds, further attempts are refused without checking the password until the window ends.
Password spraying (one try each for many usernames) is limited per address as well: after
LOGIN_RATE_LIMIT_PER_ADDRESS failed attempts from one address within the window, every sign-in from there waits.

The counters live in the Django cache: Redis when REDIS_URL is set (shared by every web process), otherwise the
in-process local-memory cache, which counts per process only (fine for `make run`, not for several gunicorn workers).
Keyed by username *and* IP, so an attacker cannot lock a user out from elsewhere, and other users are unaffected;
the per-address counter only slows down the address that sprays (other addresses are unaffected), and a
successful sign-in does not reset it (one known password must not unlock a spray).

django-axes was considered: it has one failure limit for all its lockout parameters, so it cannot keep 5 per user
and address while allowing more per address (offices behind one NAT address), and it writes a row per failure.
"""

from __future__ import annotations

import hashlib
import logging
import math
import time

from django import forms
from django.conf import settings
from django.contrib.admin.forms import AdminAuthenticationForm
from django.contrib.auth.forms import AuthenticationForm
from django.core.cache import cache
from django.http import HttpRequest
from django.utils.translation import ngettext
from redis.exceptions import RedisError

from .signin import PasswordPolicyMixin

logger = logging.getLogger(__name__)

RATE_LIMITED = "rate_limited"


def client_ip(request: HttpRequest) -> str:
    """The client's address: REMOTE_ADDR, or with NUM_PROXIES trusted reverse proxies in front, the address the
    outermost of them saw (X-Forwarded-For entries further left are client-supplied and can be forged)."""
    proxies = getattr(settings, "NUM_PROXIES", 0)
    if proxies:
        forwarded = [part.strip() for part in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",") if part.strip()]
        if forwarded:
            return forwarded[-min(proxies, len(forwarded))]
    return request.META.get("REMOTE_ADDR", "") or "unknown"


def _keys(username: str, ip: str) -> tuple[str, str]:
    digest = hashlib.sha256(f"{username.strip().casefold()}\x00{ip}".encode()).hexdigest()
    prefix = settings.LOGIN_RATE_LIMIT_KEY_PREFIX
    return f"{prefix}:count:{digest}", f"{prefix}:since:{digest}"


def _address_keys(ip: str) -> tuple[str, str]:
    digest = hashlib.sha256(f"address\x00{ip}".encode()).hexdigest()
    prefix = settings.LOGIN_RATE_LIMIT_KEY_PREFIX
    return f"{prefix}:address-count:{digest}", f"{prefix}:address-since:{digest}"


def _remaining(keys: tuple[str, str], limit: int, values: dict) -> int:
    count_key, since_key = keys
    if values.get(count_key, 0) < limit:
        return 0
    since = values.get(since_key, time.time())
    remaining = math.ceil(since + settings.LOGIN_RATE_LIMIT_WINDOW - time.time())
    if remaining <= 0:  # the window is over even if the cache has not expired the keys yet
        cache.delete_many(list(keys))
        return 0
    return remaining


def seconds_blocked(username: str, ip: str) -> int:
    """Seconds until sign-in is allowed again for username from ip (per user and address, or per address when it
    sprayed); 0 when it is allowed now."""
    user_keys, address_keys = _keys(username, ip), _address_keys(ip)
    values = cache.get_many([*user_keys, *address_keys])
    return max(
        _remaining(user_keys, settings.LOGIN_RATE_LIMIT, values),
        _remaining(address_keys, settings.LOGIN_RATE_LIMIT_PER_ADDRESS, values),
    )


def record_failure(username: str, ip: str) -> int:
    """Count a failed attempt for the user and address and for the address alone; each window starts at its first
    failure. Returns the number of failures of this user from this address so far."""
    _count(*_address_keys(ip))
    return _count(*_keys(username, ip))


def _count(count_key: str, since_key: str) -> int:
    window = settings.LOGIN_RATE_LIMIT_WINDOW
    cache.add(since_key, time.time(), timeout=window)
    cache.add(count_key, 0, timeout=window)
    try:
        return cache.incr(count_key)
    except ValueError:  # expired between add and incr
        cache.set(count_key, 1, timeout=window)
        return 1


def reset(username: str, ip: str) -> None:
    cache.delete_many(list(_keys(username, ip)))


def blocked_message(seconds: int) -> str:
    minutes = max(1, math.ceil(seconds / 60))
    return ngettext(
        "Too many failed sign-in attempts. Try again in %(minutes)d minute.",
        "Too many failed sign-in attempts. Try again in %(minutes)d minutes.",
        minutes,
    ) % {"minutes": minutes}


class RateLimitedLoginMixin:
    """For AuthenticationForm subclasses: refuse before checking the password while blocked, count failures,
    forget them after a successful sign-in."""

    def clean(self):
        username = self.cleaned_data.get("username") or ""
        ip = client_ip(self.request) if self.request is not None else "unknown"
        wait = _fail_open(seconds_blocked, username, ip) or 0
        if wait:
            logger.warning("sign-in refused: too many failed attempts", extra={"ip": ip})
            raise forms.ValidationError(blocked_message(wait), code=RATE_LIMITED)
        try:
            cleaned = super().clean()
        except forms.ValidationError as exc:
            if exc.code == "password_sign_in_off":  # the right password, refused by the company's policy
                raise
            failures = _fail_open(record_failure, username, ip)
            logger.info("sign-in failed", extra={"ip": ip, "failures": failures})
            raise
        _fail_open(reset, username, ip)
        return cleaned


def _fail_open(function, *args):
    """With Redis down, signing in keeps working (unlimited) instead of failing with a server error."""
    try:
        return function(*args)
    except RedisError as exc:
        logger.warning("sign-in rate limit unavailable: %s", exc)
        return None


# PasswordPolicyMixin (companies.signin): members of a company that signs in by single sign-on only get no session
# from a password.
class LoginForm(RateLimitedLoginMixin, PasswordPolicyMixin, AuthenticationForm):
    pass


class AdminLoginForm(RateLimitedLoginMixin, PasswordPolicyMixin, AdminAuthenticationForm):
    pass
