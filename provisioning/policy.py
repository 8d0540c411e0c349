"""Hwb's account lifecycle rules for MIS accounts, in one place (the README describes them).

1. A record with no leaving date is *on roll* from its admission (or start) date; a record with a
   leaving date, or one a snapshot no longer holds, is a *leaver* (absent: left on the
   snapshot's ``extracted_at`` date).
2. An MIS account is deactivated by the first successful run of its school on or after its
   leaving date, and is due for deletion 12 months after that leaving date.
3. A learner on roll at a new school whose account is at a school where they are a leaver moves,
   keeping username, password and data, and is reactivated. If the old school still has them on
   roll, nothing moves (awaiting a leaver); if two other schools both claim them, nothing moves
   either: the schools are told, nobody guesses. A UPN alone does not move an account: when the
   new school's record is not the same child as the account's last MIS record (date of birth and
   names, ``identity.py``), the move is held, the account stays as it is, both schools and the
   Hwb team are told, and the Hwb team moves it or keeps the two learners apart.
4. A person who reappears in the same school's MIS is restored: same account, reactivated.
5. A snapshot that is empty, or in which more than a share of a school's current learners or
   staff would disappear without a leaving date, is held for the Hwb team (explicit leaving
   dates are the MIS's deliberate act and never hold a snapshot).

Each rule that the set-based SQL (``applying/``, ``moves.py``) or the ORM (``selectors.py``,
the services) applies is written here once, in the forms they use: a Python predicate (where
Python decides, and the reference the other forms are held to), an SQL fragment with its
parameters (``sql, params = on_roll_sql("m", today=...)``, the alias naming the table whose
columns it reads) and a ``Q`` builder. A parity test runs every form over a table of dates and
holds them equal.
"""

from datetime import date

from django.conf import settings
from django.db.models import Q
from django.utils.translation import gettext as _

from accounts.models import User

# Rule 2's 12 months apply to every deactivated account, so they live with accounts.
from accounts.rules import deletion_due  # noqa: F401

from .identity import LearnerIdentity, learner_same_person

# Rule 2: why an MIS leaver's account is deactivated (rule 4 reactivates only these).
LEAVER_REASON = User.DeactivationReason.LEFT
# Rule 3: only learners' accounts move by themselves, active or deactivated as MIS leavers.
MOVABLE_KIND = User.Kind.LEARNER
MOVABLE_REASONS = ("", LEAVER_REASON)


# --- Rule 1: on roll, current, leaver -------------------------------------------------------------


def current_sql(alias: str) -> str:
    """Rule 1 in SQL over ``alias``'s columns: a record with no leaving date is current (on roll,
    or admitted for a later date); one with a leaving date is a leaver. No parameters."""
    return f"{alias}.leaving_date IS NULL"


def current_q() -> Q:
    """``current_sql`` as a filter."""
    return Q(leaving_date__isnull=True)


def is_on_roll(*, admission_date: date | None, leaving_date: date | None, today: date) -> bool:
    """Rule 1: on roll from the admission date until a leaving date is given."""
    return leaving_date is None and (admission_date is None or admission_date <= today)


def on_roll_sql(alias: str, *, today: date) -> tuple[str, list]:
    """``is_on_roll`` in SQL over ``alias``'s columns, with its parameters."""
    return (
        f"({alias}.leaving_date IS NULL"
        f" AND ({alias}.admission_date IS NULL OR {alias}.admission_date <= %s))",
        [today],
    )


def on_roll_q(*, today: date) -> Q:
    """``is_on_roll`` as a filter: no leaving date, and admitted by today (or undated)."""
    return Q(leaving_date__isnull=True) & (
        Q(admission_date__isnull=True) | Q(admission_date__lte=today)
    )


def dates_came_due_q(*, since: date, today: date, admission: bool = True) -> Q:
    """Records whose state under rules 1 and 2 may have changed between two days: a leaving
    date (or, for learners, an admission date) after ``since`` and by ``today``."""
    due = Q(leaving_date__gt=since, leaving_date__lte=today)
    if admission:
        due |= Q(admission_date__gt=since, admission_date__lte=today)
    return due


# --- Rule 2: deactivation -------------------------------------------------------------------------


def is_deactivated_by_run(*, leaving_date: date | None, run_date: date) -> bool:
    """Rule 2: the first run on or after the leaving date deactivates the account (so a run
    gives an account only to a record it would not deactivate at once)."""
    return leaving_date is not None and leaving_date <= run_date


def deactivated_by_run_sql(alias: str, *, run_date: date) -> tuple[str, list]:
    """``is_deactivated_by_run`` in SQL, with its parameters; never NULL, so ``NOT (...)`` of it
    is the rule's negation too."""
    return (
        f"({alias}.leaving_date IS NOT NULL AND {alias}.leaving_date <= %s)",
        [run_date],
    )


# --- Rules 3 and 4: which accounts move and which come back ---------------------------------------


def account_may_move(*, kind: str, deactivation_reason: str) -> bool:
    """Rule 3: a learner's account moves by itself, active or deactivated as an MIS leaver (never
    one replaced by a transfer or deactivated by the Hwb team); staff accounts never do."""
    return kind == MOVABLE_KIND and deactivation_reason in MOVABLE_REASONS


def account_may_move_sql(alias: str) -> tuple[str, list]:
    """``account_may_move`` in SQL over the accounts table aliased ``alias``."""
    marks = ", ".join(["%s"] * len(MOVABLE_REASONS))
    return (
        f"({alias}.kind = %s AND {alias}.deactivation_reason IN ({marks}))",
        [MOVABLE_KIND, *MOVABLE_REASONS],
    )


def is_restorable(*, is_active: bool, deactivation_reason: str) -> bool:
    """Rule 4: an account deactivated because its holder left comes back with them."""
    return not is_active and deactivation_reason == LEAVER_REASON


def restorable_sql(alias: str) -> tuple[str, list]:
    """``is_restorable`` in SQL over the accounts table aliased ``alias``."""
    return f"(NOT {alias}.is_active AND {alias}.deactivation_reason = %s)", [LEAVER_REASON]


# --- Rule 3: moving learners ----------------------------------------------------------------------


def move_destination(*, old_school_on_roll: bool, on_roll_elsewhere: list[int]) -> int | None:
    """Rule 3: the school a learner's account moves to, or None (awaiting or in conflict)."""
    if old_school_on_roll or len(on_roll_elsewhere) != 1:
        return None
    return on_roll_elsewhere[0]


def move_held(*, held: LearnerIdentity, incoming: LearnerIdentity) -> tuple[bool, list[str]]:
    """Rule 3: whether a learner's move waits for the Hwb team, because the record claiming the
    account (``incoming``) is not the child of the account's last MIS record (``held``); and the
    reasons of the judgement."""
    same, reasons = learner_same_person(held, incoming)
    return not same, reasons


def hold_reason(*, kind: str, current: int, disappearing: int) -> str | None:
    """Rule 5: why a snapshot is held, or None. ``kind`` is "learners" or "staff"."""
    if disappearing < max(settings.HWB_HOLD_MIN_PEOPLE, 1):
        return None
    if current and disappearing / current > settings.HWB_HOLD_DISAPPEAR_SHARE:
        share = round(100 * disappearing / current)
        if kind == "learners":
            return _(
                "%(count)d of %(current)d current learners (%(share)d%%) would disappear "
                "without a leaving date."
            ) % {"count": disappearing, "current": current, "share": share}
        return _(
            "%(count)d of %(current)d current staff (%(share)d%%) would disappear "
            "without a leaving date."
        ) % {"count": disappearing, "current": current, "share": share}
    return None


def empty_snapshot_reason() -> str:
    return _("The snapshot holds no learners and no staff.")
