"""The Account Transfer wizard's steps: they validate input; the services decide and write."""

from django import forms
from django.core.exceptions import ValidationError
from django.core.validators import RegexValidator
from django.utils.translation import gettext_lazy as _

from accounts.models import User
from core.text import text_clean
from schools.selectors import school_by_dfes_number

from .models import TransferRequest
from .rules import (
    TransferError,
    transfer_lookup_allowed,
    transfer_previous_account,
    transfer_rules_check,
)
from .services import (
    MESSAGE_MAX,
)

DFES_FORMAT = _("Enter the DfES number as 7 digits, like 6612001")


class DfesNumberField(forms.CharField):
    """A CharField whose checks that fail for the same reason say it once ("12345" is both too
    short and not 7 digits: one message, not the same message twice)."""

    def run_validators(self, value):
        try:
            super().run_validators(value)
        except ValidationError as error:
            raise ValidationError(list(dict.fromkeys(error.messages))) from None


def dfes_number_field(*, required_message=None, **kwargs) -> forms.CharField:
    """A 7-digit DfES number, whose school's name the page's script shows as it is typed."""
    messages = {"min_length": DFES_FORMAT, "max_length": DFES_FORMAT}
    if required_message:
        messages["required"] = required_message
    return DfesNumberField(
        max_length=7,
        min_length=7,
        validators=[RegexValidator(r"^\d{7}\Z", DFES_FORMAT)],
        error_messages=messages,
        widget=forms.TextInput(
            attrs={
                "autocomplete": "off",
                "inputmode": "numeric",
                "spellcheck": "false",
                "data-dfes-lookup": "previous-school-name",
            }
        ),
        **kwargs,
    )


def username_widget() -> forms.TextInput:
    return forms.TextInput(
        attrs={"autocomplete": "off", "autocapitalize": "none", "spellcheck": "false"}
    )


class PreviousAccountLookupForm(forms.Form):
    """Which school, and which account there: the first step of Account Transfer and of a
    service-desk request. Subclasses name the fields in their own words and say which rules
    decide (``account_find``); errors about which account point at the field to put right.

    ``count_lookup`` is true only when the member of staff sends this step: then the attempt
    counts against the hourly limit. Checking the step again later (the next steps, Submit)
    re-checks the rules without counting, as it can only be data that passed once.
    """

    dfes_label = _("Previous School DfES Number")
    dfes_help = _(
        "7 digits, for example 6612001. A digital champion at your new school can tell you, "
        "or find it in the Address List of Schools on the Welsh Government website."
    )
    dfes_required = _("Enter your previous school's DfES number")
    username_label = _("Previous School Hwb Username")
    username_help = _("The username of the account you want to bring to your new school.")
    username_required = _("Enter your Hwb username at your previous school")
    too_many_attempts = _(
        "You have made too many attempts to find your previous account. Try again in an hour."
    )

    dfes_number = dfes_number_field()
    previous_username = forms.CharField(
        max_length=64,
        error_messages={"max_length": _("A Hwb username has up to 64 characters")},
        widget=username_widget(),
    )

    def __init__(self, *args, requester: User, count_lookup: bool = False, **kwargs):
        self.requester = requester
        self.count_lookup = count_lookup
        super().__init__(*args, **kwargs)
        dfes, username = self.fields["dfes_number"], self.fields["previous_username"]
        dfes.label, dfes.help_text = self.dfes_label, self.dfes_help
        dfes.error_messages["required"] = self.dfes_required
        username.label, username.help_text = self.username_label, self.username_help
        username.error_messages["required"] = self.username_required

    def account_find(self, *, school, username: str) -> User:
        """The account, or TransferError about which account (shown at a field), or one of
        ``form_errors`` about both accounts (shown above the form). Subclasses add their own
        rules to Account Transfer's choice of account."""
        return transfer_previous_account(
            requester=self.requester, previous_school=school, previous_username=username
        )

    form_errors: tuple[type[Exception], ...] = ()

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
            raise forms.ValidationError(self.too_many_attempts, code="rate_limited")
        school = school_by_dfes_number(dfes_number)
        school_is_wrong = school is None or school.pk == self.requester.school_id
        try:
            account = self.account_find(school=school, username=username)
        except self.form_errors as error:
            raise forms.ValidationError(str(error), code="rule") from None
        except TransferError as error:
            self.add_error("dfes_number" if school_is_wrong else "previous_username", str(error))
            return cleaned
        cleaned["previous_school"] = school
        cleaned["previous_account"] = account
        return cleaned


class PreviousSchoolForm(PreviousAccountLookupForm):
    """Step 1 of 3 of Account Transfer: which school, and which account there."""

    class RuleError(Exception):
        """A transfer rule about both accounts, shown above the form."""

    form_errors = (RuleError,)

    def account_find(self, *, school, username: str) -> User:
        account = super().account_find(school=school, username=username)
        try:
            transfer_rules_check(
                requester=self.requester,
                previous_school=school,
                previous_account=account,
                new_request=True,
            )
        except TransferError as error:
            raise self.RuleError(str(error)) from None
        return account


class MessageForm(forms.Form):
    """Step 2 of 3: the note to whoever decides, and the tick to confirm who that is."""

    message = forms.CharField(
        label=_("Message to the headteacher of your previous school"),
        help_text=_("You can change this message. Up to 2,000 characters."),
        max_length=MESSAGE_MAX,
        error_messages={
            "required": _("Write a message to the headteacher"),
            "max_length": _("Write a message of up to 2,000 characters"),
        },
        widget=forms.Textarea(attrs={"rows": 10}),
    )
    headteacher_confirmed = forms.BooleanField(
        label=_("I confirm that these are the headteacher's details of my previous school"),
        error_messages={"required": _("Tick the box to confirm the headteacher's details")},
    )

    def __init__(self, *args, to_local_authority: bool = False, **kwargs):
        super().__init__(*args, **kwargs)
        self.to_local_authority = to_local_authority
        if to_local_authority:
            self.fields["message"].label = _("Message to the local authority")
            self.fields["message"].error_messages["required"] = _(
                "Write a message to the local authority"
            )
            self.fields["headteacher_confirmed"].label = _(
                "I confirm that my request goes to the local authority of my previous school"
            )
            self.fields["headteacher_confirmed"].error_messages["required"] = _(
                "Tick the box to confirm who decides your request"
            )

    def clean_message(self) -> str:
        # Stored as notices are: no invisible characters (a message of only those is empty).
        message = text_clean(self.cleaned_data["message"])
        if not message:
            raise forms.ValidationError(
                self.fields["message"].error_messages["required"], code="required"
            )
        return message


class CheckAnswersForm(forms.Form):
    """Step 3 of 3: nothing to fill in; sending it is the Submit."""


class DecisionForm(forms.Form):
    """The decider's answer: the button pressed (Approve or Reject) and, when the two schools'
    MIS records do not show for sure that the person asking holds the account, the tick that
    they have checked it is the same person (the service refuses an approval without it)."""

    decision = forms.ChoiceField(
        choices=[("approve", _("Approve")), ("reject", _("Reject"))],
        error_messages={
            "required": _("Choose Approve or Reject."),
            "invalid_choice": _("Choose Approve or Reject."),
        },
    )
    same_person = forms.BooleanField(required=False)
    reason = forms.CharField(
        label=_("If you reject it, why? (optional)"),
        help_text=_("The member of staff sees this. Leave it empty if you approve."),
        required=False,
        max_length=500,
        widget=forms.Textarea(attrs={"rows": 3}),
        error_messages={
            "max_length": _("Write your reason in %(limit_value)d characters or fewer.")
        },
    )

    def __init__(self, *args, transfer: TransferRequest, **kwargs):
        kwargs.setdefault("auto_id", "%s")  # ids the error summary links to: #decision, ...
        super().__init__(*args, **kwargs)
        requester = transfer.requester
        self.fields["same_person"].label = _(
            "I have checked that %(requester)s, who asks, is %(holder)s, the holder of the "
            "account %(username)s"
        ) % {
            "requester": requester.get_full_name() if requester else transfer.requester_username,
            "holder": transfer.holder_name,
            "username": transfer.previous_username,
        }
