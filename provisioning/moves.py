"""Learners moving school by themselves (rule 3 of ``policy.py``), for a run or the daily job.

A learner's account moves when they are on roll at one school and a leaver (or absent) at the
school their account belongs to, and the record claiming it is the same child as the account's
own MIS record; the moves are recorded through the one account-move service. A claim by a
record that is not the same child is held (``HeldLearnerMove``) for the Hwb team instead.

Staff accounts never move by themselves: a move by request is ``staff_moves``.
"""

from collections.abc import Collection, Mapping
from dataclasses import dataclass
from datetime import date

from django.db import connection
from django.db.models import Max, Q
from django.utils import timezone

from accounts.bulk import AccountRef, audit_entry_build
from accounts.models import AccountMove, AuditEntry, User
from accounts.services import account_moves_record

from . import emails, policy
from .identity import LearnerIdentity
from .models import HeldLearnerMove, ProvisioningRun

OPEN = HeldLearnerMove.Status.OPEN
ACTOR = "provisioning"  # the audit trail's actor of what the runs and the daily job do


@dataclass(frozen=True)
class _Claim:
    """A record on roll at ``to_school`` whose account is at ``from_school``."""

    account_id: int
    from_school: int | None
    to_school: int
    held: LearnerIdentity  # the account's own last MIS record (or its names)
    incoming: LearnerIdentity  # the record claiming the account


def learner_moves_settle(
    *,
    today: date,
    scope: Collection[int] | None,
    runs: Mapping[int, ProvisioningRun] | None = None,
    cursor=None,
) -> dict[int, tuple[int | None, int]]:
    """Move every learner whose account may move (rule 3); return the moves made,
    {account id: (from school, to school)}.

    With a ``scope`` (the ids of the schools whose runs are being applied, with ``runs`` by
    school), only learners on roll there or with their account there are looked at; without
    one, everyone (the daily job). Moves whose records disagree are held, once per account,
    and the schools told.
    """
    runs = runs or {}
    claims = _claims(today=today, scope=scope, cursor=cursor)
    by_account: dict[int, list[_Claim]] = {}
    for claim in claims:
        by_account.setdefault(claim.account_id, []).append(claim)
    candidates: dict[int, _Claim] = {}
    for account_id, account_claims in by_account.items():
        destination = policy.move_destination(
            old_school_on_roll=False, on_roll_elsewhere=[c.to_school for c in account_claims]
        )
        if destination is not None:
            candidates[account_id] = account_claims[0]
    moves = _holds_settle(
        candidates,
        claimed={(c.account_id, c.to_school) for c in claims},
        scope=scope,
        runs=runs,
    )
    if moves:
        learner_moves_record(moves, runs=runs)
    return moves


def _claims(*, today: date, scope: Collection[int] | None, cursor) -> list[_Claim]:
    """Every record on roll at a school other than its account's, where the account's school
    has the learner as a leaver, with both records' names and dates of birth (one query)."""
    own_cursor = cursor is None
    cursor = cursor or connection.cursor()
    try:
        on_roll, on_roll_params = policy.on_roll_sql("m", today=today)
        may_move, may_move_params = policy.account_may_move_sql("u")
        scope_params: list = []
        scope_sql = ""
        if scope is not None:
            # Every learner with a record at these schools: on roll there (their account may
            # come), or with their account there (it may go). Index look-ups, not a scan of Wales.
            marks = ", ".join(["%s"] * len(scope))
            scope_sql = f"""AND m.account_id IN (SELECT r.account_id FROM provisioning_mislearner r
                WHERE r.school_id IN ({marks}) AND r.account_id IS NOT NULL)"""  # noqa: S608
            scope_params.extend(scope)
        cursor.execute(
            f"""
            SELECT m.account_id, u.school_id, m.school_id,
                   m.forename, m.surname, m.preferred_forename, m.date_of_birth,
                   COALESCE(h.forename, u.first_name), COALESCE(h.surname, u.last_name),
                   COALESCE(h.preferred_forename, ''), h.date_of_birth
            FROM provisioning_mislearner m
            JOIN accounts_user u ON u.id = m.account_id
            LEFT JOIN provisioning_mislearner h
                   ON h.account_id = u.id AND h.school_id = u.school_id
            WHERE {on_roll} AND {may_move}
              AND (u.school_id IS NULL OR u.school_id <> m.school_id)
              {scope_sql}
              AND NOT EXISTS (SELECT 1 FROM provisioning_mislearner o
                              WHERE o.account_id = u.id AND o.school_id = u.school_id
                                AND {policy.current_sql("o")})
            ORDER BY m.account_id, m.school_id
            """,  # noqa: S608
            [*on_roll_params, *may_move_params, *scope_params],
        )
        rows = cursor.fetchall()
    finally:
        if own_cursor:
            cursor.close()
    return [
        _Claim(
            account_id=row[0],
            from_school=row[1],
            to_school=row[2],
            incoming=LearnerIdentity(row[3], row[4], row[5] or "", _date(row[6])),
            held=LearnerIdentity(row[7] or "", row[8] or "", row[9] or "", _date(row[10])),
        )
        for row in rows
    ]


def _date(value) -> date | None:
    if isinstance(value, str):  # SQLite
        return date.fromisoformat(value)
    return value


# --- Holds ----------------------------------------------------------------------------------------


def _holds_settle(
    candidates: dict[int, _Claim],
    *,
    claimed: set[tuple[int, int]],
    scope: Collection[int] | None,
    runs: Mapping[int, ProvisioningRun],
) -> dict[int, tuple[int | None, int]]:
    """Split the candidate moves into those that go and those held; keep each open hold while
    its claim stands, settle it when the records agree or the claim goes away. Returns the
    moves that go: {account id: (from school, to school)}."""
    open_holds = HeldLearnerMove.objects.filter(status=OPEN)
    if scope is not None:
        open_holds = open_holds.filter(
            Q(account_id__in=list(candidates)) | Q(to_school__in=scope) | Q(from_school__in=scope)
        )
    holds = {hold.account_id: hold for hold in open_holds}
    moves: dict[int, tuple[int | None, int]] = {}
    new_holds: list[HeldLearnerMove] = []
    settled: list[tuple[HeldLearnerMove, str]] = []
    for account_id, claim in candidates.items():
        hold = holds.pop(account_id, None)
        held, reasons = policy.move_held(held=claim.held, incoming=claim.incoming)
        if not held:
            moves[account_id] = (claim.from_school, claim.to_school)
            if hold is not None:
                settled.append((hold, "records agree"))
            continue
        if hold is not None and (hold.from_school_id, hold.to_school_id) == (
            claim.from_school,
            claim.to_school,
        ):
            continue  # still held: no second hold, nobody told twice
        if hold is not None:
            settled.append((hold, "claimed by another school"))
        new_holds.append(
            HeldLearnerMove(
                account_id=account_id,
                from_school_id=claim.from_school,
                to_school_id=claim.to_school,
                forename=claim.incoming.forename,
                surname=claim.incoming.surname,
                preferred_forename=claim.incoming.preferred_forename,
                date_of_birth=claim.incoming.date_of_birth,
                reasons=reasons,
                run=_run_of(claim, runs),
            )
        )
    for hold in holds.values():
        if (hold.account_id, hold.to_school_id) not in claimed:
            settled.append((hold, "claim withdrawn"))
    _holds_resolve(settled)
    if new_holds:
        HeldLearnerMove.objects.bulk_create(new_holds)
        _holds_audit(new_holds)
        emails.held_moves_tell(new_holds)
    return moves


def _run_of(claim: _Claim, runs: Mapping[int, ProvisioningRun]) -> ProvisioningRun | None:
    """The run that found the claim: the claiming school's, else the account's school's (or
    the one run being applied)."""
    run = runs.get(claim.to_school) or runs.get(claim.from_school)
    if run is None and len(runs) == 1:
        run = next(iter(runs.values()))
    return run


def _holds_resolve(settled: list[tuple[HeldLearnerMove, str]]) -> None:
    """Close holds the schools' MIS records have settled by themselves (audited)."""
    if not settled:
        return
    HeldLearnerMove.objects.filter(pk__in=[hold.pk for hold, _why in settled]).update(
        status=HeldLearnerMove.Status.RESOLVED, decided_at=timezone.now()
    )
    usernames = dict(
        User.objects.filter(pk__in=[hold.account_id for hold, _why in settled]).values_list(
            "pk", "username"
        )
    )
    AuditEntry.objects.bulk_create(
        audit_entry_build(
            actor=None,
            job=ACTOR,
            action="learner_move.hold_resolved",
            target=AccountRef(hold.account_id, usernames.get(hold.account_id, "")),
            school=hold.to_school_id,
            details={"held_move": hold.pk, "why": why},
        )
        for hold, why in settled
    )


def _holds_audit(holds: list[HeldLearnerMove]) -> None:
    usernames = dict(
        User.objects.filter(pk__in=[hold.account_id for hold in holds]).values_list(
            "pk", "username"
        )
    )
    AuditEntry.objects.bulk_create(
        audit_entry_build(
            actor=None,
            job=ACTOR,
            action="learner_move.held",
            target=AccountRef(hold.account_id, usernames.get(hold.account_id, "")),
            school=hold.to_school_id,
            details={
                "held_move": hold.pk,
                "from_school": hold.from_school_id,
                "reasons": hold.reasons,
                "run": hold.run_id,
            },
        )
        for hold in holds
    )


# --- Moves ----------------------------------------------------------------------------------------


def learner_moves_record(
    moves: dict[int, tuple[int | None, int]],
    *,
    runs: Mapping[int, ProvisioningRun] | None = None,
    why: str = "leaver at the old school, on roll at the new one",
    actor: User | None = None,
    ip_address: str | None = None,
    extra: dict | None = None,
) -> None:
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
    for school_id, run in (runs or {}).items():
        latest[school_id] = run.pk
    account_moves_record(
        moves=[
            (
                account_id,
                from_school,
                to_school,
                {
                    "runs": {"from": latest.get(from_school), "to": latest.get(to_school)},
                    "why": why,
                    **(extra or {}),
                },
            )
            for account_id, (from_school, to_school) in moves.items()
        ],
        reason=AccountMove.Reason.LEARNER_MIS,
        actor=actor,
        ip_address=ip_address,
    )
