"""Forms of the second factor: the code typed at sign-in, at set-up and at the second sign-in."""

from django import forms
from django.utils.translation import gettext_lazy as _


class SecurityCodeForm(forms.Form):
    """A code from the authenticator app, or a recovery code; the service checks it."""

    code = forms.CharField(
        label=_("Security code"),
        max_length=32,
        help_text=_(
            "The 6-digit code your authenticator app shows now, or one of your recovery codes."
        ),
        widget=forms.TextInput(
            attrs={"autocomplete": "one-time-code", "autocapitalize": "none", "spellcheck": "false"}
        ),
        error_messages={"required": _("Enter your security code")},
    )


class AppCodeForm(forms.Form):
    """At set-up only a code from the app will do."""

    code = forms.CharField(
        label=_("Code from the app"),
        max_length=32,
        help_text=_("The 6-digit code your authenticator app shows for Hwb."),
        widget=forms.TextInput(
            attrs={"autocomplete": "one-time-code", "inputmode": "numeric", "spellcheck": "false"}
        ),
        error_messages={"required": _("Enter the 6-digit code your app shows")},
    )
