"""Service-desk forms: they validate input; service_desk.services decides and writes."""

from django import forms
from django.utils.translation import gettext_lazy as _

from accounts.models import User
from transfers.forms import PreviousAccountLookupForm, dfes_number_field, username_widget

from .authorisation import authorisation_document_check
from .services import (
    NAME_MAX,
    NOTE_MAX,
    STATEMENT_MAX,
    ServiceDeskError,
    service_desk_previous_account,
)


class PreviousAccountForm(PreviousAccountLookupForm):
    """Step 1 of 2: the previous organisation, the existing username there, and a note."""

    dfes_label = _("Previous organisation's DfES number")
    dfes_help = _(
        "7 digits, for example 6612001. Find it in the Address List of Schools on the "
        "Welsh Government website."
    )
    dfes_required = _("Enter your previous organisation's DfES number")
    username_label = _("Your existing Hwb username")
    username_help = _("The username of the account you want to keep at your new school.")
    username_required = _("Enter your existing Hwb username")
    too_many_attempts = _(
        "You have made too many attempts to find your existing account. Try again in an hour."
    )
    # Our own rules (about both accounts) go above the form.
    form_errors = (ServiceDeskError,)

    note = forms.CharField(
        label=_("Anything the service desk should know (optional)"),
        help_text=_("For example your role there, or who can confirm you worked there."),
        max_length=NOTE_MAX,
        required=False,
        error_messages={"max_length": _("Write a note of up to 2,000 characters")},
        widget=forms.Textarea(attrs={"rows": 5}),
    )

    def account_find(self, *, school, username: str) -> User:
        return service_desk_previous_account(
            requester=self.requester, previous_school=school, previous_username=username
        )


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
        widget=username_widget(),
    )
    dfes_number = dfes_number_field(
        label=_("Previous organisation's DfES number"),
        required_message=_("Enter the previous organisation's DfES number"),
        help_text=_(
            "7 digits, for example 6612001. Find it in the Address List of Schools on the "
            "Welsh Government website."
        ),
    )
    previous_username = forms.CharField(
        label=_("Their existing Hwb username"), max_length=64, widget=username_widget()
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
