"""Accounts for the records that need them (linked across Wales by UPN, or created with their
usernames), the statistics that plan the run, and the audit entries of bulk writes.
"""

import secrets

from django.conf import settings

from accounts.bulk import (
    accounts_insert_from,
    audit_entries_insert_from,
    audit_entry_build,
)
from accounts.models import User
from accounts.usernames import usernames_allocate

from .. import policy
from ..models import HeldLearnerMove
from ..moves import ACTOR
from .staging import NEW_ACCOUNT_COLUMNS

# The tables a run reads whose statistics decide its plans (audit entries are only written).
STATISTICS_WATCHED = (
    "accounts_user",
    "provisioning_mislearner",
    "provisioning_misstaff",
)
# A watched table is analysed here once it has changed by more than its size at its last ANALYZE
# (and by a thousand rows): it has at least doubled, or been rewritten.
STATISTICS_STALE_ROWS = 1000
_STAFF_KIND = {
    "teaching": User.Kind.STAFF,
    "support": User.Kind.STAFF,
    "governor": User.Kind.GOVERNOR,
    "ite_student": User.Kind.ITE_STUDENT,
}


class Accounts:
    """The accounts of ``SnapshotApplication`` (a mixin)."""

    # --- accounts -----------------------------------------------------------------------------

    def _link_existing_learner_accounts(self, *, staged: bool = False) -> int:
        """One account per UPN across Wales: a record finds the learner's account wherever,
        unless the Hwb team kept this school's learner apart from that account. Returns how many
        records found one. ``staged``: the new records, before they are written."""
        if staged:
            linked = self._sql(
                """
                UPDATE stage_learner SET account_id = u.id
                FROM accounts_user u
                WHERE stage_learner.cls = 'new' AND stage_learner.account_id IS NULL
                  AND u.upn_hash = stage_learner.upn_hash
                  AND NOT EXISTS (SELECT 1 FROM provisioning_heldlearnermove k
                                  WHERE k.account_id = u.id
                                    AND k.to_school_id = stage_learner.school_id
                                    AND k.status = %s)
                """,
                [HeldLearnerMove.Status.KEPT_APART],
            ).rowcount
            self.linked += linked
            return linked
        in_schools, school_params = self._in_schools("provisioning_mislearner.school_id")
        return self._sql(
            f"""
            UPDATE provisioning_mislearner SET account_id = u.id
            FROM accounts_user u
            WHERE {in_schools}
              AND provisioning_mislearner.account_id IS NULL
              AND u.upn_hash = provisioning_mislearner.upn_hash
              AND NOT EXISTS (SELECT 1 FROM provisioning_heldlearnermove k
                              WHERE k.account_id = u.id
                                AND k.to_school_id = provisioning_mislearner.school_id
                                AND k.status = %s)
            """,  # noqa: S608
            [*school_params, HeldLearnerMove.Status.KEPT_APART],
        ).rowcount

    def _create_accounts(self, kind: str, *, staged: bool = False) -> None:
        """Accounts for people on roll (or admitted for a later date) who have none yet,
        including those whose leaving date is still ahead (an ITE placement's end, a fixed-term
        contract): the first run on or after that date deactivates them as usual. A learner new
        to two schools of the batch gets one account, at the school of the earlier run.

        ``staged``: for the new records, before they are written (each is then written with its
        account); otherwise for written records that have none (a record back on roll).
        """
        find = self._staged_without_account if staged else self._written_without_account
        rows = find(kind)
        if rows:
            self._accounts_insert(kind, rows, staged=staged)

    def _written_without_account(self, kind: str) -> list[tuple]:
        """Written records on roll that have no account: (record id, None, school id, forename,
        surname, base, account kind, UPN hash), in the order of the runs and the records."""
        left, left_params = policy.deactivated_by_run_sql("m", run_date=self.today)
        in_schools, school_params = self._in_schools("m.school_id")
        if kind == "learner":
            rows = self._sql(
                f"""
                SELECT m.id, NULL, m.school_id, m.forename, m.surname, s.username_base, %s,
                       m.upn_hash
                FROM provisioning_mislearner m
                JOIN stage_learner s ON s.school_id = m.school_id AND s.upn_hash = m.upn_hash
                JOIN stage_run r ON r.school_id = m.school_id
                WHERE {in_schools} AND m.account_id IS NULL AND NOT {left}
                  AND NOT EXISTS (SELECT 1 FROM accounts_user x WHERE x.upn_hash = m.upn_hash)
                ORDER BY r.run_id, m.id
                """,  # noqa: S608
                [User.Kind.LEARNER, *school_params, *left_params],
            ).fetchall()
            first_of_upn: dict[str, tuple] = {}
            for row in rows:
                first_of_upn.setdefault(row[7], row)
            return list(first_of_upn.values())
        return [
            (record_id, None, school_id, forename, surname, base, _STAFF_KIND[role], None)
            for record_id, school_id, forename, surname, base, role in self._sql(
                f"""
                    SELECT m.id, m.school_id, m.forename, m.surname, s.username_base, m.role
                    FROM provisioning_misstaff m
                    JOIN stage_staff s ON s.school_id = m.school_id
                                      AND s.staff_code = m.staff_code
                    JOIN stage_run r ON r.school_id = m.school_id
                    WHERE {in_schools} AND m.account_id IS NULL AND NOT {left}
                    ORDER BY r.run_id, m.id
                    """,  # noqa: S608
                [*school_params, *left_params],
            ).fetchall()
        ]

    def _staged_without_account(self, kind: str) -> list[tuple]:
        """New records that need an account: (None, key, school id, forename, surname, base,
        account kind, UPN hash), in the order of the runs and of each snapshot."""
        left, left_params = policy.deactivated_by_run_sql("s", run_date=self.today)
        if kind == "learner":
            rows = self._sql(
                f"""
                SELECT NULL, s.upn_hash, s.school_id, s.forename, s.surname, s.username_base,
                       %s, s.upn_hash
                FROM stage_learner s JOIN stage_run r ON r.school_id = s.school_id
                WHERE s.cls = 'new' AND s.account_id IS NULL AND NOT {left}
                  AND NOT EXISTS (SELECT 1 FROM accounts_user x WHERE x.upn_hash = s.upn_hash)
                ORDER BY r.run_id, s.seq
                """,  # noqa: S608
                [User.Kind.LEARNER, *left_params],
            ).fetchall()
            first_of_upn: dict[str, tuple] = {}
            for row in rows:
                first_of_upn.setdefault(row[7], row)
            return list(first_of_upn.values())
        return [
            (None, code, school_id, forename, surname, base, _STAFF_KIND[role], None)
            for code, school_id, forename, surname, base, role in self._sql(
                f"""
                SELECT s.staff_code, s.school_id, s.forename, s.surname, s.username_base, s.role
                FROM stage_staff s JOIN stage_run r ON r.school_id = s.school_id
                WHERE s.cls = 'new' AND s.account_id IS NULL AND NOT {left}
                ORDER BY r.run_id, s.seq
                """,  # noqa: S608
                left_params,
            ).fetchall()
        ]

    def _accounts_insert(self, kind: str, rows: list[tuple], *, staged: bool) -> None:
        """The accounts of ``rows`` (record id, record key, school id, forename, surname,
        username base, account kind, UPN hash), each record given its account, each audited."""
        usernames = usernames_allocate([row[5] for row in rows])
        self._sql("DELETE FROM new_account")
        domain = "@" + settings.HWB_EMAIL_DOMAIN
        new_accounts = [
            (
                record_id,
                record_key,
                school_id,
                username,
                base,
                username + domain,
                forename,
                surname,
                account_kind,
                hashed,
            )
            for (
                record_id,
                record_key,
                school_id,
                forename,
                surname,
                base,
                account_kind,
                hashed,
            ), username in zip(rows, usernames, strict=True)
        ]
        self._load("new_account", NEW_ACCOUNT_COLUMNS, new_accounts)
        if self.pg:
            self._sql("ANALYZE new_account")
        self.inserted["accounts_user"] += len(rows)
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
                "school_id": "n.school_id",
            },
            password="!" + secrets.token_urlsafe(30),  # no password until one is issued
            date_joined=self.now,
        )
        if staged:
            key = "upn_hash" if kind == "learner" else "staff_code"
            self._sql(
                f"""
                UPDATE stage_{kind} SET account_id = u.id
                FROM new_account n JOIN accounts_user u ON u.username = n.username
                WHERE stage_{kind}.school_id = n.school_id AND stage_{kind}.{key} = n.record_key
                """,  # noqa: S608
            )
        else:
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
        """ANALYZE a table provisioning grows once it has changed by more than its size at its
        last ANALYZE, in case autovacuum (which goes by a tenth) is behind or switched off.

        PostgreSQL plans by its statistics: a table that was nearly empty at its last ANALYZE
        looks small and few-valued, and a join planned for one school's rows meets a scan of
        Wales. A table off by less than a factor of two gets the same plans, and each ANALYZE of
        a large table reads a sample of 30,000 rows (about a tenth of a second): by a tenth, a
        first load of Wales analysed each table some seventy times, by doubling about ten.
        Usually autovacuum has done it already and nothing happens here.
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
            if changed > STATISTICS_STALE_ROWS + size:
                self._sql(f"ANALYZE {table}")

    def _audit_from(self, source: str, *, action: str) -> None:
        """One audit entry per account ``u`` of the rows of ``source`` (a FROM clause with an
        alias ``n`` that has a ``school_id``), each at that school and naming its run, in one
        statement."""
        run_of_school = "(SELECT r.run_id FROM stage_run r WHERE r.school_id = n.school_id)"
        details = (
            f"jsonb_build_object('run', {run_of_school})"
            if self.pg
            else f"json_object('run', {run_of_school})"
        )
        audit_entries_insert_from(
            self.cursor,
            entry=self._audit_entry(action=action),
            source=source,
            target_id="u.id",
            target_repr="u.username",
            columns={"school_id": "n.school_id", "details": details},
        )

    def _audit_entry(
        self, *, action: str, target=None, school: int | None = None, extra: dict | None = None
    ):
        runs = {part.school.pk: part.run.pk for part in self.parts}
        return audit_entry_build(
            actor=None,
            job=ACTOR,
            action=action,
            target=target,
            school=school,
            details={"run": runs.get(school), **(extra or {})},
            created_at=self.now,
        )
