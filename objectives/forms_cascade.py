"""Forms of the cascade pages. They only parse input; every rule lives in objectives.services.cascade."""

from __future__ import annotations

from decimal import Decimal

from django import forms
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from companies.models import Team
from core.errors import DomainError
from core.forms import LocalizedDecimalField
from core.htmx import apply_to_form
from core.imports import check_upload_size, size_limit_help
from core.people import display_name
from core.safety import BoundedDateField

from .models import Cycle, KeyResult, Objective
from .services.cascade import check_in_create

HUNDRED = Decimal("100")


def member_users(company):
    """The users that may own objectives and key results: the company's members."""
    return get_user_model().objects.filter(memberships__company=company).order_by("first_name", "last_name", "username")


class OwnerChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj):
        return display_name(obj)


class CompanyForm(forms.Form):
    """A form whose owner field offers the company's members only."""

    def __init__(self, *args, company, **kwargs):
        super().__init__(*args, **kwargs)
        self.company = company
        if "owner" in self.fields:
            self.fields["owner"].queryset = member_users(company)
        if "team" in self.fields:
            self.fields["team"].queryset = Team.objects.filter(company=company)

    def changes(self, data) -> dict:
        """The cleaned values of the fields the request actually sent (a partial update changes nothing else)."""
        return {name: self.cleaned_data[name] for name in self.fields if name != "version" and name in data}


class ObjectiveEditForm(CompanyForm):
    version = forms.IntegerField(min_value=1, widget=forms.HiddenInput)
    title = forms.CharField(label=_("Title"), max_length=240, required=False)
    description = forms.CharField(label=_("Description"), required=False, widget=forms.Textarea(attrs={"rows": 4}))
    team = forms.ModelChoiceField(label=_("Team"), queryset=None, required=False, empty_label=_("No team"))
    owner = OwnerChoiceField(label=_("Owner"), queryset=None, required=False)
    state = forms.ChoiceField(label=_("State"), choices=Objective.State.choices, required=False)
    rollup = forms.ChoiceField(label=_("Progress counts"), choices=Objective.Rollup.choices, required=False)

    def clean(self):
        data = super().clean()
        if "title" in self.data and not (data.get("title") or "").strip():
            self.add_error("title", _("An objective needs a title."))
        return data


class CheckInForm(forms.Form):
    value = LocalizedDecimalField(label=_("New value"), max_digits=18, decimal_places=4)
    confidence = forms.DecimalField(
        label=_("Confidence (%)"),
        min_value=0,
        max_value=100,
        decimal_places=0,
        help_text=_("How sure are you that the target will be reached?"),
    )
    comment = forms.CharField(label=_("Comment"), required=False, widget=forms.Textarea(attrs={"rows": 2}))

    def __init__(self, *args, key_result: KeyResult, **kwargs):
        kr = key_result
        initial = kwargs.setdefault("initial", {})
        initial.setdefault("confidence", int((kr.confidence or Decimal("0.5")) * HUNDRED))
        if kr.current_value is not None:
            initial.setdefault("value", kr.current_value.normalize())
        super().__init__(*args, **kwargs)
        self.key_result = kr
        if kr.kind == KeyResult.Kind.MILESTONE:
            self.fields["value"] = forms.TypedChoiceField(
                label=_("Milestone"),
                choices=[("0", _("Not done")), ("1", _("Done"))],
                coerce=Decimal,
            )
            self.initial["value"] = "1" if kr.current_value and kr.current_value >= 1 else "0"

    @property
    def confidence_fraction(self) -> Decimal:
        return (self.cleaned_data["confidence"] / HUNDRED).quantize(Decimal("0.01"))

    def save(self, *, actor) -> bool:
        """Record the valid form's check-in through the service (the cascade's pages and the partner page alike); a
        refusal (permission, closed cycle, bad value) lands on the form's fields. True when it was recorded."""
        try:
            check_in_create(
                key_result=self.key_result,
                value=self.cleaned_data["value"],
                confidence=self.confidence_fraction,
                comment=self.cleaned_data["comment"].strip(),
                actor=actor,
            )
        except (DomainError, ValidationError) as exc:
            apply_to_form(self, exc)
            return False
        return True


class CycleCreateForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=120)
    kind = forms.ChoiceField(label=_("Kind"), choices=Cycle.Kind.choices, initial=Cycle.Kind.QUARTER)
    start_date = BoundedDateField(label=_("Start date"), widget=forms.DateInput(attrs={"type": "date"}))
    end_date = BoundedDateField(label=_("End date"), widget=forms.DateInput(attrs={"type": "date"}))
    parent = forms.ModelChoiceField(label=_("Part of"), queryset=Cycle.objects.none(), required=False)

    def __init__(self, *args, company, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["parent"].queryset = Cycle.objects.filter(company=company)
        self.fields["parent"].empty_label = _("— none —")


class CycleUpdateForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=120)
    start_date = BoundedDateField(label=_("Start date"), required=False)
    end_date = BoundedDateField(label=_("End date"), required=False)


class CarryOverForm(forms.Form):
    target = forms.ModelChoiceField(label=_("Into cycle"), queryset=Cycle.objects.none())
    objectives = forms.TypedMultipleChoiceField(label=_("Objectives"), coerce=int, required=False, choices=())

    def __init__(self, *args, company, source, objective_choices, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["target"].queryset = Cycle.objects.filter(company=company).exclude(pk=source.pk)
        self.fields["objectives"].choices = objective_choices


class ImportForm(forms.Form):
    file = forms.FileField(label=_("File (XLSX or CSV)"))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["file"].help_text = size_limit_help()

    def clean_file(self):
        upload = self.cleaned_data["file"]
        check_upload_size(upload)
        return upload


class LinksForm(forms.Form):
    targets = forms.TypedMultipleChoiceField(label=_("Contributes to"), coerce=int, required=False, choices=())

    def __init__(self, *args, choices, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["targets"].choices = choices
