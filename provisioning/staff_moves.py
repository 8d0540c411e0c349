"""The one move of a member of staff's account, which every path that moves staff uses.

Staff never move by themselves (learners do, ``moves``): a member of staff moves by request —
Account Transfer, a merger or closure, the service desk — and each of those paths calls
``staff_account_take_over`` inside its own transaction, with both accounts locked and
``staff_move_refusal`` checked. It lives here, below those paths, so that none of them depends on
another; the school's MIS staff record follows the account (``staff_record_relink``).
"""

from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import SchoolRole, User
from accounts.services import (
    account_deactivate,
    account_language_set,
    account_moves_record,
    account_sessions_end,
    audit_record,
    school_role_grant,
)
from schools.models import School

from .models import MisStaff
from .policy import deletion_due
from .services import ProvisioningError

# Never moved by any path: governors' and ITE students' accounts stay where they are.
NEVER_MOVED_KINDS = (User.Kind.GOVERNOR, User.Kind.ITE_STUDENT)


class StaffMoveRefused(ProvisioningError):
    """The account is not one any path may move (a governor's, an ITE student's, a learner's)."""


def staff_move_refusal(kind: str) -> str | None:
    """Why an account of ``kind`` can never be moved by request, or None for school staff."""
    if kind == User.Kind.GOVERNOR:
        return _("It is not possible to move governor accounts.")
    if kind == User.Kind.ITE_STUDENT:
        return _(
            "Moving accounts for ITE students is not offered due to the number of students "
            "and placements each year. All ITE students should download all necessary data "
            "before the end of each placement."
        )
    if kind != User.Kind.STAFF:
        return _("Only school staff accounts can be transferred.")
    return None


def staff_record_relink(*, school: School, from_account: User, to_account: User) -> int:
    """Give a school's MIS staff record of ``from_account`` to ``to_account`` (the moved account
    is now the one this school's MIS record belongs to)."""
    return MisStaff.objects.filter(school=school, account=from_account).update(
        account=to_account, updated_at=timezone.now()
    )


def staff_account_take_over(
    *,
    previous: User,
    replaced: User | None,
    new_school: School,
    reason: str,
    actor: User | None,
    details: dict,
    ip_address: str | None = None,
) -> None:
    """Move ``previous`` to ``new_school`` in place of ``replaced`` (the fresh account the new
    school's MIS gave the same person), exactly as Proceed with transfer does: the previous
    account keeps its username and data and takes over the new school's MIS staff record; the
    replaced account is deactivated and deleted 12 months later; both are signed out.

    Call it inside the caller's transaction, with both accounts locked. Raises StaffMoveRefused
    for an account no path may move (the kind rule, checked again here under the lock).
    """
    refusal = staff_move_refusal(previous.kind)
    if refusal is not None:
        raise StaffMoveRefused(refusal)
    account_moves_record(
        moves=[(previous.pk, previous.school_id, new_school.pk, details)],
        reason=reason,
        actor=actor,
        ip_address=ip_address,
    )
    if replaced is None:
        account_sessions_end(accounts=[previous])
        return
    staff_record_relink(school=new_school, from_account=replaced, to_account=previous)
    # The same person's roles at the new school (headteacher, digital champion) go with them.
    previous.refresh_from_db()
    for role in SchoolRole.objects.filter(user=replaced, school=new_school):
        audit_record(
            actor=actor,
            action="school_role.revoked",
            target=replaced,
            school=new_school,
            ip_address=ip_address,
            details={"role": role.role, "reason": reason},
        )
        role.delete()
        school_role_grant(
            actor=actor, user=previous, school=new_school, role=role.role, ip_address=ip_address
        )
    if replaced.preferred_language:  # the language they chose goes with them
        account_language_set(
            user=previous, language=replaced.preferred_language, ip_address=ip_address
        )
    account_deactivate(
        actor=actor,
        account=replaced,
        reason=User.DeactivationReason.REPLACED,
        deletion_due_at=deletion_due(timezone.localdate()),
        ip_address=ip_address,
    )
    account_sessions_end(accounts=[replaced, previous])
