"""Helpers for tests of whole pages with an ETag (core.conditional.conditional_page)."""

from __future__ import annotations


def kept(client, url: str, params: dict | None = None, **headers):
    """The page as a browser keeps it: the first visit sets the CSRF cookie, the second carries the ETag, and asking
    again with it is a 304 (asserted). Returns the kept 200 answer."""
    client.get(url, params, **headers)
    page = client.get(url, params, **headers)
    assert page.status_code == 200, page.status_code
    assert page.has_header("ETag"), "the page has no ETag"
    assert page["Cache-Control"] == "private, no-cache"
    again = client.get(url, params, HTTP_IF_NONE_MATCH=page["ETag"], **headers)
    assert again.status_code == 304 and again["ETag"] == page["ETag"] and not again.content
    return page


def asked_again(client, url: str, kept_page, params: dict | None = None, **headers):
    """A conditional GET with the ETag of ``kept_page``."""
    return client.get(url, params, HTTP_IF_NONE_MATCH=kept_page["ETag"], **headers)
