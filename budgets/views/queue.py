"""The approval queue and its htmx decisions (approve, reject, bind) and the key result picker."""

from __future__ import annotations

from collections.abc import Callable

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from companies.permissions import Action, can
from companies.tenancy import company_view
from core.errors import DomainError
from core.htmx import htmx_error_response, htmx_refusal, trigger_toast
from core.safety import parse_id, safe_redirect_target
from core.tenancy import company_from_request, for_company
from objectives.models import KeyResult

from .. import selectors, services
from ..models import BudgetLine
from .base import State, _cycle_from, _line_url, _query, _row_context, _version


@company_view(Action.BUDGET_VIEW)
def queue(request: HttpRequest) -> HttpResponse:
    """Submitted lines with their key result, objective and progress; unbound lines first, each with a picker."""
    company = company_from_request(request)
    services.channels_ensure_defaults(company=company)
    cycle = _cycle_from(request)
    query = _query(request)
    state = query["state"] or State.SUBMITTED
    if state not in State.values and state != "all":
        state = State.SUBMITTED
    channel = str(query["channel"] or "")
    requester = str(query["requester"] or "")
    lines = list(
        selectors.queue_lines(
            company=company,
            cycle=cycle,
            state=None if state == "all" else state,
            channel=query["channel"],
            requester=query["requester"],
        )
    )
    limit = services.budget_settings_for(company).cmo_approval_limit
    role = request.membership.role
    context = {
        "lines": lines,
        "cycle": cycle,
        "cycles": selectors.company_cycles(company),
        "channels": selectors.channels(company=company),
        "requesters": selectors.requesters(company=company),
        "states": State.choices,
        "filters": {"state": state, "channel": channel, "requester": requester},
        "limit": limit,
        "may_approve": can(role, Action.BUDGET_APPROVE),
        "unbound_count": sum(1 for line in lines if line.key_result_id is None),
        "awaiting_executive_count": sum(
            1 for line in lines if line.cmo_approved_by_id and line.state == State.SUBMITTED
        ),
    }
    rows = [_row_context(request, line, limit=limit) for line in lines]
    context["rows"] = rows
    template = (
        "budgets/_queue_table.html" if request.htmx and request.htmx.target == "queue-table" else "budgets/queue.html"
    )
    return render(request, template, context)


def _render_row(request, line: BudgetLine, *, message: str, level: str = "success") -> HttpResponse:
    line = selectors.budget_line_for(company=request.company, pk=line.pk)
    response = render(request, "budgets/_queue_row.html", _row_context(request, line))
    return trigger_toast(response, message, level)


def _attempt(request, call: Callable[[], BudgetLine]) -> tuple[BudgetLine | None, HttpResponse | None]:
    """Run a decision's service call. A refusal goes back to htmx as a message; a plain form post raises it to the
    one page error mapping (core.middleware)."""
    try:
        return call(), None
    except (ValidationError, DomainError) as exc:
        if not request.htmx:
            raise
        return None, htmx_refusal(exc)


def _decided(request, line: BudgetLine, message: str) -> HttpResponse:
    """After a decision: a plain form post is redirected with the message, htmx gets the updated row and a toast."""
    if not request.htmx:
        messages.success(request, message)
        return redirect(safe_redirect_target(request, request.POST.get("next"), _line_url(request, line)))
    return _render_row(request, line, message=message)


@require_POST
@company_view(Action.BUDGET_APPROVE)
def line_approve(request: HttpRequest, pk: int) -> HttpResponse:
    line = selectors.budget_line_for(company=request.company, pk=pk)
    line, refusal = _attempt(
        request, lambda: services.budget_line_approve(line=line, actor=request.user, version=_version(request))
    )
    if refusal is not None:
        return refusal
    if line.state == State.APPROVED:
        message = _("“%(title)s” approved.") % {"title": line.title}
    else:
        message = _("“%(title)s” approved by you; an executive must still approve it (above the CMO limit).") % {
            "title": line.title
        }
    return _decided(request, line, message)


@require_POST
@company_view(Action.BUDGET_APPROVE)
def line_reject(request: HttpRequest, pk: int) -> HttpResponse:
    line = selectors.budget_line_for(company=request.company, pk=pk)
    reason = request.POST.get("reason", "")
    line, refusal = _attempt(
        request,
        lambda: services.budget_line_reject(line=line, actor=request.user, reason=reason, version=_version(request)),
    )
    if refusal is not None:
        return refusal
    return _decided(request, line, _("“%(title)s” rejected.") % {"title": line.title})


@require_POST
@company_view(Action.BUDGET_VIEW)
def line_bind(request: HttpRequest, pk: int) -> HttpResponse:
    """Bind a line to a key result chosen in the picker (services check who may)."""
    line = selectors.budget_line_for(company=request.company, pk=pk)
    raw = request.POST.get("key_result", "")
    key_id = parse_id(raw)
    key_result = for_company(KeyResult, request.company).filter(pk=key_id).first() if key_id else None
    if raw and key_result is None:
        return htmx_error_response([_("No such key result in this company.")], status=404)
    line, refusal = _attempt(
        request,
        lambda: services.budget_line_bind(
            line=line, key_result=key_result, actor=request.user, version=_version(request)
        ),
    )
    if refusal is not None:
        return refusal
    if key_result is None:
        message = _("“%(title)s” is no longer bound to a key result.") % {"title": line.title}
    else:
        message = _("“%(title)s” is now bound to “%(kr)s”.") % {"title": line.title, "kr": key_result.title}
    if request.htmx and request.POST.get("from") == "detail":
        response = HttpResponse(status=204)
        response.headers["HX-Refresh"] = "true"
        return response
    return _decided(request, line, message)


@require_GET
@company_view(Action.BUDGET_VIEW)
def key_result_search(request: HttpRequest) -> HttpResponse:
    """htmx: key results whose title (or objective) matches ``q``, those that can carry the line's approval."""
    line = None
    params = _query(request)
    if params["line"] is not None:
        line = BudgetLine.objects.for_company(request.company).filter(pk=params["line"]).select_related("cycle").first()
    query = params["q"].strip()
    results = selectors.key_result_search(
        company=request.company, query=query, covering=line.cycle if line else None, limit=8
    )
    return render(request, "budgets/_kr_results.html", {"results": results, "line": line, "query": query})
