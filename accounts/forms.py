"""Forms of the accounts area: they validate input; the services make the changes."""

import secrets

from django import forms
from django.contrib.auth import authenticate, password_validation
from django.contrib.auth.forms import AuthenticationForm
from django.core.validators import RegexValidator
from django.utils.translation import gettext_lazy as _

from core.text import text_clean

from .models import User
from .selectors import replaced_account_successor


class SignInForm(AuthenticationForm):
    username = forms.CharField(
        label=_("Hwb username"),
        max_length=64,
        widget=forms.TextInput(
            attrs={"autocomplete": "username", "autocapitalize": "none", "spellcheck": "false"}
        ),
        error_messages={"required": _("Enter your Hwb username")},
    )
    password = forms.CharField(
        label=_("Password"),
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}),
        error_messages={"required": _("Enter your password")},
    )
    error_messages = {
        "invalid_login": _(
            "The username or password is not right. Check them and try again: after several "
            "failed attempts, signing in is paused for a while."
        ),
        "inactive": _(
            "This account is deactivated. Ask a digital champion at your school for help."
        ),
        "replaced": _(
            "This account was closed when your existing Hwb account moved to your school. Sign "
            "in with %(username)s and that account's password."
        ),
    }

    def clean(self):
        try:
            return super().clean()
        except forms.ValidationError as error:
            if error.code != "invalid_login":
                raise
            # The right password for an account a move replaced: name the one to use now.
            successor = replaced_account_successor(
                username=self.cleaned_data.get("username") or "",
                password=self.cleaned_data.get("password") or "",
            )
            if not successor:
                raise
            raise forms.ValidationError(
                self.error_messages["replaced"], code="replaced", params={"username": successor}
            ) from None


class ReauthForm(SignInForm):
    """The second sign-in: it must be the account already signed in."""

    error_messages = {
        **SignInForm.error_messages,
        "other_account": _(
            "Enter the username and password of the account you are signed in with."
        ),
    }

    def __init__(self, request=None, *args, signed_in_user: User, **kwargs):
        self.signed_in_user = signed_in_user
        super().__init__(request, *args, **kwargs)
        # The username is known: shown, filled in and not for changing; only the password (and
        # the code) are asked for. A changed one sent anyway is refused below.
        username = self.fields["username"]
        username.initial = signed_in_user.username
        username.required = False
        username.widget.attrs.update({"readonly": True, "aria-readonly": "true"})
        if self.is_bound and not (self.data.get("username") or "").strip():
            self.data = self.data.copy()
            self.data["username"] = signed_in_user.username

    def clean(self):
        # Another account's username is refused before any password check: this page must not
        # tell anyone whether a password fits someone else's account.
        username = (self.cleaned_data.get("username") or "").strip().lower()
        if username and username != self.signed_in_user.username:
            raise forms.ValidationError(self.error_messages["other_account"], code="other_account")
        return super().clean()


class PasswordChangeForm(forms.Form):
    """Choose a new password; the current one is asked for unless a reset forced the change."""

    current_password = forms.CharField(
        label=_("Current password"),
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}),
        error_messages={"required": _("Enter your current password")},
    )
    new_password = forms.CharField(
        label=_("New password"),
        strip=False,
        help_text=_(
            "At least 8 characters, with upper-case letters, lower-case letters and digits. "
            "Use three or four unrelated words, for example joined by hyphens, with a number: "
            "not names, your school, Hwb, Cymru, months, seasons or years."
        ),
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
        error_messages={"required": _("Enter a new password")},
    )
    new_password_again = forms.CharField(
        label=_("Confirm new password"),
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
        error_messages={"required": _("Enter the new password again")},
    )

    def __init__(self, *args, user: User, request, **kwargs):
        self.user = user
        self.request = request
        super().__init__(*args, **kwargs)
        if user.must_change_password:
            del self.fields["current_password"]

    def clean_current_password(self):
        # A sign-in attempt like any other: failures count towards the lock-out, and a locked
        # account is refused even with the right password.
        value = self.cleaned_data["current_password"]
        if authenticate(self.request, username=self.user.username, password=value) is None:
            raise forms.ValidationError(_("Your current password is not right"), code="wrong")
        return value

    def clean_new_password(self):
        value = self.cleaned_data["new_password"]
        password_validation.validate_password(value, self.user)
        return value

    def _same_as_current(self, new_password: str) -> bool:
        """Only once the current password is proven (or was just issued by a reset): otherwise
        this would check guesses at it without counting them."""
        if self.user.must_change_password:
            return self.user.check_password(new_password)
        return new_password == self.cleaned_data.get("current_password")

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("new_password") and self._same_as_current(cleaned["new_password"]):
            self.add_error(
                "new_password",
                forms.ValidationError(
                    _("Choose a password different from the one you have now"), code="same"
                ),
            )
        if (
            cleaned.get("new_password")
            and cleaned.get("new_password_again") is not None
            and cleaned["new_password"] != cleaned["new_password_again"]
        ):
            self.add_error("new_password_again", _("The two new passwords are not the same"))
        return cleaned


class AccountSearchForm(forms.Form):
    q = forms.CharField(label=_("Search by name, username or UPN"), required=False, max_length=100)
    kind = forms.ChoiceField(
        label=_("Kind of account"),
        required=False,
        choices=[("", _("All kinds"))] + list(User.Kind.choices),
    )
    status = forms.ChoiceField(
        label=_("Status"),
        required=False,
        choices=[
            ("", _("Any status")),
            ("active", _("Active")),
            ("deactivated", _("Deactivated")),
            ("locked", _("Locked")),
            ("expiring", _("Expiring within 8 weeks")),
        ],
    )
    year_group = forms.ChoiceField(label=_("Year group"), required=False, choices=[])
    group = forms.ChoiceField(label=_("Registration group"), required=False, choices=[])
    password = forms.ChoiceField(
        label=_("Password"),
        required=False,
        choices=[
            ("", _("Any password")),
            ("never", _("Never issued")),
            ("one_time", _("One-time password not yet changed")),
            ("own", _("Chosen by its holder")),
        ],
    )
    sort = forms.ChoiceField(
        label=_("Sort by"),
        required=False,
        choices=[
            ("", _("Name")),
            ("username", _("Hwb username")),
            ("last_sign_in", _("Last sign-in, latest first")),
            ("never_signed_in", _("Last sign-in, longest ago first")),
        ],
    )

    def filters(self) -> dict[str, str]:
        """The valid filters, for the selector (invalid ones are left out)."""
        if not self.is_valid():
            return {}
        names = ("q", "kind", "status", "year_group", "group", "password", "sort")
        return {name: self.cleaned_data[name] for name in names if self.cleaned_data.get(name)}

    def __init__(
        self,
        *args,
        kinds: list[tuple[str, str]] | None = None,
        groups: tuple[list[str], list[str]] = ([], []),
        **kwargs,
    ):
        super().__init__(*args, **kwargs)
        if kinds is not None:  # only the kinds the school has
            self.fields["kind"].choices = [("", _("All kinds")), *kinds]
        years, registration_groups = groups  # only the groups on the school's roll
        self.fields["year_group"].choices = [
            ("", _("All year groups")),
            *((year, year_group_label(year)) for year in years),
        ]
        self.fields["group"].choices = [
            ("", _("All registration groups")),
            *((group, group) for group in registration_groups),
        ]


def year_group_label(code: str) -> str:
    """'6' -> 'Year 6', 'R' -> 'Reception' (the contract's year groups, as people say them)."""
    named = {
        "N1": _("Nursery 1"),
        "N2": _("Nursery 2"),
        "R": _("Reception"),
        "X": _("Year group X"),
    }
    if code in named:
        return str(named[code])
    return _("Year %(number)s") % {"number": code}


class PasswordResetConfirmForm(forms.Form):
    """Reset password's confirmation: a random key per form, so the same form sent twice (a
    double click) resets once. The key is not a secret; forging one only makes a new reset."""

    form_key = forms.CharField(
        widget=forms.HiddenInput,
        min_length=16,
        max_length=64,
        validators=[RegexValidator(r"^[A-Za-z0-9_-]+$")],
        error_messages={
            code: _("This form has expired. Open it again and try again.")
            for code in ("required", "min_length", "max_length", "invalid")
        },
    )

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("initial", {"form_key": secrets.token_urlsafe(24)})
        super().__init__(*args, **kwargs)


# --- The second factor: the code typed at sign-in, at set-up and at the second sign-in -----


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


class NonMisAccountForm(forms.Form):
    """A school's own account: who it is for and how long it lasts (the username is made)."""

    first_name = forms.CharField(
        label=_("First name"),
        max_length=100,
        error_messages={"required": _("Enter their first name")},
    )
    last_name = forms.CharField(
        label=_("Last name"),
        max_length=100,
        error_messages={"required": _("Enter their last name")},
    )
    purpose = forms.ChoiceField(
        label=_("Who is the account for?"),
        choices=User.NonMisPurpose.choices,
        widget=forms.RadioSelect,
        error_messages={"required": _("Choose who the account is for")},
    )
    expiry = forms.ChoiceField(
        label=_("How long does it last?"),
        help_text=_("It closes on that day; Hwb closes it sooner if nobody signs in for 90 days."),
        choices=[
            ("1", _("1 month")),
            ("3", _("3 months")),
            ("6", _("6 months")),
            ("year_end", _("To the end of the academic year (31 August)")),
        ],
        widget=forms.RadioSelect,
        error_messages={"required": _("Choose how long the account lasts")},
    )

    def __init__(self, *args, for_authority: bool = False, **kwargs):
        super().__init__(*args, **kwargs)
        if for_authority:  # an authority's own staff: no governors, no school year
            self.fields["purpose"].choices = [
                choice
                for choice in User.NonMisPurpose.choices
                if choice[0] != User.NonMisPurpose.GOVERNOR
            ]

    def clean_first_name(self) -> str:
        return text_clean(self.cleaned_data["first_name"])

    def clean_last_name(self) -> str:
        return text_clean(self.cleaned_data["last_name"])


class NonMisKeepForm(forms.Form):
    until = forms.ChoiceField(
        label=_("Keep it until"),
        choices=[
            ("next_year_end", _("The end of next academic year")),
            ("6", _("6 months from today")),
            ("3", _("3 months from today")),
            ("1", _("1 month from today")),
        ],
        widget=forms.RadioSelect,
        error_messages={"required": _("Choose how long to keep the account")},
    )


class RenameForm(forms.Form):
    first_name = forms.CharField(
        label=_("First name"),
        max_length=100,
        error_messages={"required": _("Enter the first name")},
    )
    last_name = forms.CharField(
        label=_("Last name"), max_length=100, error_messages={"required": _("Enter the last name")}
    )
    preferred_first_name = forms.CharField(
        label=_("Preferred first name (optional)"),
        help_text=_("The name they go by, if not their first name. Hwb greets them with it."),
        max_length=100,
        required=False,
    )
    reason = forms.ChoiceField(
        label=_("Why does the name change?"),
        choices=[],
        widget=forms.RadioSelect,
        error_messages={"required": _("Choose why the name changes")},
    )
    new_username = forms.BooleanField(
        label=_("Generate a new username from the new name"),
        help_text=_(
            "Only when the surname or the first initial changes. The old username keeps working "
            "for signing in for a year, is never given to anyone else, and the holder chooses a "
            "new password at their next sign-in."
        ),
        required=False,
    )

    def __init__(self, *args, reasons: dict, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["reason"].choices = list(reasons.items())

    def clean_first_name(self) -> str:
        return text_clean(self.cleaned_data["first_name"])

    def clean_last_name(self) -> str:
        return text_clean(self.cleaned_data["last_name"])

    def clean_preferred_first_name(self) -> str:
        return text_clean(self.cleaned_data["preferred_first_name"])


class PrimaryPasswordsForm(forms.Form):
    kept = forms.BooleanField(
        label=_(
            "Learners in nursery, reception and years 1 to 6 keep the password issued to them "
            "(they need not choose their own at their first sign-in)"
        ),
        required=False,
    )


class CredentialsDownloadForm(forms.Form):
    acknowledged = forms.BooleanField(
        label=_(
            "I understand that this file holds every new password in readable form: I will keep "
            "it on a school device, give each person only their own, and delete the file today."
        ),
        error_messages={
            "required": _("Confirm that you will keep the file safe and delete it today")
        },
    )
