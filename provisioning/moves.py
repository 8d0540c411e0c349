"""Learners moving school by themselves (rule 3 of ``policy.py``), for a run or the daily job.

A learner's account moves when they are on roll at one school and a leaver (or absent) at the
school their account belongs to; the moves are recorded through the one account-move service.
"""

from datetime import date

from django.db import connection
from django.db.models import Max

from accounts.models import AccountMove
from accounts.services import account_moves_record
from schools.models import School

from . import policy
from .models import ProvisioningRun


def learner_moves_settle(
    *, today: date, scope_school: School | None, run: ProvisioningRun | None, cursor=None
) -> list[int]:
    """Move every learner whose account may move (rule 3) and return the ids moved into
    ``scope_school`` (or all moved ids when there is no scope: the daily job).

    With a school, only learners on roll there or with their account there are looked at.
    """
    own_cursor = cursor is None
    cursor = cursor or connection.cursor()
    try:
        scope = ""
        params: list = [today]
        if scope_school is not None:
            # Every learner with a record here: on roll here (their account may come), or
            # with their account here (it may go). Index look-ups, not a scan of Wales.
            scope = (
                "AND m.account_id IN (SELECT r.account_id FROM provisioning_mislearner r"
                " WHERE r.school_id = %s AND r.account_id IS NOT NULL)"
            )
            params.append(scope_school.pk)
        cursor.execute(
            f"""
            SELECT m.account_id, m.school_id, u.school_id
            FROM provisioning_mislearner m
            JOIN accounts_user u ON u.id = m.account_id
            WHERE m.leaving_date IS NULL
              AND (m.admission_date IS NULL OR m.admission_date <= %s)
              AND u.kind = 'learner' AND u.deactivation_reason IN ('', 'left')
              AND (u.school_id IS NULL OR u.school_id <> m.school_id)
              {scope}
              AND NOT EXISTS (SELECT 1 FROM provisioning_mislearner h
                              WHERE h.account_id = u.id AND h.school_id = u.school_id
                                AND h.leaving_date IS NULL)
            """,  # noqa: S608
            params,
        )
        claims: dict[int, tuple[int | None, list[int]]] = {}
        for account_id, to_school, from_school in cursor.fetchall():
            claims.setdefault(account_id, (from_school, []))[1].append(to_school)
    finally:
        if own_cursor:
            cursor.close()
    moves: dict[int, tuple[int | None, int]] = {}
    for account_id, (from_school, destinations) in claims.items():
        destination = policy.move_destination(
            old_school_on_roll=False, on_roll_elsewhere=destinations
        )
        if destination is not None:
            moves[account_id] = (from_school, destination)
    if not moves:
        return []
    _moves_record(moves, run=run)
    if scope_school is None:
        return list(moves)
    return [pk for pk, (_from, to) in moves.items() if to == scope_school.pk]


def _moves_record(moves: dict[int, tuple[int | None, int]], *, run: ProvisioningRun | None) -> None:
    """Move the accounts, and write an AccountMove and an audit entry for each."""
    schools = {s for pair in moves.values() for s in pair if s is not None}
    latest = {}
    for school_id, run_id in (
        ProvisioningRun.objects.filter(
            school_id__in=schools, status=ProvisioningRun.Status.SUCCEEDED, dry_run=False
        )
        .values_list("school_id")
        .annotate(latest=Max("id"))
    ):
        latest[school_id] = run_id
    if run is not None:
        latest[run.school_id] = run.pk
    account_moves_record(
        moves=[
            (
                account_id,
                from_school,
                to_school,
                {
                    "runs": {"from": latest.get(from_school), "to": latest.get(to_school)},
                    "why": "leaver at the old school, on roll at the new one",
                },
            )
            for account_id, (from_school, to_school) in moves.items()
        ],
        reason=AccountMove.Reason.LEARNER_MIS,
        actor=None,
    )
