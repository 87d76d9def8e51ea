"""Forms of the SLA rules page: they parse; sla.services decides."""

from __future__ import annotations

from decimal import Decimal

from django import forms
from django.utils.translation import gettext_lazy as _

from core.forms import LocalizedDecimalField

from .models import SlaRule


class SlaCalendarForm(forms.Form):
    time_zone = forms.CharField(label=_("Time zone"), max_length=64, help_text=_("e.g. Europe/Berlin"))
    country = forms.CharField(label=_("Country of the public holidays"), max_length=3, help_text=_("e.g. DE, AT, CH"))
    subdivision = forms.CharField(
        label=_("Region of the public holidays"),
        max_length=10,
        required=False,
        help_text=_("e.g. BY for Bavaria; empty for the national holidays"),
    )
    day_start = forms.TimeField(
        label=_("Working day starts"), widget=forms.TimeInput(attrs={"type": "time"}, format="%H:%M")
    )
    day_end = forms.TimeField(
        label=_("Working day ends"), widget=forms.TimeInput(attrs={"type": "time"}, format="%H:%M")
    )


class SlaRuleForm(forms.Form):
    is_active = forms.BooleanField(label=_("Measure this rule"), required=False)
    hours = forms.IntegerField(label=_("Within working hours"), min_value=1, max_value=2000, required=False)
    monthly_leads = forms.IntegerField(
        label=_("Qualified leads per month and segment"), min_value=1, max_value=1_000_000, required=False
    )
    target_percent = LocalizedDecimalField(
        label=_("Target (share of cases within the SLA, %)"),
        min_value=Decimal("0"),
        max_value=Decimal("100"),
        max_digits=5,
        decimal_places=2,
    )

    def __init__(self, *args, rule: SlaRule, **kwargs):
        super().__init__(*args, prefix=rule.kind, **kwargs)
        self.rule = rule
        if rule.is_clock:
            del self.fields["monthly_leads"]
            self.fields["hours"].required = True
        else:
            del self.fields["hours"]
            self.fields["monthly_leads"].required = True
