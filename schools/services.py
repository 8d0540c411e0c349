"""Writes to schools: loading the Welsh Government's address list of schools."""

import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from .identifiers import normalise_dfes_number, validate_dfes_number
from .models import LocalAuthority, School

# The audit log lives in accounts, a floor above schools, so nothing here writes to it.

# Column -> the headers it goes by in the sheet over the years, compared without case or spaces.
# When a file has two headers for one column, the earlier alias here wins.
COLUMN_HEADERS: dict[str, tuple[str, ...]] = {
    "dfes_number": ("School Number", "LAESTAB", "DfES Number", "DfES"),
    "name_en": ("School Name", "Name"),
    "name_cy": ("School Name (Welsh)", "Welsh Name", "Enw'r Ysgol", "Enw"),
    "local_authority": ("Local Authority", "LA"),
    "phase": ("Sector", "Phase", "School Type"),
    "opening_date": ("Opening Date", "Open Date"),
    "closing_date": ("Closing Date", "Close Date"),
    "status": ("Status",),
}

# The sheet's words for a phase, lower case, hyphens without spaces, "school(s)" dropped.
PHASES: dict[str, str] = {
    "nursery": School.Phase.NURSERY,
    "primary": School.Phase.PRIMARY,
    "infant": School.Phase.PRIMARY,
    "infants": School.Phase.PRIMARY,
    "junior": School.Phase.PRIMARY,
    "juniors": School.Phase.PRIMARY,
    "middle": School.Phase.MIDDLE,
    "all-through": School.Phase.MIDDLE,
    "all through": School.Phase.MIDDLE,
    "3-16": School.Phase.MIDDLE,
    "3-19": School.Phase.MIDDLE,
    "3 to 16": School.Phase.MIDDLE,
    "3 to 19": School.Phase.MIDDLE,
    "secondary": School.Phase.SECONDARY,
    "special": School.Phase.SPECIAL,
    "pupil referral unit": School.Phase.PRU,
    "pru": School.Phase.PRU,
}
NAME_MAX_LENGTH = School._meta.get_field("name_en").max_length
DATE_FORMATS = ("%Y-%m-%d", "%d/%m/%Y")


class SchoolImportError(Exception):
    """The file as a whole cannot be imported; the message says why and how to fix it."""


class AddressListRow(dict):
    """One row of the sheet (header -> cell) that knows the CSV line it starts on."""

    def __init__(self, cells: Iterable[tuple[str, str]], *, line: int) -> None:
        super().__init__(cells)
        self.line = line


@dataclass
class SchoolChange:
    """A school the import created or updated, for a caller that keeps an audit trail."""

    school_id: int
    dfes_number: str
    created: bool
    fields: tuple[str, ...]


@dataclass
class ImportReport:
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    rejected: int = 0
    # (line, message) for every problem; a rejected row may have more than one.
    problems: list[tuple[int, str]] = field(default_factory=list)
    changes: list[SchoolChange] = field(default_factory=list)
    actor: object | None = None


def _header_key(header: str) -> str:
    header = header.replace("\ufeff", "").replace("\u2019", "'").replace("\u2018", "'")
    return re.sub(r"\s+", "", header).casefold()


def address_list_columns(headers: Iterable[str]) -> dict[str, str]:
    """Which of the file's headers holds each column; SchoolImportError without DfES or name."""
    by_key: dict[str, str] = {}
    for header in headers:
        if isinstance(header, str):
            by_key.setdefault(_header_key(header), header)
    columns = {}
    for column, aliases in COLUMN_HEADERS.items():
        for alias in aliases:
            if _header_key(alias) in by_key:
                columns[column] = by_key[_header_key(alias)]
                break
    missing = []
    if "dfes_number" not in columns:
        missing.append(
            _(
                "The file has no DfES number column: name it “School Number”, “LAESTAB”, "
                "“DfES Number” or “DfES”."
            )
        )
    if "name_en" not in columns:
        missing.append(_("The file has no school name column: name it “School Name” or “Name”."))
    if missing:
        raise SchoolImportError(" ".join(missing))
    return columns


def _shown(value: str) -> str:
    """A cell as quoted in a message: short enough to read."""
    return value if len(value) <= 40 else value[:40] + "…"


def _has_control_character(value: str) -> bool:
    return any(unicodedata.category(char) == "Cc" for char in value)


def _name_read(value: str, *, label: str, problems: list[str]) -> str:
    # NFC so "ŵ" typed as w + combining circumflex compares equal to the stored name.
    name = " ".join(unicodedata.normalize("NFC", value).split())
    if len(name) > NAME_MAX_LENGTH:
        problems.append(
            _("The %(label)s is %(length)d characters long; Hwb keeps at most %(max)d.")
            % {"label": label, "length": len(name), "max": NAME_MAX_LENGTH}
        )
    return name


def _date_read(value: str, *, label: str, problems: list[str]) -> date | None:
    for date_format in DATE_FORMATS:
        try:
            return datetime.strptime(value, date_format).date()
        except ValueError:
            continue
    problems.append(
        _("The %(label)s “%(value)s” is not a date: write it as 2026-09-01 or 01/09/2026.")
        % {"label": label, "value": _shown(value)}
    )
    return None


def _phase_read(value: str, *, problems: list[str]) -> str | None:
    key = re.sub(r"\s*[-–]\s*", "-", " ".join(value.casefold().split()))
    key = re.sub(r" schools?$", "", key)
    if key in PHASES:
        return PHASES[key]
    problems.append(
        _(
            "The sector “%(value)s” is not one we know: use Nursery, Primary, Middle, "
            "Secondary, Special or Pupil Referral Unit."
        )
        % {"value": _shown(value)}
    )
    return None


def _status_read(value: str, *, problems: list[str]) -> str | None:
    status = value.casefold()
    if status in School.Status.values:
        return status
    problems.append(
        _("The status “%(value)s” is not one we know: use Proposed, Open, Closing or Closed.")
        % {"value": _shown(value)}
    )
    return None


def _local_authority_check(
    value: str, *, dfes_number: str, authorities: dict[int, LocalAuthority], problems: list[str]
) -> None:
    """The LA column only confirms the LA that the DfES number's first three digits give."""
    key = " ".join(value.split()).casefold()
    named = None
    for authority in authorities.values():
        if key in (str(authority.code), authority.name_en.casefold(), authority.name_cy.casefold()):
            named = authority
            break
    if named is None:
        problems.append(
            _(
                "The local authority “%(value)s” is not a Welsh one: give its number (660 to "
                "681) or its English or Welsh name."
            )
            % {"value": _shown(value)}
        )
        return
    expected = authorities[int(dfes_number[:3])]
    if named != expected:
        problems.append(
            _(
                "The DfES number %(dfes)s belongs to %(expected)s (%(expected_code)d), but the "
                "local authority column says %(named)s (%(named_code)d)."
            )
            % {
                "dfes": dfes_number,
                "expected": expected.name_en,
                "expected_code": expected.code,
                "named": named.name_en,
                "named_code": named.code,
            }
        )


def _row_read(
    row: dict[str, str], *, columns: dict[str, str], authorities: dict[int, LocalAuthority]
) -> tuple[dict, list[str]]:
    """The row's non-blank values, ready to store, and what is wrong with it (if anything)."""
    labels = {
        "dfes_number": _("DfES number"),
        "name_en": _("English name"),
        "name_cy": _("Welsh name"),
        "local_authority": _("local authority"),
        "phase": _("sector"),
        "opening_date": _("opening date"),
        "closing_date": _("closing date"),
        "status": _("status"),
    }
    cells: dict[str, str] = {}
    unreadable: set[str] = set()
    problems: list[str] = []
    for column, header in columns.items():
        cell = (row.get(header) or "").strip()
        if _has_control_character(cell):
            unreadable.add(column)
            problems.append(
                _(
                    "The %(label)s contains a control character (such as a tab or a line "
                    "break): remove it."
                )
                % {"label": labels[column]}
            )
        elif cell:
            cells[column] = cell

    values: dict = {}
    if "dfes_number" in cells:
        dfes_number = normalise_dfes_number(cells["dfes_number"])
        try:
            validate_dfes_number(dfes_number)
        except ValidationError as error:
            problems.append(
                _("“%(value)s” is not a DfES number. %(reason)s")
                % {"value": _shown(cells["dfes_number"]), "reason": " ".join(error.messages)}
            )
        else:
            values["dfes_number"] = dfes_number
    elif "dfes_number" not in unreadable:
        problems.append(_("The row has no DfES number."))
    if "name_en" in cells:
        values["name_en"] = _name_read(cells["name_en"], label=labels["name_en"], problems=problems)
    elif "name_en" not in unreadable:
        problems.append(_("The row has no English school name."))
    if "name_cy" in cells:
        values["name_cy"] = _name_read(cells["name_cy"], label=labels["name_cy"], problems=problems)
    if "phase" in cells:
        values["phase"] = _phase_read(cells["phase"], problems=problems)
    if "status" in cells:
        values["status"] = _status_read(cells["status"], problems=problems)
    for column in ("opening_date", "closing_date"):
        if column in cells:
            values[column] = _date_read(cells[column], label=labels[column], problems=problems)
    if "local_authority" in cells and "dfes_number" in values:
        _local_authority_check(
            cells["local_authority"],
            dfes_number=values["dfes_number"],
            authorities=authorities,
            problems=problems,
        )
    return values, problems


@transaction.atomic
def schools_import(*, rows: Iterable[dict[str, str]], actor: object | None = None) -> ImportReport:
    """Create or update a school for each good row of the address list; report the bad ones.

    Rows are header -> cell, as csv.DictReader gives them, all with the first row's headers.
    An AddressListRow brings its CSV line; other rows are numbered from line 2 (the header is
    line 1). Schools missing from the file are left alone, and so is a stored value whose cell
    is blank: the sheet adds and corrects, it never erases. The local authority always comes
    from the DfES number's first three digits. The whole file is one transaction, so an error
    that stops the file (such as a CSV syntax error raised by the rows) leaves the database as
    it was. `actor` is kept on the report for a caller above schools that records the import
    in the audit log.
    """
    report = ImportReport(actor=actor)
    authorities = {authority.code: authority for authority in LocalAuthority.objects.all()}
    schools = {school.dfes_number: school for school in School.objects.all()}
    line_of_first: dict[str, int] = {}
    columns: dict[str, str] | None = None

    for position, row in enumerate(rows):
        line = row.line if isinstance(row, AddressListRow) else position + 2
        if columns is None:
            columns = address_list_columns(row.keys())
        # Spreadsheets often end with rows of empty cells; they are not rows of the list.
        if not any(isinstance(cell, str) and cell.strip() for cell in row.values()):
            continue
        values, problems = _row_read(row, columns=columns, authorities=authorities)

        dfes_number = values.get("dfes_number")
        if dfes_number in line_of_first:
            problems.append(
                _(
                    "The DfES number %(dfes)s is already on line %(first)d; a school may appear "
                    "only once, so this row was skipped."
                )
                % {"dfes": dfes_number, "first": line_of_first[dfes_number]}
            )
        elif dfes_number:
            line_of_first[dfes_number] = line
        school = schools.get(dfes_number)
        if school is None and dfes_number and "phase" not in values:
            problems.append(_("The row has no sector, and a new school needs one."))
        opening = values.get("opening_date", school.opening_date if school else None)
        closing = values.get("closing_date", school.closing_date if school else None)
        if opening and closing and closing < opening:
            problems.append(_("The closing date is before the opening date."))

        if problems:
            report.rejected += 1
            report.problems.extend((line, problem) for problem in problems)
            continue

        values["local_authority_id"] = int(dfes_number[:3])
        if school is None:
            school = School.objects.create(**values)
            schools[dfes_number] = school
            report.created += 1
            report.changes.append(
                SchoolChange(school.pk, dfes_number, created=True, fields=tuple(sorted(values)))
            )
            continue
        changed = [name for name, value in values.items() if getattr(school, name) != value]
        if not changed:
            report.unchanged += 1
            continue
        for name in changed:
            setattr(school, name, values[name])
        school.save(update_fields=[*changed, "updated_at"])
        report.updated += 1
        report.changes.append(
            SchoolChange(school.pk, dfes_number, created=False, fields=tuple(sorted(changed)))
        )
    return report
