"""The pages around the cascade builder: objective detail, check-ins, "my key results", cycles, import and export."""

from __future__ import annotations

import json

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from companies.permissions import Action, can
from companies.tenancy import company_view
from core.errors import DomainError, StaleVersion
from core.htmx import apply_to_form, error_messages, trigger_toast
from core.safety import attachment_header, parse_id
from objectives import charts
from objectives.forms_cascade import (
    CarryOverForm,
    CheckInForm,
    CycleCreateForm,
    CycleUpdateForm,
    ImportForm,
    LinksForm,
    ObjectiveEditForm,
)
from objectives.models import Cycle
from objectives.selectors import cascade as selectors
from objectives.services import cascade as services

from .cascade import current_cycle, flatten, team_choices


def _cascade_url(request: HttpRequest, cycle: Cycle | None = None) -> str:
    url = reverse("objectives:cascade", kwargs={"company_slug": request.company.slug})
    return f"{url}?cycle={cycle.pk}" if cycle is not None else url


def _find_node(nodes, objective_id: int):
    for node in flatten(nodes):
        if node.id == objective_id:
            return node
    return None


def may_check_in(request: HttpRequest, key_result) -> bool:
    role = request.membership.role
    return can(role, Action.CHECKIN_ANY) or (can(role, Action.CHECKIN_OWN) and key_result.owner_id == request.user.pk)


# ----------------------------------------------------------------------------------------------- objective detail
@require_http_methods(["GET", "POST"])
@company_view(Action.CASCADE_VIEW)
def objective_detail(request: HttpRequest, objective_id: int) -> HttpResponse:
    company = request.company
    objective = selectors.objective_get(company=company, objective_id=objective_id)
    cycle = objective.cycle
    role = request.membership.role
    editable = can(role, Action.CASCADE_EDIT) and cycle.state != Cycle.State.CLOSED
    edit_form = None
    conflict = None
    if editable:
        initial = {
            "version": objective.version,
            "title": objective.title,
            "description": objective.description,
            "team": objective.team_id,
            "owner": objective.owner_id,
            "state": objective.state,
            "rollup": objective.rollup,
        }
        if request.method == "POST" and request.POST.get("form") == "edit":
            edit_form = ObjectiveEditForm(request.POST, company=company)
            if edit_form.is_valid():
                try:
                    services.objective_update(
                        objective=objective,
                        version=edit_form.cleaned_data["version"],
                        actor=request.user,
                        **edit_form.changes(request.POST),
                    )
                except StaleVersion as exc:
                    conflict = exc.message
                    fresh = selectors.objective_get(company=company, objective_id=objective_id)
                    # Keep what the user typed; only the version moves on, so a second save is a deliberate choice.
                    data = request.POST.copy()
                    data["version"] = fresh.version
                    edit_form = ObjectiveEditForm(data, company=company)
                    edit_form.is_valid()
                    objective = fresh
                except (DomainError, ValidationError) as exc:
                    apply_to_form(edit_form, exc)
                else:
                    messages.success(request, _("Objective saved."))
                    return redirect(request.path)
        else:
            edit_form = ObjectiveEditForm(initial=initial, company=company)
    if request.method == "POST" and request.POST.get("form") != "edit":
        raise Http404

    nodes = selectors.cascade_tree(company=company, cycle=cycle)
    node = _find_node(nodes, objective.pk)
    everything = flatten(nodes)
    link_choices = [(n.id, "— " * n.depth + n.title) for n in everything if n.id != objective.pk]
    links_form = None
    if editable:
        links_form = LinksForm(
            initial={"targets": [i for i, _t in node.contributes_to] if node else []}, choices=link_choices
        )
    key_results = []
    for kr_node in node.key_results if node else []:
        history = selectors.key_result_history(key_result=kr_node.key_result)
        figure = charts.key_result_history(kr_node.key_result, history, cycle=cycle)
        key_results.append(
            {
                "node": kr_node,
                "history": list(reversed(history)),
                # a dict rendered with json_script (which escapes <, > and &) into a JSON data block
                "chart": json.loads(figure.to_json()),
                "chart_id": f"kr-chart-data-{kr_node.key_result.pk}",
                "may_check_in": may_check_in(request, kr_node.key_result) and cycle.state != Cycle.State.CLOSED,
                "form": CheckInForm(key_result=kr_node.key_result),
            }
        )
    context = {
        "objective": objective,
        "node": node,
        "cycle": cycle,
        "editable": editable,
        "edit_form": edit_form,
        "conflict": conflict,
        "links_form": links_form,
        "key_results": key_results,
        "teams": team_choices(company),
        "contributors": [n for n in everything if any(i == objective.pk for i, _t in n.contributes_to)],
        "cascade_url": _cascade_url(request, cycle),
    }
    return render(request, "objectives/cascade/objective_detail.html", context)


@require_POST
@company_view(Action.CASCADE_EDIT)
def objective_links(request: HttpRequest, objective_id: int) -> HttpResponse:
    company = request.company
    objective = selectors.objective_get(company=company, objective_id=objective_id)
    ids = [i for i in map(parse_id, request.POST.getlist("targets")) if i is not None]
    targets = [selectors.objective_get(company=company, objective_id=i) for i in ids]
    try:
        services.objective_links_set(objective=objective, targets=targets, actor=request.user)
    except (DomainError, ValidationError) as exc:
        for message in error_messages(exc):
            messages.error(request, message)
    else:
        messages.success(request, _("Alignments saved."))
    return redirect("objectives:objective_detail", company_slug=company.slug, objective_id=objective.pk)


# -------------------------------------------------------------------------------------------------------- check-in
@require_http_methods(["GET", "POST"])
@company_view(Action.CHECKIN_OWN)
def check_in(request: HttpRequest, key_result_id: int) -> HttpResponse:
    """The check-in form (GET: the form partial for the cascade dialog; POST: record it).

    ``context`` says where the form sits: ``cascade`` (dialog; the tree reloads), ``my`` (a card on "my key
    results"; the card is re-rendered) or ``detail`` (objective page; it reloads)."""
    company = request.company
    kr = selectors.key_result_get(company=company, key_result_id=key_result_id)
    where = request.POST.get("context") or request.GET.get("context") or "cascade"
    form = CheckInForm(request.POST or None, key_result=kr)
    if request.method == "POST" and form.is_valid() and form.save(actor=request.user):
        message = _("Check-in saved: %(title)s") % {"title": kr.title}
        if where == "my":
            card = _my_node(request, kr.pk)
            context = {"item": card, "form": CheckInForm(key_result=card.key_result), "just_saved": True}
            return trigger_toast(render(request, "objectives/cascade/_my_kr.html", context), message)
        if where == "detail":
            messages.success(request, message)
            response = HttpResponse(status=204)
            response["HX-Refresh"] = "true"
            return response
        response = HttpResponse(status=204)
        trigger_toast(response, message)
        triggers = json.loads(response["HX-Trigger"])
        triggers["cascade:changed"] = {}
        triggers["cascade:checked-in"] = {}
        response["HX-Trigger"] = json.dumps(triggers)
        return response
    template = "objectives/cascade/_my_kr.html" if where == "my" and request.method == "POST" else None
    if template:
        return render(request, template, {"item": _my_node(request, kr.pk), "form": form})
    return render(request, "objectives/cascade/_check_in_form.html", {"form": form, "kr": kr, "where": where})


def _my_node(request: HttpRequest, key_result_id: int):
    for node in selectors.my_key_results(company=request.company, user=request.user):
        if node.key_result.pk == key_result_id:
            return node
    # A facilitator may check in on someone else's KR from this page; show it as it is now.
    raise Http404


@require_GET
@company_view(Action.CHECKIN_OWN)
def my_key_results(request: HttpRequest) -> HttpResponse:
    nodes = selectors.my_key_results(company=request.company, user=request.user)
    entries = [(node, CheckInForm(key_result=node.key_result)) for node in nodes]
    return render(
        request,
        "objectives/cascade/my_key_results.html",
        {"entries": entries, "stale_count": sum(1 for n in nodes if n.is_stale), "cascade_url": _cascade_url(request)},
    )


# ---------------------------------------------------------------------------------------------------------- cycles
@require_POST
@company_view(Action.CYCLE_MANAGE)
def cycle_create(request: HttpRequest) -> HttpResponse:
    form = CycleCreateForm(request.POST, company=request.company)
    if form.is_valid():
        try:
            cycle = services.cycle_create(company=request.company, actor=request.user, **form.cleaned_data)
        except (DomainError, ValidationError) as exc:
            apply_to_form(form, exc)
        else:
            messages.success(request, _("Cycle “%(name)s” created.") % {"name": cycle.name})
            return redirect(_cascade_url(request, cycle))
    for field, errors in form.errors.items():
        label = form.fields[field].label if field in form.fields else ""
        for error in errors:
            messages.error(request, f"{label}: {error}" if label else error)
    return redirect(_cascade_url(request, None))


@require_POST
@company_view(Action.CYCLE_MANAGE)
def cycle_update(request: HttpRequest, cycle_id: int) -> HttpResponse:
    cycle = selectors.cycle_get(company=request.company, cycle_id=cycle_id)
    form = CycleUpdateForm(request.POST)
    if not form.is_valid():
        for field, errors in form.errors.items():
            for error in errors:
                messages.error(request, f"{form.fields[field].label}: {error}" if field in form.fields else error)
        return redirect(_cascade_url(request, cycle))
    try:
        cycle = services.cycle_update(cycle=cycle, actor=request.user, **form.cleaned_data)
    except (DomainError, ValidationError) as exc:
        for m in error_messages(exc):
            messages.error(request, m)
    else:
        messages.success(request, _("Cycle “%(name)s” saved.") % {"name": cycle.name})
    return redirect(_cascade_url(request, cycle))


@require_POST
@company_view(Action.CYCLE_MANAGE)
def cycle_transition(request: HttpRequest, cycle_id: int, transition: str) -> HttpResponse:
    cycle = selectors.cycle_get(company=request.company, cycle_id=cycle_id)
    done = {
        "activate": (services.cycle_activate, _("Cycle activated: the structure is locked, check-ins go on.")),
        "reopen": (services.cycle_reopen, _("Planning reopened: the cascade can be edited again.")),
        "close": (services.cycle_close, _("Cycle closed: final scores are frozen.")),
    }
    if transition not in done:
        raise Http404
    service, message = done[transition]
    try:
        service(cycle=cycle, actor=request.user)
    except (DomainError, ValidationError) as exc:
        for m in error_messages(exc):
            messages.error(request, m)
    else:
        messages.success(request, message)
    return redirect(_cascade_url(request, cycle))


@require_POST
@company_view(Action.CYCLE_MANAGE)
def cycle_carry_over(request: HttpRequest, cycle_id: int) -> HttpResponse:
    company = request.company
    source = selectors.cycle_get(company=company, cycle_id=cycle_id)
    choices = [(n.id, n.title) for n in flatten(selectors.cascade_tree(company=company, cycle=source))]
    form = CarryOverForm(request.POST, company=company, source=source, objective_choices=choices)
    if not form.is_valid():
        for errors in form.errors.values():
            for error in errors:
                messages.error(request, error)
        return redirect(_cascade_url(request, source))
    target = form.cleaned_data["target"]
    if not form.cleaned_data["objectives"]:
        # an empty choice would mean "the service's default" (all unfinished ones): ask instead of guessing
        messages.error(request, _("Choose at least one objective to carry over."))
        return redirect(_cascade_url(request, source))
    try:
        services.cycle_carry_over(
            source=source, target=target, objective_ids=form.cleaned_data["objectives"], actor=request.user
        )
    except (DomainError, ValidationError) as exc:
        for m in error_messages(exc):
            messages.error(request, m)
        return redirect(_cascade_url(request, source))
    messages.success(request, _("Carried over into “%(name)s”.") % {"name": target.name})
    return redirect(_cascade_url(request, target))


# ------------------------------------------------------------------------------------------------ import / export
@require_GET
@company_view(Action.CASCADE_EDIT)
def cascade_export(request: HttpRequest, fmt: str) -> HttpResponse:
    if fmt not in ("xlsx", "csv"):
        raise Http404
    cycle = current_cycle(request)
    if cycle is None:
        raise Http404(_("No cycle yet."))
    from objectives.services import cascade_io  # imported here: openpyxl loads only for imports and exports

    if fmt == "xlsx":
        content = cascade_io.cascade_export_xlsx(company=request.company, cycle=cycle)
        response = HttpResponse(content, content_type=cascade_io.XLSX_TYPE)
    else:
        content = cascade_io.cascade_export_csv(company=request.company, cycle=cycle)
        response = HttpResponse(content, content_type="text/csv; charset=utf-8")
    name = cascade_io.export_filename(cycle=cycle, extension=fmt)
    response["Content-Disposition"] = attachment_header(name)
    return response


@require_http_methods(["GET", "POST"])
@company_view(Action.CASCADE_EDIT)
def cascade_import(request: HttpRequest) -> HttpResponse:
    cycle = current_cycle(request)
    if cycle is None:
        raise Http404(_("No cycle yet."))
    form = ImportForm(request.POST or None, request.FILES or None)
    problems: list[str] = []
    if request.method == "POST" and form.is_valid():
        from objectives.services import cascade_io

        upload = form.cleaned_data["file"]
        try:
            result = cascade_io.cascade_import(
                company=request.company, cycle=cycle, file=upload, filename=upload.name, actor=request.user
            )
        except ValidationError as exc:
            problems = error_messages(exc)
        except DomainError as exc:
            problems = [exc.message]
        else:
            messages.success(
                request,
                _("Import complete: %(objectives)d objectives and %(key_results)d key results added to “%(name)s”.")
                % {"objectives": result.objectives, "key_results": result.key_results, "name": cycle.name},
            )
            if result.teams_created:
                messages.info(
                    request,
                    _("New teams from the file (rename or merge them on the members page): %(teams)s")
                    % {"teams": ", ".join(result.teams_created)},
                )
            return redirect(_cascade_url(request, cycle))
    return render(
        request,
        "objectives/cascade/import.html",
        {"form": form, "cycle": cycle, "problems": problems, "cascade_url": _cascade_url(request, cycle)},
    )
