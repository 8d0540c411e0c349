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

The set-based SQL in ``applying.py`` follows these functions; the tests hold both to them.
"""

from datetime import date

from django.conf import settings
from django.utils.translation import gettext as _

# Rule 2's 12 months apply to every deactivated account, so they live with accounts.
from accounts.rules import RETENTION_MONTHS, deletion_due  # noqa: F401

from .identity import LearnerIdentity, learner_same_person


def is_on_roll(*, admission_date: date | None, leaving_date: date | None, today: date) -> bool:
    """Rule 1: on roll from the admission date until a leaving date is given."""
    return leaving_date is None and (admission_date is None or admission_date <= today)


def is_deactivated_by_run(*, leaving_date: date | None, run_date: date) -> bool:
    """Rule 2: the first run on or after the leaving date deactivates the account."""
    return leaving_date is not None and leaving_date <= run_date


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
