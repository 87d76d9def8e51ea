"""A budget line: detail, create, edit, submit, and spend booked on it."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from companies.permissions import Action, can
from companies.tenancy import company_view
from core.errors import DomainError
from core.htmx import apply_to_form
from core.safety import parse_id
from core.tenancy import company_from_request
from objectives.models import KeyResult

from .. import selectors, services
from ..forms import BudgetLineForm, SpendEntryForm
from .base import State, _line_url, _query, _row_context, _version


@company_view(Action.BUDGET_VIEW)
def line_detail(request: HttpRequest, pk: int) -> HttpResponse:
    line = selectors.budget_line_for(company=request.company, pk=pk)
    role = request.membership.role
    context = _row_context(request, line)
    context.update(
        {
            "audit": selectors.audit_trail(line=line),
            "spend": selectors.spend_entries(line=line),
            "spend_form": SpendEntryForm(),
            "may_spend": can(role, Action.SPEND_RECORD) and line.state == State.APPROVED,
            "may_edit": can(role, Action.BUDGET_APPROVE)
            or (can(role, Action.BUDGET_REQUEST) and line.requester_id == request.user.pk),
            "binding_errors": services.key_result_binding_errors(line=line, key_result=line.key_result)
            if line.state == State.SUBMITTED
            else [],
        }
    )
    return render(request, "budgets/line_detail.html", context)


def _form_changes(form: BudgetLineForm) -> dict:
    data = form.cleaned_data
    return {name: data[name] for name in ("title", "cycle", "channel", "planned_amount", "initiative", "key_result")}


@require_http_methods(["GET", "POST"])
@company_view(Action.BUDGET_REQUEST)
def line_create(request: HttpRequest) -> HttpResponse:
    company = company_from_request(request)
    services.channels_ensure_defaults(company=company)
    cycle = selectors.current_cycle(company)
    form = BudgetLineForm(request.POST or None, company=company, initial={"cycle": cycle})
    if request.method == "POST" and form.is_valid():
        try:
            line = services.budget_line_create(
                company=company, actor=request.user, submit="submit" in request.POST, **_form_changes(form)
            )
        except (ValidationError, DomainError) as exc:
            apply_to_form(form, exc)
        else:
            messages.success(request, _("Budget line “%(title)s” saved.") % {"title": line.title})
            return redirect(_line_url(request, line))
    return render(
        request, "budgets/line_form.html", {"form": form, "line": None, "suggestions": _suggestions(request, form)}
    )


@require_http_methods(["GET", "POST"])
@company_view(Action.BUDGET_VIEW)
def line_edit(request: HttpRequest, pk: int) -> HttpResponse:
    line = selectors.budget_line_for(company=request.company, pk=pk)
    initial = {
        "title": line.title,
        "cycle": line.cycle_id,
        "channel": line.channel_id,
        "planned_amount": line.planned_amount,
        "initiative": line.initiative_id,
        "key_result": line.key_result_id,
        "version": line.version,
    }
    form = BudgetLineForm(request.POST or None, company=request.company, initial=initial)
    initial_state = line.state
    if request.method == "POST" and form.is_valid():
        try:
            line = services.budget_line_update(
                line=line, actor=request.user, version=form.cleaned_data.get("version"), **_form_changes(form)
            )
            if "submit" in request.POST and line.state in (State.DRAFT, State.REJECTED):
                line = services.budget_line_submit(line=line, actor=request.user)
        except (ValidationError, DomainError) as exc:
            apply_to_form(form, exc)
        else:
            if initial_state == State.APPROVED and line.state == State.SUBMITTED:
                messages.warning(
                    request,
                    _("“%(title)s” saved and sent back for re-approval (amount or key result changed).")
                    % {"title": line.title},
                )
            else:
                messages.success(request, _("Budget line “%(title)s” saved.") % {"title": line.title})
            return redirect(_line_url(request, line))
    return render(
        request, "budgets/line_form.html", {"form": form, "line": line, "suggestions": _suggestions(request, form)}
    )


def _suggestions(request, form: BudgetLineForm) -> list[KeyResult]:
    initiative = parse_id(form["initiative"].value())
    return selectors.initiative_key_results(company=request.company, initiative=initiative) if initiative else []


@require_GET
@company_view(Action.BUDGET_VIEW)
def initiative_suggestions(request: HttpRequest) -> HttpResponse:
    """htmx: the key results of the chosen initiative, offered as one-click bindings in the line form."""
    initiative = _query(request)["initiative"]
    suggestions = selectors.initiative_key_results(company=request.company, initiative=initiative) if initiative else []
    return render(request, "budgets/_suggestions.html", {"suggestions": suggestions})


@require_POST
@company_view(Action.BUDGET_VIEW)
def line_submit(request: HttpRequest, pk: int) -> HttpResponse:
    line = selectors.budget_line_for(company=request.company, pk=pk)
    line = services.budget_line_submit(line=line, actor=request.user, version=_version(request))
    messages.success(request, _("“%(title)s” submitted for approval.") % {"title": line.title})
    return redirect(_line_url(request, line))


# --- spend ---------------------------------------------------------------------------------------------------------


@require_POST
@company_view(Action.SPEND_RECORD)
def spend_add(request: HttpRequest, pk: int) -> HttpResponse:
    line = selectors.budget_line_for(company=request.company, pk=pk)
    form = SpendEntryForm(request.POST)
    if form.is_valid():
        try:
            services.spend_entry_create(line=line, actor=request.user, company=request.company, **form.cleaned_data)
        except (ValidationError, DomainError) as exc:
            apply_to_form(form, exc)
        else:
            messages.success(request, _("Spend booked."))
            return redirect(_line_url(request, line) + "#spend")
    context = _row_context(request, line)
    context.update(
        {
            "audit": selectors.audit_trail(line=line),
            "spend": selectors.spend_entries(line=line),
            "spend_form": form,
            "may_spend": True,
            "may_edit": False,
            "binding_errors": [],
        }
    )
    return render(request, "budgets/line_detail.html", context, status=400)
