"""The Account Transfer wizard's steps: they validate input; the services decide and write."""

from django import forms
from django.core.validators import RegexValidator
from django.utils.translation import gettext_lazy as _

from accounts.models import User
from schools.selectors import school_by_dfes_number

from .services import (
    MESSAGE_MAX,
    TransferError,
    transfer_lookup_allowed,
    transfer_previous_account,
    transfer_rules_check,
)


class PreviousSchoolForm(forms.Form):
    """Step 1 of 3: which school, and which account there.

    ``count_lookup`` is true only when the member of staff sends this step: then the attempt
    counts against the hourly limit. Checking the step again later (the next steps, Submit)
    re-checks the rules without counting, as it can only be data that passed once.
    """

    dfes_number = forms.CharField(
        label=_("Previous School DfES Number"),
        help_text=_(
            "7 digits, for example 6612001. A digital champion at your new school can tell you, "
            "or find it in the Address List of Schools on the Welsh Government website."
        ),
        max_length=7,
        min_length=7,
        validators=[
            RegexValidator(r"^\d{7}\Z", _("Enter the DfES number as 7 digits, like 6612001"))
        ],
        error_messages={
            "required": _("Enter your previous school's DfES number"),
            "min_length": _("Enter the DfES number as 7 digits, like 6612001"),
            "max_length": _("Enter the DfES number as 7 digits, like 6612001"),
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
    previous_username = forms.CharField(
        label=_("Previous School Hwb Username"),
        help_text=_("The username of the account you want to bring to your new school."),
        max_length=64,
        error_messages={"required": _("Enter your Hwb username at your previous school")},
        widget=forms.TextInput(
            attrs={"autocomplete": "off", "autocapitalize": "none", "spellcheck": "false"}
        ),
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
                    "You have made too many attempts to find your previous account. "
                    "Try again in an hour."
                ),
                code="rate_limited",
            )
        school = school_by_dfes_number(dfes_number)
        school_is_wrong = school is None or school.pk == self.requester.school_id
        try:
            account = transfer_previous_account(
                requester=self.requester, previous_school=school, previous_username=username
            )
        except TransferError as error:
            # Point the error at the field to put right (the DfES number or the username).
            self.add_error("dfes_number" if school_is_wrong else "previous_username", str(error))
            return cleaned
        try:
            transfer_rules_check(
                requester=self.requester,
                previous_school=school,
                previous_account=account,
                new_request=True,
            )
        except TransferError as error:
            raise forms.ValidationError(str(error), code="rule") from None
        cleaned["previous_school"] = school
        cleaned["previous_account"] = account
        return cleaned


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


class CheckAnswersForm(forms.Form):
    """Step 3 of 3: nothing to fill in; sending it is the Submit."""
