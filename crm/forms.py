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


# ------------------------------------------------------------------------------------------- live CRM connections


class HubSpotConnectForm(forms.Form):
    token = forms.CharField(
        label=_("Private-app access token"),
        max_length=500,
        widget=forms.PasswordInput(render_value=False, attrs={"autocomplete": "off"}),
        help_text=_(
            "HubSpot: Settings → Integrations → Private apps → create an app with the scopes "
            "crm.objects.contacts.read and crm.objects.deals.read, then copy its access token."
        ),
    )


class SalesforceConnectForm(forms.Form):
    login_url = forms.CharField(
        label=_("Login address"),
        max_length=200,
        initial="https://login.salesforce.com",
        help_text=_("https://login.salesforce.com, https://test.salesforce.com for a sandbox, or your My Domain."),
    )
    consumer_key = forms.CharField(
        label=_("Consumer key"), max_length=300, widget=forms.TextInput(attrs={"autocomplete": "off"})
    )
    consumer_secret = forms.CharField(
        label=_("Consumer secret"),
        max_length=300,
        widget=forms.PasswordInput(render_value=False, attrs={"autocomplete": "off"}),
    )
    refresh_token = forms.CharField(
        label=_("Refresh token (optional)"),
        max_length=500,
        required=False,
        widget=forms.PasswordInput(render_value=False, attrs={"autocomplete": "off"}),
        help_text=_(
            "From the connected app's OAuth web-server flow. Leave empty to use the client-credentials "
            "flow (the connected app runs as its configured user)."
        ),
    )


CONNECT_FORMS = {"hubspot": HubSpotConnectForm, "salesforce": SalesforceConnectForm}
