"""Django admin of the SLAs: read-only; the rules and the calendar change on the SLA rules page (sla.services)."""

from __future__ import annotations

from django.contrib import admin

from core.admin import ReadOnlyAdmin

from .models import SlaCalendar, SlaRule


@admin.register(SlaRule)
class SlaRuleAdmin(ReadOnlyAdmin):
    list_display = ("company", "kind", "hours", "monthly_leads", "target_percent", "is_active")
    list_filter = ("kind", "is_active")


@admin.register(SlaCalendar)
class SlaCalendarAdmin(ReadOnlyAdmin):
    list_display = ("company", "time_zone", "country", "subdivision", "day_start", "day_end")
