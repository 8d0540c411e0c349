"""Reading a Provisioning Client snapshot: the envelope (all or nothing), then each record.

The envelope decides whether the snapshot is taken at all (HTTP 400 otherwise). Records are
checked one by one: a bad record is rejected with a code and a message and left as it was, and
the rest go on. The checks run once per record of every school every day, so they are written
to be quick (no regular expressions or exceptions on the good path).

It is long because the checks are unrolled field by field for that speed, one function per kind
of record rather than a generic validator, and they read best side by side with the contract they
enforce.
"""

import hmac
import json
import re
import unicodedata
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta

from django.conf import settings
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from schools.identifiers import UPN_CHECK_LETTERS, YEAR_GROUP_ORDER, is_valid_dfes_number

YEAR_GROUPS = frozenset(YEAR_GROUP_ORDER)
STAFF_ROLES = frozenset(["teaching", "support", "governor", "ite_student"])
NAME_MAX = 100
MAX_RECORDS = 50_000
# A snapshot's records are objects of scalars: learners -> record -> value is 2 deep.
MAX_NESTING = 8
_LETTER_VALUE = {letter: index for index, letter in enumerate(UPN_CHECK_LETTERS)}
_DIGITS = frozenset("0123456789")
_EMAIL_RE = re.compile(r"[^@\s]{1,64}@[^@\s]{1,190}\.[^@\s]{2,63}")
_DATE_RE = re.compile(r"\d{4}-\d{2}-\d{2}")

# People-facing messages for each record code; the API sends the English text.
MESSAGES = {
    "not_an_object": _("This record is not a JSON object."),
    "required": _("This field is required."),
    "invalid_type": _("This field has the wrong type."),
    "upn_format": _(
        "A UPN is 13 characters: a capital letter, 11 digits, then a digit or a letter."
    ),
    "invalid_check_letter": _("The UPN's check letter does not match the rest of the UPN."),
    "duplicate": _("Another record in this snapshot has the same key."),
    "invalid_date": _("This is not a date of the form YYYY-MM-DD."),
    "leaving_before_start": _("The leaving date is before the admission or start date."),
    "invalid_year_group": _("The year group must be one of N1, N2, R, 1 to 14, or X."),
    "invalid_name": _("A name is 1 to 100 printable characters."),
    "invalid_role": _("The role must be teaching, support, governor or ite_student."),
    "staff_code_format": _("A staff code is 1 to 10 letters or digits."),
    "second_headteacher": _("More than one current staff record is marked as the headteacher."),
    "invalid_email": _("This is not an email address."),
    "invalid_value": _("This value is not allowed."),
    "temporary_upn": _("This is a temporary UPN; replace it with the real UPN when it arrives."),
    "admission_in_future": _("Admitted from a later date: the account moves in on that day."),
    "move_held": _(
        "The Hwb account of this UPN was not moved between schools: the learner's name and date "
        "of birth at the two schools disagree. The Hwb team will check it."
    ),
    "upn_in_use": _(
        "This UPN belongs to another learner's Hwb account, so this learner has no account. "
        "Check the UPN in the MIS."
    ),
    "invalid_group": _("A registration group is 1 to 20 printable characters."),
    "invalid_classes": _("Classes are a list of at most 30 names of 1 to 40 printable characters."),
    "previous_upn_not_temporary": _(
        "The previous UPN must be a temporary UPN (its last character a letter), not this "
        "record's own UPN."
    ),
    "previous_upn_other_person": _(
        "The Hwb account of the previous UPN belongs to a learner with another name or date of "
        "birth: nothing was linked. Check both UPNs in the MIS."
    ),
    "previous_upn_on_roll_elsewhere": _(
        "The learner of the previous UPN is still on roll at another school: nothing was "
        "linked. That school's MIS must make them a leaver first."
    ),
    "previous_upn_taken": _(
        "Both UPNs already have Hwb accounts: nothing was linked. The Hwb service desk can join "
        "them."
    ),
    "upn_replaced": _(
        "The learner's temporary UPN was replaced: their Hwb account (same username, password "
        "and work) now belongs to this UPN."
    ),
}
GROUP_MAX = 20
CLASS_MAX = 40
CLASSES_MAX = 30


class EnvelopeError(Exception):
    """The snapshot as a whole is unusable (HTTP 400); ``errors`` says why, field by field."""

    def __init__(self, errors: list[dict]):
        super().__init__("; ".join(f"{e['field']}: {e['message']}" for e in errors))
        self.errors = errors


def _envelope_error(field_name: str, code: str, message: str) -> dict:
    return {"field": field_name, "code": code, "message": message}


def _reject_constant(name: str):
    raise ValueError(f"{name} is not allowed in JSON")


def snapshot_parse(body: bytes) -> dict:
    """The snapshot in ``body`` with its envelope checked, or EnvelopeError."""
    try:
        payload = json.loads(body, parse_constant=_reject_constant)
    except (ValueError, RecursionError) as exc:  # UnicodeDecodeError is a ValueError
        raise EnvelopeError(
            [_envelope_error("", "invalid_json", f"The body is not valid JSON: {exc}"[:300])]
        ) from None
    return snapshot_check_envelope(payload)


def snapshot_check_envelope(payload) -> dict:
    """Check the envelope of an already-decoded snapshot; records are checked when applied."""
    if not isinstance(payload, dict):
        raise EnvelopeError(
            [_envelope_error("", "invalid_type", "The snapshot must be a JSON object.")]
        )
    errors = []
    school = payload.get("school")
    if school is None:
        errors.append(
            _envelope_error("school", "required", "The school's DfES number is required.")
        )
    elif not isinstance(school, str) or not is_valid_dfes_number(school):
        errors.append(
            _envelope_error("school", "invalid", "The school must be a 7-digit DfES number.")
        )
    for name in ("mis", "client_version"):
        value = payload.get(name)
        if value is not None and not (
            isinstance(value, str) and len(value) <= 50 and value.isprintable()
        ):
            errors.append(
                _envelope_error(name, "invalid", f"{name} must be text of up to 50 characters.")
            )
    extracted = payload.get("extracted_at")
    extracted_at = None
    if extracted is None:
        errors.append(_envelope_error("extracted_at", "required", "extracted_at is required."))
    else:
        extracted_at = _parse_timestamp(extracted)
        if extracted_at is None:
            errors.append(
                _envelope_error(
                    "extracted_at",
                    "invalid",
                    "extracted_at must be an ISO 8601 date and time with a time zone.",
                )
            )
        elif extracted_at > timezone.now() + timedelta(
            minutes=settings.HWB_SNAPSHOT_CLOCK_SKEW_MINUTES
        ):
            # A snapshot from the future would block every later one as stale (409): the
            # client's clock is wrong, and only its own administrator can put it right.
            errors.append(
                _envelope_error(
                    "extracted_at",
                    "in_future",
                    f"extracted_at is more than {settings.HWB_SNAPSHOT_CLOCK_SKEW_MINUTES} "
                    "minutes in the future: set the clock of the computer running the "
                    "Provisioning Client right, then send the snapshot again.",
                )
            )
    for name in ("learners", "staff"):
        records = payload.get(name)
        if records is None:
            errors.append(_envelope_error(name, "required", f"{name} is required (a list)."))
        elif not isinstance(records, list):
            errors.append(_envelope_error(name, "invalid_type", f"{name} must be a list."))
        elif len(records) > MAX_RECORDS:
            errors.append(
                _envelope_error(name, "too_many", f"{name} has more than {MAX_RECORDS} records.")
            )
        elif _nests_deeper_than(records, MAX_NESTING):
            errors.append(
                _envelope_error(
                    name, "too_deep", f"{name} nests lists or objects more than {MAX_NESTING} deep."
                )
            )
    if errors:
        raise EnvelopeError(errors)
    return {**payload, "extracted_at": extracted_at}


def _nests_deeper_than(value, limit: int) -> bool:
    """Without recursing (the value may be nested thousands deep)."""
    stack = [(value, 1)]
    while stack:
        item, level = stack.pop()
        if level > limit:
            return True
        children = item.values() if type(item) is dict else item
        for child in children:
            if type(child) is dict or type(child) is list:
                stack.append((child, level + 1))
    return False


def _parse_timestamp(value) -> datetime | None:
    if isinstance(value, datetime):
        parsed = value
    elif not isinstance(value, str) or len(value) > 40:
        return None
    else:
        try:
            parsed = datetime.fromisoformat(value)
        except ValueError:
            return None
    if parsed.tzinfo is None or parsed.year < 2000:
        return None
    return parsed.astimezone(UTC)


# --- Records ------------------------------------------------------------------------------------


@dataclass
class CheckedRecords:
    """The accepted rows of one kind, ready for staging, and what was wrong with the others."""

    rows: list[tuple] = field(default_factory=list)
    keys: list[str] = field(default_factory=list)  # the raw key (UPN or staff code) of each row
    positions: list[int] = field(default_factory=list)  # each row's index in the snapshot
    rejected_keys: set[str] = field(default_factory=set)  # keys (hashed for UPNs) still present
    errors: list[dict] = field(default_factory=list)
    warnings: list[dict] = field(default_factory=list)
    names: dict[str, str] = field(default_factory=dict)  # "learners[3]" -> "Siân Jones"
    received: int = 0
    # Learners whose record names the temporary UPN it replaces: UPN hash -> the previous UPN.
    previous_upns: dict[str, str] = field(default_factory=dict)


class _Reject(Exception):
    def __init__(self, field_name: str, code: str):
        self.field = field_name
        self.code = code


def _problem(record: str, key: str, field_name: str, code: str) -> dict:
    if not key.isprintable():
        # A NUL or a lone surrogate is no text a database (or jsonb) will store.
        key = "".join(char if char.isprintable() else "\ufffd" for char in key)
    return {
        "record": record,
        "key": key,
        "field": field_name,
        "code": code,
        "message": str(MESSAGES[code]),
    }


def _name(record: dict, field_name: str, *, optional: bool = False) -> str:
    value = record.get(field_name)
    if value is None:
        if optional:
            return ""
        raise _Reject(field_name, "required")
    if type(value) is not str:
        raise _Reject(field_name, "invalid_type")
    value = value.strip()
    if optional and not value:
        return ""
    if not value.isprintable() or not 0 < len(value) <= NAME_MAX:
        raise _Reject(field_name, "invalid_name")
    if not value.isascii():
        value = unicodedata.normalize("NFC", value)
    return value


def _date(record: dict, field_name: str, *, required: bool = False) -> date | None:
    value = record.get(field_name)
    if value is None:
        if required:
            raise _Reject(field_name, "required")
        return None
    if type(value) is not str or len(value) != 10 or not _DATE_RE.fullmatch(value):
        raise _Reject(field_name, "invalid_date")
    try:
        parsed = date.fromisoformat(value)
    except ValueError:
        raise _Reject(field_name, "invalid_date") from None
    if not 1900 <= parsed.year <= 2100:
        raise _Reject(field_name, "invalid_date")
    return parsed


def _group(record: dict, field_name: str) -> str:
    value = record.get(field_name)
    if value is None:
        return ""
    if type(value) is not str:
        raise _Reject(field_name, "invalid_type")
    value = value.strip()
    if not value.isprintable() or not 0 < len(value) <= GROUP_MAX:
        raise _Reject(field_name, "invalid_group")
    return unicodedata.normalize("NFC", value)


def _classes(record: dict) -> str:
    """The learner's classes, each on its own line between newlines (as MisLearner keeps them),
    in the order given, repeats dropped."""
    value = record.get("classes")
    if not value:
        if value is None or type(value) is list:
            return ""
        raise _Reject("classes", "invalid_type")
    if type(value) is not list:
        raise _Reject("classes", "invalid_type")
    if len(value) > CLASSES_MAX:
        raise _Reject("classes", "invalid_classes")
    names = []
    for name in value:
        if type(name) is not str:
            raise _Reject("classes", "invalid_classes")
        name = name.strip()
        if not name.isprintable() or not 0 < len(name) <= CLASS_MAX:
            raise _Reject("classes", "invalid_classes")
        name = unicodedata.normalize("NFC", name)
        if name not in names:
            names.append(name)
    return "\n" + "\n".join(names) + "\n"


def _previous_upn(record: dict, upn: str) -> str:
    value = record.get("previous_upn")
    if value is None:
        return ""
    if type(value) is not str:
        raise _Reject("previous_upn", "invalid_type")
    if len(value) > 20:
        raise _Reject("previous_upn", "upn_format")
    code = _upn_code(value)
    if code:
        raise _Reject("previous_upn", code)
    if value[12] in _DIGITS or value == upn:
        raise _Reject("previous_upn", "previous_upn_not_temporary")
    return value


def _upn_code(upn: str) -> str | None:
    """None for a valid UPN (temporary or not), else the error code."""
    if len(upn) != 13 or upn[0] not in _LETTER_VALUE:
        return "upn_format"
    middle = upn[1:12]
    if not _DIGITS.issuperset(middle):
        return "upn_format"
    last = upn[12]
    if last in _DIGITS:
        last_value = ord(last) - 48
    elif last in _LETTER_VALUE:
        last_value = _LETTER_VALUE[last]
    else:
        return "upn_format"
    total = last_value * 13
    for position, char in enumerate(middle, start=2):
        total += (ord(char) - 48) * position
    if UPN_CHECK_LETTERS[total % 23] != upn[0]:
        return "invalid_check_letter"
    return None


def learners_check(records: list, *, today: date) -> CheckedRecords:
    """Check learner records. Row: (upn_hash, forename, surname, preferred_forename,
    date_of_birth, year_group, admission_date, leaving_date, registration_group, classes,
    username_base)."""
    from accounts.usernames import username_base

    checked = CheckedRecords(received=len(records))
    key = settings.HWB_UPN_HASH_KEY.encode()
    digest = hmac.digest
    seen: dict[str, int] = {}
    duplicates: set[str] = set()
    positions = checked.positions
    for index, record in enumerate(records):
        label = f"learners[{index}]"
        upn = ""
        try:
            if type(record) is not dict:
                raise _Reject("", "not_an_object")
            upn = record.get("upn")
            if upn is None:
                upn = ""
                raise _Reject("upn", "required")
            if type(upn) is not str:
                upn = ""
                raise _Reject("upn", "invalid_type")
            if len(upn) > 20:
                upn = upn[:20]
                raise _Reject("upn", "upn_format")
            code = _upn_code(upn)
            if code:
                raise _Reject("upn", code)
            hashed = digest(key, upn.encode(), "sha256").hex()
            if upn in seen:
                duplicates.add(upn)
                raise _Reject("upn", "duplicate")
            seen[upn] = len(checked.rows)
            forename = _name(record, "forename")
            surname = _name(record, "surname")
            preferred = _name(record, "preferred_forename", optional=True)
            year_group = record.get("year_group")
            if year_group is None:
                raise _Reject("year_group", "required")
            if type(year_group) is not str:
                raise _Reject("year_group", "invalid_type")
            if year_group not in YEAR_GROUPS:
                raise _Reject("year_group", "invalid_year_group")
            date_of_birth = _date(record, "date_of_birth")
            admission = _date(record, "admission_date")
            leaving = _date(record, "leaving_date")
            if leaving is not None and admission is not None and leaving < admission:
                raise _Reject("leaving_date", "leaving_before_start")
            group = _group(record, "registration_group")
            classes = _classes(record)
            previous = _previous_upn(record, upn)
        except _Reject as problem:
            checked.errors.append(_problem(label, upn, problem.field, problem.code))
            if type(record) is dict:
                checked.names[label] = _display_name(record)
            if upn and not _upn_code(upn):
                checked.rejected_keys.add(digest(key, upn.encode(), "sha256").hex())
            continue
        if upn[12] not in _DIGITS:
            checked.warnings.append(_problem(label, upn, "upn", "temporary_upn"))
            checked.names[label] = f"{forename} {surname}"
        if admission is not None and admission > today and leaving is None:
            checked.warnings.append(_problem(label, upn, "admission_date", "admission_in_future"))
            checked.names[label] = f"{forename} {surname}"
        positions.append(index)
        checked.keys.append(upn)
        checked.rows.append(
            (
                hashed,
                forename,
                surname,
                preferred,
                date_of_birth,
                year_group,
                admission,
                leaving,
                group,
                classes,
                username_base(first_name=forename, last_name=surname),
            )
        )
        if previous:
            checked.previous_upns[hashed] = previous
    if duplicates:
        _drop_duplicates(checked, duplicates, positions, "learners", "upn", hashed_keys=key)
    return checked


def staff_check(records: list) -> CheckedRecords:
    """Check staff records. Row: (staff_code, title, forename, surname, date_of_birth,
    work_email, role, is_headteacher, start_date, leaving_date, registration_group,
    username_base)."""
    from accounts.usernames import username_base

    checked = CheckedRecords(received=len(records))
    seen: set[str] = set()
    duplicates: set[str] = set()
    positions = checked.positions
    for index, record in enumerate(records):
        label = f"staff[{index}]"
        code = ""
        try:
            if type(record) is not dict:
                raise _Reject("", "not_an_object")
            code = record.get("staff_code")
            if code is None:
                code = ""
                raise _Reject("staff_code", "required")
            if type(code) is not str:
                code = ""
                raise _Reject("staff_code", "invalid_type")
            if not (0 < len(code) <= 10 and code.isascii() and code.isalnum()):
                code = code[:20]
                raise _Reject("staff_code", "staff_code_format")
            if code in seen:
                duplicates.add(code)
                raise _Reject("staff_code", "duplicate")
            seen.add(code)
            title = _name(record, "title", optional=True)
            forename = _name(record, "forename")
            surname = _name(record, "surname")
            date_of_birth = _date(record, "date_of_birth")
            email = record.get("work_email")
            if email is None:
                email = ""
            elif type(email) is not str:
                raise _Reject("work_email", "invalid_type")
            elif len(email) > 254 or not _EMAIL_RE.fullmatch(email) or not email.isprintable():
                raise _Reject("work_email", "invalid_email")
            role = record.get("role")
            if role is None:
                raise _Reject("role", "required")
            if type(role) is not str:
                raise _Reject("role", "invalid_type")
            if role not in STAFF_ROLES:
                raise _Reject("role", "invalid_role")
            is_headteacher = record.get("is_headteacher", False)
            if is_headteacher is None:
                is_headteacher = False
            if type(is_headteacher) is not bool:
                raise _Reject("is_headteacher", "invalid_type")
            start = _date(record, "start_date")
            leaving = _date(record, "leaving_date")
            if leaving is not None and start is not None and leaving < start:
                raise _Reject("leaving_date", "leaving_before_start")
            group = _group(record, "registration_group")
        except _Reject as problem:
            checked.errors.append(_problem(label, code, problem.field, problem.code))
            if type(record) is dict:
                checked.names[label] = _display_name(record)
            if code and code.isascii() and code.isalnum() and len(code) <= 10:
                checked.rejected_keys.add(code)
            continue
        positions.append(index)
        checked.keys.append(code)
        checked.rows.append(
            (
                code,
                title,
                forename,
                surname,
                date_of_birth,
                email,
                role,
                is_headteacher,
                start,
                leaving,
                group,
                username_base(first_name=forename, last_name=surname),
            )
        )
    if duplicates:
        _drop_duplicates(checked, duplicates, positions, "staff", "staff_code")
    # A school has one headteacher: two current claimants are both rejected, not guessed between.
    heads = [i for i, row in enumerate(checked.rows) if row[7] and row[9] is None]
    if len(heads) > 1:
        for i in heads:
            checked.errors.append(
                _problem(
                    f"staff[{positions[i]}]",
                    checked.keys[i],
                    "is_headteacher",
                    "second_headteacher",
                )
            )
            checked.names[f"staff[{positions[i]}]"] = f"{checked.rows[i][2]} {checked.rows[i][3]}"
            checked.rejected_keys.add(checked.keys[i])
        _keep(checked, positions, set(heads))
    return checked


def _drop_duplicates(
    checked: CheckedRecords,
    duplicates: set[str],
    positions: list[int],
    kind: str,
    field_name: str,
    hashed_keys: bytes | None = None,
) -> None:
    """Every record sharing a key is rejected: which one is right is for the MIS to say."""
    drop = {i for i, key in enumerate(checked.keys) if key in duplicates}
    for i in sorted(drop):
        label = f"{kind}[{positions[i]}]"
        checked.errors.append(_problem(label, checked.keys[i], field_name, "duplicate"))
    for key in duplicates:
        checked.rejected_keys.add(
            hmac.digest(hashed_keys, key.encode(), "sha256").hex() if hashed_keys else key
        )
    _keep(checked, positions, drop)


def _keep(checked: CheckedRecords, positions: list[int], drop: set[int]) -> None:
    keep = [i for i in range(len(checked.rows)) if i not in drop]
    checked.rows[:] = [checked.rows[i] for i in keep]
    checked.keys[:] = [checked.keys[i] for i in keep]
    positions[:] = [positions[i] for i in keep]


def _display_name(record: dict) -> str:
    parts = [record.get("forename"), record.get("surname")]
    return " ".join(p.strip() for p in parts if isinstance(p, str) and p.isprintable())[:201]
