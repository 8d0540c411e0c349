"""Account state that follows the records: learners moving between schools (rule 3), names,
reactivation (rule 4), deactivation (rule 2), and the headteacher.
"""

from collections import defaultdict
from datetime import date

from accounts.bulk import (
    AccountRef,
)
from accounts.models import AuditEntry, SchoolRole, User
from accounts.services import audit_record, school_role_grant

from .. import policy
from ..models import HeldLearnerMove, MisStaff
from ..moves import learner_moves_settle
from ..snapshots import MESSAGES


class Lifecycle:
    """The account lifecycle of ``SnapshotApplication`` (a mixin)."""

    # --- learners moving between schools --------------------------------------------------------

    def _new_roll_conflicts(self) -> dict[int, dict[int, int]]:
        """Learners newly on roll at a school of the batch whose account's school still has them
        on roll: {school id: {the account's school id: count}}."""
        in_schools, school_params = self._in_schools("m.school_id")
        rows = self._sql(
            f"""
            SELECT m.school_id, u.school_id, COUNT(*)
            FROM stage_learner s
            JOIN provisioning_mislearner m ON m.school_id = s.school_id AND m.upn_hash = s.upn_hash
            JOIN accounts_user u ON u.id = m.account_id
            WHERE {in_schools} AND s.cls IN ('new', 'restored') AND {policy.current_sql("m")}
              AND u.school_id <> m.school_id
              AND EXISTS (SELECT 1 FROM provisioning_mislearner h
                          WHERE h.account_id = u.id AND h.school_id = u.school_id
                            AND {policy.current_sql("h")})
            GROUP BY m.school_id, u.school_id
            """,  # noqa: S608
            school_params,
        ).fetchall()
        conflicts: dict[int, dict[int, int]] = defaultdict(dict)
        for school_id, other_school, count in rows:
            conflicts[school_id][other_school] = count
        return conflicts

    def _move_learners(self) -> None:
        """Rule 3 for every learner these runs touch, at their schools or their old ones."""
        moves = learner_moves_settle(
            today=self.today,
            scope=self.school_ids,
            runs={part.school.pk: part.run for part in self.parts},
            cursor=self.cursor,
        )
        scope = set(self.school_ids)
        self.moved_in = [account for account, (_from, to) in moves.items() if to in scope]

    # --- account state that follows the records ---------------------------------------------------

    def _held_warnings(self) -> dict[int, list[dict]]:
        """For each school, a warning for each record of its snapshot whose account's move is
        held (at either school), or whom the Hwb team kept apart from the account of its UPN."""
        rows = self._sql(
            f"""
            SELECT s.school_id, s.upn_hash, k.status, k.to_school_id
            FROM provisioning_heldlearnermove k
            JOIN accounts_user u ON u.id = k.account_id
            JOIN stage_learner s ON s.upn_hash = u.upn_hash
            WHERE (k.status = %s AND (k.to_school_id = s.school_id
                                      OR k.from_school_id = s.school_id))
               OR (k.status = %s AND k.to_school_id = s.school_id AND {policy.current_sql("s")})
            """,  # noqa: S608
            [HeldLearnerMove.Status.OPEN, HeldLearnerMove.Status.KEPT_APART],
        ).fetchall()
        # Held here: the account is someone else's until the Hwb team decides.
        self.held_here = {
            (school_id, hashed)
            for school_id, hashed, status, to_school in rows
            if status == HeldLearnerMove.Status.OPEN and to_school == school_id
        }
        if not rows:
            return {}
        codes = {
            (school_id, hashed): "move_held"
            if status == HeldLearnerMove.Status.OPEN
            else "upn_in_use"
            for school_id, hashed, status, _to in rows
        }
        warnings: dict[int, list[dict]] = {}
        for part in self.parts:
            school_id = part.school.pk
            checked = part.learners
            warnings[school_id] = [
                {
                    "record": f"learners[{position}]",
                    "key": upn,
                    "field": "upn",
                    "code": codes[(school_id, row[0])],
                    "message": str(MESSAGES[codes[(school_id, row[0])]]),
                }
                for upn, row, position in zip(
                    checked.keys, checked.rows, checked.positions, strict=True
                )
                if (school_id, row[0]) in codes
            ]
        return warnings

    def _update_names(self) -> None:
        """A name the MIS changed is the account's name too (the username stays)."""
        for kind, table, key in (
            ("learner", "provisioning_mislearner", "upn_hash"),
            ("staff", "provisioning_misstaff", "staff_code"),
        ):
            if not self._has(kind, "changed", "restored"):
                continue
            in_schools, school_params = self._in_schools("m.school_id")
            self._sql(
                f"""
                UPDATE accounts_user SET first_name = s.forename, last_name = s.surname
                FROM stage_{kind} s
                JOIN {table} m ON m.school_id = s.school_id AND m.{key} = s.{key}
                WHERE {in_schools} AND s.cls IN ('changed', 'restored')
                  AND m.account_id = accounts_user.id AND accounts_user.school_id = m.school_id
                  AND {policy.current_sql("m")}
                  AND (accounts_user.first_name <> s.forename
                       OR accounts_user.last_name <> s.surname)
                """,  # noqa: S608
                school_params,
            )
        if self.moved_in:
            # Learners who just moved take the names their new school's MIS gives them.
            marks = ", ".join(["%s"] * len(self.moved_in))
            self._sql(
                f"""
                UPDATE accounts_user SET first_name = m.forename, last_name = m.surname
                FROM provisioning_mislearner m
                WHERE accounts_user.id IN ({marks}) AND m.account_id = accounts_user.id
                  AND m.school_id = accounts_user.school_id
                """,  # noqa: S608
                self.moved_in,
            )

    def _restore_accounts(self) -> None:
        """Rule 4: back on its school's roll, the same account is reactivated."""
        for kind, table in (
            ("learner", "provisioning_mislearner"),
            ("staff", "provisioning_misstaff"),
        ):
            if not self._has(kind, "restored"):
                continue
            restorable, restorable_params = policy.restorable_sql("accounts_user")
            in_schools, school_params = self._in_schools("m.school_id")
            restored = self._sql(
                f"""
                UPDATE accounts_user SET is_active = %s, deactivated_at = NULL,
                    deactivation_reason = '', deletion_due_at = NULL
                FROM {table} m
                WHERE m.account_id = accounts_user.id AND {in_schools}
                  AND accounts_user.school_id = m.school_id AND {policy.current_sql("m")}
                  AND {restorable}
                RETURNING accounts_user.id, accounts_user.username, accounts_user.school_id
                """,  # noqa: S608
                [True, *school_params, *restorable_params],
            ).fetchall()
            self._audit_rows(restored, action="account.restored")

    def _deactivate_leavers(self) -> None:
        """Rule 2: deactivated by the first run on or after the leaving date."""
        by_leaving_date = defaultdict(list)
        left, left_params = policy.deactivated_by_run_sql("m", run_date=self.today)
        in_schools, school_params = self._in_schools("m.school_id")
        for table in ("provisioning_mislearner", "provisioning_misstaff"):
            for user_id, leaving in self._sql(
                f"""
                SELECT u.id, m.leaving_date FROM {table} m
                JOIN accounts_user u ON u.id = m.account_id
                WHERE {in_schools} AND u.school_id = m.school_id AND u.is_active AND {left}
                """,  # noqa: S608
                [*school_params, *left_params],
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
            rows = User.objects.filter(pk__in=user_ids).values_list("pk", "username", "school_id")
            self._audit_rows(list(rows), action="account.deactivated", extra={"left": str(leaving)})

    def _audit_rows(self, rows, *, action: str, extra: dict | None = None) -> None:
        """One audit entry per (id, username, school id) row, in one statement."""
        if rows:
            AuditEntry.objects.bulk_create(
                self._audit_entry(
                    action=action,
                    target=AccountRef(account_id, username),
                    school=school_id,
                    extra=extra,
                )
                for account_id, username, school_id in rows
            )

    def _follow_headteachers(self) -> None:
        """Each school's headteacher is the account of its current staff record marked as such
        (two queries for all the schools; a change only where there is one)."""
        heads: dict[int, list[int]] = defaultdict(list)
        for school_id, account_id, account_school in MisStaff.objects.filter(
            policy.current_q(),
            school_id__in=self.school_ids,
            is_headteacher=True,
            account__is_active=True,
        ).values_list("school_id", "account_id", "account__school_id"):
            if account_school == school_id:
                heads[school_id].append(account_id)
        current = {
            role.school_id: role
            for role in SchoolRole.objects.filter(
                school_id__in=self.school_ids, role=SchoolRole.Role.HEADTEACHER
            ).select_related("user")
        }
        for part in self.parts:
            school_heads, role = heads.get(part.school.pk, []), current.get(part.school.pk)
            if len(school_heads) == 1:
                if role is None or role.user_id != school_heads[0]:
                    school_role_grant(
                        actor=None,
                        user=User.objects.get(pk=school_heads[0]),
                        school=part.school,
                        role=SchoolRole.Role.HEADTEACHER,
                    )
            elif not school_heads and role is not None and part.staff.received:
                audit_record(
                    actor=None,
                    action="school_role.revoked",
                    target=role.user,
                    school=part.school,
                    details={"role": SchoolRole.Role.HEADTEACHER, "run": part.run.pk},
                )
                role.delete()
