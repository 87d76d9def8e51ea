"""Forms of the priorities pages: they parse input only; the services hold the rules."""

from __future__ import annotations

from decimal import Decimal

from django import forms
from django.utils.translation import gettext_lazy as _

from core.people import display_name

from .models import Initiative
from .selectors import initiatives as selectors


class UserChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj) -> str:
        return display_name(obj)


class KeyResultChoiceField(forms.ModelMultipleChoiceField):
    def label_from_instance(self, obj) -> str:
        return f"{obj.title} ({obj.objective.title})"


class InitiativeForm(forms.Form):
    title = forms.CharField(label=_("Title"), max_length=240)
    description = forms.CharField(label=_("Description"), required=False, widget=forms.Textarea(attrs={"rows": 4}))
    owner = UserChoiceField(label=_("Owner"), queryset=None, required=False, empty_label=_("No owner yet"))
    key_results = KeyResultChoiceField(
        label=_("Key results it serves"),
        queryset=None,
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=_("At least one is needed before the initiative can become active."),
    )
    estimated_cost = forms.DecimalField(
        label=_("Estimated cost"), required=False, min_value=0, max_digits=14, decimal_places=2
    )
    effort_days = forms.DecimalField(
        label=_("Estimated effort (person-days)"), required=False, min_value=0, max_digits=8, decimal_places=1
    )

    def __init__(self, *args, company, cycle, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["owner"].queryset = selectors.member_choices(company)
        self.fields["key_results"].queryset = selectors.key_result_choices(company, cycle)
        self.fields["estimated_cost"].label = f"{self.fields['estimated_cost'].label} ({company.currency})"

    @classmethod
    def initial_for(cls, initiative: Initiative) -> dict:
        return {
            "title": initiative.title,
            "description": initiative.description,
            "owner": initiative.owner_id,
            "key_results": [kr.pk for kr in initiative.key_results.all()],
            "estimated_cost": initiative.estimated_cost,
            "effort_days": initiative.effort_days,
        }


class PrioritySettingsForm(forms.Form):
    focus_limit = forms.IntegerField(
        label=_("Focus limit (max. active initiatives)"),
        required=False,
        min_value=1,
        help_text=_("Leave empty for no limit."),
    )
    midpoint = forms.DecimalField(
        label=_("Quadrant midpoint"),
        min_value=Decimal("1.5"),
        max_value=Decimal("4.5"),
        decimal_places=1,
        max_digits=2,
        step_size=Decimal("0.5"),
        help_text=_("Values above the midpoint count as high, values on or below it as low."),
    )


class FinalValuesForm(forms.Form):
    contribution = forms.DecimalField(
        label=_("Final contribution"),
        required=False,
        min_value=1,
        max_value=5,
        decimal_places=1,
        step_size=Decimal("0.5"),
    )
    effort = forms.DecimalField(
        label=_("Final effort"), required=False, min_value=1, max_value=5, decimal_places=1, step_size=Decimal("0.5")
    )
