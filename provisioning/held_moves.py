"""The Hwb team's decisions on learners' moves held for review (rule 3 of ``policy.py``): move the
account to the school that claims it, or keep the two learners apart. Each decision is one
transaction, audited, and both schools' digital champions are told.
"""

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import User
from accounts.services import audit_record

from . import policy
from .emails import held_move_decided_tell
from .models import HeldLearnerMove, MisLearner
from .moves import learner_moves_record
from .services import ProvisioningError

Status = HeldLearnerMove.Status


def _hold_locked(hold: HeldLearnerMove, *, allowed: set[str]) -> HeldLearnerMove:
    hold = (
        HeldLearnerMove.objects.select_for_update(of=("self",))
        .select_related("from_school", "to_school")
        .get(pk=hold.pk)
    )
    if hold.status not in allowed:
        raise ProvisioningError(
            _("This move is no longer waiting for a decision (it is %(status)s): nothing changed.")
            % {"status": hold.get_status_display().lower()}
        )
    return hold


@transaction.atomic
def held_move_move(
    *, hold: HeldLearnerMove, actor: User, ip_address: str | None = None
) -> HeldLearnerMove:
    """Move the held account to the school that claims it: the Hwb team judged the two records
    to be the same learner. The account keeps its username, password and data, takes the names
    the new school's MIS gives, and the move is recorded as every learner's move is.

    A kept-apart hold may be moved too (the Hwb team changing its mind). Refused, changing
    nothing, when the records have changed so that the move no longer makes sense.
    """
    hold = _hold_locked(hold, allowed={Status.OPEN, Status.KEPT_APART})
    account = User.objects.select_for_update().get(pk=hold.account_id)
    if account.school_id != hold.from_school_id:
        raise ProvisioningError(
            _("The account is no longer at the school it was held at: nothing was moved.")
        )
    if not policy.account_may_move(
        kind=account.kind, deactivation_reason=account.deactivation_reason
    ):
        raise ProvisioningError(
            _("The account was deactivated for another reason than leaving: nothing was moved.")
        )
    if MisLearner.objects.filter(
        policy.current_q(), account=account, school_id=account.school_id
    ).exists():
        raise ProvisioningError(
            _(
                "The account's school has the learner on roll again: nothing was moved. The "
                "school must record a leaving date first."
            )
        )
    record = (
        MisLearner.objects.select_for_update()
        .filter(school_id=hold.to_school_id, upn_hash=account.upn_hash)
        .first()
    )
    today = timezone.localdate()
    if record is None or not policy.is_on_roll(
        admission_date=record.admission_date, leaving_date=record.leaving_date, today=today
    ):
        raise ProvisioningError(
            _(
                "The school that claimed the account no longer has the learner on roll: nothing "
                "was moved."
            )
        )
    was = hold.status
    record.account = account
    record.save(update_fields=["account"])
    learner_moves_record(
        {account.pk: (hold.from_school_id, hold.to_school_id)},
        why="held for review; the Hwb team judged the records to be the same learner",
        actor=actor,
        ip_address=ip_address,
        extra={"held_move": hold.pk},
    )
    User.objects.filter(pk=account.pk).update(first_name=record.forename, last_name=record.surname)
    hold.status = Status.MOVED
    hold.decided_by = actor
    hold.decided_at = timezone.now()
    hold.save(update_fields=["status", "decided_by", "decided_at"])
    audit_record(
        actor=actor,
        action="learner_move.hold_moved",
        target=account,
        school=hold.to_school,
        ip_address=ip_address,
        details={"held_move": hold.pk, "from_school": hold.from_school_id, "was": was},
    )
    held_move_decided_tell(hold)
    return hold


@transaction.atomic
def held_move_keep_apart(
    *, hold: HeldLearnerMove, actor: User, ip_address: str | None = None
) -> HeldLearnerMove:
    """Keep the two learners apart: the account stays with its holder, and the claiming
    school's record has no account of this UPN (one account per UPN), so that school is told
    to check the UPN in its MIS. Its later runs neither link nor create an account for it."""
    hold = _hold_locked(hold, allowed={Status.OPEN})
    account = User.objects.get(pk=hold.account_id)
    MisLearner.objects.filter(school_id=hold.to_school_id, account=account).update(account=None)
    hold.status = Status.KEPT_APART
    hold.decided_by = actor
    hold.decided_at = timezone.now()
    hold.save(update_fields=["status", "decided_by", "decided_at"])
    audit_record(
        actor=actor,
        action="learner_move.hold_kept_apart",
        target=account,
        school=hold.to_school,
        ip_address=ip_address,
        details={"held_move": hold.pk, "from_school": hold.from_school_id},
    )
    held_move_decided_tell(hold)
    return hold
