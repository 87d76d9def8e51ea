"""KPI alerts pages: the alerts page (rule, open and recent alerts, acknowledgement, e-mail subscriptions per KPI,
the rule's k and n per KPI) and its htmx partials. Thin: parse input, call a selector or service, render."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from companies.permissions import Action, can
from companies.tenancy import company_view
from core.errors import DomainError, error_messages
from core.htmx import htmx_refusal, trigger_toast
from core.numbers import NumberError, parse_decimal
from core.safety import parse_id

from .. import kpis
from ..selectors import alerts as selectors_alerts
from ..services import alerts as services_alerts


def _alert_items(company, alerts) -> list[dict]:
    owners = selectors_alerts.kpi_owners(company=company)
    return [selectors_alerts.present_alert(a, currency=company.currency, owner=owners.get(a.kpi)) for a in alerts]


def _kpi_rows(request: HttpRequest) -> list[dict]:
    company = request.company
    subscribed = selectors_alerts.subscribed_kpis(user=request.user, company=company)
    rule = services_alerts.alert_settings(company)
    return [
        {
            "key": key,
            "label": str(definition.label),
            "subscribed": key in subscribed,
            "k": rule[key][0].normalize(),
            "n": rule[key][1],
            "enabled": rule[key][2],
        }
        for key, definition in kpis.KPIS.items()
    ]


@require_GET
@company_view(Action.BOARD_VIEW)
def board_alerts(request: HttpRequest) -> HttpResponse:
    company = request.company
    alerts = selectors_alerts.recent_alerts(company=company)
    context = {
        "alerts": _alert_items(company, alerts),
        "rule": selectors_alerts.RULE_TEXT,
        "kpi_rows": _kpi_rows(request),
        "may_acknowledge": can(request.membership.role, Action.KPI_ALERT_ACKNOWLEDGE),
        "may_configure": can(request.membership.role, Action.KPI_TARGETS_MANAGE),
    }
    return render(request, "reporting/board/alerts.html", context)


@require_POST
@company_view(Action.KPI_ALERT_ACKNOWLEDGE)
def board_alert_acknowledge(request: HttpRequest, kpi_alert_id: int) -> HttpResponse:
    """Acknowledge an alert with a note; htmx gets the alert's card back (with the note and who acknowledged)."""
    company = request.company
    if selectors_alerts.alert_for(company=company, alert_id=kpi_alert_id) is None:
        raise Http404(_("No such alert."))
    note = (request.POST.get("note") or "")[: services_alerts.NOTE_MAX_LENGTH + 1]
    try:
        services_alerts.kpi_alert_acknowledge(company=company, actor=request.user, alert_id=kpi_alert_id, note=note)
    except (ValidationError, DomainError) as exc:
        if request.htmx:
            return htmx_refusal(exc)
        for message in error_messages(exc):
            messages.error(request, message)
        return redirect("reporting:board_alerts", company_slug=company.slug)
    text = _("The alert is acknowledged.")
    if request.htmx:
        alert = selectors_alerts.alert_for(company=company, alert_id=kpi_alert_id)
        context = {"alert": _alert_items(company, [alert])[0], "may_acknowledge": True}
        return trigger_toast(render(request, "reporting/board/_alert.html", context), text)
    messages.success(request, text)
    next_url = request.POST.get("next") or ""
    if next_url == "review":
        return redirect("review:week", company_slug=company.slug)
    return redirect("reporting:board_alerts", company_slug=company.slug)


@require_POST
@company_view(Action.BOARD_VIEW)
def board_alert_subscribe(request: HttpRequest) -> HttpResponse:
    """Opt in to or out of the e-mails of one KPI's alerts; htmx gets the toggle back."""
    company = request.company
    kpi = (request.POST.get("kpi") or "")[:64]
    subscribed = request.POST.get("subscribed") == "1"
    try:
        services_alerts.kpi_alert_subscription_set(company=company, user=request.user, kpi=kpi, subscribed=subscribed)
    except ValidationError as exc:
        if request.htmx:
            return htmx_refusal(exc)
        raise Http404(_("Unknown KPI.")) from None
    label = str(kpis.KPIS[kpi].label)
    text = (
        _("You will get an e-mail when %(kpi)s raises an alert.") % {"kpi": label}
        if subscribed
        else _("You will no longer get e-mails about alerts of %(kpi)s.") % {"kpi": label}
    )
    if request.htmx:
        row = next(r for r in _kpi_rows(request) if r["key"] == kpi)
        return trigger_toast(render(request, "reporting/board/_alert_subscription.html", {"row": row}), text)
    messages.success(request, text)
    return redirect("reporting:board_alerts", company_slug=company.slug)


@require_POST
@company_view(Action.KPI_TARGETS_MANAGE)
def board_alert_settings(request: HttpRequest) -> HttpResponse:
    """The history rule of one KPI: k (multiples of the MAD), n (previous months), alerts on or off."""
    company = request.company
    kpi = (request.POST.get("kpi") or "")[:64]
    if kpi not in kpis.KPIS:
        raise Http404(_("Unknown KPI."))
    try:
        k = parse_decimal((request.POST.get("k") or "")[:40])
    except NumberError:
        k = None
    n = parse_id(request.POST.get("n"))
    if k is None or n is None:
        messages.error(request, _("Enter k as a number (e.g. 3 or 2.5) and n as a whole number of months."))
        return redirect("reporting:board_alerts", company_slug=company.slug)
    try:
        services_alerts.kpi_alert_setting_set(
            company=company, actor=request.user, kpi=kpi, k=k, n=n, enabled=request.POST.get("enabled") == "1"
        )
    except ValidationError as exc:
        for message in error_messages(exc):
            messages.error(request, message)
    else:
        messages.success(request, _("The alert rule of %(kpi)s is saved.") % {"kpi": kpis.KPIS[kpi].label})
    return redirect("reporting:board_alerts", company_slug=company.slug)
