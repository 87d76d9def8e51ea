"""Forms of the CRM import pages. They shape input; the services decide."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from .models import ColumnMapping, CrmImport, CrmKind
from .reader import FIELDS


class CrmImportForm(forms.Form):
    kind = forms.ChoiceField(label=_("What the file contains"), choices=CrmKind.choices)
    source = forms.ChoiceField(
        label=_("Exported from"),
        choices=[("auto", _("Detect from the file")), *CrmImport.Source.choices],
        initial="auto",
    )
    mapping = forms.ModelChoiceField(
        label=_("Saved column mapping"),
        queryset=ColumnMapping.objects.none(),
        required=False,
        empty_label=_("— only for “Other CRM” —"),
    )
    file = forms.FileField(
        label=_("CSV or Excel file"),
        widget=forms.ClearableFileInput(attrs={"accept": ".csv,.txt,.xlsx,text/csv"}),
    )

    def __init__(self, *args, company, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["mapping"].queryset = ColumnMapping.objects.filter(company=company).order_by("name")
        self.fields["mapping"].label_from_instance = lambda m: f"{m.name} ({m.get_kind_display()})"


class ColumnMappingForm(forms.Form):
    """Name plus one text input per field of the chosen kind: the CSV column header holding it."""

    name = forms.CharField(label=_("Name of the mapping"), max_length=120)

    def __init__(self, *args, kind: str, **kwargs):
        super().__init__(*args, **kwargs)
        self.kind = kind
        for spec in FIELDS[kind]:
            self.fields[f"col_{spec.name}"] = forms.CharField(
                label=spec.label,
                required=False,
                max_length=200,
                help_text=_("Required") if spec.required else "",
            )

    def columns(self) -> dict[str, str]:
        return {
            name.removeprefix("col_"): value
            for name, value in self.cleaned_data.items()
            if name.startswith("col_") and value
        }

    def add_service_errors(self, message_dict: dict[str, list[str]]) -> None:
        for field, messages in message_dict.items():
            target = f"col_{field}" if f"col_{field}" in self.fields else (field if field in self.fields else None)
            for message in messages:
                self.add_error(target, message)
