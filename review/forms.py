"""The action log's form (create and edit): choices limited to the company's members and to the objectives, key
results and initiatives of its planning and active cycles."""

from __future__ import annotations

from django import forms
from django.contrib.auth import get_user_model
from django.utils.translation import gettext_lazy as _

from core.people import display_name
from core.safety import BoundedDateField
from initiatives.models import Initiative
from objectives.models import Cycle, KeyResult, Objective

LIVE_CYCLES = (Cycle.State.PLANNING, Cycle.State.ACTIVE)


class PersonChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj) -> str:
        return display_name(obj)


class ReviewActionForm(forms.Form):
    title = forms.CharField(label=_("What"), max_length=240)
    owner = PersonChoiceField(label=_("Who"), queryset=get_user_model().objects.none())
    due_date = BoundedDateField(label=_("By when"), widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"))
    decision = forms.CharField(label=_("Decision (optional)"), required=False, widget=forms.Textarea(attrs={"rows": 2}))
    objective = forms.ModelChoiceField(label=_("Objective"), queryset=Objective.objects.none(), required=False)
    key_result = forms.ModelChoiceField(label=_("Key result"), queryset=KeyResult.objects.none(), required=False)
    initiative = forms.ModelChoiceField(label=_("Initiative"), queryset=Initiative.objects.none(), required=False)

    def __init__(self, *args, company, prefix_id: str = "new", **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["owner"].queryset = (
            get_user_model()
            .objects.filter(memberships__company=company, is_active=True)
            .order_by("first_name", "last_name", "username")
        )
        self.fields["objective"].queryset = Objective.objects.filter(
            company=company, cycle__state__in=LIVE_CYCLES
        ).order_by("cycle__start_date", "position", "id")
        self.fields["key_result"].queryset = KeyResult.objects.filter(
            company=company, objective__cycle__state__in=LIVE_CYCLES
        ).order_by("objective__cycle__start_date", "objective__position", "position", "id")
        self.fields["initiative"].queryset = Initiative.objects.filter(
            company=company, cycle__state__in=LIVE_CYCLES
        ).order_by("title", "id")
        self.auto_id = f"action-{prefix_id}-%s"
