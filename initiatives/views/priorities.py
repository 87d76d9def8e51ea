"""Priority matrix pages: the matrix with the ranked list and facilitator controls, the phone rating view, and the
initiative pages. Thin: forms parse, services change, selectors read."""

from __future__ import annotations

import json
from urllib.parse import urlencode

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils.translation import get_language, gettext_lazy, ngettext
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from companies.permissions import Action, can
from companies.tenancy import company_view
from core.conditional import conditional, conditional_page, etag_of
from core.errors import DomainError
from core.htmx import apply_to_form, error_messages, htmx_refusal, trigger_toast
from core.safety import safe_redirect_target

from ..charts import ChartPoint, ChartQuadrant, hover_text, priority_matrix_figure
from ..forms import FinalValuesForm, InitiativeForm, PrioritySettingsForm
from ..models import CONTRIBUTION_ANCHORS, EFFORT_ANCHORS, Initiative
from ..selectors import initiatives as selectors
from ..services import initiatives as services

CHANGED_EVENT = "priorities:changed"


def _url(request: HttpRequest, name: str, cycle=None, **kwargs) -> str:
    url = reverse(f"initiatives:{name}", kwargs={"company_slug": request.company.slug, **kwargs})
    if cycle is not None:
        url += "?" + urlencode({"cycle": cycle.pk})
    return url


def _anchors() -> dict:
    return {
        "contribution": [(k, v) for k, v in CONTRIBUTION_ANCHORS.items()],
        "effort": [(k, v) for k, v in EFFORT_ANCHORS.items()],
    }


def _can_manage_round(request) -> bool:
    return can(request.membership.role, Action.RATING_MANAGE)


def _fmt(value) -> str:
    if value is None:
        return "–"
    text = f"{value:.1f}"
    return text[:-2] if text.endswith(".0") else text


def _figure(request, matrix: selectors.PriorityMatrix) -> dict:
    points = []
    for p in matrix.points:
        if not p.is_scored:
            continue
        lines = [
            f"{_('Rank')} {p.rank} · {p.quadrant_label} · {p.state_label}",
            _("Contribution %(value)s%(final)s (spread %(spread)s)")
            % {
                "value": _fmt(p.contribution),
                "final": f" ({_('final')})" if p.contribution_is_final else "",
                "spread": p.contribution_spread,
            },
            _("Effort %(value)s%(final)s (spread %(spread)s)")
            % {
                "value": _fmt(p.effort),
                "final": f" ({_('final')})" if p.effort_is_final else "",
                "spread": p.effort_spread,
            },
            ngettext("%(count)s rating", "%(count)s ratings", p.rating_count) % {"count": p.rating_count},
        ]
        if p.initiative.estimated_cost is not None:
            lines.append(
                _("Cost %(amount)s %(currency)s")
                % {
                    "amount": f"{p.initiative.estimated_cost:,.0f}".replace(",", "."),
                    "currency": matrix.company.currency,
                }
            )
        if p.key_results:
            lines.append(_("Key results:"))
            lines.extend(f"• {kr.title}" for kr in p.key_results)
        else:
            lines.append(_("No key result bound yet"))
        points.append(
            ChartPoint(
                id=p.id,
                title=p.title,
                state=p.state,
                state_label=p.state_label,
                contribution=p.contribution,
                effort=p.effort,
                cost=p.initiative.estimated_cost,
                rank=p.rank,
                hover=hover_text(title=p.title, lines=lines),
                url=_url(request, "priorities-initiative", pk=p.id),
            )
        )
    fig = priority_matrix_figure(
        points=points,
        quadrants={
            key: ChartQuadrant(key=key, label=str(info["label"]), colour=info["colour"])
            for key, info in selectors.QUADRANTS.items()
        },
        midpoint=matrix.settings.midpoint,
        x_title=_("Effort (1 = a few days of one person, 5 = a quarter of the whole team)"),
        y_title=_("Contribution to key results"),
        state_labels={value: str(label) for value, label in Initiative.State.choices},
    )
    return json.loads(fig.to_json())


def _matrix_context(request, cycle, signature: str | None = None) -> dict:
    matrix = selectors.priority_matrix(
        company=request.company, cycle=cycle, viewer=request.user, can_manage=_can_manage_round(request)
    )
    signature = signature or selectors.matrix_signature(company=request.company, cycle=cycle)
    return {
        "matrix": matrix,
        "cycle": cycle,
        "signature": signature,
        "live_etag": _live_etag(request, signature),
        "quadrants": selectors.QUADRANTS,
        "quadrant_counts": matrix.quadrant_counts(),
        "state_url": _url(request, "priorities-state", pk=0).replace("/0/", "/{id}/"),
        "cycle_query": urlencode({"cycle": cycle.pk}),
    }


@require_GET
@company_view(Action.INITIATIVE_VIEW)
@conditional_page("okr", "priorities")
def priority_matrix(request: HttpRequest) -> HttpResponse:
    cycles = selectors.priority_cycles(request.company)
    cycle = selectors.priority_cycle(request.company, request.GET.get("cycle"), cycles)
    context = {"cycles": cycles, "cycle": cycle, "anchors": _anchors()}
    if cycle is not None:
        context.update(_matrix_context(request, cycle))
        context["figure"] = _figure(request, context["matrix"])
        context["settings_form"] = PrioritySettingsForm(
            initial={"focus_limit": context["matrix"].focus_limit, "midpoint": context["matrix"].settings.midpoint}
        )
    return render(request, "initiatives/matrix.html", context)


def _live_etag(request: HttpRequest, signature: str) -> str:
    """The ETag of ``priority_matrix_live``; the page carries it, so its first poll is a 304 too. What a viewer sees
    depends on the role and, before the reveal, on whose ratings are theirs."""
    return etag_of("priorities", signature, request.user.pk, request.membership.role, get_language())


@require_GET
@company_view(Action.INITIATIVE_VIEW)
def priority_matrix_live(request: HttpRequest) -> HttpResponse:
    """Polled every few seconds by the matrix page: 204 while nothing changed, else the new figure and panel."""
    cycle = selectors.priority_cycle(request.company, request.GET.get("cycle"))
    if cycle is None:
        raise Http404
    signature = selectors.matrix_signature(company=request.company, cycle=cycle)
    if request.GET.get("since") == signature:
        return HttpResponse(status=204)
    etag = _live_etag(request, signature)

    def build() -> HttpResponse:
        context = _matrix_context(request, cycle, signature)
        panel = render_to_string("initiatives/_panel.html", context, request=request)
        notice = render_to_string("initiatives/_chart_notice.html", context, request=request)
        return JsonResponse(
            {"signature": signature, "figure": _figure(request, context["matrix"]), "panel": panel, "notice": notice}
        )

    return conditional(request, etag, build)


def _done(request, message: str, fallback: str) -> HttpResponse:
    if request.htmx:
        response = HttpResponse(status=204)
        trigger_toast(response, message)
        triggers = json.loads(response.headers["HX-Trigger"])
        triggers[CHANGED_EVENT] = True
        response.headers["HX-Trigger"] = json.dumps(triggers)
        return response
    messages.success(request, message)
    return redirect(fallback)


def _refused(request, exc, fallback: str) -> HttpResponse:
    if request.htmx:
        return htmx_refusal(exc)  # 400 for a ValidationError, as everywhere (core.errors.error_status)
    for text in error_messages(exc):
        messages.error(request, text)
    return redirect(fallback)


STATE_MESSAGES = {
    "activate": gettext_lazy("“%(title)s” is active."),
    "pause": gettext_lazy("“%(title)s” is paused."),
    "done": gettext_lazy("“%(title)s” is done."),
    "drop": gettext_lazy("“%(title)s” is dropped."),
}


@require_POST
@company_view(Action.INITIATIVE_MANAGE)
def initiative_state(request: HttpRequest, pk: int) -> HttpResponse:
    initiative = selectors.get_initiative(request.company, pk)
    action = request.POST.get("action", "")
    fallback = safe_redirect_target(request, request.POST.get("next"), _url(request, "priorities", initiative.cycle))
    if action not in services.STATE_ACTIONS:
        return _refused(request, ValidationError(_("Unknown action.")), fallback)
    try:
        services.STATE_ACTIONS[action](initiative=initiative, actor=request.user)
    except (ValidationError, DomainError) as exc:
        return _refused(request, exc, fallback)
    return _done(request, str(STATE_MESSAGES[action]) % {"title": initiative.title}, fallback)


ROUND_MESSAGES = {
    "open": gettext_lazy("Rating is open: participants can rate now."),
    "close": gettext_lazy("Rating is closed: ratings can no longer be changed."),
    "reveal": gettext_lazy("Ratings are revealed to everyone."),
    "conceal": gettext_lazy("Ratings are hidden again from participants."),
}


@require_POST
@company_view(Action.RATING_MANAGE)
def rating_round(request: HttpRequest) -> HttpResponse:
    cycle = selectors.priority_cycle(request.company, request.POST.get("cycle") or request.GET.get("cycle"))
    if cycle is None:
        raise Http404
    action = request.POST.get("action", "")
    fallback = _url(request, "priorities", cycle)
    if action not in services.ROUND_ACTIONS:
        return _refused(request, ValidationError(_("Unknown action.")), fallback)
    try:
        services.ROUND_ACTIONS[action](cycle=cycle, actor=request.user)
    except (ValidationError, DomainError) as exc:
        return _refused(request, exc, fallback)
    return _done(request, str(ROUND_MESSAGES[action]), fallback)


@require_POST
@company_view(Action.INITIATIVE_MANAGE)
def priority_settings(request: HttpRequest) -> HttpResponse:
    cycle = selectors.priority_cycle(request.company, request.POST.get("cycle") or request.GET.get("cycle"))
    if cycle is None:
        raise Http404
    fallback = _url(request, "priorities", cycle)
    form = PrioritySettingsForm(request.POST)
    if not form.is_valid():
        for field, errors in form.errors.items():
            label = form.fields[field].label if field in form.fields else ""
            for error in errors:
                messages.error(request, f"{label}: {error}" if label else error)
        return redirect(fallback)
    try:
        services.priority_settings_update(
            cycle=cycle,
            actor=request.user,
            focus_limit=form.cleaned_data["focus_limit"],
            midpoint=form.cleaned_data["midpoint"],
        )
    except (ValidationError, DomainError) as exc:
        return _refused(request, exc, fallback)
    messages.success(request, _("Settings saved."))
    return redirect(fallback)


@require_http_methods(["GET", "POST"])
@company_view(Action.INITIATIVE_MANAGE)
def initiative_create(request: HttpRequest) -> HttpResponse:
    cycle = selectors.priority_cycle(request.company, request.GET.get("cycle"))
    if cycle is None:
        raise Http404
    form = InitiativeForm(request.POST or None, company=request.company, cycle=cycle)
    if request.method == "POST" and form.is_valid():
        try:
            initiative = services.initiative_create(
                company=request.company, cycle=cycle, actor=request.user, **form.cleaned_data
            )
        except (ValidationError, DomainError) as exc:
            apply_to_form(form, exc)
        else:
            messages.success(request, _("Initiative “%(title)s” created.") % {"title": initiative.title})
            return redirect(_url(request, "priorities", cycle))
    return render(
        request,
        "initiatives/form.html",
        {"form": form, "cycle": cycle, "initiative": None, "back_url": _url(request, "priorities", cycle)},
    )


@require_http_methods(["GET", "POST"])
@company_view(Action.INITIATIVE_MANAGE)
def initiative_edit(request: HttpRequest, pk: int) -> HttpResponse:
    initiative = selectors.get_initiative(request.company, pk)
    cycle = initiative.cycle
    form = InitiativeForm(
        request.POST or None, company=request.company, cycle=cycle, initial=InitiativeForm.initial_for(initiative)
    )
    if request.method == "POST" and form.is_valid():
        try:
            services.initiative_update(initiative=initiative, actor=request.user, **form.cleaned_data)
        except (ValidationError, DomainError) as exc:
            apply_to_form(form, exc)
        else:
            messages.success(request, _("Initiative saved."))
            return redirect(_url(request, "priorities-initiative", pk=initiative.pk))
    return render(
        request,
        "initiatives/form.html",
        {
            "form": form,
            "cycle": cycle,
            "initiative": initiative,
            "back_url": _url(request, "priorities-initiative", pk=initiative.pk),
        },
    )


@require_http_methods(["GET", "POST"])
@company_view(Action.INITIATIVE_VIEW)
def initiative_detail(request: HttpRequest, pk: int) -> HttpResponse:
    initiative = selectors.get_initiative(request.company, pk)
    manage_round = _can_manage_round(request)
    final_form = FinalValuesForm(
        request.POST or None,
        initial={"contribution": initiative.final_contribution, "effort": initiative.final_effort},
    )
    if request.method == "POST":
        if not manage_round:
            raise Http404
        if final_form.is_valid():
            try:
                services.initiative_set_final_values(
                    initiative=initiative,
                    actor=request.user,
                    contribution=final_form.cleaned_data["contribution"],
                    effort=final_form.cleaned_data["effort"],
                )
            except (ValidationError, DomainError) as exc:
                apply_to_form(final_form, exc)
            else:
                messages.success(request, _("Final values saved."))
                return redirect(_url(request, "priorities-initiative", pk=initiative.pk))
    matrix = selectors.priority_matrix(
        company=request.company, cycle=initiative.cycle, viewer=request.user, can_manage=manage_round
    )
    point = next(p for p in matrix.points if p.id == initiative.pk)
    ratings = selectors.initiative_ratings(initiative=initiative, viewer=request.user, can_manage=manage_round)
    return render(
        request,
        "initiatives/initiative.html",
        {
            "initiative": initiative,
            "point": point,
            "matrix": matrix,
            "ratings": ratings,
            "final_form": final_form,
            "cycle": initiative.cycle,
            "back_url": _url(request, "priorities", initiative.cycle),
        },
    )


def _rate_context(request, cycle, index: int | None = None, *, notice: str = "", chosen: dict | None = None) -> dict:
    queue = selectors.rating_queue(company=request.company, cycle=cycle, rater=request.user)
    settings = selectors.settings_for(cycle)
    rated = sum(1 for _i, rating in queue if rating is not None)
    if index is None:
        index = next((n for n, (_i, rating) in enumerate(queue, start=1) if rating is None), 1)
    index = max(1, min(index, len(queue))) if queue else 0
    current = queue[index - 1] if queue else None
    values = {"contribution": None, "effort": None}
    if current and current[1]:
        values = {"contribution": current[1].contribution, "effort": current[1].effort}
    if chosen:
        values.update({k: v for k, v in chosen.items() if v})
    return {
        "cycle": cycle,
        "settings": settings,
        "queue_length": len(queue),
        "rated": rated,
        "rated_percent": round(100 * rated / len(queue)) if queue else 0,
        "index": index,
        "initiative": current[0] if current else None,
        "rating": current[1] if current else None,
        "values": values,
        "notice": notice,
        "anchors": _anchors(),
        "steps": list(selectors.scale_steps()),
        "prev_url": _url(request, "priorities-rate", cycle) + f"&n={index - 1}" if index > 1 else "",
        "next_url": _url(request, "priorities-rate", cycle) + f"&n={index + 1}" if index < len(queue) else "",
        "matrix_url": _url(request, "priorities", cycle),
    }


def _int(value, default=None):
    try:
        return int(value)
    except (TypeError, ValueError):
        return default


@require_http_methods(["GET", "POST"])
@company_view(Action.INITIATIVE_VIEW)
def rate(request: HttpRequest) -> HttpResponse:
    """One initiative at a time, two rows of large tap targets; saved as soon as both values are chosen."""
    cycles = selectors.priority_cycles(request.company)
    cycle = selectors.priority_cycle(request.company, request.GET.get("cycle") or request.POST.get("cycle"), cycles)
    may_rate = can(request.membership.role, Action.INITIATIVE_RATE)
    if cycle is None or request.method == "GET":
        context = _rate_context(request, cycle, _int(request.GET.get("n"))) if cycle else {"cycle": None}
        return render(request, "initiatives/rate.html", {**context, "cycles": cycles, "may_rate": may_rate})

    index = _int(request.POST.get("n"), 1)
    initiative = selectors.get_initiative(request.company, request.POST.get("initiative"))
    if initiative.cycle_id != cycle.pk:
        raise Http404
    contribution, effort = request.POST.get("contribution"), request.POST.get("effort")
    chosen = {"contribution": _int(contribution), "effort": _int(effort)}
    notice, status = "", 200
    if not contribution or not effort:
        notice = _("Now choose the effort too.") if contribution else _("Now choose the contribution too.")
    else:
        try:
            services.initiative_rate(
                initiative=initiative, contribution=contribution, effort=effort, actor=request.user
            )
        except (ValidationError, DomainError) as exc:
            notice, status = " ".join(error_messages(exc)), getattr(exc, "status", 400)
            if not request.htmx:
                messages.error(request, notice)
        else:
            notice = _("Saved.")
            if not request.htmx:
                context = _rate_context(request, cycle, index)
                target = index + 1 if index < context["queue_length"] else index
                return redirect(_url(request, "priorities-rate", cycle) + f"&n={target}")
    context = _rate_context(request, cycle, index, notice=notice, chosen=chosen)
    context["saved"] = notice == _("Saved.")
    context["error"] = status != 200
    template = "initiatives/_rate_card.html" if request.htmx else "initiatives/rate.html"
    # A refused rating answers 200 with the explanation in the card, so htmx swaps it in.
    return render(request, template, {**context, "cycles": cycles, "may_rate": may_rate})
