"""Proposing which new-school MIS staff record belongs to which closing-school staff account.

Pure functions over plain values (no database): the merger services feed them, the tests and
bench/matching.py measure them. Never a name-only "sure": a person always confirms.
"""

from dataclasses import dataclass, field
from datetime import date

SURE = "sure"
DOUBTFUL = "doubtful"
NONE = "none"
CLASH = "clash"


@dataclass(frozen=True)
class Person:
    """One side of a match: a closing-school account (with its old MIS record's details) or a
    new-school MIS staff record."""

    key: int
    forename: str
    surname: str
    date_of_birth: date | None = None
    work_email: str = ""


@dataclass
class Proposal:
    account_key: int
    record_key: int | None
    score: int  # 0-100
    confidence: str  # SURE, DOUBTFUL, NONE or CLASH
    reasons: list[str] = field(default_factory=list)
    # Next-best records worth offering the reviewer: (record key, score), best first.
    alternatives: list[tuple[int, int]] = field(default_factory=list)


def matches_propose(accounts: list[Person], records: list[Person]) -> list[Proposal]:
    """One proposal per account (in the order given). PLACEHOLDER: exact names only."""
    by_name: dict[tuple[str, str], list[Person]] = {}
    for record in records:
        by_name.setdefault((record.forename.lower(), record.surname.lower()), []).append(record)
    proposals = []
    for account in accounts:
        found = by_name.get((account.forename.lower(), account.surname.lower()), [])
        if not found:
            proposals.append(Proposal(account.key, None, 0, NONE))
        else:
            proposals.append(Proposal(account.key, found[0].key, 80, DOUBTFUL, ["name_same"]))
    return proposals
