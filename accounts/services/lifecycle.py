"""Accounts made by hand (not by provisioning) and deactivated for deletion."""

from datetime import datetime

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from schools.identifiers import upn_hash, validate_upn
from schools.models import LocalAuthority, School

from ..models import User
from ..rules import (
    deletion_due,
)
from ..usernames import username_base, username_next_free
from .audit import audit_record
from .errors import AccountError


@transaction.atomic
def account_create(
    *,
    actor: User | None,
    first_name: str,
    last_name: str,
    kind: str,
    school: School | None = None,
    local_authority: LocalAuthority | None = None,
    upn: str | None = None,
    password: str | None = None,
    is_staff: bool = False,
    ip_address: str | None = None,
) -> User:
    """Create an account with a generated username and email at the Hwb domain.

    With no password the account cannot sign in until a digital champion or the service desk
    issues a one-time password.
    """
    first_name, last_name = first_name.strip(), last_name.strip()
    if not first_name or not last_name:
        raise AccountError(_("An account needs a first name and a last name."))
    if kind not in User.Kind.values:
        raise AccountError(_("Unknown kind of account."))
    if is_staff and kind != User.Kind.HWB_TEAM:
        raise AccountError(_("Only Hwb team accounts may have admin rights."))
    hashed_upn = None
    if upn is not None:
        if kind != User.Kind.LEARNER:
            raise AccountError(_("Only learners have a UPN."))
        validate_upn(upn)
        hashed_upn = upn_hash(upn)
        if User.objects.filter(upn_hash=hashed_upn).exists():
            raise AccountError(_("A learner with this UPN already has a Hwb account."))
    base = username_base(first_name=first_name, last_name=last_name)
    # Two requests may pick the same free username: the unique index decides, and we retry.
    for _attempt in range(5):
        username = username_next_free(base)
        user = User(
            username=username,
            username_base=base,
            email=f"{username}@{settings.HWB_EMAIL_DOMAIN}",
            first_name=first_name,
            last_name=last_name,
            kind=kind,
            school=school,
            local_authority=local_authority,
            upn_hash=hashed_upn,
            is_staff=is_staff,
        )
        if password:
            user.set_password(password)
        else:
            user.set_unusable_password()
        try:
            with transaction.atomic():
                user.save()
        except IntegrityError:
            if User.objects.filter(username=username).exists():
                continue
            raise
        break
    else:  # pragma: no cover - five clashes in a row means something else is wrong
        raise AccountError(_("Could not find a free username; please try again."))
    audit_record(
        actor=actor,
        action="account.created",
        target=user,
        school=school,
        ip_address=ip_address,
        details={"kind": kind},
    )
    return user


@transaction.atomic
def account_deactivate(
    *,
    actor: User | None,
    account: User,
    reason: str,
    deletion_due_at: datetime | None = None,
    ip_address: str | None = None,
) -> None:
    """Deactivate an account, to be deleted by the daily job once ``deletion_due_at`` comes
    (by default 12 months from today)."""
    if reason not in User.DeactivationReason.values:
        raise AccountError(_("Unknown reason for deactivating an account."))
    if deletion_due_at is None:
        deletion_due_at = deletion_due(timezone.localdate())
    User.objects.filter(pk=account.pk).update(
        is_active=False,
        deactivated_at=timezone.now(),
        deactivation_reason=reason,
        deletion_due_at=deletion_due_at,
    )
    account.refresh_from_db()
    audit_record(
        actor=actor,
        action="account.deactivated",
        target=account,
        school=account.school,
        ip_address=ip_address,
        details={"reason": reason, "deletion_due_at": deletion_due_at.isoformat()},
    )
