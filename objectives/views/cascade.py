"""The cascade builder: the page, its tree partial, the live-update signature and the inline editing actions.

Editing actions answer JSON for static/js/cascade.js (which then reloads the tree partial): ``{"ok": true, ...}`` on
success, otherwise the HTTP status of the refusal with ``{"ok": false, "message": ..., "errors": {...}}`` and, for a
stale version, ``changed_by``/``changed_at`` and the fresh values in ``current``. Every rule lives in the services.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterable

from django.core.exceptions import ValidationError
from django.db import DatabaseError
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils.cache import patch_vary_headers
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from companies.permissions import Action, can
from companies.tenancy import company_view
from core.errors import DomainError, StaleVersion, concurrency_conflict, error_messages, error_status
from core.people import display_name
from core.safety import parse_id
from objectives.cascade_rows import RowSlots
from objectives.forms_cascade import (
    KeyResultCreateForm,
    KeyResultEditForm,
    KeyResultMoveForm,
    ObjectiveCreateForm,
    ObjectiveEditForm,
    ObjectiveMoveForm,
    VersionForm,
    member_users,
)
from objectives.models import Cycle, KeyResult, Objective
from objectives.selectors import cascade as selectors
from objectives.services import cascade as services

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
        "team": request.GET.get("team", "").strip(),
        "owner": parse_id(request.GET.get("owner")),
        "q": request.GET.get("q", "").strip()[:100],
    }


def team_label(team: str) -> str:
    try:
        return str(Objective.Team(team).label)
    except ValueError:
        return team


def team_choices(company, cycle: Cycle | None, members) -> list[tuple[str, str]]:
    """The three standard teams, then the named teams in use (on objectives of the cycle or in memberships)."""
    standard = [(value, str(label)) for value, label in Objective.Team.choices]
    named: set[str] = {m.team for m in members if m.team}
    if cycle is not None:
        # order_by(): the model's default ordering would put position and id into the DISTINCT (a row per objective)
        teams = Objective.objects.filter(company=company, cycle=cycle).order_by().values_list("team", flat=True)
        named |= set(teams.distinct())
    named -= {value for value, _label in standard}
    named.discard("")
    return standard + [(team, team) for team in sorted(named, key=str.casefold)]


def flatten(nodes: Iterable) -> list:
    out: list = []
    stack = list(reversed(list(nodes)))
    while stack:
        node = stack.pop()
        out.append(node)
        stack.extend(reversed(node.children))
    return out


def json_ok(**payload) -> JsonResponse:
    return JsonResponse({"ok": True, **payload})


def json_refusal(exc: Exception, *, current: dict | None = None) -> JsonResponse:
    if isinstance(exc, DomainError):
        payload = {"ok": False, "message": exc.message, "code": exc.code}
        if isinstance(exc, StaleVersion):
            fresh = dict(exc.extra.get("current") or {})
            fresh.update(current or {})
            payload.update(
                changed_by=exc.extra.get("changed_by"), changed_at=exc.extra.get("changed_at"), current=fresh
            )
        return JsonResponse(payload, status=exc.status)
    assert isinstance(exc, ValidationError)
    errors = exc.message_dict if hasattr(exc, "error_dict") else {}
    return JsonResponse(
        {"ok": False, "message": " ".join(error_messages(exc)), "errors": errors}, status=error_status(exc)
    )


def json_form_errors(form) -> JsonResponse:
    errors = {field: [str(m) for m in messages] for field, messages in form.errors.items()}
    labels = []
    for field, messages in errors.items():
        label = form.fields[field].label if field in form.fields else ""
        labels.extend(f"{label}: {m}" if label else m for m in messages)
    return JsonResponse({"ok": False, "message": " ".join(labels), "errors": errors}, status=400)


def cascade_action(action: Action) -> Callable:
    """A POST-only JSON action of the builder: tenancy + permission, and every refusal (including the permission
    check itself) answered as JSON that cascade.js shows next to the row."""

    def decorator(view: Callable[..., JsonResponse]) -> Callable[..., JsonResponse]:
        guarded = company_view(action)(require_POST(view))

        @functools.wraps(view)
        def wrapper(request: HttpRequest, *args, **kwargs) -> HttpResponse:
            try:
                return guarded(request, *args, **kwargs)
            except (DomainError, ValidationError) as exc:
                return json_refusal(exc)
            except DatabaseError as exc:
                conflict = concurrency_conflict(exc)
                if conflict is None:
                    raise
                return json_refusal(conflict)

        return wrapper

    return decorator


def objective_fresh(company, objective_id: int) -> dict:
    objective = selectors.objective_get(company=company, objective_id=objective_id)
    return {
        "id": objective.pk,
        "version": objective.version,
        "title": objective.title,
        "team": objective.team,
        "team_label": team_label(objective.team),
        "owner": objective.owner_id,
        "owner_name": display_name(objective.owner),
        "description": objective.description,
        "parent": objective.parent_id,
    }


def key_result_fresh(company, key_result_id: int) -> dict:
    kr = selectors.key_result_get(company=company, key_result_id=key_result_id)
    return {
        "id": kr.pk,
        "version": kr.version,
        "title": kr.title,
        "kind": kr.kind,
        "unit": kr.unit,
        "start_value": str(kr.start_value.normalize()),
        "target_value": str(kr.target_value.normalize()),
        "weight": str(kr.weight.normalize()),
        "owner": kr.owner_id,
        "owner_name": display_name(kr.owner),
        "objective": kr.objective_id,
    }


# ------------------------------------------------------------------------------------------------------------ pages
def _tree_context(request: HttpRequest, cycle: Cycle | None) -> dict:
    company, filters = request.company, _filters(request)
    nodes = []
    if cycle is not None:
        nodes = selectors.cascade_tree(
            company=company, cycle=cycle, team=filters["team"] or None, owner_id=filters["owner"], search=filters["q"]
        )
    role = request.membership.role
    editable = can(role, Action.CASCADE_EDIT) and cycle is not None and cycle.state == Cycle.State.PLANNING
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
        "signature": selectors.cascade_signature(company=company, cycle=cycle) if cycle is not None else "",
        # reversed once, not per row: "/c/<slug>/objectives/" + id + "/"
        "detail_prefix": reverse(
            "objectives:objective_detail", kwargs={"company_slug": company.slug, "objective_id": 0}
        )[:-2],
    }


@require_GET
@company_view(Action.CASCADE_VIEW)
def cascade_page(request: HttpRequest) -> HttpResponse:
    cycle = current_cycle(request)
    context = _tree_context(request, cycle)
    if request.GET.get("partial") == "tree" or (request.htmx and not request.htmx.boosted):
        response = _render_tree_page(request, "objectives/cascade/_tree.html", context)
        patch_vary_headers(response, ["HX-Request"])
        return response
    company = request.company
    members = list(
        company.memberships.select_related("user").order_by("user__first_name", "user__last_name", "user__username")
    )
    context.update(
        cycles=selectors.cycle_list(company=company),
        members=members,
        teams=team_choices(company, cycle, members),
        wall=request.GET.get("wall") == "1",
        kr_kinds=KeyResult.Kind.choices,
        kr_units=KeyResult.Unit.choices,
        urls=builder_urls(company.slug),
    )
    if cycle is not None and can(request.membership.role, Action.CYCLE_MANAGE):
        context["cycle_transitions"] = _cycle_transitions(cycle)
        if len(context["cycles"]) > 1:
            nodes = context["nodes"]
            if context["filtered"]:
                nodes = selectors.cascade_tree(company=company, cycle=cycle)
            context["carry_choices"] = flatten(nodes)
    response = _render_tree_page(request, "objectives/cascade/page.html", context)
    patch_vary_headers(response, ["HX-Request"])
    return response


def _render_tree_page(request: HttpRequest, template: str, context: dict) -> HttpResponse:
    """``render``, with the tree's rows spliced in once instead of copied by every enclosing template node."""
    slots = RowSlots()
    rendered = render_to_string(template, {**context, "row_slots": slots}, request)
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
def cascade_signature(request: HttpRequest) -> JsonResponse:
    cycle = current_cycle(request)
    signature = selectors.cascade_signature(company=request.company, cycle=cycle) if cycle is not None else ""
    response = JsonResponse({"signature": signature})
    response["Cache-Control"] = "no-store"
    return response


@require_GET
@company_view(Action.CASCADE_VIEW)
def cascade_sunburst(request: HttpRequest) -> HttpResponse:
    cycle = current_cycle(request)
    nodes = selectors.cascade_tree(company=request.company, cycle=cycle) if cycle is not None else []
    figure = charts.cascade_sunburst(nodes, root_label=cycle.name if cycle else "")
    return HttpResponse(figure.to_json(), content_type="application/json")


# ------------------------------------------------------------------------------------------------ objective actions
@cascade_action(Action.CASCADE_EDIT)
def objective_create(request: HttpRequest) -> JsonResponse:
    company = request.company
    form = ObjectiveCreateForm(request.POST, company=company)
    if not form.is_valid():
        return json_form_errors(form)
    cycle = current_cycle(request)
    if cycle is None:
        raise ValidationError(_("Create a cycle first."))
    data = form.cleaned_data
    parent = selectors.objective_get(company=company, objective_id=data["parent"]) if data["parent"] else None
    after = selectors.objective_get(company=company, objective_id=data["after"]) if data["after"] else None
    team = data["team"] or (parent.team if parent is not None else Objective.Team.COMPANY)
    objective = services.objective_create(
        cycle=cycle,
        title=data["title"].strip(),
        parent=parent,
        team=team,
        owner=data["owner"],
        after=after,
        actor=request.user,
    )
    return json_ok(id=objective.pk, version=objective.version, message=_("Objective added."))


@cascade_action(Action.CASCADE_EDIT)
def objective_update(request: HttpRequest, objective_id: int) -> JsonResponse:
    company = request.company
    objective = selectors.objective_get(company=company, objective_id=objective_id)
    form = ObjectiveEditForm(request.POST, company=company)
    if not form.is_valid():
        return json_form_errors(form)
    changes = form.changes(request.POST)
    if "title" in changes:
        changes["title"] = changes["title"].strip()
    try:
        objective = services.objective_update(
            objective=objective, version=form.cleaned_data["version"], actor=request.user, **changes
        )
    except StaleVersion as exc:
        return json_refusal(exc, current=objective_fresh(company, objective_id))
    version = objective.version if objective is not None else None
    return json_ok(id=objective_id, version=version, message=_("Saved."))


@cascade_action(Action.CASCADE_EDIT)
def objective_move(request: HttpRequest, objective_id: int) -> JsonResponse:
    company = request.company
    objective = selectors.objective_get(company=company, objective_id=objective_id)
    form = ObjectiveMoveForm(request.POST)
    if not form.is_valid():
        return json_form_errors(form)
    data = form.cleaned_data
    parent = selectors.objective_get(company=company, objective_id=data["parent"]) if data["parent"] else None
    try:
        services.objective_move(
            objective=objective, version=data["version"], parent=parent, position=data["position"], actor=request.user
        )
    except StaleVersion as exc:
        return json_refusal(exc, current=objective_fresh(company, objective_id))
    return json_ok(id=objective_id, message=_("Moved."))


def _objective_step(request: HttpRequest, objective_id: int, service: Callable, message: str) -> JsonResponse:
    company = request.company
    objective = selectors.objective_get(company=company, objective_id=objective_id)
    form = VersionForm(request.POST)
    if not form.is_valid():
        return json_form_errors(form)
    try:
        service(objective=objective, version=form.cleaned_data["version"], actor=request.user)
    except StaleVersion as exc:
        return json_refusal(exc, current=objective_fresh(company, objective_id))
    return json_ok(id=objective_id, message=message)


@cascade_action(Action.CASCADE_EDIT)
def objective_indent(request: HttpRequest, objective_id: int) -> JsonResponse:
    return _objective_step(request, objective_id, services.objective_indent, _("Indented."))


@cascade_action(Action.CASCADE_EDIT)
def objective_outdent(request: HttpRequest, objective_id: int) -> JsonResponse:
    return _objective_step(request, objective_id, services.objective_outdent, _("Outdented."))


@cascade_action(Action.CASCADE_EDIT)
def objective_delete(request: HttpRequest, objective_id: int) -> JsonResponse:
    return _objective_step(request, objective_id, services.objective_delete, _("Objective deleted."))


# ----------------------------------------------------------------------------------------------- key result actions
@cascade_action(Action.CASCADE_EDIT)
def key_result_create(request: HttpRequest) -> JsonResponse:
    company = request.company
    form = KeyResultCreateForm(request.POST, company=company)
    if not form.is_valid():
        return json_form_errors(form)
    data = form.cleaned_data
    objective = selectors.objective_get(company=company, objective_id=data["objective"])
    kr = services.key_result_create(
        objective=objective,
        title=data["title"].strip(),
        kind=data["kind"],
        unit=data["unit"],
        start_value=data["start_value"],
        target_value=data["target_value"],
        weight=data["weight"],
        owner=data["owner"],
        actor=request.user,
    )
    return json_ok(id=kr.pk, version=kr.version, objective=objective.pk, message=_("Key result added."))


@cascade_action(Action.CASCADE_EDIT)
def key_result_update(request: HttpRequest, key_result_id: int) -> JsonResponse:
    company = request.company
    kr = selectors.key_result_get(company=company, key_result_id=key_result_id)
    form = KeyResultEditForm(request.POST, company=company)
    if not form.is_valid():
        return json_form_errors(form)
    changes = form.changes(request.POST)
    if "title" in changes:
        changes["title"] = changes["title"].strip()
    for name in ("kind", "unit"):
        if name in changes and not changes[name]:
            del changes[name]
    try:
        kr = services.key_result_update(
            key_result=kr, version=form.cleaned_data["version"], actor=request.user, **changes
        )
    except StaleVersion as exc:
        return json_refusal(exc, current=key_result_fresh(company, key_result_id))
    version = kr.version if kr is not None else None
    return json_ok(id=key_result_id, version=version, message=_("Saved."))


@cascade_action(Action.CASCADE_EDIT)
def key_result_move(request: HttpRequest, key_result_id: int) -> JsonResponse:
    company = request.company
    kr = selectors.key_result_get(company=company, key_result_id=key_result_id)
    form = KeyResultMoveForm(request.POST)
    if not form.is_valid():
        return json_form_errors(form)
    data = form.cleaned_data
    objective = selectors.objective_get(company=company, objective_id=data["objective"])
    try:
        services.key_result_move(
            key_result=kr, version=data["version"], objective=objective, position=data["position"], actor=request.user
        )
    except StaleVersion as exc:
        return json_refusal(exc, current=key_result_fresh(company, key_result_id))
    return json_ok(id=key_result_id, message=_("Moved."))


@cascade_action(Action.CASCADE_EDIT)
def key_result_delete(request: HttpRequest, key_result_id: int) -> JsonResponse:
    company = request.company
    kr = selectors.key_result_get(company=company, key_result_id=key_result_id)
    form = VersionForm(request.POST)
    if not form.is_valid():
        return json_form_errors(form)
    try:
        services.key_result_delete(key_result=kr, version=form.cleaned_data["version"], actor=request.user)
    except StaleVersion as exc:
        return json_refusal(exc, current=key_result_fresh(company, key_result_id))
    return json_ok(id=key_result_id, message=_("Key result deleted."))


def builder_urls(company_slug: str) -> dict[str, str]:
    """URL patterns for cascade.js; ``/0/`` stands for the id."""

    def url(name: str, *args) -> str:
        return reverse(f"objectives:{name}", kwargs={"company_slug": company_slug, **dict(args)})

    return {
        "tree": url("cascade"),
        "signature": url("cascade_signature"),
        "sunburst": url("cascade_sunburst"),
        "objective-create": url("cascade_objective_create"),
        "objective-update": url("cascade_objective_update", ("objective_id", 0)),
        "objective-move": url("cascade_objective_move", ("objective_id", 0)),
        "objective-indent": url("cascade_objective_indent", ("objective_id", 0)),
        "objective-outdent": url("cascade_objective_outdent", ("objective_id", 0)),
        "objective-delete": url("cascade_objective_delete", ("objective_id", 0)),
        "kr-create": url("cascade_key_result_create"),
        "kr-update": url("cascade_key_result_update", ("key_result_id", 0)),
        "kr-move": url("cascade_key_result_move", ("key_result_id", 0)),
        "kr-delete": url("cascade_key_result_delete", ("key_result_id", 0)),
        "checkin": url("check_in", ("key_result_id", 0)),
        "objective-detail": url("objective_detail", ("objective_id", 0)),
    }


__all__ = ["builder_urls", "flatten", "member_users", "team_label"]
