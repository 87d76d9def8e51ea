"""The main navigation. Apps register their entries (``register`` in ``AppConfig.ready()``); each names the URL and
the permission it needs; entries a role may not use are hidden, and an entry only appears once its page exists (its
URL name reverses)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from django.urls import NoReverseMatch, reverse


@dataclass(frozen=True)
class NavEntry:
    key: str
    label: str
    url_name: str
    action: str  # the permission-table action a role needs to see the entry
    order: int  # position in the bar, left to right


NAVIGATION: list[NavEntry] = []


def register(entry: NavEntry) -> None:
    """Apps add their sections from ``AppConfig.ready()``; the bar shows them by ``order``."""
    NAVIGATION[:] = sorted([*(e for e in NAVIGATION if e.key != entry.key), entry], key=lambda e: e.order)


def navigation_for(request, allowed: Callable[[str], bool]) -> list[dict]:
    """The entries of the bar for the request's company that ``allowed(action)`` lets the user see."""
    membership = getattr(request, "membership", None)
    if membership is None:
        return []
    entries = []
    for entry in NAVIGATION:
        if not allowed(entry.action):
            continue
        try:
            url = reverse(entry.url_name, kwargs={"company_slug": membership.company.slug})
        except NoReverseMatch:
            continue
        entries.append({"key": entry.key, "label": entry.label, "url": url, "active": False, "_name": entry.url_name})
    _mark_current(entries, request)
    for item in entries:
        del item["_name"]
    return entries


def _mark_current(entries: list[dict], request) -> None:
    """Exactly one entry is current: the one whose URL is the longest prefix of the path; a page outside every
    section (an objective's detail page, say) belongs to the first entry of its app."""
    path = getattr(request, "path", "")
    prefixed = [item for item in entries if path.startswith(item["url"])]
    best = max(prefixed, key=lambda item: len(item["url"]), default=None)
    if best is not None and (best["key"] != "overview" or path == best["url"]):
        best["active"] = True
        return
    match = getattr(request, "resolver_match", None)
    namespace = match.view_name.split(":")[0] if match and ":" in match.view_name else None
    for item in entries:
        if namespace and item["_name"].startswith(namespace + ":"):
            item["active"] = True
            return
    if best is not None:
        best["active"] = True
