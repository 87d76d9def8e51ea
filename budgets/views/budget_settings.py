"""Budget settings: channels and the CMO approval limit."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from companies.permissions import Action, can, require_actor
from companies.tenancy import company_view
from core.htmx import apply_to_form, error_messages
from core.safety import parse_id
from core.tenancy import company_from_request

from .. import selectors, services
from ..forms import BudgetSettingsForm, ChannelForm
from ..models import Channel


@require_http_methods(["GET", "POST"])
@company_view(Action.BUDGET_VIEW)
def settings_page(request: HttpRequest) -> HttpResponse:
    company = company_from_request(request)
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
                channel = (
                    Channel.objects.for_company(company).filter(pk=parse_id(request.POST.get("channel")) or 0).first()
                )
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
