"""Forms parse input only; the rules are in budgets.services."""

from __future__ import annotations

from decimal import Decimal

from django import forms
from django.utils.translation import gettext_lazy as _

from core.forms import MoneyField, UploadForm
from core.safety import BoundedDateField, IdField
from core.tenancy import for_company
from objectives.models import Cycle, Initiative, KeyResult

from .models import Channel


class LineQueryForm(forms.Form):
    """Query parameters of the budget pages (queue, overview, export, pickers): ids are ASCII digits, else 400."""

    cycle = IdField()
    state = forms.CharField(required=False, max_length=20)
    channel = IdField()
    requester = IdField()
    line = IdField()
    initiative = IdField()
    q = forms.CharField(required=False, max_length=200)


class KeyResultChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: KeyResult) -> str:
        return f"{obj.title} — {obj.objective.title}"


class BudgetLineForm(forms.Form):
    title = forms.CharField(label=_("Title"), max_length=240)
    cycle = forms.ModelChoiceField(label=_("Cycle"), queryset=Cycle.objects.none(), empty_label=None)
    channel = forms.ModelChoiceField(label=_("Channel"), queryset=Channel.objects.none(), empty_label=_("— choose —"))
    planned_amount = MoneyField(
        label=_("Planned amount"), max_digits=14, decimal_places=2, min_value=Decimal("0"), localize=True
    )
    initiative = forms.ModelChoiceField(
        label=_("Initiative"), queryset=Initiative.objects.none(), required=False, empty_label=_("— none —")
    )
    key_result = KeyResultChoiceField(
        label=_("Key result"),
        queryset=KeyResult.objects.none(),
        required=False,
        empty_label=_("— not bound yet —"),
        help_text=_("Optional for a draft; a line can only be approved once it is bound to a key result."),
    )
    version = forms.IntegerField(widget=forms.HiddenInput, required=False)

    def __init__(self, *args, company, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["cycle"].queryset = for_company(Cycle, company).order_by("-start_date")
        self.fields["channel"].queryset = Channel.objects.for_company(company).filter(is_active=True)
        self.fields["initiative"].queryset = for_company(Initiative, company).order_by("title")
        self.fields["key_result"].queryset = (
            for_company(KeyResult, company)
            .select_related("objective")
            .order_by("objective__position", "objective_id", "position", "pk")
        )


class SpendEntryForm(forms.Form):
    date = BoundedDateField(label=_("Date"), widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"))
    amount = MoneyField(label=_("Amount"), max_digits=14, decimal_places=2, localize=True)
    reference = forms.CharField(label=_("Reference"), max_length=120, required=False)
    note = forms.CharField(label=_("Note"), required=False, widget=forms.Textarea(attrs={"rows": 2}))


class CsvUploadForm(UploadForm):
    file = forms.FileField(label=_("CSV file"))


class ChannelForm(forms.Form):
    name = forms.CharField(label=_("Channel name"), max_length=80)


class BudgetSettingsForm(forms.Form):
    cmo_approval_limit = MoneyField(
        label=_("CMO approval limit"), max_digits=14, decimal_places=2, min_value=Decimal("0"), localize=True
    )
