"""Staging a batch's records: the temporary tables, COPY, and what the snapshots leave out
(the roll compared before anything is written, and rule 5's hold).
"""

import io
from datetime import date, datetime

from django.utils import timezone

from accounts.models import User

from .. import policy

LEARNER_COLUMNS = (
    "upn_hash",
    "forename",
    "surname",
    "preferred_forename",
    "date_of_birth",
    "year_group",
    "admission_date",
    "leaving_date",
    "registration_group",
    "classes",
    "username_base",
)
STAFF_COLUMNS = (
    "staff_code",
    "title",
    "forename",
    "surname",
    "date_of_birth",
    "work_email",
    "role",
    "is_headteacher",
    "start_date",
    "leaving_date",
    "registration_group",
    "username_base",
)
STAGING_TABLES = {
    # The runs applied together, one per school.
    "stage_run": "school_id bigint PRIMARY KEY, run_id bigint, left_on date",
    "stage_learner": "school_id bigint, upn_hash varchar(64), forename varchar(100),"
    " surname varchar(100), preferred_forename varchar(100), date_of_birth date,"
    " year_group varchar(2), admission_date date, leaving_date date,"
    " registration_group varchar(20), classes text,"
    " username_base varchar(64), seq integer, cls varchar(10) DEFAULT 'new', record_id bigint,"
    " account_id bigint, PRIMARY KEY (school_id, upn_hash)",
    "stage_staff": "school_id bigint, staff_code varchar(10), title varchar(100),"
    " forename varchar(100), surname varchar(100), date_of_birth date,"
    " work_email varchar(254), role varchar(12), is_headteacher boolean, start_date date,"
    " leaving_date date, registration_group varchar(20), username_base varchar(64),"
    " seq integer, cls varchar(10) DEFAULT 'new', record_id bigint, account_id bigint,"
    " PRIMARY KEY (school_id, staff_code)",
    # Keys of rejected records: they stay as they were, so they must not look absent.
    "stage_kept": "school_id bigint, kind varchar(7), record_key varchar(64)",
    "new_account": "record_id bigint, record_key varchar(64), school_id bigint,"
    " username varchar(64), username_base varchar(64), email varchar(254), first_name varchar(100),"
    " last_name varchar(100), kind varchar(20), upn_hash varchar(64)",
}
# The new accounts of a run, staged for accounts_insert_from (their columns named as User's).
NEW_ACCOUNT_COLUMNS = (
    "record_id",
    "record_key",
    "school_id",
    "username",
    "username_base",
    "email",
    "first_name",
    "last_name",
    "kind",
    "upn_hash",
)


class Staging:
    """The staging of ``SnapshotApplication`` (a mixin: its state is the application's)."""

    # --- staging ------------------------------------------------------------------------------

    def _stage(self) -> None:
        """Empty staging tables, then the snapshots' rows in them.

        The tables live as long as the database connection (a worker's, say), so a run does not
        create and drop them; on PostgreSQL their rows go at each commit, and a run still inside
        someone's transaction (a test, a dry run) empties them first.
        """
        on_commit = " ON COMMIT DELETE ROWS" if self.pg else ""
        statements = []
        for table, columns in STAGING_TABLES.items():
            statements.append(f"CREATE TEMP TABLE IF NOT EXISTS {table} ({columns}){on_commit}")
            statements.append(f"DELETE FROM {table}")  # noqa: S608
        if self.pg:
            self._sql(";\n".join(statements))
        else:
            for statement in statements:
                self._sql(statement)
        self._load(
            "stage_run",
            ("school_id", "run_id", "left_on"),
            [
                (part.school.pk, part.run.pk, timezone.localdate(part.run.extracted_at))
                for part in self.parts
            ],
        )
        # seq: each record's place in its snapshot (new usernames are numbered in that order).
        self._load(
            "stage_learner",
            ("school_id", *LEARNER_COLUMNS, "seq"),
            [
                (part.school.pk, *row, seq)
                for part in self.parts
                for seq, row in enumerate(part.learners.rows)
            ],
        )
        self._load(
            "stage_staff",
            ("school_id", *STAFF_COLUMNS, "seq"),
            [
                (part.school.pk, *row, seq)
                for part in self.parts
                for seq, row in enumerate(part.staff.rows)
            ],
        )
        kept = [
            (part.school.pk, kind, key)
            for part in self.parts
            for kind, checked in (("learner", part.learners), ("staff", part.staff))
            for key in checked.rejected_keys
        ]
        self._load("stage_kept", ("school_id", "kind", "record_key"), kept)
        if self.pg:
            self._sql("ANALYZE stage_run; ANALYZE stage_learner; ANALYZE stage_staff")

    def _load(self, table: str, columns: tuple[str, ...], rows: list[tuple]) -> None:
        if not rows:
            return
        if self.pg:
            buffer = io.StringIO("".join(map(_copy_line, rows)))
            self.cursor.copy_expert(f"COPY {table} ({', '.join(columns)}) FROM STDIN", buffer)
        else:
            marks = ", ".join(["%s"] * len(columns))
            self.cursor.executemany(
                f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({marks})",  # noqa: S608
                rows,
            )

    def _unstage(self, school_ids: set[int]) -> None:
        """Take schools out of this application (their snapshots are held): nothing of theirs
        is written."""
        marks = ", ".join(["%s"] * len(school_ids))
        for table in ("stage_run", "stage_learner", "stage_staff", "stage_kept"):
            self._sql(
                f"DELETE FROM {table} WHERE school_id IN ({marks})",  # noqa: S608
                list(school_ids),
            )
        self.parts = [part for part in self.parts if part.school.pk not in school_ids]

    def _replace_temporary_upns(self) -> None:
        """The accounts of replaced temporary UPNs become their permanent UPNs' (checked by
        ``temporary_upns.temporary_upns_check``), with the school's record of them, so the
        learner is neither new nor a leaver there."""
        for part in self.parts:
            for new_hash, replacement in part.replacements.items():
                self._sql(
                    "UPDATE accounts_user SET upn_hash = %s WHERE id = %s",
                    [new_hash, replacement.account_id],
                )
                self._sql(
                    """
                    UPDATE provisioning_mislearner SET upn_hash = %s
                    WHERE school_id = %s AND upn_hash = %s
                      AND NOT EXISTS (SELECT 1 FROM provisioning_mislearner x
                                      WHERE x.school_id = %s AND x.upn_hash = %s)
                    """,
                    [new_hash, part.school.pk, replacement.previous_hash, part.school.pk, new_hash],
                )
            if part.replacements:
                self._audit_rows(
                    [
                        (*row, part.school.pk)
                        for row in User.objects.filter(
                            pk__in=[r.account_id for r in part.replacements.values()]
                        ).values_list("pk", "username")
                    ],
                    action="account.upn_replaced",
                )

    # --- protection against a bad sync ----------------------------------------------------------

    def _roll_compare(self) -> None:
        """Each school's current records of each kind, and how many of them this snapshot
        leaves out (neither sent nor rejected): ``self.roll[(kind, school id)]``."""
        self.roll: dict[tuple[str, int], tuple[int, int]] = {}
        in_schools, school_params = self._in_schools("m.school_id")
        for kind, table, key in (
            ("learner", "provisioning_mislearner", "upn_hash"),
            ("staff", "provisioning_misstaff", "staff_code"),
        ):
            for school_id, current, disappearing in self._sql(
                f"""
                SELECT m.school_id, COUNT(*),
                       COALESCE(SUM(CASE WHEN s.{key} IS NULL AND k.record_key IS NULL
                                    THEN 1 ELSE 0 END), 0)
                FROM {table} m
                LEFT JOIN stage_{kind} s ON s.school_id = m.school_id AND s.{key} = m.{key}
                LEFT JOIN stage_kept k ON k.school_id = m.school_id AND k.kind = %s
                                      AND k.record_key = m.{key}
                WHERE {in_schools} AND {policy.current_sql("m")}
                GROUP BY m.school_id
                """,  # noqa: S608
                [kind, *school_params],
            ).fetchall():
                self.roll[(kind, school_id)] = (current, disappearing)

    def _hold_reasons(self) -> dict[int, str]:
        """Rule 5 for each school: {school id: why its snapshot is held}, for those held."""
        reasons = {}
        for part in self.parts:
            if not part.learners.received and not part.staff.received:
                reasons[part.school.pk] = policy.empty_snapshot_reason()
                continue
            for kind, label in (("learner", "learners"), ("staff", "staff")):
                current, disappearing = self.roll.get((kind, part.school.pk), (0, 0))
                reason = policy.hold_reason(kind=label, current=current, disappearing=disappearing)
                if reason:
                    reasons[part.school.pk] = reason
                    break
        return reasons


def _copy_value(value) -> str:
    kind = type(value)  # most values are text: tested first
    if kind is str:
        if "\\" in value or "\n" in value:  # classes are kept one per line
            return value.replace("\\", "\\\\").replace("\n", "\\n")
        return value
    if value is None:
        return "\\N"
    if kind is bool:
        return "t" if value else "f"
    if isinstance(value, date | datetime):
        return value.isoformat()
    return str(value)


def _copy_line(row: tuple) -> str:
    return "\t".join(map(_copy_value, row)) + "\n"
