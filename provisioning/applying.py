"""Applying one school's snapshot, set-based: stage the records, then a few SQL statements.

Records are staged in temporary tables (``COPY`` on PostgreSQL), compared with the school's MIS
tables in SQL, and every change (records, accounts, moves, audit entries) is one statement per
kind of change, not one per person. It runs inside the caller's transaction; the rules it follows
are in ``policy.py``, and accounts' rows are written through ``accounts.bulk``.

It is long because it is one pipeline with one job: its statements share the staging tables and
the state of one application (the classes of the records, the accounts moved in), and read in
the order they run; split, each part would need all of that passed back and forth.
"""

import io
import secrets
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime

from django.conf import settings
from django.db import connection
from django.utils import timezone

from accounts.bulk import (
    AccountRef,
    accounts_insert_from,
    audit_entries_insert_from,
    audit_entry_build,
)
from accounts.models import AuditEntry, SchoolRole, User
from accounts.services import audit_record, school_role_grant
from accounts.usernames import usernames_allocate
from schools.models import School

from . import policy
from .contract import LEARNER_COUNTS, STAFF_COUNTS
from .models import HeldLearnerMove, MisStaff, ProvisioningRun
from .moves import ACTOR, learner_moves_settle
from .snapshots import MESSAGES, CheckedRecords

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
# The tables whose statistics decide the plans of a run.
STATISTICS_WATCHED = (
    "accounts_user",
    "provisioning_mislearner",
    "provisioning_misstaff",
    "accounts_auditentry",
)
STAGING_TABLES = {
    "stage_learner": "upn_hash varchar(64) PRIMARY KEY, forename varchar(100),"
    " surname varchar(100), preferred_forename varchar(100), date_of_birth date,"
    " year_group varchar(2), admission_date date, leaving_date date,"
    " registration_group varchar(20), classes text,"
    " username_base varchar(64), cls varchar(10) DEFAULT 'new', record_id bigint",
    "stage_staff": "staff_code varchar(10) PRIMARY KEY, title varchar(100),"
    " forename varchar(100), surname varchar(100), date_of_birth date,"
    " work_email varchar(254), role varchar(12), is_headteacher boolean, start_date date,"
    " leaving_date date, registration_group varchar(20), username_base varchar(64),"
    " cls varchar(10) DEFAULT 'new',"
    " record_id bigint",
    # Keys of rejected records: they stay as they were, so they must not look absent.
    "stage_kept": "kind varchar(7), record_key varchar(64)",
    "new_account": "record_id bigint, username varchar(64), username_base varchar(64),"
    " email varchar(254), first_name varchar(100), last_name varchar(100), kind varchar(20),"
    " upn_hash varchar(64)",
}
# The new accounts of a run, staged for accounts_insert_from (their columns named as User's).
NEW_ACCOUNT_COLUMNS = (
    "record_id",
    "username",
    "username_base",
    "email",
    "first_name",
    "last_name",
    "kind",
    "upn_hash",
)
_STAFF_KIND = {
    "teaching": User.Kind.STAFF,
    "support": User.Kind.STAFF,
    "governor": User.Kind.GOVERNOR,
    "ite_student": User.Kind.ITE_STUDENT,
}


@dataclass
class Outcome:
    counts: dict = field(default_factory=dict)
    accounts: dict = field(default_factory=dict)
    held_reason: str = ""
    # Other schools whose learners are now also on roll here: {school id: count}.
    new_roll_conflicts: dict[int, int] = field(default_factory=dict)
    # Learners whose move between schools is held, or kept apart (the contract's shape).
    warnings: list[dict] = field(default_factory=list)


class SnapshotApplication:
    """One snapshot applied to one school. Use ``apply()`` inside a transaction."""

    def __init__(
        self,
        *,
        run: ProvisioningRun,
        school: School,
        learners: CheckedRecords,
        staff: CheckedRecords,
        today: date,
        check_hold: bool,
        replacements: dict | None = None,
    ):
        self.run = run
        self.replacements = replacements or {}
        self.school = school
        self.learners = learners
        self.staff = staff
        self.today = today
        self.left_on = timezone.localdate(run.extracted_at)
        self.check_hold = check_hold
        self.now = timezone.now()
        self.pg = connection.vendor == "postgresql"
        self.distinct = "IS DISTINCT FROM" if self.pg else "IS NOT"
        self.inserted: dict[str, int] = defaultdict(int)
        self.held_here: set[str] = set()

    # --- the whole application ----------------------------------------------------------------

    def apply(self) -> Outcome:
        outcome = Outcome()
        with connection.cursor() as cursor:
            self.cursor = cursor
            try:
                self._stage()
                self._replace_temporary_upns()
                if self.check_hold:
                    outcome.held_reason = self._hold_reason()
                    if outcome.held_reason:
                        return outcome
                self._classify("learner")
                self._classify("staff")
                self._count_classes()
                self._write_records("learner")
                self._write_records("staff")
                learners_absent = self._mark_absent("learner")
                staff_absent = self._mark_absent("staff")
                # Statements with nothing to do are skipped: an unchanged roll is cheap.
                if self._has("learner", "new", "restored"):
                    self._link_existing_learner_accounts()
                    self._create_accounts("learner")
                    outcome.new_roll_conflicts = self._new_roll_conflicts()
                if self._has("staff", "new", "restored"):
                    self._create_accounts("staff")
                self._refresh_statistics()
                self._move_learners()
                outcome.warnings = self._held_warnings()
                self._update_names()
                self._restore_accounts()
                self._deactivate_leavers()
                self._follow_headteacher()
                outcome.counts = {
                    "learners": self._counts("learner", learners_absent),
                    "staff": self._counts("staff", staff_absent),
                }
                outcome.accounts = self._usernames()
                # Conflicts that the moves resolved are not conflicts.
                outcome.new_roll_conflicts = self._still_on_roll_elsewhere(
                    outcome.new_roll_conflicts
                )
            finally:
                if not self.pg:  # SQLite keeps no ON COMMIT clause: leave nothing behind
                    for table in STAGING_TABLES:
                        cursor.execute(f"DELETE FROM {table}")  # noqa: S608
        return outcome

    def _sql(self, sql: str, params=()):
        self.cursor.execute(sql, params)
        return self.cursor

    # --- staging ------------------------------------------------------------------------------

    def _stage(self) -> None:
        """Empty staging tables, then the snapshot's rows in them.

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
        self._load("stage_learner", LEARNER_COLUMNS, self.learners.rows)
        self._load("stage_staff", STAFF_COLUMNS, self.staff.rows)
        kept = [("learner", key) for key in self.learners.rejected_keys] + [
            ("staff", key) for key in self.staff.rejected_keys
        ]
        self._load("stage_kept", ("kind", "record_key"), kept)
        if self.pg:
            self._sql("ANALYZE stage_learner; ANALYZE stage_staff")

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

    def _replace_temporary_upns(self) -> None:
        """The accounts of replaced temporary UPNs become their permanent UPNs' (checked by
        ``temporary_upns.temporary_upns_check``), with this school's record of them, so the
        learner is neither new nor a leaver here."""
        for new_hash, replacement in self.replacements.items():
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
                [new_hash, self.school.pk, replacement.previous_hash, self.school.pk, new_hash],
            )
        if self.replacements:
            self._audit_rows(
                list(
                    User.objects.filter(
                        pk__in=[r.account_id for r in self.replacements.values()]
                    ).values_list("pk", "username")
                ),
                action="account.upn_replaced",
            )

    # --- protection against a bad sync ----------------------------------------------------------

    def _hold_reason(self) -> str:
        if not self.learners.received and not self.staff.received:
            return policy.empty_snapshot_reason()
        for kind, table, key, label in (
            ("learner", "provisioning_mislearner", "upn_hash", "learners"),
            ("staff", "provisioning_misstaff", "staff_code", "staff"),
        ):
            current, disappearing = self._sql(
                f"""
                SELECT COUNT(*),
                       COALESCE(SUM(CASE WHEN s.{key} IS NULL AND k.record_key IS NULL
                                    THEN 1 ELSE 0 END), 0)
                FROM {table} m
                LEFT JOIN stage_{kind} s ON s.{key} = m.{key}
                LEFT JOIN stage_kept k ON k.kind = %s AND k.record_key = m.{key}
                WHERE m.school_id = %s AND {policy.current_sql("m")}
                """,  # noqa: S608
                [kind, self.school.pk],
            ).fetchone()
            reason = policy.hold_reason(kind=label, current=current, disappearing=disappearing)
            if reason:
                return reason
        return ""

    # --- the MIS records ----------------------------------------------------------------------

    def _compared(self, kind: str) -> tuple[str, str, tuple[str, ...]]:
        if kind == "learner":
            return "provisioning_mislearner", "upn_hash", LEARNER_COLUMNS[1:-1]
        return "provisioning_misstaff", "staff_code", STAFF_COLUMNS[1:-1]

    def _classify(self, kind: str) -> None:
        """Mark each staged record new, same, changed, restored (back on roll) or leaving."""
        table, key, columns = self._compared(kind)
        target = f"stage_{kind}"
        differs = " OR ".join(f"{target}.{c} {self.distinct} m.{c}" for c in columns)
        self._sql(
            f"""
            UPDATE {target} SET record_id = m.id, cls = CASE
                WHEN {target}.leaving_date IS NOT NULL AND (m.leaving_date IS NULL OR m.absent)
                    THEN 'leaving'
                WHEN {target}.leaving_date IS NULL AND m.leaving_date IS NOT NULL
                    THEN 'restored'
                WHEN m.absent OR {differs} THEN 'changed'
                ELSE 'same' END
            FROM {table} m
            WHERE m.school_id = %s AND m.{key} = {target}.{key}
            """,  # noqa: S608
            [self.school.pk],
        )

    def _count_classes(self) -> None:
        self.classes = {
            (kind, cls): count
            for kind, cls, count in self._sql(
                "SELECT 'learner', cls, COUNT(*) FROM stage_learner GROUP BY cls"
                " UNION ALL SELECT 'staff', cls, COUNT(*) FROM stage_staff GROUP BY cls"
            ).fetchall()
        }

    def _has(self, kind: str, *classes: str) -> bool:
        return any(self.classes.get((kind, cls)) for cls in classes)

    def _write_records(self, kind: str) -> None:
        table, key, columns = self._compared(kind)
        names = ", ".join(columns)
        if not self._has(kind, "new"):
            self._write_changes(kind)
            return
        self.inserted[table] += self._sql(
            f"""
            INSERT INTO {table} (school_id, {key}, {names}, absent, updated_at)
            SELECT %s, {key}, {names}, %s, %s FROM stage_{kind} WHERE cls = 'new'
            """,  # noqa: S608
            [self.school.pk, False, self.now],
        ).rowcount
        self._write_changes(kind)

    def _write_changes(self, kind: str) -> None:
        if not self._has(kind, "changed", "restored", "leaving"):
            return
        table, _key, columns = self._compared(kind)
        assignments = ", ".join(f"{c} = s.{c}" for c in columns)
        self._sql(
            f"""
            UPDATE {table} SET {assignments}, absent = %s, updated_at = %s
            FROM stage_{kind} s
            WHERE {table}.id = s.record_id AND s.cls NOT IN ('new', 'same')
            """,  # noqa: S608
            [False, self.now],
        )

    def _mark_absent(self, kind: str) -> int:
        """A person held before and absent now left on the snapshot's date."""
        table, key, _columns = self._compared(kind)
        return self._sql(
            f"""
            UPDATE {table} SET leaving_date = %s, absent = %s, updated_at = %s
            WHERE school_id = %s AND {policy.current_sql(table)}
              AND NOT EXISTS (SELECT 1 FROM stage_{kind} s WHERE s.{key} = {table}.{key})
              AND NOT EXISTS (SELECT 1 FROM stage_kept k
                              WHERE k.kind = %s AND k.record_key = {table}.{key})
            """,  # noqa: S608
            [self.left_on, True, self.now, self.school.pk, kind],
        ).rowcount

    # --- accounts -----------------------------------------------------------------------------

    def _link_existing_learner_accounts(self) -> None:
        """One account per UPN across Wales: a record finds the learner's account wherever,
        unless the Hwb team kept this school's learner apart from that account."""
        self._sql(
            """
            UPDATE provisioning_mislearner SET account_id = u.id
            FROM accounts_user u
            WHERE provisioning_mislearner.school_id = %s
              AND provisioning_mislearner.account_id IS NULL
              AND u.upn_hash = provisioning_mislearner.upn_hash
              AND NOT EXISTS (SELECT 1 FROM provisioning_heldlearnermove k
                              WHERE k.account_id = u.id AND k.to_school_id = %s
                                AND k.status = %s)
            """,
            [self.school.pk, self.school.pk, HeldLearnerMove.Status.KEPT_APART],
        )

    def _create_accounts(self, kind: str) -> None:
        """Accounts for people on roll (or admitted for a later date) who have none yet,
        including those whose leaving date is still ahead (an ITE placement's end, a fixed-term
        contract): the first run on or after that date deactivates them as usual."""
        left, left_params = policy.deactivated_by_run_sql("m", run_date=self.today)
        if kind == "learner":
            rows = self._sql(
                f"""
                SELECT m.id, m.forename, m.surname, s.username_base, %s, m.upn_hash
                FROM provisioning_mislearner m JOIN stage_learner s ON s.upn_hash = m.upn_hash
                WHERE m.school_id = %s AND m.account_id IS NULL AND NOT {left}
                  AND NOT EXISTS (SELECT 1 FROM accounts_user x WHERE x.upn_hash = m.upn_hash)
                ORDER BY m.id
                """,  # noqa: S608
                [User.Kind.LEARNER, self.school.pk, *left_params],
            ).fetchall()
        else:
            rows = [
                (record_id, forename, surname, base, _STAFF_KIND[role], None)
                for record_id, forename, surname, base, role in self._sql(
                    f"""
                    SELECT m.id, m.forename, m.surname, s.username_base, m.role
                    FROM provisioning_misstaff m JOIN stage_staff s ON s.staff_code = m.staff_code
                    WHERE m.school_id = %s AND m.account_id IS NULL AND NOT {left}
                    ORDER BY m.id
                    """,  # noqa: S608
                    [self.school.pk, *left_params],
                ).fetchall()
            ]
        if not rows:
            return
        usernames = usernames_allocate([row[3] for row in rows])
        self._sql("DELETE FROM new_account")
        domain = "@" + settings.HWB_EMAIL_DOMAIN
        staged = [
            (record_id, username, base, username + domain, forename, surname, account_kind, hashed)
            for (record_id, forename, surname, base, account_kind, hashed), username in zip(
                rows, usernames, strict=True
            )
        ]
        self._load("new_account", NEW_ACCOUNT_COLUMNS, staged)
        self.inserted["accounts_user"] += len(rows)
        self.inserted["accounts_auditentry"] += len(rows)
        accounts_insert_from(
            self.cursor,
            source="new_account n",
            columns={
                "username": "n.username",
                "username_base": "n.username_base",
                "email": "n.email",
                "first_name": "n.first_name",
                "last_name": "n.last_name",
                "kind": "n.kind",
                "upn_hash": "n.upn_hash",
            },
            password="!" + secrets.token_urlsafe(30),  # no password until one is issued
            school=self.school,
            date_joined=self.now,
        )
        table = "provisioning_mislearner" if kind == "learner" else "provisioning_misstaff"
        self._sql(
            f"""
            UPDATE {table} SET account_id = u.id
            FROM new_account n JOIN accounts_user u ON u.username = n.username
            WHERE {table}.id = n.record_id
            """,  # noqa: S608
        )
        self._audit_from(
            "new_account n JOIN accounts_user u ON u.username = n.username",
            action="account.created",
        )

    def _refresh_statistics(self) -> None:
        """ANALYZE the tables provisioning grows once a tenth of them has changed since their
        last ANALYZE (autovacuum's own rule), in case autovacuum is behind or switched off.

        PostgreSQL plans by its statistics: a table that was nearly empty at its last ANALYZE
        looks small and few-valued, and a join planned for one school's rows meets a scan of
        Wales. Usually autovacuum has done it already and nothing happens here.
        """
        if not self.pg:
            return
        tables = list(STATISTICS_WATCHED)
        rows = self._sql(
            """
            SELECT c.relname, COALESCE(s.n_mod_since_analyze, 0), GREATEST(c.reltuples, 0)
            FROM pg_class c LEFT JOIN pg_stat_user_tables s ON s.relid = c.oid
            WHERE c.relname = ANY(%s) AND c.relkind = 'r'
            """,
            [tables],
        ).fetchall()
        for table, modified, size in rows:
            changed = modified + self.inserted.get(table, 0)
            if changed > 50 + 0.1 * size:
                self._sql(f"ANALYZE {table}")

    def _audit_from(self, source: str, *, action: str) -> None:
        """One audit entry per account ``u`` of the rows of ``source`` (a FROM clause), in one
        statement."""
        audit_entries_insert_from(
            self.cursor,
            entry=self._audit_entry(action=action),
            source=source,
            target_id="u.id",
            target_repr="u.username",
        )

    def _audit_entry(self, *, action: str, target=None, extra: dict | None = None):
        return audit_entry_build(
            actor=None,
            job=ACTOR,
            action=action,
            target=target,
            school=self.school,
            details={"run": self.run.pk, **(extra or {})},
            created_at=self.now,
        )

    # --- learners moving between schools --------------------------------------------------------

    def _new_roll_conflicts(self) -> dict[int, int]:
        """Learners newly on roll here whose account's school still has them on roll."""
        rows = self._sql(
            f"""
            SELECT u.school_id, COUNT(*)
            FROM stage_learner s
            JOIN provisioning_mislearner m ON m.school_id = %s AND m.upn_hash = s.upn_hash
            JOIN accounts_user u ON u.id = m.account_id
            WHERE s.cls IN ('new', 'restored') AND {policy.current_sql("m")}
              AND u.school_id <> m.school_id
              AND EXISTS (SELECT 1 FROM provisioning_mislearner h
                          WHERE h.account_id = u.id AND h.school_id = u.school_id
                            AND {policy.current_sql("h")})
            GROUP BY u.school_id
            """,  # noqa: S608
            [self.school.pk],
        ).fetchall()
        return dict(rows)

    def _still_on_roll_elsewhere(self, conflicts: dict[int, int]) -> dict[int, int]:
        if not conflicts:
            return {}
        return self._new_roll_conflicts()

    def _move_learners(self) -> None:
        """Rule 3 for every learner this run touches, here or at their old school."""
        self.moved_in = learner_moves_settle(
            today=self.today,
            scope_school=self.school,
            run=self.run,
            cursor=self.cursor,
        )

    # --- account state that follows the records ---------------------------------------------------

    def _held_warnings(self) -> list[dict]:
        """A warning for each record of this snapshot whose account's move is held (at either
        school), or whom the Hwb team kept apart from the account of its UPN."""
        rows = self._sql(
            f"""
            SELECT s.upn_hash, k.status, k.to_school_id
            FROM provisioning_heldlearnermove k
            JOIN accounts_user u ON u.id = k.account_id
            JOIN stage_learner s ON s.upn_hash = u.upn_hash
            WHERE (k.status = %s AND (k.to_school_id = %s OR k.from_school_id = %s))
               OR (k.status = %s AND k.to_school_id = %s AND {policy.current_sql("s")})
            """,  # noqa: S608
            [
                HeldLearnerMove.Status.OPEN,
                self.school.pk,
                self.school.pk,
                HeldLearnerMove.Status.KEPT_APART,
                self.school.pk,
            ],
        ).fetchall()
        # Held here: the account is someone else's until the Hwb team decides.
        self.held_here = {
            hashed
            for hashed, status, to_school in rows
            if status == HeldLearnerMove.Status.OPEN and to_school == self.school.pk
        }
        if not rows:
            return []
        codes = {
            hashed: "move_held" if status == HeldLearnerMove.Status.OPEN else "upn_in_use"
            for hashed, status, _to in rows
        }
        return [
            {
                "record": f"learners[{position}]",
                "key": upn,
                "field": "upn",
                "code": codes[row[0]],
                "message": str(MESSAGES[codes[row[0]]]),
            }
            for upn, row, position in zip(
                self.learners.keys, self.learners.rows, self.learners.positions, strict=True
            )
            if row[0] in codes
        ]

    def _update_names(self) -> None:
        """A name the MIS changed is the account's name too (the username stays)."""
        for kind, table, key in (
            ("learner", "provisioning_mislearner", "upn_hash"),
            ("staff", "provisioning_misstaff", "staff_code"),
        ):
            if not self._has(kind, "changed", "restored"):
                continue
            self._sql(
                f"""
                UPDATE accounts_user SET first_name = s.forename, last_name = s.surname
                FROM stage_{kind} s JOIN {table} m ON m.school_id = %s AND m.{key} = s.{key}
                WHERE s.cls IN ('changed', 'restored')
                  AND m.account_id = accounts_user.id AND accounts_user.school_id = m.school_id
                  AND {policy.current_sql("m")}
                  AND (accounts_user.first_name <> s.forename
                       OR accounts_user.last_name <> s.surname)
                """,  # noqa: S608
                [self.school.pk],
            )
        if self.moved_in:
            # Learners who just moved here take the names this school's MIS gives them.
            marks = ", ".join(["%s"] * len(self.moved_in))
            self._sql(
                f"""
                UPDATE accounts_user SET first_name = m.forename, last_name = m.surname
                FROM provisioning_mislearner m
                WHERE accounts_user.id IN ({marks}) AND m.account_id = accounts_user.id
                  AND m.school_id = %s
                """,  # noqa: S608
                [*self.moved_in, self.school.pk],
            )

    def _restore_accounts(self) -> None:
        """Rule 4: back on this school's roll, the same account is reactivated."""
        for kind, table in (
            ("learner", "provisioning_mislearner"),
            ("staff", "provisioning_misstaff"),
        ):
            if not self._has(kind, "restored"):
                continue
            restorable, restorable_params = policy.restorable_sql("accounts_user")
            restored = self._sql(
                f"""
                UPDATE accounts_user SET is_active = %s, deactivated_at = NULL,
                    deactivation_reason = '', deletion_due_at = NULL
                FROM {table} m
                WHERE m.account_id = accounts_user.id AND m.school_id = %s
                  AND accounts_user.school_id = m.school_id AND {policy.current_sql("m")}
                  AND {restorable}
                RETURNING accounts_user.id, accounts_user.username
                """,  # noqa: S608
                [True, self.school.pk, *restorable_params],
            ).fetchall()
            self._audit_rows(restored, action="account.restored")

    def _deactivate_leavers(self) -> None:
        """Rule 2: deactivated by the first run on or after the leaving date."""
        by_leaving_date = defaultdict(list)
        left, left_params = policy.deactivated_by_run_sql("m", run_date=self.today)
        for table in ("provisioning_mislearner", "provisioning_misstaff"):
            for user_id, leaving in self._sql(
                f"""
                SELECT u.id, m.leaving_date FROM {table} m
                JOIN accounts_user u ON u.id = m.account_id
                WHERE m.school_id = %s AND u.school_id = m.school_id AND u.is_active AND {left}
                """,  # noqa: S608
                [self.school.pk, *left_params],
            ).fetchall():
                if isinstance(leaving, str):  # SQLite
                    leaving = date.fromisoformat(leaving)
                by_leaving_date[leaving].append(user_id)
        for leaving, user_ids in by_leaving_date.items():
            User.objects.filter(pk__in=user_ids).update(
                is_active=False,
                deactivated_at=self.now,
                deactivation_reason=policy.LEAVER_REASON,
                deletion_due_at=policy.deletion_due(leaving),
            )
            rows = User.objects.filter(pk__in=user_ids).values_list("pk", "username")
            self._audit_rows(list(rows), action="account.deactivated", extra={"left": str(leaving)})

    def _audit_rows(self, rows, *, action: str, extra: dict | None = None) -> None:
        """One audit entry per (id, username) row, in one statement."""
        if rows:
            AuditEntry.objects.bulk_create(
                self._audit_entry(action=action, target=AccountRef(*row), extra=extra)
                for row in rows
            )

    def _follow_headteacher(self) -> None:
        """The headteacher is the account of the current staff record marked as such."""
        heads = list(
            MisStaff.objects.filter(
                policy.current_q(),
                school=self.school,
                is_headteacher=True,
                account__school=self.school,
                account__is_active=True,
            ).values_list("account_id", flat=True)
        )
        current = SchoolRole.objects.filter(
            school=self.school, role=SchoolRole.Role.HEADTEACHER
        ).first()
        if len(heads) == 1:
            if current is None or current.user_id != heads[0]:
                school_role_grant(
                    actor=None,
                    user=User.objects.get(pk=heads[0]),
                    school=self.school,
                    role=SchoolRole.Role.HEADTEACHER,
                )
        elif not heads and current is not None and self.staff.received:
            audit_record(
                actor=None,
                action="school_role.revoked",
                target=current.user,
                school=self.school,
                details={"role": SchoolRole.Role.HEADTEACHER, "run": self.run.pk},
            )
            current.delete()

    # --- what the run reports -------------------------------------------------------------------

    def _counts(self, kind: str, absent: int) -> dict:
        table, key, _columns = self._compared(kind)
        if kind == "learner":
            moved = list(self.moved_in) or [0]
            marks = ", ".join(["%s"] * len(moved))
            on_roll, on_roll_params = policy.on_roll_sql("m", today=self.today)
            category = f"""CASE
                WHEN m.account_id IN ({marks}) THEN 'moved_in'
                WHEN {on_roll} AND u.school_id <> m.school_id THEN 'awaiting_leaver'
                WHEN s.cls = 'new' THEN 'created'
                WHEN s.cls = 'leaving' THEN 'left'
                WHEN s.cls IN ('changed', 'restored') THEN 'updated'
                ELSE 'unchanged' END"""
            params = [*moved, *on_roll_params]
            counts = dict.fromkeys(LEARNER_COUNTS, 0)
            checked = self.learners
        else:
            category = """CASE WHEN s.cls = 'new' THEN 'created'
                WHEN s.cls = 'leaving' THEN 'left'
                WHEN s.cls IN ('changed', 'restored') THEN 'updated'
                ELSE 'unchanged' END"""
            params = []
            counts = dict.fromkeys(STAFF_COUNTS, 0)
            checked = self.staff
        for name, number in self._sql(
            f"""
            SELECT category, COUNT(*) FROM (
                SELECT {category} AS category
                FROM stage_{kind} s
                JOIN {table} m ON m.school_id = %s AND m.{key} = s.{key}
                LEFT JOIN accounts_user u ON u.id = m.account_id
            ) q GROUP BY category
            """,  # noqa: S608
            [*params, self.school.pk],
        ).fetchall():
            counts[name] = number
        counts["left"] += absent
        counts["received"] = checked.received
        counts["rejected"] = checked.received - len(checked.rows)
        return counts

    def _usernames(self) -> dict:
        learner_names = dict(
            self._sql(
                """
                SELECT m.upn_hash, u.username FROM stage_learner s
                JOIN provisioning_mislearner m ON m.school_id = %s AND m.upn_hash = s.upn_hash
                JOIN accounts_user u ON u.id = m.account_id
                """,
                [self.school.pk],
            ).fetchall()
        )
        staff_names = dict(
            self._sql(
                """
                SELECT m.staff_code, u.username FROM stage_staff s
                JOIN provisioning_misstaff m ON m.school_id = %s AND m.staff_code = s.staff_code
                JOIN accounts_user u ON u.id = m.account_id
                """,
                [self.school.pk],
            ).fetchall()
        )
        for hashed in self.held_here:  # not theirs (yet): the Hwb team decides
            learner_names.pop(hashed, None)
        return {
            "learners": {
                upn: learner_names.get(row[0])
                for upn, row in zip(self.learners.keys, self.learners.rows, strict=True)
            },
            "staff": {code: staff_names.get(code) for code in self.staff.keys},
        }


def _copy_value(value) -> str:
    if value is None:
        return "\\N"
    if value is True:
        return "t"
    if value is False:
        return "f"
    if isinstance(value, str):
        if "\\" in value or "\n" in value:  # classes are kept one per line
            return value.replace("\\", "\\\\").replace("\n", "\\n")
        return value
    if isinstance(value, date | datetime):
        return value.isoformat()
    return str(value)


def _copy_line(row: tuple) -> str:
    return "\t".join(map(_copy_value, row)) + "\n"
