"""The cascade builder: the page, its tree partial (the same template, for htmx filters and live updates) and the
sunburst figure. Every change the builder makes goes to the DRF API (objectives.api.cascade) through the page's
save queue (static/js/okr/savequeue.js); there is no page-only JSON layer.
"""

from __future__ import annotations

import gzip
from collections.abc import Iterable

from django.http import HttpRequest, HttpResponse
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.cache import patch_vary_headers
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from companies import selectors as company_selectors
from companies.permissions import Action, can
from companies.tenancy import company_view
from core import versions
from core.conditional import conditional, conditional_page, etag_of
from core.safety import parse_id
from objectives.cascade_rows import RowSlots
from objectives.forms_cascade import (
    member_users,
)
from objectives.models import Cycle, KeyResult
from objectives.selectors import cascade as selectors

from .. import charts


# ---------------------------------------------------------------------------------------------------------- helpers
def current_cycle(request: HttpRequest) -> Cycle | None:
    """The cycle named by ``?cycle=`` (404 for another company's), else the company's default cycle."""
    raw = request.GET.get("cycle") or request.POST.get("cycle")
    if raw:
        return selectors.cycle_get(company=request.company, cycle_id=parse_id(raw) or 0)
    return selectors.cycle_default(company=request.company)


def _filters(request: HttpRequest) -> dict:
    return {
        "team": parse_id(request.GET.get("team")),
        "owner": parse_id(request.GET.get("owner")),
        "q": request.GET.get("q", "").strip()[:100],
    }


def team_choices(company) -> list:
    """The company's teams (managed on the members page), by name: one query."""
    return company_selectors.team_choices(company=company)


def flatten(nodes: Iterable) -> list:
    out: list = []
    stack = list(reversed(list(nodes)))
    while stack:
        node = stack.pop()
        out.append(node)
        stack.extend(reversed(node.children))
    return out


# ------------------------------------------------------------------------------------------------------------ pages
def _tree_context(request: HttpRequest, cycle: Cycle | None) -> dict:
    """What the tree partial shows, with the tree itself read lazily (``context["nodes"]()``): a cached rendering
    needs neither the tree nor its queries."""
    company, filters = request.company, _filters(request)
    role = request.membership.role
    editable = can(role, Action.CASCADE_EDIT) and cycle is not None and cycle.state == Cycle.State.PLANNING
    tree: list = []
    signature = selectors.cascade_signature(company=company, cycle=cycle) if cycle is not None else ""

    def nodes() -> list:
        if cycle is not None and not tree:
            tree.append(
                selectors.cascade_tree(
                    company=company,
                    cycle=cycle,
                    team=filters["team"] or None,
                    owner_id=filters["owner"],
                    search=filters["q"],
                )
            )
        return tree[0] if tree else []

    return {
        "cycle": cycle,
        "nodes": nodes,
        "filters": filters,
        "filtered": bool(filters["team"] or filters["owner"] or filters["q"]),
        "editable": editable,
        # while a cycle is active the structure is locked, but titles, owners and teams may still be corrected
        "renamable": can(role, Action.CASCADE_EDIT) and cycle is not None and cycle.state == Cycle.State.ACTIVE,
        "checkin_any": can(role, Action.CHECKIN_ANY),
        "checkin_own": can(role, Action.CHECKIN_OWN),
        "expected": selectors.expected_progress(cycle=cycle) if cycle is not None else None,
        "signature": signature,
        # the page's first poll of the signature API (static/js/cascade/live.js) is a conditional GET too
        "signature_etag": selectors.cascade_signature_etag(signature),
        # reversed once, not per row: "/c/<slug>/objectives/" + id + "/"
        "detail_prefix": reverse(
            "objectives:objective_detail", kwargs={"company_slug": company.slug, "objective_id": 0}
        )[:-2],
    }


def _tree_key(request: HttpRequest, context: dict) -> str:
    """Everything the tree's markup depends on: the cascade's signature and the versions of its data (core.versions),
    the language, the day (expected progress), what the role may do (and whose key results are "own") and the
    filters."""
    company, cycle = request.company, context["cycle"]
    own_only = context["checkin_own"] and not context["checkin_any"]
    return versions.fragment_key(
        "cascade-tree",
        company.pk,
        cycle.pk if cycle is not None else "-",
        context["signature"],
        versions.versions(company.pk, ("okr", "company", "people")),
        translation.get_language(),
        timezone.localdate(),
        context["editable"],
        context["renamable"],
        context["checkin_any"],
        context["checkin_own"],
        request.user.pk if own_only else "-",
        sorted(context["filters"].items()),
    )


def _tree_html(request: HttpRequest, context: dict, key: str) -> dict:
    """The tree partial, rendered once per key and kept gzip-compressed (``"gzip"``; :func:`_markup` gives the text),
    and the moment a key result in it turns stale by the clock alone (``"until"``), from when on it is rendered
    anew."""

    def render() -> dict:
        nodes = context["nodes"]()
        slots = RowSlots()
        tree_context = {**context, "nodes": nodes, "row_slots": slots}
        html = render_to_string("objectives/cascade/_tree.html", tree_context, request)
        until = None
        if context["cycle"] is not None:
            until = selectors.cascade_stale_from(company=request.company, cycle=context["cycle"], nodes=nodes)
        markup = "".join(slots.chunks(html))
        # Kept compressed only: a stored hit moves ~60 KB out of the cache instead of the ~1 MB markup.
        return {"gzip": gzip.compress(markup.encode(), compresslevel=6, mtime=0), "until": until}

    return versions.fragment_until(key, render, timezone.now())


def _markup(tree: dict) -> str:
    return gzip.decompress(tree["gzip"]).decode()


def _tree_response(request: HttpRequest, tree: dict) -> HttpResponse:
    """The tree partial, compressed once per version when the client takes gzip: a workshop's open cascades all
    fetch the same new tree after each edit, and compressing a 200-objective tree per request cost more than the
    rest of the answer. GZipMiddleware pads each stream with random bytes against BREACH, which concerns answers
    that carry a secret beside text an attacker controls; the tree carries no CSRF token and no secret (its markup
    is the same for everybody with the same key), so one stored stream serves all."""
    if "gzip" not in request.META.get("HTTP_ACCEPT_ENCODING", ""):
        return HttpResponse(_markup(tree))
    response = HttpResponse(tree["gzip"])
    response["Content-Encoding"] = "gzip"
    patch_vary_headers(response, ["Accept-Encoding"])
    return response


@require_GET
@company_view(Action.CASCADE_VIEW)
@conditional_page("okr")
def cascade_page(request: HttpRequest) -> HttpResponse:
    cycle = current_cycle(request)
    context = _tree_context(request, cycle)
    key = _tree_key(request, context)
    if request.GET.get("partial") == "tree" or (request.htmx and not request.htmx.boosted):
        # polled by the page (static/js/cascade/live.js): 304 while the rendering would be the same
        tree = _tree_html(request, context, key)
        response = conditional(request, etag_of(key, tree["until"]), lambda: _tree_response(request, tree))
        if response.get("Content-Encoding") == "gzip":  # as GZipMiddleware marks what it compresses
            response["ETag"] = f"W/{response['ETag']}"
        patch_vary_headers(response, ["HX-Request"])
        return response
    company = request.company
    members = list(
        company.memberships.select_related("user").order_by("user__first_name", "user__last_name", "user__username")
    )
    context.update(
        cycles=selectors.cycle_list(company=company),
        members=members,
        teams=team_choices(company),
        wall=request.GET.get("wall") == "1",
        kr_kinds=KeyResult.Kind.choices,
        kr_units=KeyResult.Unit.choices,
        urls=builder_urls(company.slug),
        tree_html=mark_safe(_markup(_tree_html(request, context, key))),  # noqa: S308 - rendered by our template
    )
    if cycle is not None and can(request.membership.role, Action.CYCLE_MANAGE):
        context["cycle_transitions"] = _cycle_transitions(cycle)
        if len(context["cycles"]) > 1:
            nodes = selectors.cascade_tree(company=company, cycle=cycle) if context["filtered"] else context["nodes"]()
            context["carry_choices"] = flatten(nodes)
    response = _render_tree_page(request, "objectives/cascade/page.html", context)
    patch_vary_headers(response, ["HX-Request"])
    return response


def _render_tree_page(request: HttpRequest, template: str, context: dict) -> HttpResponse:
    """``render``, with the tree's markup spliced in once instead of copied by every enclosing template node."""
    slots = RowSlots()
    tree_html = context.pop("tree_html", "")
    rendered = render_to_string(template, {**context, "row_slots": slots, "tree_html": slots.hold(tree_html)}, request)
    return HttpResponse(slots.chunks(rendered))


def _cycle_transitions(cycle: Cycle) -> list[tuple[str, str, str, str]]:
    """(transition, dialog title, what it means, button) for the confirmations of the cycle's possible moves."""
    activate = (
        "activate",
        _("Activate “%(name)s”?") % {"name": cycle.name},
        _("The structure and the targets are locked from now on; owners keep checking in. You can reopen planning."),
        _("Activate"),
    )
    reopen = (
        "reopen",
        _("Reopen planning of “%(name)s”?") % {"name": cycle.name},
        _("Objectives and key results can be added, moved and changed again. Check-ins stay as they are."),
        _("Reopen planning"),
    )
    close = (
        "close",
        _("Close “%(name)s”?") % {"name": cycle.name},
        _("The cycle becomes read-only and the final scores are frozen. Only reopening planning undoes this."),
        _("Close cycle"),
    )
    return {
        Cycle.State.PLANNING: [activate],
        Cycle.State.ACTIVE: [reopen, close],
        Cycle.State.CLOSED: [reopen],
    }.get(cycle.state, [])


@require_GET
@company_view(Action.CASCADE_VIEW)
def cascade_sunburst(request: HttpRequest) -> HttpResponse:
    cycle = current_cycle(request)
    nodes = selectors.cascade_tree(company=request.company, cycle=cycle) if cycle is not None else []
    figure = charts.cascade_sunburst(nodes, root_label=cycle.name if cycle else "")
    return HttpResponse(figure.to_json(), content_type="application/json")


def builder_urls(company_slug: str) -> dict:
    """URLs for static/js/cascade/: the page's tree partial, sunburst and check-in dialog, and the DRF API every
    change goes to (``/0/`` stands for the id)."""

    def url(name: str, *args) -> str:
        return reverse(f"objectives:{name}", kwargs={"company_slug": company_slug, **dict(args)})

    def api(name: str, with_id: bool = False) -> str:
        return reverse(name, kwargs={"company_slug": company_slug, **({"pk": 0} if with_id else {})})

    return {
        "tree": url("cascade"),
        "sunburst": url("cascade_sunburst"),
        "checkin": url("check_in", ("key_result_id", 0)),
        "objectiveDetail": url("objective_detail", ("objective_id", 0)),
        "api": {
            "signature": api("api-cascade-signature"),
            "objectives": api("api-objectives"),
            "objective": api("api-objective", True),
            "objectiveMove": api("api-objective-move", True),
            "objectiveIndent": api("api-objective-indent", True),
            "objectiveOutdent": api("api-objective-outdent", True),
            "keyResults": api("api-key-results"),
            "keyResult": api("api-key-result", True),
            "keyResultMove": api("api-key-result-move", True),
        },
    }


__all__ = ["builder_urls", "flatten", "member_users"]
