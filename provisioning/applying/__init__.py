"""Applying schools' snapshots, set-based: stage the records, then a few SQL statements.

One application takes the runs of one school or of many (a worker applies the queued runs of
several schools together: ``services/batches.py``). Records are staged in temporary tables
(``COPY`` on PostgreSQL) with their school, compared with the schools' MIS tables in SQL, and
every change (records, accounts, moves, audit entries) is one statement per kind of change for
all the schools at once, not one per person or per school. It runs inside the caller's
transaction; the rules it follows are in ``policy.py``, and accounts' rows are written through
``accounts.bulk``. Each school's outcome (its counts, usernames, warnings, or why it is held) is
its own: a school whose snapshot must be held is taken out before anything is written.

The pipeline is one class, ``SnapshotApplication`` (here, with ``apply()`` giving the order of
its steps); its steps share the staging tables and the state of one application (the classes of
the records, the accounts moved in), and live by subject in the mixins beside it: ``staging``,
``records``, ``accounts``, ``lifecycle`` and ``reports``.
"""

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date

from django.db import connection
from django.utils import timezone

from schools.models import School

from ..models import ProvisioningRun
from ..snapshots import CheckedRecords
from .accounts import Accounts
from .lifecycle import Lifecycle
from .records import Records
from .reports import Reports
from .staging import LEARNER_COLUMNS, STAFF_COLUMNS, STAGING_TABLES, Staging

__all__ = ["LEARNER_COLUMNS", "STAFF_COLUMNS", "Outcome", "Part", "SnapshotApplication"]


@dataclass
class Part:
    """One school's run in an application: its checked records."""

    run: ProvisioningRun
    school: School
    learners: CheckedRecords
    staff: CheckedRecords
    # Replaced temporary UPNs (``temporary_upns.temporary_upns_check``).
    replacements: dict = field(default_factory=dict)


@dataclass
class Outcome:
    counts: dict = field(default_factory=dict)
    accounts: dict = field(default_factory=dict)
    held_reason: str = ""
    # Other schools whose learners are now also on roll here: {school id: count}.
    new_roll_conflicts: dict[int, int] = field(default_factory=dict)
    # Learners whose move between schools is held, or kept apart (the contract's shape).
    warnings: list[dict] = field(default_factory=list)


class SnapshotApplication(Staging, Records, Accounts, Lifecycle, Reports):
    """The snapshots of one or more schools applied together. Use ``apply()`` inside a
    transaction; it returns each school's ``Outcome`` by school id."""

    def __init__(self, *, parts: list[Part], today: date, check_hold: bool):
        if len({part.school.pk for part in parts}) != len(parts):
            raise ValueError("one run per school in an application")
        self.parts = list(parts)
        self.today = today
        self.check_hold = check_hold
        self.now = timezone.now()
        self.pg = connection.vendor == "postgresql"
        self.distinct = "IS DISTINCT FROM" if self.pg else "IS NOT"
        self.inserted: dict[str, int] = defaultdict(int)
        self.held_here: set[tuple[int, str]] = set()
        self.moved_in: list[int] = []
        self.linked = 0  # records that found their learner's existing account

    @property
    def school_ids(self) -> list[int]:
        return [part.school.pk for part in self.parts]

    def _in_schools(self, column: str) -> tuple[str, list[int]]:
        """``column IN (…)`` over the schools being applied, with its parameters."""
        ids = self.school_ids
        return f"{column} IN ({', '.join(['%s'] * len(ids))})", ids

    # --- the whole application ----------------------------------------------------------------

    def apply(self) -> dict[int, Outcome]:
        outcomes = {part.school.pk: Outcome() for part in self.parts}
        with connection.cursor() as cursor:
            self.cursor = cursor
            try:
                if self.pg:
                    # Its joins look up thousands of keys in tables of Wales held in memory:
                    # plan index look-ups as cheap as they are there, for this transaction only
                    # (the default, 4, is for spinning disks and plans scans of all of Wales).
                    self._sql("SET LOCAL random_page_cost = 1.1")
                self._stage()
                self._replace_temporary_upns()
                self._roll_compare()
                if self.check_hold:
                    held = self._hold_reasons()
                    for school_id, reason in held.items():
                        outcomes[school_id].held_reason = reason
                    if held:
                        self._unstage(set(held))
                    if not self.parts:
                        return outcomes
                self._classify("learner")
                self._classify("staff")
                self._count_classes()
                if self.pg:  # the statements after this go by the records' classes
                    self._sql("ANALYZE stage_learner; ANALYZE stage_staff")
                self._write_records("learner")
                self._write_records("staff")
                self._refresh_statistics()
                learners_absent = self._mark_absent("learner")
                staff_absent = self._mark_absent("staff")
                conflicts: dict[int, dict[int, int]] = {}
                # Statements with nothing to do are skipped: an unchanged roll is cheap.
                # Records written before that have no account yet (back on roll, say).
                if self._has("learner", "changed", "restored"):
                    self.linked += self._link_existing_learner_accounts()
                    self._create_accounts("learner")
                    self.linked += self._link_existing_learner_accounts()
                if self.linked or self._has("learner", "restored"):
                    conflicts = self._new_roll_conflicts()
                if self._has("staff", "changed", "restored"):
                    self._create_accounts("staff")
                self._move_learners()
                warnings = self._held_warnings()
                self._update_names()
                self._restore_accounts()
                self._deactivate_leavers()
                self._follow_headteachers()
                learner_counts = self._counts("learner", learners_absent)
                staff_counts = self._counts("staff", staff_absent)
                usernames = self._usernames()
                # Conflicts that the moves resolved are not conflicts.
                if conflicts:
                    conflicts = self._new_roll_conflicts()
                for part in self.parts:
                    outcome = outcomes[part.school.pk]
                    outcome.counts = {
                        "learners": learner_counts[part.school.pk],
                        "staff": staff_counts[part.school.pk],
                    }
                    outcome.accounts = usernames[part.school.pk]
                    outcome.warnings = warnings.get(part.school.pk, [])
                    outcome.new_roll_conflicts = conflicts.get(part.school.pk, {})
            finally:
                if not self.pg:  # SQLite keeps no ON COMMIT clause: leave nothing behind
                    for table in STAGING_TABLES:
                        cursor.execute(f"DELETE FROM {table}")  # noqa: S608
        return outcomes

    def _sql(self, sql: str, params=()):
        self.cursor.execute(sql, params)
        return self.cursor
