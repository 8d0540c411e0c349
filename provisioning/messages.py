"""Plain-language texts for the digital champion's Provisioning page: what is wrong with a record
the MIS sent, and who puts it right.

The API sends the short technical message of ``snapshots.MESSAGES``; people read these instead.
Each sentence stands on its own (the field is shown beside it, never spliced into it), so the
Welsh can be written as Welsh rather than assembled from English pieces.
"""

from django.utils.translation import gettext_lazy as _

# The MIS field each record problem is about, as people at a school know it.
FIELD_LABELS = {
    "": _("The whole record"),
    "upn": _("UPN"),
    "forename": _("First name"),
    "surname": _("Surname"),
    "preferred_forename": _("Preferred first name"),
    "date_of_birth": _("Date of birth"),
    "year_group": _("Year group"),
    "admission_date": _("Admission date"),
    "leaving_date": _("Leaving date"),
    "staff_code": _("Staff code"),
    "title": _("Title"),
    "work_email": _("Work email address"),
    "role": _("Role"),
    "is_headteacher": _("Headteacher"),
    "start_date": _("Start date"),
    "registration_group": _("Registration group"),
    "classes": _("Classes"),
    "previous_upn": _("Previous (temporary) UPN"),
}

# What is wrong, per error code. A code with a learner and a staff wording has both.
WHAT_IS_WRONG = {
    "not_an_object": _("Hwb could not read this record at all."),
    "required": _("This is missing. Hwb needs it to set up the account."),
    "invalid_type": _(
        "Hwb could not read this detail: it arrived in the wrong form (for example, a number "
        "where words were expected)."
    ),
    "upn_format": _(
        "This is not a UPN. A UPN has 13 characters: a capital letter, 11 digits, then a digit "
        "or a capital letter."
    ),
    "invalid_check_letter": _(
        "The UPN has a typing mistake: its first letter does not match the digits after it. "
        "Check it against the learner's paperwork or their previous school's records."
    ),
    ("duplicate", "learners"): _(
        "Another learner in the same sync has this UPN, so Hwb cannot tell them apart. Neither "
        "record was taken."
    ),
    ("duplicate", "staff"): _(
        "Another staff member in the same sync has this staff code, so Hwb cannot tell them "
        "apart. Neither record was taken."
    ),
    "invalid_date": _("This is not a real date (for example, 30 February)."),
    ("leaving_before_start", "learners"): _("The leaving date is earlier than the admission date."),
    ("leaving_before_start", "staff"): _("The leaving date is earlier than the start date."),
    "invalid_year_group": _(
        "This is not a year group Hwb knows. It must be N1, N2, R, a year from 1 to 14, or X."
    ),
    "invalid_name": _(
        "The name is empty, longer than 100 characters, or has characters that cannot be shown."
    ),
    "invalid_role": _(
        "The role must be teaching, support, governor or ITE student (a student teacher)."
    ),
    "staff_code_format": _(
        "A staff code is 1 to 10 letters or digits, with no spaces or other characters."
    ),
    "second_headteacher": _(
        "More than one current staff member is marked as the headteacher. A school has one "
        "headteacher on Hwb, so none of these records was taken."
    ),
    "invalid_email": _("This is not an email address."),
    "invalid_value": _("Hwb does not accept this value here."),
    # Warnings: the record was taken, but something needs attention.
    "temporary_upn": _(
        "This learner has a temporary UPN. Hwb follows learners between schools by their UPN, so "
        "replace it in the MIS with the permanent UPN as soon as it arrives."
    ),
    "admission_in_future": _(
        "This learner's admission date is still to come. If they have a Hwb account at another "
        "school, it moves to your school on that date; there is nothing to correct."
    ),
    "move_held": _(
        "Hwb did not move this learner's account between schools: the learner's name and date "
        "of birth in your MIS and in the other school's MIS disagree, so they may not be the "
        "same child."
    ),
    "upn_in_use": _(
        "This UPN belongs to another learner's Hwb account, so this learner has no account. "
        "The Hwb team checked, and they are not the same child."
    ),
    "invalid_group": _("A registration group's name is 1 to 20 letters, digits or spaces."),
    "invalid_classes": _(
        "Hwb could not take this learner's classes: at most 30, each 1 to 40 characters."
    ),
    "previous_upn_not_temporary": _(
        "The previous UPN sent with this record is not a temporary UPN (one ending in a "
        "letter), so Hwb cannot tell which account it replaces."
    ),
    "previous_upn_other_person": _(
        "The Hwb account of the temporary UPN belongs to a learner with another name or date of "
        "birth, so Hwb did not give it to this learner."
    ),
    "previous_upn_on_roll_elsewhere": _(
        "The learner of the temporary UPN is still on roll at another school, so Hwb did not "
        "give their account to this record."
    ),
    "previous_upn_taken": _(
        "Both the temporary and the permanent UPN already have a Hwb account, so Hwb joined "
        "neither."
    ),
    "upn_replaced": _(
        "The learner's temporary UPN was replaced by their permanent UPN: they keep the same "
        "Hwb account, username and password."
    ),
}

UNKNOWN_PROBLEM = _("Hwb could not take this record.")

# Who puts it right, and what happens meanwhile.
WHO_FIXES = {
    "learners": _(
        "Your MIS administrator should correct this in the MIS (for example, SIMS). The next "
        "sync will pick it up. Until then, this learner's Hwb account stays as it was, and a "
        "learner new to your school gets no account."
    ),
    "staff": _(
        "Your MIS administrator should correct this in the MIS (for example, SIMS). The next "
        "sync will pick it up. Until then, this staff member's Hwb account stays as it was, and "
        "someone new to your school gets no account."
    ),
}

# Records the Provisioning Client itself sent in a form nobody could type into an MIS.
CLIENT_FAULT_CODES = frozenset(["not_an_object", "invalid_type"])
WHO_FIXES_CLIENT_FAULT = _(
    "This is a fault in the Provisioning Client, not in your MIS data. Contact the Hwb service "
    "desk, who will pass it to the client's supplier. Until it is fixed, this person's Hwb "
    "account stays as it was."
)

WHO_FIXES_WARNING = {
    "temporary_upn": _(
        "Your MIS administrator should enter the permanent UPN in the MIS when it arrives. The "
        "account is kept meanwhile."
    ),
    "admission_in_future": _("Nobody needs to do anything."),
    "upn_replaced": _("Nobody needs to do anything."),
    "move_held": _(
        "Check the learner's UPN, name and date of birth in your MIS against their paperwork, "
        "and correct any mistake. The Hwb team will check too, and will move the account or "
        "keep the two learners apart. Until then the account stays where it is."
    ),
    "upn_in_use": _(
        "Your MIS administrator should check the learner's UPN against their paperwork (or ask "
        "their previous school) and correct it in the MIS. The next sync will then set up their "
        "account."
    ),
}

# Why the Hwb team sees a learner's move held (codes from identity.py).
HELD_MOVE_REASONS = {
    "date_of_birth_differs": _("the dates of birth differ"),
    "date_of_birth_same": _("the same date of birth"),
    "date_of_birth_unknown": _("a date of birth missing on one side"),
    "forename_agrees": _("the first names agree"),
    "forename_differs": _("the first names differ"),
    "surname_agrees": _("the surnames agree"),
    "surname_differs": _("the surnames differ"),
}


def held_move_reasons(codes: list) -> list[str]:
    return [str(HELD_MOVE_REASONS.get(code, code)) for code in codes if isinstance(code, str)]


# A record whose name the run no longer knows: "Learner record 4", counting from 1.
UNNAMED_RECORD = {
    "learners": _("Learner record %(number)s of the sync"),
    "staff": _("Staff record %(number)s of the sync"),
}

KEY_LABELS = {"learners": _("UPN"), "staff": _("Staff code")}


def what_is_wrong(*, code: str, kind: str) -> str:
    """The plain-language sentence for an error or warning code."""
    text = WHAT_IS_WRONG.get((code, kind)) or WHAT_IS_WRONG.get(code) or UNKNOWN_PROBLEM
    return str(text)


def who_fixes(*, code: str, kind: str, is_warning: bool = False) -> str:
    if is_warning:
        return str(WHO_FIXES_WARNING.get(code, WHO_FIXES[kind]))
    if code in CLIENT_FAULT_CODES:
        return str(WHO_FIXES_CLIENT_FAULT)
    return str(WHO_FIXES[kind])


def field_label(field_name: str) -> str:
    return str(FIELD_LABELS.get(field_name, field_name))


def unnamed_record(*, kind: str, number: int) -> str:
    return str(UNNAMED_RECORD[kind]) % {"number": number}


# What each count of a run means, in the order the page lists them. The last two are learners'
# only: staff do not move between schools by themselves.
COUNT_LABELS = (
    ("received", _("Records received")),
    ("created", _("New accounts")),
    ("updated", _("Details updated")),
    ("unchanged", _("Unchanged")),
    ("left", _("Leavers")),
    ("rejected", _("Not taken because of an error")),
    ("moved_in", _("Moved in from another school")),
    ("awaiting_leaver", _("Waiting for another school to record a leaving date")),
)

# What a run's status means for the school, beside the status tag.
STATUS_EXPLANATIONS = {
    "queued": _("Waiting to be applied. This usually takes a few minutes."),
    "running": _("Being applied now."),
    "succeeded": _("Applied: Hwb accounts now follow this sync."),
    "failed": _("Something went wrong, so nothing in this sync was applied."),
    "held": _(
        "Held for review, because it would have removed an unusual number of people. Nothing "
        "has changed yet: the Hwb team will check it and apply or discard it."
    ),
    "discarded": _("The Hwb team discarded this sync, so nothing in it was applied."),
}
DRY_RUN_EXPLANATION = _(
    "A dry run: Hwb checked the sync and worked out what it would change, but changed nothing."
)

SOURCE_LABELS = {
    "api": _("Your school's Provisioning Client"),
    "import": _("A file imported by the Hwb team"),
    "simulator": _("The MIS simulator (test data)"),
}


def status_explanation(*, status: str, dry_run: bool) -> str:
    if dry_run and status == "succeeded":
        return str(DRY_RUN_EXPLANATION)
    return str(STATUS_EXPLANATIONS.get(status, ""))


def source_label(source: str) -> str:
    return str(SOURCE_LABELS.get(source, source))
