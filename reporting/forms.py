"""Forms of the reporting settings page. They shape input; the services decide."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from .models import ReportingSettings


class ReportingSettingsForm(forms.Form):
    qualified_stage = forms.ChoiceField(
        label=_("Qualified stage"),
        choices=ReportingSettings.Stage.choices,
        help_text=_("Leads reaching this stage count as qualified (cost per qualified lead, focus segments)."),
    )
    focus_segments = forms.CharField(
        label=_("Focus segments"),
        required=False,
        help_text=_("Comma-separated, exactly as the CRM names the segments."),
    )
    attribution_half_life_days = forms.IntegerField(label=_("Time-decay half-life (days)"), min_value=1, max_value=365)
    sales_sources = forms.CharField(
        label=_("Sales-sourced lead sources"),
        required=False,
        help_text=_("Comma-separated; leads from these sources do not count as marketing-sourced."),
    )
    other_sources = forms.CharField(
        label=_("Lead sources of unknown origin"),
        required=False,
        help_text=_("Comma-separated; neither marketing- nor sales-sourced (e.g. HubSpot's Direct Traffic)."),
    )

    @staticmethod
    def split(value: str) -> list[str]:
        return [part.strip() for part in value.split(",") if part.strip()]
