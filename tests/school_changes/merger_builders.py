"""Mergers and closures for tests: closing schools with staff, a new school whose MIS holds its
staff records (under names that may differ), each provisioned by real snapshot runs, a
local-authority officer, and the notice as the Hwb team leaves it (in progress).
"""

import itertools
from dataclasses import dataclass, field
from datetime import date

from accounts.models import User
from provisioning.models import MisStaff
from provisioning.services.runs import snapshot_import
from school_changes.models import SchoolNotice
from schools.models import LocalAuthority, School
from tests.factories import PASSWORD, SchoolFactory, make_account
from tests.provisioning.builders import snapshot, staff_record

_schools = itertools.count(1)
_codes = itertools.count(1)


@dataclass(frozen=True)
class Staff:
    """One person as a school's MIS holds them (``key`` ties an account to its record)."""

    key: str
    forename: str
    surname: str
    date_of_birth: date | None = None
    work_email: str = ""
    role: str = "teaching"


@dataclass
class Merger:
    notice: SchoolNotice
    closing: list[School]
    new_school: School
    officer: User
    # Closing-school accounts and new-school records by person key.
    accounts: dict[str, User] = field(default_factory=dict)
    records: dict[str, MisStaff] = field(default_factory=dict)

    def fresh_account(self, key: str) -> User:
        """The account the new school's MIS made for this person."""
        return User.objects.get(pk=self.records[key].account_id)


def new_school_of(la: LocalAuthority, *, name: str = "Ysgol Bro Taf") -> School:
    number = next(_schools)
    return SchoolFactory(
        dfes_number=f"{la.code}{5000 + number:04d}",
        name_en=f"{name} {number}",
        name_cy=f"{name} {number}",
        phase=School.Phase.SECONDARY,
    )


def provision(school: School, people: list[Staff]) -> dict[str, MisStaff]:
    """One successful run at ``school`` with exactly these staff; their records by key."""
    codes = {}
    records = []
    for person in people:
        code = f"M{next(_codes):05d}"
        codes[person.key] = code
        records.append(
            staff_record(
                code,
                forename=person.forename,
                surname=person.surname,
                date_of_birth=person.date_of_birth.isoformat() if person.date_of_birth else None,
                work_email=person.work_email or None,
                role=person.role,
                start_date="2014-09-01",
            )
        )
    run = snapshot_import(school=school, snapshot=snapshot(school, staff=records))
    assert run.status == run.Status.SUCCEEDED, (run.status, run.failure_reason, run.errors)
    by_code = {
        record.staff_code: record
        for record in MisStaff.objects.filter(school=school).select_related("account")
    }
    return {key: by_code[code] for key, code in codes.items()}


def officer_of(la: LocalAuthority, **kwargs) -> User:
    kwargs.setdefault("first_name", "Owain")
    kwargs.setdefault("last_name", "Glyndwr")
    return make_account(kind=User.Kind.LA_OFFICER, local_authority=la, password=PASSWORD, **kwargs)


def merger_of(
    closing_staff: list[list[Staff]],
    new_staff: list[Staff],
    *,
    la_code: int = 661,
    kind: str = SchoolNotice.Kind.MERGER,
    officer: User | None = None,
    provision_new: bool = True,
) -> Merger:
    """A notice (in progress) closing one school per list in ``closing_staff``; every school
    provisioned by a run. ``new_staff`` are the new (merger) or receiving (closure) school's."""
    la = LocalAuthority.objects.get(code=la_code)
    officer = officer or officer_of(la)
    closing = []
    accounts: dict[str, User] = {}
    for people in closing_staff:
        school = new_school_of(la, name="Ysgol Gynradd Cau")
        closing.append(school)
        for key, record in provision(school, people).items():
            accounts[key] = record.account
    new_school = new_school_of(la)
    records = provision(new_school, new_staff) if provision_new else {}
    notice = SchoolNotice.objects.create(
        kind=kind,
        status=SchoolNotice.Status.IN_PROGRESS,
        local_authority=la,
        submitted_by=officer,
        submitted_by_username=officer.username,
        effective_date=date(2026, 9, 1),
        new_school_name=new_school.name_en if kind == SchoolNotice.Kind.MERGER else "",
        school=new_school if kind == SchoolNotice.Kind.MERGER else None,
    )
    notice.closing_schools.set(closing)
    if kind == SchoolNotice.Kind.CLOSURE:
        notice.receiving_schools.set([new_school])
    return Merger(
        notice=notice,
        closing=closing,
        new_school=new_school,
        officer=officer,
        accounts=accounts,
        records=records,
    )
