"""Form fields for numbers and money as people type them in their language (core.numbers does the reading)."""

from __future__ import annotations

from decimal import Decimal

from django import forms

from .imports import check_upload_size, size_limit_help
from .numbers import NumberError, format_decimal, parse_decimal


class LocalizedDecimalField(forms.DecimalField):
    """A decimal typed the way the active language writes it: German "4.500" is 4500 and "4.500,50" 4500.50,
    English "4,500.50". Wrong input says what form is expected ("… write it like 4.500,50.") instead of Django's
    bare "Enter a number."; the shown value uses the same separators."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("localize", True)
        super().__init__(*args, **kwargs)

    def widget_attrs(self, widget):
        attrs = super().widget_attrs(widget)
        attrs.pop("step", None)  # a text input; step only applies to type="number"
        attrs.setdefault("inputmode", "decimal")
        return attrs

    def to_python(self, value):
        if value in self.empty_values:
            return None
        if isinstance(value, Decimal):
            return value
        try:
            number = parse_decimal(value)
        except NumberError as exc:
            raise forms.ValidationError(str(exc), code="invalid") from None
        if number is None:
            return None
        # DecimalField's checks (digits, places, bounds) run on the parsed value in validate().
        return number

    def prepare_value(self, value):
        if isinstance(value, Decimal | int | float) and not isinstance(value, bool):
            places = self.decimal_places if self.decimal_places is not None else 4
            return format_decimal(value, decimals=places, language=None).replace("\u00a0", " ")
        return value


class MoneyField(LocalizedDecimalField):
    """An amount (two decimal places); a currency sign or code the user types along ("4.500 €") is ignored."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("max_digits", 14)
        kwargs.setdefault("decimal_places", 2)
        super().__init__(*args, **kwargs)


class UploadForm(forms.Form):
    """A form with one import file: the size limit is said in the help text and enforced from the upload's
    declared size before anything reads it (core.imports). Subclasses name the field's label."""

    file = forms.FileField()

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["file"].help_text = size_limit_help()

    def clean_file(self):
        upload = self.cleaned_data["file"]
        check_upload_size(upload)
        return upload
