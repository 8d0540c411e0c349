"""What each school's run reports: its counts and its records' usernames."""

from collections import Counter, defaultdict

from .. import policy
from ..contract import LEARNER_COUNTS, STAFF_COUNTS


class Reports:
    """The reports of ``SnapshotApplication`` (a mixin)."""

    # --- what the runs report -------------------------------------------------------------------

    def _counts(self, kind: str, absent: Counter) -> dict[int, dict]:
        """Each school's counts of one kind of record."""
        table, key, _columns = self._compared(kind)
        if kind == "learner":
            moved = list(self.moved_in) or [0]
            marks = ", ".join(["%s"] * len(moved))
            on_roll, on_roll_params = policy.on_roll_sql("m", today=self.today)
            category = f"""CASE
                WHEN m.account_id IN ({marks}) AND u.school_id = m.school_id THEN 'moved_in'
                WHEN {on_roll} AND u.school_id <> m.school_id THEN 'awaiting_leaver'
                WHEN s.cls = 'new' THEN 'created'
                WHEN s.cls = 'leaving' THEN 'left'
                WHEN s.cls IN ('changed', 'restored') THEN 'updated'
                ELSE 'unchanged' END"""
            params = [*moved, *on_roll_params]
            names = LEARNER_COUNTS
        else:
            category = """CASE WHEN s.cls = 'new' THEN 'created'
                WHEN s.cls = 'leaving' THEN 'left'
                WHEN s.cls IN ('changed', 'restored') THEN 'updated'
                ELSE 'unchanged' END"""
            params = []
            names = STAFF_COUNTS
        counts = {part.school.pk: dict.fromkeys(names, 0) for part in self.parts}
        in_schools, school_params = self._in_schools("m.school_id")
        for school_id, name, number in self._sql(
            f"""
            SELECT school_id, category, COUNT(*) FROM (
                SELECT s.school_id, {category} AS category
                FROM stage_{kind} s
                JOIN {table} m ON m.school_id = s.school_id AND m.{key} = s.{key}
                LEFT JOIN accounts_user u ON u.id = m.account_id
                WHERE {in_schools}
            ) q GROUP BY school_id, category
            """,  # noqa: S608
            [*params, *school_params],
        ).fetchall():
            counts[school_id][name] = number
        for part in self.parts:
            checked = part.learners if kind == "learner" else part.staff
            school_counts = counts[part.school.pk]
            school_counts["left"] += absent.get(part.school.pk, 0)
            school_counts["received"] = checked.received
            school_counts["rejected"] = checked.received - len(checked.rows)
        return counts

    def _usernames(self) -> dict[int, dict]:
        """Each school's usernames of its accepted records, by UPN and by staff code."""
        names: dict[tuple[str, int], dict[str, str]] = defaultdict(dict)
        in_schools, school_params = self._in_schools("m.school_id")
        for kind, school_id, key, username in self._sql(
            f"""
            SELECT 'learners', s.school_id, s.upn_hash, u.username FROM stage_learner s
            JOIN provisioning_mislearner m ON m.school_id = s.school_id AND m.upn_hash = s.upn_hash
            JOIN accounts_user u ON u.id = m.account_id
            WHERE {in_schools}
            UNION ALL
            SELECT 'staff', s.school_id, s.staff_code, u.username FROM stage_staff s
            JOIN provisioning_misstaff m ON m.school_id = s.school_id
                                        AND m.staff_code = s.staff_code
            JOIN accounts_user u ON u.id = m.account_id
            WHERE {in_schools}
            """,  # noqa: S608
            [*school_params, *school_params],
        ).fetchall():
            names[(kind, school_id)][key] = username
        usernames = {}
        for part in self.parts:
            learner_names = names[("learners", part.school.pk)]
            for school_id, hashed in self.held_here:  # not theirs (yet): the Hwb team decides
                if school_id == part.school.pk:
                    learner_names.pop(hashed, None)
            staff_names = names[("staff", part.school.pk)]
            usernames[part.school.pk] = {
                "learners": {
                    upn: learner_names.get(row[0])
                    for upn, row in zip(part.learners.keys, part.learners.rows, strict=True)
                },
                "staff": {code: staff_names.get(code) for code in part.staff.keys},
            }
        return usernames
