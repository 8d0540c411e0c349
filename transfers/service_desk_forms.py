"""Service-desk forms: they validate input; transfers.service_desk decides and writes."""

from django import forms
from django.core.validators import RegexValidator
from django.utils.translation import gettext_lazy as _

from accounts.models import User
from schools.selectors import school_by_dfes_number

from .service_desk import (
    NAME_MAX,
    NOTE_MAX,
    STATEMENT_MAX,
    ServiceDeskError,
    authorisation_document_check,
    service_desk_previous_account,
)
from .services import TransferError, transfer_lookup_allowed

DFES_FORMAT = _("Enter the DfES number as 7 digits, like 6612001")


def _dfes_number_field(label, required_message) -> forms.CharField:
    return forms.CharField(
        label=label,
        help_text=_(
            "7 digits, for example 6612001. Find it in the Address List of Schools on the "
            "Welsh Government website."
        ),
        max_length=7,
        min_length=7,
        validators=[RegexValidator(r"^\d{7}\Z", DFES_FORMAT)],
        error_messages={
            "required": required_message,
            "min_length": DFES_FORMAT,
            "max_length": DFES_FORMAT,
        },
        widget=forms.TextInput(
            attrs={
                "autocomplete": "off",
                "inputmode": "numeric",
                "spellcheck": "false",
                "data-dfes-lookup": "previous-school-name",
            }
        ),
    )


def _username_widget() -> forms.TextInput:
    return forms.TextInput(
        attrs={"autocomplete": "off", "autocapitalize": "none", "spellcheck": "false"}
    )


class PreviousAccountForm(forms.Form):
    """Step 1 of 2: the previous organisation, the existing username there, and a note.

    ``count_lookup`` is true only when the member of staff sends this step (the attempt counts
    against Account Transfer's hourly limit on look-ups); re-checking it later does not count.
    """

    dfes_number = _dfes_number_field(
        _("Previous organisation's DfES number"),
        _("Enter your previous organisation's DfES number"),
    )
    previous_username = forms.CharField(
        label=_("Your existing Hwb username"),
        help_text=_("The username of the account you want to keep at your new school."),
        max_length=64,
        error_messages={
            "required": _("Enter your existing Hwb username"),
            "max_length": _("A Hwb username has up to 64 characters"),
        },
        widget=_username_widget(),
    )
    note = forms.CharField(
        label=_("Anything the service desk should know (optional)"),
        help_text=_("For example your role there, or who can confirm you worked there."),
        max_length=NOTE_MAX,
        required=False,
        error_messages={"max_length": _("Write a note of up to 2,000 characters")},
        widget=forms.Textarea(attrs={"rows": 5}),
    )

    def __init__(self, *args, requester: User, count_lookup: bool = False, **kwargs):
        self.requester = requester
        self.count_lookup = count_lookup
        super().__init__(*args, **kwargs)

    def clean_dfes_number(self) -> str:
        return self.cleaned_data["dfes_number"].strip()

    def clean_previous_username(self) -> str:
        return self.cleaned_data["previous_username"].strip().lower()

    def clean(self):
        cleaned = super().clean()
        dfes_number = cleaned.get("dfes_number")
        username = cleaned.get("previous_username")
        if not dfes_number or not username:
            return cleaned
        if self.count_lookup and not transfer_lookup_allowed(requester=self.requester):
            raise forms.ValidationError(
                _(
                    "You have made too many attempts to find your existing account. "
                    "Try again in an hour."
                ),
                code="rate_limited",
            )
        school = school_by_dfes_number(dfes_number)
        school_is_wrong = school is None or school.pk == self.requester.school_id
        try:
            account = service_desk_previous_account(
                requester=self.requester, previous_school=school, previous_username=username
            )
        except ServiceDeskError as error:  # our own rules: about both accounts
            raise forms.ValidationError(str(error), code="rule") from None
        except TransferError as error:  # which account: point at the field to put right
            self.add_error("dfes_number" if school_is_wrong else "previous_username", str(error))
            return cleaned
        cleaned["previous_school"] = school
        cleaned["previous_account"] = account
        return cleaned


class CheckAnswersForm(forms.Form):
    """Step 2 of 2: nothing to fill in; sending it is the Submit."""


class AuthorisationForm(forms.Form):
    """The previous organisation's written answer, on the page its emailed link opens."""

    AUTHORISE = "authorise"
    DECLINE = "decline"

    full_name = forms.CharField(
        label=_("Your full name"),
        max_length=NAME_MAX,
        error_messages={
            "required": _("Enter your full name"),
            "max_length": _("Enter a name of up to 200 characters"),
        },
        widget=forms.TextInput(attrs={"autocomplete": "name", "spellcheck": "false"}),
    )
    role = forms.CharField(
        label=_("Your role"),
        help_text=_("For example Headteacher, or Head of HR at the local authority."),
        max_length=NAME_MAX,
        error_messages={
            "required": _("Enter your role"),
            "max_length": _("Enter a role of up to 200 characters"),
        },
        widget=forms.TextInput(attrs={"autocomplete": "organization-title"}),
    )
    decision = forms.ChoiceField(
        label=_("Your answer"),
        choices=[
            (AUTHORISE, _("I authorise the move of this account")),
            (DECLINE, _("I decline: the account stays where it is")),
        ],
        widget=forms.RadioSelect,
        error_messages={"required": _("Choose whether you authorise or decline")},
    )
    statement = forms.CharField(
        label=_("Your written statement"),
        help_text=_(
            "Say why you authorise or decline, for example that the person worked at your "
            "organisation and the account and its content may go with them. Up to 4,000 "
            "characters."
        ),
        max_length=STATEMENT_MAX,
        error_messages={
            "required": _("Write your statement"),
            "max_length": _("Write a statement of up to 4,000 characters"),
        },
        widget=forms.Textarea(attrs={"rows": 6}),
    )
    declared = forms.BooleanField(
        label=_(
            "I confirm that I may answer for this organisation and that what I have written is true"
        ),
        error_messages={"required": _("Tick the box to confirm the declaration")},
    )

    def clean_full_name(self) -> str:
        return self.cleaned_data["full_name"].strip()

    def clean_role(self) -> str:
        return self.cleaned_data["role"].strip()

    def clean_statement(self) -> str:
        return self.cleaned_data["statement"].strip()


# --- The Hwb team's forms in the admin ------------------------------------------------------------


class DeskRaiseForm(forms.Form):
    """The Hwb team raising a request on someone's behalf (the member of staff's rules)."""

    requester_username = forms.CharField(
        label=_("Their new account's username (at the new school)"),
        max_length=64,
        widget=_username_widget(),
    )
    dfes_number = _dfes_number_field(
        _("Previous organisation's DfES number"),
        _("Enter the previous organisation's DfES number"),
    )
    previous_username = forms.CharField(
        label=_("Their existing Hwb username"), max_length=64, widget=_username_widget()
    )
    note = forms.CharField(
        label=_("Note (optional)"),
        max_length=NOTE_MAX,
        required=False,
        widget=forms.Textarea(attrs={"rows": 4}),
    )

    def clean_requester_username(self) -> User:
        username = self.cleaned_data["requester_username"].strip().lower()
        requester = User.objects.select_related("school").filter(username=username).first()
        if requester is None:
            raise forms.ValidationError(_("No account has this username."))
        return requester


class DeskAskForm(forms.Form):
    """Whom to ask for written authorisation: the default, or an address the desk types."""

    email = forms.EmailField(
        label=_("Send to another address instead (optional)"),
        help_text=_(
            "Leave empty to send to the previous school's headteacher (or its local "
            "authority's officers when it has none)."
        ),
        max_length=254,
        required=False,
    )


class DeskRecordForm(forms.Form):
    """An authorisation (or refusal) received another way, with its document."""

    decision = forms.ChoiceField(
        label=_("The previous organisation's answer"),
        choices=[
            (AuthorisationForm.AUTHORISE, _("Authorised")),
            (AuthorisationForm.DECLINE, _("Declined")),
        ],
        widget=forms.RadioSelect,
    )
    full_name = forms.CharField(label=_("Name of whoever answered"), max_length=NAME_MAX)
    role = forms.CharField(label=_("Their role"), max_length=NAME_MAX)
    statement = forms.CharField(
        label=_("Their statement"),
        max_length=STATEMENT_MAX,
        widget=forms.Textarea(attrs={"rows": 5}),
    )
    document = forms.FileField(
        label=_("The document (PDF, PNG or JPEG)"),
        help_text=_("Checked by its contents, not its name."),
    )

    def clean_document(self):
        document = self.cleaned_data["document"]
        try:
            authorisation_document_check(document)
        except ServiceDeskError as error:
            raise forms.ValidationError(str(error)) from None
        return document
