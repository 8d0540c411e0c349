"""A member of staff who moved school, and headteachers, provisioned as the MIS would have them.

Each snapshot is a school's whole roll, so every import here re-sends the staff records the
school already has (read back from its MIS records) plus the new ones: nobody drops off the roll
by accident.
"""

from datetime import date, timedelta

from accounts.models import User
from accounts.services import account_password_set
from provisioning.models import MisStaff
from provisioning.services.runs import snapshot_import
from schools.models import School
from tests.factories import PASSWORD
from tests.provisioning.builders import snapshot, staff_record


def _iso(value: date | None) -> str | None:
    return value.isoformat() if value else None


def _current_roll(school: School, *, replacing: dict[str, dict]) -> list[dict]:
    """The school's staff records as its MIS holds them now, with ``replacing`` applied."""
    records = []
    for mis in MisStaff.objects.filter(school=school, absent=False).order_by("pk"):
        if mis.staff_code in replacing:
            continue
        records.append(
            staff_record(
                mis.staff_code,
                title=mis.title or None,
                forename=mis.forename,
                surname=mis.surname,
                date_of_birth=_iso(mis.date_of_birth),
                work_email=mis.work_email or None,
                role=mis.role,
                is_headteacher=mis.is_headteacher,
                start_date=_iso(mis.start_date),
                leaving_date=_iso(mis.leaving_date),
            )
        )
    return records + list(replacing.values())


def _provision(school: School, *records: dict) -> None:
    """One successful run at ``school``: its roll plus (or updated by) ``records``."""
    roll = _current_roll(school, replacing={record["staff_code"]: record for record in records})
    run = snapshot_import(school=school, snapshot=snapshot(school, staff=roll))
    assert run.status == run.Status.SUCCEEDED, (run.status, run.failure_reason, run.errors)


def _account_of(school: School, staff_code: str, password: str | None) -> User:
    account = (
        MisStaff.objects.select_related("account").get(school=school, staff_code=staff_code).account
    )
    if password:
        account_password_set(actor=None, account=account, password=password)
    account.refresh_from_db()
    return account


def staff_record_change(school: School, account: User, **fields) -> None:
    """A run at ``school`` in which ``account``'s staff record has ``fields`` changed (for
    example ``leaving_date="2025-07-18"``, ``start_date=None``); everyone else stays as is."""
    mis = MisStaff.objects.get(school=school, account=account)
    (record,) = [
        each for each in _current_roll(school, replacing={}) if each["staff_code"] == mis.staff_code
    ]
    _provision(school, {**record, **fields})


def staff_of(
    school: School,
    *,
    first_name: str = "Sarah",
    last_name: str = "Jones",
    password: str | None = PASSWORD,
    **fields,
) -> User:
    """A current member of staff at ``school``, provisioned by a run (with a password)."""
    record = staff_record(forename=first_name, surname=last_name, **fields)
    _provision(school, record)
    return _account_of(school, record["staff_code"], password)


def headteacher_of(
    school: School,
    *,
    first_name: str = "Gwenllian",
    last_name: str = "Ellis",
    password: str | None = PASSWORD,
) -> User:
    """``school``'s headteacher, provisioned by a run (the MIS says so), with a password."""
    return staff_of(
        school,
        first_name=first_name,
        last_name=last_name,
        password=password,
        title="Dr",
        role="teaching",
        is_headteacher=True,
        start_date="2009-09-01",
    )


def moved_staff(
    school_a: School,
    school_b: School,
    *,
    first_name: str = "Siân",
    last_name: str = "Jones",
    password: str = PASSWORD,
    leaving_date: date | None = None,
    start_date: date | None = None,
    new_record: dict | None = None,
) -> tuple[User, User]:
    """Someone who left ``school_a`` and started at ``school_b``: (old account, new account).

    Both schools have run successfully; A's record has a leaving date (a week ago by default,
    so A's run has deactivated the old account, the usual case), B's record a start date and
    staff code. Both records have the same names and date of birth (a sure match) unless
    ``new_record`` changes B's (for example ``{"forename": "Dai", "date_of_birth": None}``).
    Both accounts have ``password``.
    """
    today = date.today()
    leaving_date = leaving_date or today - timedelta(days=7)
    start_date = start_date or leaving_date + timedelta(days=1)
    old = staff_record(forename=first_name, surname=last_name, start_date="2015-09-01")
    _provision(school_a, old)  # the account is created while they work there
    _provision(school_a, {**old, "leaving_date": leaving_date.isoformat()})
    new = staff_record(
        **{
            "forename": first_name,
            "surname": last_name,
            "start_date": start_date.isoformat(),
            **(new_record or {}),
        }
    )
    _provision(school_b, new)
    return (
        _account_of(school_a, old["staff_code"], password),
        _account_of(school_b, new["staff_code"], password),
    )
