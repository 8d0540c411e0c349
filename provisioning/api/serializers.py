"""The contract's JSON: schema-only serializers for the OpenAPI document, and run_as_contract.

The snapshot is never deserialised through these classes (provisioning.snapshots reads it, much
faster); they exist so that /api/schema/ documents docs/provisioning-api.md exactly.
"""

from datetime import UTC, datetime

from rest_framework import serializers

from provisioning.contract import LEARNER_COUNTS, STAFF_COUNTS
from provisioning.models import MisStaff, ProvisioningRun

# In the contract's order (provisioning.snapshots checks them; a test keeps the two in step).
YEAR_GROUP_CHOICES = ["N1", "N2", "R", *map(str, range(1, 15)), "X"]


def _name_field(help_text: str, **kwargs) -> serializers.CharField:
    return serializers.CharField(min_length=1, max_length=100, help_text=help_text, **kwargs)


def _date_field(help_text: str) -> serializers.DateField:
    return serializers.DateField(required=False, allow_null=True, help_text=help_text)


# --- The snapshot (request) ----------------------------------------------------------------------


class LearnerRecordSerializer(serializers.Serializer):
    """A learner as the MIS holds them. A bad record is rejected on its own (see the run)."""

    upn = serializers.RegexField(
        r"^[A-Z][0-9]{11}[0-9A-Z]$",
        min_length=13,
        max_length=13,
        help_text=(
            "Unique Pupil Number: a check letter, 11 digits, then a digit (or, for a temporary "
            "UPN, a letter; accepted with a warning). Upper case. Unique within the snapshot."
        ),
    )
    forename = _name_field("1–100 characters of printable Unicode.")
    surname = _name_field("1–100 characters of printable Unicode.")
    preferred_forename = _name_field(
        "The name the learner goes by, if not the forename.", required=False, allow_null=True
    )
    date_of_birth = _date_field("ISO 8601 date.")
    year_group = serializers.ChoiceField(choices=YEAR_GROUP_CHOICES)
    admission_date = _date_field(
        "ISO 8601 date. A learner admitted for a future date is on roll from that day."
    )
    leaving_date = _date_field(
        "ISO 8601 date, not before admission_date. With a leaving date the learner is a leaver."
    )
    registration_group = serializers.CharField(
        min_length=1,
        max_length=20,
        required=False,
        allow_null=True,
        help_text='Version 1.1: the learner\'s registration (form) group, e.g. "6W".',
    )
    classes = serializers.ListField(
        child=serializers.CharField(min_length=1, max_length=40),
        max_length=30,
        required=False,
        help_text="Version 1.1: the teaching groups the learner belongs to (0–30 names).",
    )
    previous_upn = serializers.RegexField(
        r"^[A-Z][0-9]{11}[A-Z]$",
        min_length=13,
        max_length=13,
        required=False,
        allow_null=True,
        help_text=(
            "Version 1.1: the temporary UPN this record's permanent UPN replaces. Its account "
            "becomes this UPN's (warning upn_replaced) if it is the same learner and not on "
            "roll at another school; otherwise the record is rejected and nothing is linked."
        ),
    )


class StaffRecordSerializer(serializers.Serializer):
    """A staff member as the MIS holds them, keyed by (school, staff_code)."""

    staff_code = serializers.RegexField(
        r"^[A-Za-z0-9]{1,10}$",
        max_length=10,
        help_text="1–10 letters or digits, unique within the snapshot.",
    )
    title = serializers.CharField(max_length=100, required=False, allow_null=True)
    forename = _name_field("1–100 characters of printable Unicode.")
    surname = _name_field("1–100 characters of printable Unicode.")
    date_of_birth = _date_field("ISO 8601 date.")
    work_email = serializers.EmailField(required=False, allow_null=True)
    role = serializers.ChoiceField(
        choices=MisStaff.Role.values,
        help_text="Decides the kind of account: staff (teaching, support), governor, ITE student.",
    )
    is_headteacher = serializers.BooleanField(
        required=False,
        default=False,
        help_text="At most one current staff record (no leaving date) may be the headteacher.",
    )
    start_date = _date_field("ISO 8601 date.")
    leaving_date = _date_field("ISO 8601 date, not before start_date.")
    registration_group = serializers.CharField(
        min_length=1,
        max_length=20,
        required=False,
        allow_null=True,
        help_text="Version 1.1: the registration group this member of staff is form tutor of.",
    )


class SnapshotSerializer(serializers.Serializer):
    """A full snapshot of the school's MIS: a person held before and absent now has left."""

    school = serializers.RegexField(
        r"^[0-9]{7}$",
        help_text="The school's DfES number: it must be the school of the client's token.",
    )
    mis = serializers.CharField(
        max_length=50, required=False, allow_null=True, help_text="The MIS, e.g. SIMS."
    )
    client_version = serializers.CharField(max_length=50, required=False, allow_null=True)
    extracted_at = serializers.DateTimeField(
        help_text=(
            "When the roll was read from the MIS, ISO 8601 with a time zone. A snapshot older "
            "than the school's last applied one is refused (409)."
        )
    )
    learners = LearnerRecordSerializer(
        many=True, help_text="Every learner the MIS holds, leavers included."
    )
    staff = StaffRecordSerializer(
        many=True, help_text="Every staff member the MIS holds, leavers included."
    )


# --- Answers -------------------------------------------------------------------------------------


class ErrorSerializer(serializers.Serializer):
    field = serializers.CharField(
        allow_blank=True, help_text="The field at fault; empty for the body as a whole."
    )
    code = serializers.CharField()
    message = serializers.CharField()


class ErrorsSerializer(serializers.Serializer):
    """Every error answer of the API has this shape."""

    errors = ErrorSerializer(many=True)


class SnapshotAcceptedSerializer(serializers.Serializer):
    run = serializers.IntegerField()
    status = serializers.ChoiceField(
        choices=ProvisioningRun.Status.values,
        help_text=(
            "The run's status when answering: usually queued; where Celery runs eagerly the run "
            "may already have finished."
        ),
    )
    status_url = serializers.CharField(help_text="Where to follow the run.")


class RecordIssueSerializer(serializers.Serializer):
    record = serializers.CharField(help_text='The record\'s place in the snapshot: "learners[3]".')
    key = serializers.CharField(
        allow_blank=True,
        help_text=(
            "The record's UPN or staff code as sent (empty when it had none). Raw UPNs are "
            "removed after the retention period."
        ),
    )
    field = serializers.CharField(allow_blank=True)
    code = serializers.CharField(
        help_text=(
            "Warnings include temporary_upn, admission_in_future, move_held (the account of "
            "this UPN was not moved between schools: the name and date of birth disagree; the "
            "Hwb team decides) and upn_in_use (the UPN belongs to another learner's account: "
            "check it in the MIS)."
        )
    )
    message = serializers.CharField()


_COUNT_HELP = {
    "awaiting_leaver": (
        "On roll here, with a Hwb account still at another school: waiting for that school's "
        "leaving date, or for the Hwb team when the move is held because the name and date "
        "of birth disagree (then also a warning with code move_held)."
    ),
}


def _counts_serializer(name: str, names: tuple[str, ...]) -> type[serializers.Serializer]:
    """A serializer with one whole number per count name of the contract, in its order."""
    fields = {count: serializers.IntegerField(help_text=_COUNT_HELP.get(count)) for count in names}
    return type(name, (serializers.Serializer,), fields)


LearnerCountsSerializer = _counts_serializer("LearnerCountsSerializer", LEARNER_COUNTS)
StaffCountsSerializer = _counts_serializer("StaffCountsSerializer", STAFF_COUNTS)


class CountsSerializer(serializers.Serializer):
    learners = LearnerCountsSerializer()
    staff = StaffCountsSerializer()


class AccountsSerializer(serializers.Serializer):
    learners = serializers.DictField(
        child=serializers.CharField(), help_text="UPN -> Hwb username, for every accepted learner."
    )
    staff = serializers.DictField(
        child=serializers.CharField(),
        help_text="Staff code -> Hwb username, for every accepted staff record.",
    )


class RunSerializer(serializers.Serializer):
    """A run: one snapshot received, and what applying it did (or, for a dry run, would do)."""

    run = serializers.IntegerField()
    school = serializers.CharField(help_text="DfES number.")
    status = serializers.ChoiceField(choices=ProvisioningRun.Status.values)
    dry_run = serializers.BooleanField(help_text="A dry run only reports what it would change.")
    received_at = serializers.DateTimeField()
    finished_at = serializers.DateTimeField(allow_null=True)
    counts = CountsSerializer()
    errors = RecordIssueSerializer(many=True, help_text="Rejected records: each left as it was.")
    warnings = RecordIssueSerializer(many=True)
    accounts = AccountsSerializer()
    reason = serializers.CharField(
        allow_null=True,
        help_text=(
            "Why the run failed or is held for review (for a dry run: why it would have been "
            "held); null otherwise."
        ),
    )


class RunListSerializer(serializers.Serializer):
    runs = RunSerializer(many=True, help_text="Newest first.")


# --- A run as the contract shows it --------------------------------------------------------------


def _timestamp(value: datetime | None) -> str | None:
    if value is None:
        return None
    return value.astimezone(UTC).isoformat().replace("+00:00", "Z")


def run_as_contract(run: ProvisioningRun) -> dict:
    """The contract's JSON for a run: every count present (zero until the run has them)."""
    counts = run.counts or {}
    learner_counts = counts.get("learners") or {}
    staff_counts = counts.get("staff") or {}
    accounts = run.accounts or {}
    return {
        "run": run.pk,
        "school": run.school.dfes_number,
        "status": run.status,
        "dry_run": run.dry_run,
        "received_at": _timestamp(run.received_at),
        "finished_at": _timestamp(run.finished_at),
        "counts": {
            "learners": {name: learner_counts.get(name, 0) for name in LEARNER_COUNTS},
            "staff": {name: staff_counts.get(name, 0) for name in STAFF_COUNTS},
        },
        "errors": list(run.errors or []),
        "warnings": list(run.warnings or []),
        "accounts": {
            "learners": dict(accounts.get("learners") or {}),
            "staff": dict(accounts.get("staff") or {}),
        },
        "reason": run.failure_reason or None,
    }
