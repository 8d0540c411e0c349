"""Snapshots in the contract's shape, for tests: a school's roll built record by record."""

import itertools
from datetime import UTC, datetime

from tests.factories import make_upn

_codes = itertools.count(1)


def learner_record(upn: str | None = None, **fields) -> dict:
    record = {
        "upn": upn or make_upn(),
        "forename": "Siân",
        "surname": "Jones",
        "preferred_forename": None,
        "date_of_birth": "2015-04-17",
        "year_group": "6",
        "admission_date": "2019-09-03",
        "leaving_date": None,
    }
    record.update(fields)
    return record


def staff_record(staff_code: str | None = None, **fields) -> dict:
    record = {
        "staff_code": staff_code or f"S{next(_codes):04d}",
        "title": "Mrs",
        "forename": "Sarah",
        "surname": "Jones",
        "date_of_birth": "1980-02-11",
        "work_email": None,
        "role": "teaching",
        "is_headteacher": False,
        "start_date": "2012-09-01",
        "leaving_date": None,
    }
    record.update(fields)
    return record


def snapshot(school, *, learners=(), staff=(), extracted_at: datetime | str | None = None) -> dict:
    if extracted_at is None:
        extracted_at = datetime.now(UTC)
    if isinstance(extracted_at, datetime):
        extracted_at = extracted_at.isoformat()
    return {
        "school": school.dfes_number,
        "mis": "SIMS",
        "client_version": "4.2.0",
        "extracted_at": extracted_at,
        "learners": list(learners),
        "staff": list(staff),
    }
