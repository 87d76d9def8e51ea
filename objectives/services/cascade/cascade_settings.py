"""The company's cascade settings (check-in reminders)."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from companies.models import Company
from companies.permissions import Action, require_actor

from ...models import CascadeSettings

# ----------------------------------------------------------------------------------------------------- settings


@transaction.atomic
def cascade_settings_update(
    *, company: Company, actor, reminder_after_days: int | None = None, reminders_enabled: bool | None = None
) -> CascadeSettings:
    """The check-in reminder settings of a company (whoever runs the OKR process: facilitator or CMO)."""
    require_actor(actor, company, Action.CYCLE_MANAGE)
    settings, _created = CascadeSettings.objects.select_for_update().get_or_create(company=company)
    fields = []
    if reminder_after_days is not None:
        try:
            days = int(reminder_after_days)
        except (TypeError, ValueError):
            raise ValidationError({"reminder_after_days": _("Enter a whole number of days.")}) from None
        if not 1 <= days <= 90:
            raise ValidationError({"reminder_after_days": _("Choose between 1 and 90 days.")})
        settings.reminder_after_days = days
        fields.append("reminder_after_days")
    if reminders_enabled is not None:
        settings.reminders_enabled = bool(reminders_enabled)
        fields.append("reminders_enabled")
    if fields:
        settings.save(update_fields=fields)
    return settings
