"""Budget pages and their htmx partials. Thin: parse input, call a service or selector, render."""

from __future__ import annotations

import json

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse, StreamingHttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from companies.permissions import Action, can, require_actor
from companies.tenancy import company_view
from core.conditional import conditional_page
from core.errors import DomainError
from core.htmx import apply_to_form, error_messages, htmx_error_response, htmx_refusal, trigger_toast
from core.safety import attachment_header, clean_query, parse_id, safe_redirect_target
from objectives.models import Cycle, KeyResult

from . import charts, exports, imports, selectors, services
from .forms import BudgetLineForm, BudgetSettingsForm, ChannelForm, CsvUploadForm, LineQueryForm, SpendEntryForm
from .models import BudgetLine, Channel

State = BudgetLine.State


def _query(request: HttpRequest) -> dict:
    """The page's query parameters, checked (a malformed id such as "²" is a 400 naming the parameter)."""
    return clean_query(LineQueryForm, request.GET)


def _cycle_from(request: HttpRequest) -> Cycle | None:
    cycle_id = _query(request)["cycle"]
    if cycle_id is not None:
        cycle = Cycle.objects.filter(company=request.company, pk=cycle_id).first()
        if cycle is not None:
            return cycle
    return selectors.current_cycle(request.company)


def _line_url(request, line) -> str:
    return reverse("budgets:line", kwargs={"company_slug": request.company.slug, "pk": line.pk})


def _row_context(request, line: BudgetLine, *, limit=None) -> dict:
    role = request.membership.role
    if limit is None:
        limit = services.budget_settings_for(request.company).cmo_approval_limit
    return {
        "line": line,
        "limit": limit,
        "may_decide": can(role, Action.BUDGET_APPROVE) and line.requester_id != request.user.pk,
        "may_bind": can(role, Action.BUDGET_APPROVE) or line.requester_id == request.user.pk,
        "approve_refusal": services.approval_refusal(line=line, user=request.user),
    }


# --- approval queue ------------------------------------------------------------------------------------------------


@company_view(Action.BUDGET_VIEW)
def queue(request: HttpRequest) -> HttpResponse:
    """Submitted lines with their key result, objective and progress; unbound lines first, each with a picker."""
    company = request.company
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


def _decision_error(exc: ValidationError | DomainError) -> HttpResponse:
    return htmx_refusal(exc)


def _version(request) -> int | None:
    raw = request.POST.get("version", "")
    return parse_id(raw)


@require_POST
@company_view(Action.BUDGET_APPROVE)
def line_approve(request: HttpRequest, pk: int) -> HttpResponse:
    line = selectors.budget_line_for(company=request.company, pk=pk)
    try:
        line = services.budget_line_approve(line=line, actor=request.user, version=_version(request))
    except (ValidationError, DomainError) as exc:
        if not request.htmx:
            raise
        return _decision_error(exc)
    if line.state == State.APPROVED:
        message = _("“%(title)s” approved.") % {"title": line.title}
    else:
        message = _("“%(title)s” approved by you; an executive must still approve it (above the CMO limit).") % {
            "title": line.title
        }
    if not request.htmx:
        messages.success(request, message)
        return redirect(safe_redirect_target(request, request.POST.get("next"), _line_url(request, line)))
    return _render_row(request, line, message=message)


@require_POST
@company_view(Action.BUDGET_APPROVE)
def line_reject(request: HttpRequest, pk: int) -> HttpResponse:
    line = selectors.budget_line_for(company=request.company, pk=pk)
    try:
        line = services.budget_line_reject(
            line=line, actor=request.user, reason=request.POST.get("reason", ""), version=_version(request)
        )
    except (ValidationError, DomainError) as exc:
        if not request.htmx:
            raise
        return _decision_error(exc)
    message = _("“%(title)s” rejected.") % {"title": line.title}
    if not request.htmx:
        messages.success(request, message)
        return redirect(safe_redirect_target(request, request.POST.get("next"), _line_url(request, line)))
    return _render_row(request, line, message=message)


@require_POST
@company_view(Action.BUDGET_VIEW)
def line_bind(request: HttpRequest, pk: int) -> HttpResponse:
    """Bind a line to a key result chosen in the picker (services check who may)."""
    line = selectors.budget_line_for(company=request.company, pk=pk)
    raw = request.POST.get("key_result", "")
    key_id = parse_id(raw)
    key_result = KeyResult.objects.filter(company=request.company, pk=key_id).first() if key_id else None
    if raw and key_result is None:
        return htmx_error_response([_("No such key result in this company.")], status=404)
    try:
        line = services.budget_line_bind(
            line=line, key_result=key_result, actor=request.user, version=_version(request)
        )
    except (ValidationError, DomainError) as exc:
        if not request.htmx:
            raise
        return _decision_error(exc)
    if key_result is None:
        message = _("“%(title)s” is no longer bound to a key result.") % {"title": line.title}
    else:
        message = _("“%(title)s” is now bound to “%(kr)s”.") % {"title": line.title, "kr": key_result.title}
    if not request.htmx:
        messages.success(request, message)
        return redirect(safe_redirect_target(request, request.POST.get("next"), _line_url(request, line)))
    if request.POST.get("from") == "detail":
        response = HttpResponse(status=204)
        response.headers["HX-Refresh"] = "true"
        return response
    return _render_row(request, line, message=message)


@require_GET
@company_view(Action.BUDGET_VIEW)
def key_result_search(request: HttpRequest) -> HttpResponse:
    """htmx: key results whose title (or objective) matches ``q``, those that can carry the line's approval."""
    line = None
    params = _query(request)
    if params["line"] is not None:
        line = BudgetLine.objects.filter(company=request.company, pk=params["line"]).select_related("cycle").first()
    query = params["q"].strip()
    results = selectors.key_result_search(
        company=request.company, query=query, covering=line.cycle if line else None, limit=8
    )
    return render(request, "budgets/_kr_results.html", {"results": results, "line": line, "query": query})


# --- overview ------------------------------------------------------------------------------------------------------


@company_view(Action.BUDGET_VIEW)
@conditional_page("budgets", "okr", "priorities")
def overview(request: HttpRequest) -> HttpResponse:
    company = request.company
    cycle = _cycle_from(request)
    context = {"cycle": cycle, "cycles": selectors.company_cycles(company)}
    if cycle is not None:
        totals = selectors.overview_totals(company=company, cycle=cycle)
        by_channel = selectors.plan_vs_actual(company=company, cycle=cycle)
        by_kr = selectors.budget_by_key_result(company=company, cycle=cycle)
        monthly = selectors.monthly_actual(company=company, cycle=cycle)
        labels = charts.labels()
        context.update(
            {
                "totals": totals,
                "by_channel": by_channel,
                "by_kr": by_kr,
                "by_objective": selectors.budget_by_objective(company=company, cycle=cycle),
                "charts": {
                    "share": json.loads(charts.bound_share_figure(totals, labels=labels).to_json()),
                    "treemap": json.loads(charts.budget_treemap_figure(by_kr, labels=labels).to_json()),
                    "channels": json.loads(charts.plan_vs_actual_figure(by_channel, labels=labels).to_json()),
                    "monthly": json.loads(
                        charts.monthly_figure(monthly, totals["approved_amount"], labels=labels).to_json()
                    ),
                },
            }
        )
    return render(request, "budgets/overview.html", context)


# --- line detail, create, edit ------------------------------------------------------------------------------------


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
    company = request.company
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


# --- imports and exports -------------------------------------------------------------------------------------------


@require_http_methods(["GET", "POST"])
@company_view(Action.BUDGET_VIEW)
def import_page(request: HttpRequest) -> HttpResponse:
    """Upload spend (accounting export) or budget lines as CSV; all-or-nothing with row-level errors."""
    company = request.company
    kind = request.POST.get("kind", "spend")
    spend_form = (
        CsvUploadForm(request.POST or None, request.FILES or None, prefix="spend")
        if kind == "spend"
        else CsvUploadForm(prefix="spend")
    )
    lines_form = (
        CsvUploadForm(request.POST or None, request.FILES or None, prefix="lines")
        if kind == "lines"
        else CsvUploadForm(prefix="lines")
    )
    errors: list[str] = []
    status = 200
    if request.method == "POST":
        form = spend_form if kind == "spend" else lines_form
        if form.is_valid():
            upload = form.cleaned_data["file"]
            try:
                if kind == "spend":
                    count = imports.spend_import_csv(company=company, upload=upload, actor=request.user)
                    message = _("%(count)s spend entries imported.") % {"count": count}
                else:
                    count = imports.budget_lines_import_csv(
                        company=company,
                        upload=upload,
                        actor=request.user,
                        default_cycle=selectors.current_cycle(company),
                    )
                    message = _("%(count)s budget lines imported.") % {"count": count}
            except imports.ImportFailed as exc:
                errors = exc.rows
                status = 400
            except (ValidationError, DomainError) as exc:
                errors = error_messages(exc)
                status = exc.status if isinstance(exc, DomainError) else 400
            else:
                messages.success(request, message)
                return redirect("budgets:queue" if kind == "lines" else "budgets:overview", company_slug=company.slug)
        else:
            status = 400
    return render(
        request,
        "budgets/import.html",
        {"spend_form": spend_form, "lines_form": lines_form, "errors": errors, "kind": kind},
        status=status,
    )


@require_GET
@company_view(Action.BUDGET_VIEW)
def export_lines(request: HttpRequest) -> HttpResponse:
    cycle = _cycle_from(request)
    lines = selectors.filtered_lines(company=request.company, cycle=cycle)
    name = f"budget-{request.company.slug}-{cycle.name if cycle else 'all'}".replace(" ", "-")
    if request.GET.get("format") == "xlsx":
        data = exports.lines_xlsx(lines)
        response = HttpResponse(data, content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
        response["Content-Disposition"] = attachment_header(f"{name}.xlsx")
        return response
    response = StreamingHttpResponse(exports.lines_csv(lines), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = attachment_header(f"{name}.csv")
    return response


# --- settings: channels and the CMO limit -------------------------------------------------------------------------


@require_http_methods(["GET", "POST"])
@company_view(Action.BUDGET_VIEW)
def settings_page(request: HttpRequest) -> HttpResponse:
    company = request.company
    services.channels_ensure_defaults(company=company)
    settings = services.budget_settings_for(company)
    channel_form = ChannelForm(prefix="channel")
    limit_form = BudgetSettingsForm(prefix="limit", initial={"cmo_approval_limit": settings.cmo_approval_limit})
    status = 200
    if request.method == "POST":
        action = request.POST.get("action")
        try:
            if action == "add_channel":
                channel_form = ChannelForm(request.POST, prefix="channel")
                if channel_form.is_valid():
                    services.channel_create(company=company, name=channel_form.cleaned_data["name"], actor=request.user)
                    messages.success(request, _("Channel added."))
                    return redirect("budgets:settings", company_slug=company.slug)
            elif action in ("rename_channel", "toggle_channel"):
                channel = Channel.objects.filter(company=company, pk=parse_id(request.POST.get("channel")) or 0).first()
                if channel is None:
                    return render(
                        request, "core/error.html", {"status": 404, "messages": [_("No such channel.")]}, status=404
                    )
                if action == "rename_channel":
                    services.channel_update(channel=channel, name=request.POST.get("name", ""), actor=request.user)
                else:
                    services.channel_update(channel=channel, is_active=not channel.is_active, actor=request.user)
                messages.success(request, _("Channel saved."))
                return redirect("budgets:settings", company_slug=company.slug)
            elif action == "limit":
                # Refused before the form is read: a CMO raising their own limit is the four-eyes hole this closes.
                require_actor(request.user, company, Action.BUDGET_LIMITS_MANAGE)
                limit_form = BudgetSettingsForm(request.POST, prefix="limit")
                if limit_form.is_valid():
                    services.budget_settings_update(
                        company=company,
                        cmo_approval_limit=limit_form.cleaned_data["cmo_approval_limit"],
                        actor=request.user,
                    )
                    messages.success(request, _("CMO approval limit saved."))
                    return redirect("budgets:settings", company_slug=company.slug)
        except ValidationError as exc:
            if action in ("rename_channel", "toggle_channel"):  # no form on the page to show it at
                return render(request, "core/error.html", {"status": 400, "messages": error_messages(exc)}, 400)
            apply_to_form(channel_form if action == "add_channel" else limit_form, exc)
        status = 400
    return render(
        request,
        "budgets/settings.html",
        {
            "channels": selectors.channels(company=company),
            "channel_form": channel_form,
            "limit_form": limit_form,
            "budget_settings": settings,
            "may_manage": can(request.membership.role, Action.COMPANY_SETTINGS),
            "may_change_limit": can(request.membership.role, Action.BUDGET_LIMITS_MANAGE),
            "limit_changed": selectors.budget_settings_last_change(company=company),
        },
        status=status,
    )
