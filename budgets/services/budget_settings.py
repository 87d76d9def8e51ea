"""A company's budget settings (the CMO approval limit)."""

from __future__ import annotations

from decimal import Decimal

from django.db import transaction

from companies.models import Company
from companies.permissions import Action, require_actor
from history.tracking import history_actor, history_system

from ..models import BudgetSettings


def budget_settings_for(company: Company) -> BudgetSettings:
    """The company's budget settings, created with the default limit on first use. Nobody chose that default, so
    the history attributes the creation to the system, not to whoever happened to open the page."""
    settings = BudgetSettings.objects.for_company(company).first()
    if settings is None:
        with history_system():
            settings, _created = BudgetSettings.objects.get_or_create(company=company)
    return settings


@transaction.atomic
def budget_settings_update(*, company: Company, cmo_approval_limit: Decimal, actor) -> BudgetSettings:
    """Change the CMO approval limit. The limit decides who may approve alone, so only executives change it
    (BUDGET_LIMITS_MANAGE, not the CMO's COMPANY_SETTINGS). The change history records who, when, before and after
    on every path, also outside a request (commands, tasks)."""
    require_actor(actor, company, Action.BUDGET_LIMITS_MANAGE)
    settings = budget_settings_for(company)
    settings = BudgetSettings.objects.select_for_update().get(pk=settings.pk)
    if cmo_approval_limit is not None and settings.cmo_approval_limit == cmo_approval_limit:
        return settings
    settings.cmo_approval_limit = cmo_approval_limit
    settings.full_clean()
    with history_actor(actor if getattr(actor, "pk", None) else None):
        settings.save(update_fields=["cmo_approval_limit"])
    return settings
