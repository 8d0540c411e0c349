"""The local authority's notice forms: they read and tidy input; school_changes.rules decide."""

from datetime import date

from django import forms
from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts.models import User
from core.forms import GovukDateField
from core.text import text_clean
from school_changes.models import SchoolNotice
from school_changes.rules import (
    NAME_MAX,
    NOTE_MAX,
    SCHOOLS_MAX,
    NoticeFields,
    notice_problems,
)
from school_changes.selectors.notices import schools_for_officer
from schools.identifiers import dfes_number_problem, is_valid_dfes_number, normalise_dfes_number
from schools.models import School

Kind = SchoolNotice.Kind
NEW_SCHOOL_CHOICE = "new"


def _example_date(month: int, day: int) -> str:
    """A date hint in the future: the next such day (1 9, the start of a school year), typed as
    the date fields take it ("1 9 2027")."""
    today = timezone.localdate()
    year = today.year if (month, day) > (today.month, today.day) else today.year + 1
    return f"{day} {month} {year}"


class SchoolChoices(forms.ModelMultipleChoiceField):
    def label_from_instance(self, school: School) -> str:
        return f"{school.name} ({school.dfes_number})"


class SchoolChoice(forms.ModelChoiceField):
    def label_from_instance(self, school: School) -> str:
        return f"{school.name} ({school.dfes_number})"


# --- The forms ------------------------------------------------------------------------------------


def _blank(field: forms.Field):
    """What a field holds when it has no valid value (for rules judging the rest)."""
    if isinstance(field, forms.MultipleChoiceField | forms.ModelMultipleChoiceField):
        return []
    if isinstance(field, forms.CharField | forms.ChoiceField) and not isinstance(
        field, forms.ModelChoiceField
    ):
        return ""
    return None


class NoticeForm(forms.Form):
    """What every notice has; each kind adds its own fields. ``officer`` is who sends it."""

    kind: str = ""
    # Fields the service's problems name, mapped onto this form's fields.
    field_map: dict[str, str] = {}

    effective_date = GovukDateField(label=_("Date"))
    notes = forms.CharField(
        label=_("Anything else the Hwb team should know (optional)"),
        required=False,
        max_length=NOTE_MAX,
        error_messages={"max_length": _("Write notes of up to 2,000 characters")},
        widget=forms.Textarea(attrs={"rows": 4}),
    )

    def __init__(self, *args, officer: User, today: date | None = None, **kwargs):
        self.officer = officer
        self.today = today
        super().__init__(*args, **kwargs)

    def clean_notes(self) -> str:
        return text_clean(self.cleaned_data["notes"])

    def notice_fields(self, **kind_fields) -> NoticeFields:
        """The notice as the service takes it: what every kind has, and ``kind_fields``."""
        data = self.cleaned_data
        return NoticeFields(
            kind=self.kind,
            effective_date=data["effective_date"],
            notes=data["notes"],
            **kind_fields,
        )

    def clean(self):
        """Every problem at once: the fields' own errors, and the service's rules over whatever
        the other fields hold (a field with an error of its own is not told twice)."""
        cleaned = super().clean()
        invalid = set(self.errors)
        valid_data = self.cleaned_data
        self.cleaned_data = {
            name: cleaned.get(name, _blank(field)) for name, field in self.fields.items()
        }
        try:
            fields = self.notice_fields()
        finally:
            self.cleaned_data = valid_data
        for problem in notice_problems(officer=self.officer, fields=fields, today=self.today):
            target = self.field_map.get(problem.field, problem.field)
            if target in invalid:
                continue
            self.add_error(target if target in self.fields else None, str(problem))
        if not self.errors:
            cleaned["notice_fields"] = fields
        return cleaned


class NewSchoolFieldsMixin(forms.Form):
    new_school_name = forms.CharField(
        label=_("School name in English"),
        max_length=NAME_MAX,
        required=False,
        error_messages={"max_length": _("Enter a name of up to 200 characters")},
    )
    new_school_name_cy = forms.CharField(
        label=_("School name in Welsh (optional)"),
        max_length=NAME_MAX,
        required=False,
        error_messages={"max_length": _("Enter a name of up to 200 characters")},
    )
    proposed_dfes_number = forms.CharField(
        label=_("Proposed DfES number (optional)"),
        help_text=_("7 digits starting with your authority's number, if it has been given one."),
        max_length=9,
        required=False,
        error_messages={"max_length": _("Enter a DfES number of 7 digits, like 6612345")},
        widget=forms.TextInput(attrs={"inputmode": "numeric", "autocomplete": "off"}),
    )
    phase = forms.ChoiceField(
        label=_("Phase"),
        choices=[("", _("Choose a phase")), *School.Phase.choices],
        required=False,
    )

    def clean_new_school_name(self) -> str:
        return text_clean(self.cleaned_data["new_school_name"])

    def clean_new_school_name_cy(self) -> str:
        return text_clean(self.cleaned_data["new_school_name_cy"])

    def clean_proposed_dfes_number(self) -> str:
        dfes_number = normalise_dfes_number(self.cleaned_data["proposed_dfes_number"].strip())
        if not dfes_number:
            return ""
        if len(dfes_number) != 7 or not dfes_number.isdigit():
            raise ValidationError(
                _("Enter a DfES number of 7 digits, like 6612345, or leave it blank")
            )
        problem = dfes_number_problem(dfes_number)  # "123 is not a Welsh local authority's…"
        if problem:
            raise ValidationError(problem)
        return dfes_number


class ContactFieldsMixin(forms.Form):
    contact_name = forms.CharField(
        label=_("Contact name"),
        max_length=NAME_MAX,
        required=False,
        error_messages={"max_length": _("Enter a name of up to 200 characters")},
        widget=forms.TextInput(attrs={"autocomplete": "name"}),
    )
    contact_email = forms.EmailField(
        label=_("Contact email address"),
        max_length=254,
        required=False,
        error_messages={
            "invalid": _("Enter an email address like name@example.org"),
            "max_length": _("Enter an email address of up to 254 characters"),
        },
        widget=forms.EmailInput(attrs={"autocomplete": "email", "spellcheck": "false"}),
    )
    contact_phone = forms.CharField(
        label=_("Contact telephone (optional)"),
        max_length=40,
        required=False,
        error_messages={"max_length": _("Enter a telephone number of up to 40 characters")},
        widget=forms.TextInput(attrs={"autocomplete": "tel", "inputmode": "tel"}),
    )

    def clean_contact_name(self) -> str:
        return text_clean(self.cleaned_data["contact_name"])

    def clean_contact_phone(self) -> str:
        phone = text_clean(self.cleaned_data["contact_phone"])
        if phone and not all(char.isdigit() or char in " +()-" for char in phone):
            raise ValidationError(_("Enter a telephone number, like 01248 123456"))
        return phone


class NewSchoolNoticeForm(NoticeForm, NewSchoolFieldsMixin, ContactFieldsMixin):
    kind = Kind.NEW_SCHOOL
    field_order = [
        "new_school_name",
        "new_school_name_cy",
        "proposed_dfes_number",
        "phase",
        "effective_date",
        "contact_name",
        "contact_email",
        "contact_phone",
        "notes",
    ]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["effective_date"].label = _("Opening date")
        self.fields["effective_date"].error_messages["required"] = _(
            "Enter the date the school opens"
        )
        self.fields["effective_date"].help_text = _("For example, %(date)s") % {
            "date": _example_date(9, 1)
        }

    def notice_fields(self) -> NoticeFields:
        data = self.cleaned_data
        return super().notice_fields(
            new_school_name=data["new_school_name"],
            new_school_name_cy=data["new_school_name_cy"],
            proposed_dfes_number=data["proposed_dfes_number"],
            phase=data["phase"],
            contact_name=data["contact_name"],
            contact_email=data["contact_email"],
            contact_phone=data["contact_phone"],
        )


class MergerNoticeForm(NoticeForm, NewSchoolFieldsMixin, ContactFieldsMixin):
    kind = Kind.MERGER
    field_order = [
        "merging_schools",
        "continuing",
        "new_school_name",
        "new_school_name_cy",
        "proposed_dfes_number",
        "phase",
        "effective_date",
        "contact_name",
        "contact_email",
        "contact_phone",
        "notes",
    ]
    field_map = {"continuing_school": "continuing"}

    merging_schools = SchoolChoices(
        label=_("Which schools are merging?"),
        help_text=_("Select all that apply. Only your authority's open schools are listed."),
        queryset=School.objects.none(),
        widget=forms.CheckboxSelectMultiple,
        error_messages={
            "required": _("Choose at least two schools that are merging"),
            "invalid_choice": _("Choose only your authority's open schools"),
            "invalid_pk_value": _("Choose only your authority's open schools"),
        },
    )
    continuing = forms.ChoiceField(
        label=_("What will the merged school be?"),
        widget=forms.RadioSelect,
        error_messages={
            "required": _("Choose whether the merged school is a new school or one that continues"),
            "invalid_choice": _(
                "Choose whether the merged school is a new school or one that continues"
            ),
        },
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        schools = list(_open_schools(self.officer))
        self.fields["merging_schools"].queryset = _open_schools(self.officer)
        self.fields["continuing"].choices = [
            (NEW_SCHOOL_CHOICE, _("A new school")),
            *(
                (str(school.pk), _("%(school)s continues") % {"school": school.name})
                for school in schools
            ),
        ]
        self._schools = {str(school.pk): school for school in schools}
        self.fields["effective_date"].label = _("Date of the merger")
        self.fields["effective_date"].help_text = _(
            "The day the merged school opens, for example %(date)s"
        ) % {"date": _example_date(9, 1)}
        self.fields["effective_date"].error_messages["required"] = _("Enter the date of the merger")
        self.fields["contact_name"].label = _("Contact name (optional)")
        self.fields["contact_email"].label = _("Contact email address (optional)")

    def clean_merging_schools(self):
        schools = self.cleaned_data["merging_schools"]
        if len(schools) < 2:
            raise ValidationError(_("Choose at least two schools that are merging"))
        if len(schools) > SCHOOLS_MAX:
            raise ValidationError(
                _("A notice can name at most %(max)d schools.") % {"max": SCHOOLS_MAX}
            )
        return schools

    def notice_fields(self) -> NoticeFields:
        data = self.cleaned_data
        continuing = self._schools.get(data["continuing"])
        return super().notice_fields(
            new_school_name=data["new_school_name"] if continuing is None else "",
            new_school_name_cy=data["new_school_name_cy"] if continuing is None else "",
            proposed_dfes_number=data["proposed_dfes_number"] if continuing is None else "",
            phase=data["phase"] if continuing is None else "",
            contact_name=data["contact_name"],
            contact_email=data["contact_email"],
            contact_phone=data["contact_phone"],
            merging_schools=list(data["merging_schools"]),
            continuing_school=continuing,
        )


class ClosureNoticeForm(NoticeForm):
    kind = Kind.CLOSURE
    field_order = ["closing_school", "effective_date", "receiving_schools", "notes"]
    field_map = {"closing_school": "closing_school"}

    closing_school = SchoolChoice(
        label=_("Which school is closing?"),
        queryset=School.objects.none(),
        empty_label=_("Choose a school"),
        error_messages={
            "required": _("Choose the school that is closing"),
            "invalid_choice": _("Choose one of your authority's open schools"),
        },
    )
    receiving_schools = forms.CharField(
        label=_("Schools its staff and learners go to"),
        help_text=_("Their DfES numbers, one on each line, for example 6612001."),
        max_length=SCHOOLS_MAX * 12,
        error_messages={
            "required": _(
                "Enter the DfES number of at least one school its staff and learners go to"
            ),
            "max_length": _("Enter at most %(max)d receiving schools.") % {"max": SCHOOLS_MAX},
        },
        widget=forms.Textarea(attrs={"rows": 4, "spellcheck": "false", "inputmode": "numeric"}),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["closing_school"].queryset = _open_schools(self.officer)
        self.fields["effective_date"].label = _("Closing date")
        self.fields["effective_date"].help_text = _(
            "The day the school closes, for example %(date)s"
        ) % {"date": _example_date(8, 31)}
        self.fields["effective_date"].error_messages["required"] = _(
            "Enter the date the school closes"
        )

    def clean_receiving_schools(self) -> list[School]:
        numbers = []
        for line in self.cleaned_data["receiving_schools"].splitlines():
            number = normalise_dfes_number(line.strip())
            if number and number not in numbers:
                numbers.append(number)
        if not numbers:
            raise ValidationError(self.fields["receiving_schools"].error_messages["required"])
        if len(numbers) > SCHOOLS_MAX:
            raise ValidationError(
                _("Enter at most %(max)d receiving schools.") % {"max": SCHOOLS_MAX}
            )
        bad = [number for number in numbers if not is_valid_dfes_number(number)]
        if bad and len(bad[0]) == 7 and bad[0].isdigit():
            raise ValidationError(f"“{bad[0]}”: {dfes_number_problem(bad[0])}")
        if bad:
            raise ValidationError(
                _("“%(value)s” is not a DfES number: enter 7 digits on each line, like 6612001")
                % {"value": bad[0][:20]}
            )
        schools = {
            school.dfes_number: school
            for school in School.objects.filter(dfes_number__in=numbers).select_related(
                "local_authority"
            )
        }
        unknown = [number for number in numbers if number not in schools]
        if unknown:
            raise ValidationError(
                _("No school in Hwb has the DfES number %(dfes)s: check it and try again")
                % {"dfes": unknown[0]}
            )
        return [schools[number] for number in numbers]

    def notice_fields(self) -> NoticeFields:
        data = self.cleaned_data
        return super().notice_fields(
            merging_schools=[data["closing_school"]] if data["closing_school"] else [],
            receiving_schools=data["receiving_schools"],
        )


def _open_schools(officer: User):
    return schools_for_officer(officer).select_related("local_authority")


NOTICE_FORMS: dict[str, type[NoticeForm]] = {
    "new-school": NewSchoolNoticeForm,
    "merger": MergerNoticeForm,
    "closure": ClosureNoticeForm,
}
