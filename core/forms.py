"""Form fields for GOV.UK patterns our pages share: the date input (day, month and year)."""

from datetime import date

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _


class GovukDateWidget(forms.MultiWidget):
    def __init__(self, attrs=None):
        box = {"inputmode": "numeric", "autocomplete": "off"}
        super().__init__(
            {
                "day": forms.TextInput(attrs={**box, "maxlength": 2}),
                "month": forms.TextInput(attrs={**box, "maxlength": 2}),
                "year": forms.TextInput(attrs={**box, "maxlength": 4}),
            },
            attrs,
        )

    def decompress(self, value):
        return [value.day, value.month, value.year] if value else [None, None, None]

    def id_for_label(self, id_):
        # The error summary links to the day box, as GOV.UK's date input pattern does.
        return f"{id_}_day" if id_ else id_


class GovukDateField(forms.Field):
    """A date typed as day, month and year, with GOV.UK's messages for each way it goes wrong."""

    widget = GovukDateWidget
    default_error_messages = {
        "incomplete": _("The date must include a day, a month and a year"),
        "invalid": _("The date must be a real date, like 1 9 2026"),
    }

    def to_python(self, value):
        parts = [str(part).strip() if part is not None else "" for part in (value or [])]
        parts = (parts + ["", "", ""])[:3]
        if not any(parts):
            return None
        if not all(parts):
            raise ValidationError(self.error_messages["incomplete"], code="incomplete")
        day, month, year = parts
        if not all(part.isascii() and part.isdigit() for part in parts) or len(year) != 4:
            raise ValidationError(self.error_messages["invalid"], code="invalid")
        try:
            return date(int(year), int(month), int(day))
        except ValueError:
            raise ValidationError(self.error_messages["invalid"], code="invalid") from None
