"""The main navigation. Each entry names the URL and the permission it needs; entries a role may not use are hidden,
and an entry only appears once its page exists (its URL name reverses)."""

from __future__ import annotations

from dataclasses import dataclass

from django.urls import NoReverseMatch, reverse
from django.utils.translation import gettext_lazy as _

from .permissions import Action, can


@dataclass(frozen=True)
class NavEntry:
    key: str
    label: str
    url_name: str
    action: Action


NAVIGATION = [
    NavEntry("overview", _("Overview"), "company_home", Action.COMPANY_VIEW),
    NavEntry("cascade", _("Cascade"), "objectives:cascade", Action.CASCADE_VIEW),
    NavEntry("my_key_results", _("My key results"), "objectives:my_key_results", Action.CHECKIN_OWN),
    NavEntry("priorities", _("Priorities"), "objectives:priorities", Action.INITIATIVE_VIEW),
    NavEntry("budgets", _("Budgets"), "budgets:queue", Action.BUDGET_VIEW),
    NavEntry("board", _("Board"), "reporting:board", Action.BOARD_VIEW),
]


def navigation_for(request) -> list[dict]:
    membership = getattr(request, "membership", None)
    if membership is None:
        return []
    match = getattr(request, "resolver_match", None)
    current = match.view_name if match else ""
    entries = []
    for entry in NAVIGATION:
        if not can(membership.role, entry.action):
            continue
        try:
            url = reverse(entry.url_name, kwargs={"company_slug": membership.company.slug})
        except NoReverseMatch:
            continue
        namespace = entry.url_name.split(":")[0]
        active = current == entry.url_name or (":" in entry.url_name and current.startswith(namespace + ":"))
        entries.append({"key": entry.key, "label": entry.label, "url": url, "active": active})
    return entries
