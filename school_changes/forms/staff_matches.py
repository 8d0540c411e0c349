"""The local authority's review of proposed staff matches, and the Hwb team's return note.

The forms check what the officer sent against what each row offered; the merger services check
it all again and decide.
"""

from django import forms
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from school_changes.selectors.staff_matches import ReviewRow
from school_changes.services.staff_matches import NOTE_MAX

DO_NOT_MOVE = "none"


def row_field_name(row: ReviewRow) -> str:
    return f"row-{row.match.pk}"


def record_value(record_id: int) -> str:
    return f"record-{record_id}"


class StaffMatchReviewForm(forms.Form):
    """One choice per row: a record it offered, or Do not move this account.

    Sure rows start on their record and rows without a match on Do not move; doubtful rows and
    clashes start empty, so the officer must choose. Submit needs every row chosen and no record
    chosen twice; Save keeps whatever is chosen so far.
    """

    version = forms.CharField(widget=forms.HiddenInput, max_length=64)

    def __init__(self, *args, rows: list[ReviewRow], version: str, **kwargs):
        super().__init__(*args, **kwargs)
        self.rows = rows
        self.version = version
        self.fields["version"].initial = version
        for row in rows:
            match = row.match
            choices = [(record_value(record.pk), str(record.pk)) for record, _score in row.options]
            choices.append((DO_NOT_MOVE, gettext("Do not move this account")))
            if match.decision == match.Decision.PENDING:
                initial = ""
            elif match.record_id:
                initial = record_value(match.record_id)
            else:
                initial = DO_NOT_MOVE
            self.fields[row_field_name(row)] = forms.ChoiceField(
                choices=choices,
                required=False,
                initial=initial,
                widget=forms.RadioSelect,
                error_messages={
                    "invalid_choice": _(
                        "That staff record was not offered for this account. Choose one of "
                        "the records listed, or Do not move this account."
                    )
                },
            )

    def clean_version(self) -> str:
        if self.cleaned_data["version"] != self.version:
            raise forms.ValidationError(
                _(
                    "The matches were proposed again after you opened this page, so nothing "
                    "was saved. Review the new proposals below."
                ),
                code="stale",
            )
        return self.cleaned_data["version"]

    @property
    def is_stale(self) -> bool:
        return self.is_bound and "version" in self.errors

    @property
    def submitting(self) -> bool:
        return self.data.get("action") == "submit"

    @property
    def confirmed(self) -> bool:
        """Submit was pressed on the confirmation page, not on the review page."""
        return self.data.get("confirmed") == "yes"

    @property
    def undecided_count(self) -> int:
        """Rows with nothing chosen yet (doubtful matches and clashes, until chosen)."""
        return sum(1 for row in self.rows if not str(self[row_field_name(row)].value() or ""))

    def hidden_choices(self) -> list[tuple[str, str]]:
        """Each row's choice as (field name, value), for the confirmation page to carry."""
        return [
            (row_field_name(row), self.cleaned_data.get(row_field_name(row)) or "")
            for row in self.rows
        ]

    def summary(self) -> dict[str, int]:
        """How many accounts the chosen list moves, and how many it leaves."""
        chosen = self.choices()
        move = sum(1 for record in chosen.values() if record is not None)
        return {"move": move, "stay": len(self.rows) - move}

    def bound_rows(self) -> list[dict]:
        """Each row with its field and its radio options, ready for the template."""
        shown = []
        for row in self.rows:
            name = row_field_name(row)
            field = self[name]
            current = str(field.value() or "")
            options = [
                {
                    "value": record_value(record.pk),
                    "id": f"id_{name}_{number}",
                    "record": record,
                    "score": score,
                    "proposed": record.pk == row.match.proposed_record_id,
                    "checked": current == record_value(record.pk),
                }
                for number, (record, score) in enumerate(row.options)
            ]
            shown.append(
                {
                    "row": row,
                    "match": row.match,
                    "name": name,
                    "field": field,
                    "options": options,
                    "none_id": f"id_{name}_{len(options)}",
                    "none_checked": current == DO_NOT_MOVE,
                    "current": current,
                    "first_id": f"id_{name}_0",
                }
            )
        return shown

    def choices(self) -> dict[int, int | None]:
        """Row id -> chosen record id (None: do not move); undecided rows are left out."""
        chosen = {}
        for row in self.rows:
            value = self.cleaned_data.get(row_field_name(row)) or ""
            if value == DO_NOT_MOVE:
                chosen[row.match.pk] = None
            elif value.startswith("record-"):
                chosen[row.match.pk] = int(value.removeprefix("record-"))
        return chosen

    def clean(self):
        cleaned = super().clean()
        if not self.submitting:
            return cleaned
        for row in self.rows:
            name = row_field_name(row)
            if name in cleaned and not cleaned[name]:
                self.add_error(
                    name,
                    gettext("Choose a staff record for %(username)s, or Do not move this account")
                    % {"username": row.match.account_username},
                )
        chosen_by: dict[str, ReviewRow] = {}
        for row in self.rows:
            value = cleaned.get(row_field_name(row)) or ""
            if not value.startswith("record-"):
                continue
            if value in chosen_by:
                first = chosen_by[value]
                record = next(r for r, _s in row.options if record_value(r.pk) == value)
                message = gettext(
                    "%(first)s and %(second)s are both matched to %(name)s (staff code "
                    "%(code)s). One record belongs to one person: choose another record for "
                    "one of them, or Do not move this account"
                ) % {
                    "first": first.match.account_username,
                    "second": row.match.account_username,
                    "name": f"{record.forename} {record.surname}",
                    "code": record.staff_code,
                }
                self.add_error(row_field_name(row), message)
            else:
                chosen_by[value] = row
        return cleaned


class ReturnNoteForm(forms.Form):
    """The Hwb team's note when a list goes back to the local authority."""

    note = forms.CharField(
        label=_("Note to the local authority"),
        help_text=_("Say what they should change. They see it on the list and in an email."),
        max_length=NOTE_MAX,
        widget=forms.Textarea(attrs={"rows": 4}),
        error_messages={
            "required": _("Write a note saying what the local authority should change")
        },
    )
