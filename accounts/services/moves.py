"""The one account-move service every path that moves an account to a new school uses."""

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from ..bulk import AccountRef, audit_entry_build
from ..models import AccountMove, AuditEntry, SchoolRole, User
from .audit import audit_record
from .errors import AccountError


@transaction.atomic
def account_moves_record(
    *,
    moves: list[tuple[int, int | None, int, dict]],
    reason: str,
    actor: User | None,
    ip_address: str | None = None,
) -> list[AccountMove]:
    """Move accounts to new schools: the one service every path that moves an account uses.

    ``moves`` holds (account id, from school id, to school id, details). Each account keeps its
    username, password and data, is reactivated if it was deactivated, and gets an AccountMove
    record and an audit entry (who, from, to, why). One statement per destination school.
    """
    if reason not in AccountMove.Reason.values:
        raise AccountError(_("Unknown reason for moving an account."))
    if not moves:
        return []
    now = timezone.now()
    by_destination: dict[int, list[int]] = {}
    for account_id, _from, to_school, _details in moves:
        by_destination.setdefault(to_school, []).append(account_id)
    for to_school, account_ids in by_destination.items():
        User.objects.filter(pk__in=account_ids).update(
            school_id=to_school,
            is_active=True,
            deactivated_at=None,
            deactivation_reason="",
            deletion_due_at=None,
        )
    # Roles belong to a school: an account that leaves one keeps none of its roles there.
    for to_school, account_ids in by_destination.items():
        for role in (
            SchoolRole.objects.filter(user_id__in=account_ids)
            .exclude(school_id=to_school)
            .select_related("user", "school")
        ):
            audit_record(
                actor=actor,
                action="school_role.revoked",
                target=role.user,
                school=role.school,
                ip_address=ip_address,
                details={"role": role.role, "reason": reason},
            )
            role.delete()
    usernames = dict(
        User.objects.filter(pk__in=[m[0] for m in moves]).values_list("pk", "username")
    )
    actor_username = actor.username if actor is not None else "provisioning"
    records = AccountMove.objects.bulk_create(
        AccountMove(
            created_at=now,
            account_id=account_id,
            account_username=usernames[account_id],
            from_school_id=from_school,
            to_school_id=to_school,
            reason=reason,
            actor=actor,
            actor_username=actor_username,
            details=details,
        )
        for account_id, from_school, to_school, details in moves
    )
    AuditEntry.objects.bulk_create(
        audit_entry_build(
            created_at=now,
            actor=actor,
            job="provisioning",
            action="account.moved",
            target=AccountRef(account_id, usernames[account_id]),
            school=to_school,
            ip_address=ip_address,
            details={"from_school": from_school, "reason": reason, **details},
        )
        for account_id, from_school, to_school, details in moves
    )
    return records
