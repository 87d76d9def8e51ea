"""Conditional GET for reads that have a data version: an ``ETag`` from the version, ``304 Not Modified`` when the
client's ``If-None-Match`` names it.

Partials and API reads (:func:`conditional`) stay ``Cache-Control: private, no-store``
(core.middleware.PrivateCacheMiddleware): the client that wants a 304 says what it has itself — the site's one
poller (static/js/okr/poller.js) remembers each URL's ETag and sends it back. The comparison is weak (RFC 9110),
because GZipMiddleware turns a strong ETag into a weak one when it compresses the body.

Whole pages (:func:`conditional_page`, a decorator under ``company_view``) are kept by the browser
(``private, no-cache``: it must ask every time) and answered ``304`` when nothing they show has changed. Their ETag
covers everything such a page shows that can differ:

- the data: the versions of the scopes the page names (core.versions), plus ``company``, ``people`` (names) and
  ``directory`` (the header's company switcher) for every page; the day (``timezone.localdate``); the build
  (:func:`build_salt`: templates, code, catalogues, static file names);
- the viewer: user, membership and role (what they may see and do), language, the whole session's data (e.g. the
  board's remembered period), the URL with its query;
- the session and its CSRF secret: a page embeds a CSRF token masked from the secret, and Django draws a new secret
  and a new session at sign-in, so a page kept from another session (another person on the same browser, or
  before signing in again) never gets a 304 and its token is never replayed; the ETag is an HMAC with the
  installation's ``SECRET_KEY`` and reveals neither.

No ETag at all when a message is waiting to be shown (or was shown by this answer), when there is no session or
CSRF cookie yet (the answer sets one), without a reachable cache, for htmx requests and when the view set its own
ETag. Text that changes by the clock alone ("5 minutes ago", a key result turning stale) tells the page until when
it holds (:func:`valid_until`, the ``natural_age`` filter) or that it holds for no time at all (:func:`live`, e.g.
a KPI refresh in progress): a 304 needs the server's record that this ETag was rendered, and is not given past that
moment. Sign-in and sign-out answers send ``Clear-Site-Data: "cache"`` (core.middleware), so a kept page does not
outlive the session in the browser.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import logging
from contextvars import ContextVar
from functools import cache as memoize
from functools import wraps
from pathlib import Path

from django.conf import settings
from django.contrib.humanize.templatetags.humanize import naturaltime
from django.core.cache import cache
from django.http import HttpRequest, HttpResponse, HttpResponseNotModified
from django.utils import timezone
from django.utils.cache import patch_vary_headers
from django.utils.crypto import salted_hmac
from django.utils.http import parse_etags, quote_etag
from django.utils.translation import get_language

from core import versions

logger = logging.getLogger(__name__)


def etag_of(*parts) -> str:
    """A quoted strong ETag for the parts (the versions and everything else the answer depends on)."""
    raw = "|".join(str(part) for part in parts)
    return quote_etag(hashlib.sha256(raw.encode()).hexdigest()[:32])


def _bare(tag: str) -> str:
    return tag[2:] if tag.startswith("W/") else tag


def client_has(request: HttpRequest, etag: str) -> bool:
    """Whether the request's ``If-None-Match`` names ``etag`` (or ``*``), compared weakly."""
    header = request.META.get("HTTP_IF_NONE_MATCH")
    if not header or request.method not in ("GET", "HEAD"):
        return False
    tags = parse_etags(header)
    return "*" in tags or _bare(etag) in {_bare(tag) for tag in tags}


def not_modified(etag: str) -> HttpResponse:
    response = HttpResponseNotModified()
    return with_etag(response, etag)


def with_etag(response: HttpResponse, etag: str) -> HttpResponse:
    response["ETag"] = etag
    # The same URL answers differently per user and language.
    patch_vary_headers(response, ["Cookie", "Accept-Language"])
    return response


def conditional(request: HttpRequest, etag: str, build) -> HttpResponse:
    """304 if the client has ``etag``, else ``build()`` with the ETag set."""
    if client_has(request, etag):
        return not_modified(etag)
    return with_etag(build(), etag)


# --------------------------------------------------------------------------------------------------- whole pages

# Every page's header shows the company, people's names and the user's companies (core.versions).
PAGE_SCOPES = ("company", "people", "directory")
PAGE_CACHE_CONTROL = "private, no-cache"


class _Page:
    """What the page being rendered said about time: valid until a moment, or not at all (live)."""

    __slots__ = ("live", "until")

    def __init__(self) -> None:
        self.until: dt.datetime | None = None
        self.live = False


_page: ContextVar[_Page | None] = ContextVar("okrplan_conditional_page", default=None)


def valid_until(moment: dt.datetime | None) -> None:
    """The page being rendered (if any) shows something that changes by the clock at ``moment``."""
    page = _page.get()
    if page is not None and moment is not None and (page.until is None or moment < page.until):
        page.until = moment


def live() -> None:
    """The page being rendered (if any) changes without a data change (e.g. progress of a running job): no ETag."""
    page = _page.get()
    if page is not None:
        page.live = True


def age_changes_at(when: dt.datetime, now: dt.datetime) -> dt.datetime | None:
    """When ``naturaltime(when)`` reads differently from now on: it counts seconds under a minute, minutes under an
    hour, hours under a week (with days), days after that. None for a moment in the future (it says "now"/"in ...")."""
    elapsed = (now - when).total_seconds()
    if elapsed < 0:
        return None
    step = 1 if elapsed < 60 else 60 if elapsed < 3600 else 3600 if elapsed < 7 * 86400 else 86400
    return when + dt.timedelta(seconds=(int(elapsed // step) + 1) * step)


def natural_age(when: dt.datetime | None) -> str:
    """``naturaltime`` ("5 minutes ago") that tells the page being rendered until when the text holds."""
    if when is None:
        return ""
    if not isinstance(when, dt.datetime):
        return naturaltime(when)
    now = timezone.now()
    changes = age_changes_at(when, now)
    if changes is None:
        live()
    else:
        valid_until(changes)
    return naturaltime(when)


@memoize
def build_salt() -> str:
    """A digest of what a page is made from besides data: templates, our Python code, the compiled catalogues and the
    static files' hashed names (manifest). Computed once per process: a deploy restarts the processes."""
    base = Path(settings.BASE_DIR)
    digest = hashlib.sha256()
    skip = {".venv", "node_modules", "tests", "var", "bench", ".git"}
    files = [
        path
        for pattern in ("*/**/*.py", "templates/**/*.html", "**/locale/**/*.mo")
        for path in base.glob(pattern)
        if not skip.intersection(path.relative_to(base).parts)
    ]
    manifest = Path(settings.STATIC_ROOT) / "staticfiles.json" if settings.STATIC_ROOT else None
    if manifest is not None and manifest.exists():
        files.append(manifest)
    for path in sorted(files):
        digest.update(str(path.relative_to(base)).encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()[:16]


def _messages_waiting(request: HttpRequest) -> bool:
    storage = getattr(request, "_messages", None)
    return storage is not None and len(storage) > 0  # len() does not mark them as shown


def page_etag(request: HttpRequest, scopes: tuple[str, ...], extra=()) -> str | None:
    """The ETag of the page ``request`` asks for (see the module's docstring), or None when it must not have one."""
    user = getattr(request, "user", None)
    membership = getattr(request, "membership", None)
    session = getattr(request, "session", None)
    csrf_secret = request.META.get("CSRF_COOKIE")
    if request.method not in ("GET", "HEAD") or user is None or not user.is_authenticated or membership is None:
        return None
    if session is None or not session.session_key or not csrf_secret or getattr(request, "htmx", False):
        return None
    if _messages_waiting(request):
        return None
    tokens = versions.versions(membership.company_id, (*scopes, *PAGE_SCOPES))
    if tokens.startswith("unversioned"):
        return None
    parts = [
        build_salt(),
        request.get_full_path(),
        tokens,
        user.pk,
        membership.pk,
        membership.role,
        get_language(),
        timezone.localdate().isoformat(),
        session.session_key,
        csrf_secret,
        json.dumps(dict(session.items()), sort_keys=True, default=str),
        *extra,
    ]
    raw = "\x1f".join(str(part) for part in parts)
    return quote_etag(salted_hmac("okrplan.conditional.page", raw).hexdigest()[:40])


def _record_key(etag: str) -> str:
    return f"{versions.fragment_key('page-etag', etag)}"


def _rendered(etag: str) -> bool:
    """Whether this ETag was rendered and what it showed still holds by the clock."""
    try:
        record = cache.get(_record_key(etag))
    except Exception:
        return False
    if record is None:
        return False
    until = record.get("until")
    return until is None or timezone.now() < until


def _remember(etag: str, until: dt.datetime | None) -> None:
    try:
        cache.set(_record_key(etag), {"until": until}, timeout=versions.FRAGMENT_TIMEOUT)
    except Exception:
        logger.warning("page ETag not recorded (cache unreachable)", exc_info=True)


def conditional_page(*scopes: str):
    """Decorator for a company page (under ``company_view``): ``ETag`` from the versions of ``scopes`` and the
    viewer, ``304`` to a matching ``If-None-Match`` while that holds. See the module's docstring."""
    for scope in scopes:
        if scope not in versions.SCOPES:
            raise ValueError(f"unknown version scope {scope!r}")

    def decorate(view):
        @wraps(view)
        def wrapped(request: HttpRequest, *args, **kwargs) -> HttpResponse:
            etag = page_etag(request, scopes)
            if etag is None:
                return view(request, *args, **kwargs)
            if client_has(request, etag) and _rendered(etag):
                response = not_modified(etag)
                response["Cache-Control"] = PAGE_CACHE_CONTROL
                return response
            page = _Page()
            token = _page.set(page)
            try:
                response = view(request, *args, **kwargs)
                if hasattr(response, "render") and not response.is_rendered:
                    response.render()  # a TemplateResponse: its text (and what it says about time) is made now
            finally:
                _page.reset(token)
            now = timezone.now()
            if (
                response.status_code != 200
                or response.streaming
                or response.has_header("ETag")
                or response.has_header("Cache-Control")
                or page.live
                or (page.until is not None and page.until <= now)
                or _messages_waiting(request)
            ):
                return response
            _remember(etag, page.until)
            response["Cache-Control"] = PAGE_CACHE_CONTROL
            return with_etag(response, etag)

        return wrapped

    return decorate
