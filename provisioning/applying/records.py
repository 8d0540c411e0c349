"""The schools' MIS records compared with the staged ones: classified, written, and those left
out marked as leavers.
"""

from collections import Counter

from .. import policy
from .staging import LEARNER_COLUMNS, STAFF_COLUMNS


class Records:
    """The MIS records of ``SnapshotApplication`` (a mixin)."""

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
        in_schools, school_params = self._in_schools("m.school_id")
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
            WHERE {in_schools} AND m.school_id = {target}.school_id AND m.{key} = {target}.{key}
            """,  # noqa: S608
            school_params,
        )

    def _count_classes(self) -> None:
        self.classes = Counter()
        for kind, cls, count in self._sql(
            "SELECT 'learner', cls, COUNT(*) FROM stage_learner GROUP BY cls"
            " UNION ALL SELECT 'staff', cls, COUNT(*) FROM stage_staff GROUP BY cls"
        ).fetchall():
            self.classes[(kind, cls)] += count

    def _has(self, kind: str, *classes: str) -> bool:
        return any(self.classes.get((kind, cls)) for cls in classes)

    def _write_records(self, kind: str) -> None:
        table, key, columns = self._compared(kind)
        names = ", ".join(columns)
        if not self._has(kind, "new"):
            self._write_changes(kind)
            return
        # The new records' accounts first, so each record is written once, with its account.
        if kind == "learner":
            self._link_existing_learner_accounts(staged=True)
        self._create_accounts(kind, staged=True)
        if kind == "learner":  # two schools of the batch with one new learner: both linked
            self._link_existing_learner_accounts(staged=True)
        self.inserted[table] += self._sql(
            f"""
            INSERT INTO {table} (school_id, {key}, {names}, account_id, absent, updated_at)
            SELECT school_id, {key}, {names}, account_id, %s, %s FROM stage_{kind}
            WHERE cls = 'new' ORDER BY school_id, seq
            """,  # noqa: S608
            [False, self.now],
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

    def _mark_absent(self, kind: str) -> Counter:
        """A person held before and absent now left on the snapshot's date: {school id: how
        many}."""
        table, key, _columns = self._compared(kind)
        # Only schools whose snapshot leaves someone out (none, on a first load).
        schools = [
            part.school.pk
            for part in self.parts
            if self.roll.get((kind, part.school.pk), (0, 0))[1]
        ]
        if not schools:
            return Counter()
        in_schools = f"{table}.school_id IN ({', '.join(['%s'] * len(schools))})"
        school_params = schools
        rows = self._sql(
            f"""
            UPDATE {table} SET leaving_date = r.left_on, absent = %s, updated_at = %s
            FROM stage_run r
            WHERE {in_schools} AND {table}.school_id = r.school_id
              AND {policy.current_sql(table)}
              AND NOT EXISTS (SELECT 1 FROM stage_{kind} s
                              WHERE s.school_id = {table}.school_id AND s.{key} = {table}.{key})
              AND NOT EXISTS (SELECT 1 FROM stage_kept k
                              WHERE k.school_id = {table}.school_id AND k.kind = %s
                                AND k.record_key = {table}.{key})
            RETURNING {table}.school_id
            """,  # noqa: S608
            [True, self.now, *school_params, kind],
        ).fetchall()
        return Counter(school_id for (school_id,) in rows)
