"""Changes to the handover SLAs: the working-hours calendar and the rules (facilitator or CMO)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from zoneinfo import available_timezones

import holidays
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from companies.permissions import Action, require_actor

from .models import DEFAULT_RULES, SlaCalendar, SlaRule


def _check_region(country: str, subdivision: str) -> None:
    supported = holidays.list_supported_countries()
    if country not in supported:
        raise ValidationError(
            {"country": _("“%(value)s” is not a country code we know holidays of.") % {"value": country}}
        )
    if subdivision and subdivision not in supported[country]:
        raise ValidationError(
            {
                "subdivision": _("“%(value)s” is not a region of %(country)s (known: %(known)s).")
                % {"value": subdivision, "country": country, "known": ", ".join(supported[country]) or "–"}
            }
        )


@transaction.atomic
def sla_calendar_update(
    *, company, actor, time_zone: str, country: str, subdivision: str, day_start: dt.time, day_end: dt.time
) -> SlaCalendar:
    """Set when the SLA clocks run: the company's time zone, its country and region (public holidays), and the
    working day."""
    require_actor(actor, company, Action.SLA_MANAGE)
    country, subdivision = country.strip().upper(), subdivision.strip().upper()
    if time_zone not in available_timezones():
        raise ValidationError(
            {"time_zone": _("“%(value)s” is not a time zone (e.g. Europe/Berlin).") % {"value": time_zone}}
        )
    _check_region(country, subdivision)
    calendar, _created = SlaCalendar.objects.select_for_update().get_or_create(company=company)
    calendar.time_zone, calendar.country, calendar.subdivision = time_zone, country, subdivision
    calendar.day_start, calendar.day_end = day_start, day_end
    if day_start >= day_end:
        raise ValidationError({"day_end": _("The working day must end after it starts.")})
    calendar.full_clean()
    calendar.save()
    return calendar


@transaction.atomic
def sla_rule_update(
    *,
    company,
    actor,
    kind: str,
    is_active: bool,
    target_percent: Decimal,
    hours: int | None = None,
    monthly_leads: int | None = None,
) -> SlaRule:
    """Save one SLA rule (created with the defaults the first time): its measure (working hours for the clock rules,
    leads per month for the volume rule), its target share and whether it is measured."""
    require_actor(actor, company, Action.SLA_MANAGE)
    if kind not in SlaRule.Kind.values:
        raise ValidationError({"kind": _("Unknown SLA rule.")})
    rule, _created = SlaRule.objects.select_for_update().get_or_create(
        company=company, kind=kind, defaults=DEFAULT_RULES[kind]
    )
    rule.is_active = is_active
    rule.target_percent = target_percent
    if rule.is_clock:
        if hours is None:
            raise ValidationError({"hours": _("Enter the working hours.")})
        rule.hours, rule.monthly_leads = hours, None
    else:
        if monthly_leads is None:
            raise ValidationError({"monthly_leads": _("Enter the number of leads.")})
        rule.hours, rule.monthly_leads = None, monthly_leads
    rule.full_clean()
    rule.save()
    return rule
