"""Conditional GET for reads that have a data version: an ``ETag`` from the version, ``304 Not Modified`` when the
client's ``If-None-Match`` names it.

Answers to signed-in users stay ``Cache-Control: private, no-store`` (core.middleware.PrivateCacheMiddleware): no
browser or proxy keeps them, so the client that wants a 304 says what it has itself — the site's one poller
(static/js/okr/poller.js) remembers each URL's ETag and sends it back. The comparison is weak (RFC 9110), because
GZipMiddleware turns a strong ETag into a weak one when it compresses the body.
"""

from __future__ import annotations

import hashlib

from django.http import HttpRequest, HttpResponse, HttpResponseNotModified
from django.utils.cache import patch_vary_headers
from django.utils.http import parse_etags, quote_etag


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
