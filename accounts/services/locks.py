"""Lifting lock-outs after failed sign-ins: one account's, or one address's."""

from django.db import transaction
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from .. import signin
from ..models import User
from ..rules import (
    Refusal,
    account_management_refusal,
    is_hwb_team,
)
from .audit import audit_record
from .errors import AccountError

# What each refusal means for unlocking (who may manage whom is accounts.rules').
_UNLOCK_REFUSALS = {
    Refusal.HWB_TEAM_ONLY: gettext_lazy(
        "Only the Hwb team can unlock this account. Ask them through the Hwb service desk."
    ),
    Refusal.SUPERUSER_ONLY: gettext_lazy(
        "Only a member of the Hwb team with full admin rights can unlock this account."
    ),
    Refusal.NOT_THEIRS: gettext_lazy("You cannot unlock this account: it is not one you manage."),
}


@transaction.atomic
def account_unlock(*, actor: User, account: User, ip_address: str | None) -> None:
    """Lift an account's lock-out after repeated failed sign-ins (its failures are forgotten)."""
    refusal = account_management_refusal(actor=actor, account=account)
    if refusal is not None:
        raise AccountError(
            str(_UNLOCK_REFUSALS.get(refusal, _UNLOCK_REFUSALS[Refusal.HWB_TEAM_ONLY]))
        )
    if not signin.username_is_locked(account.username):
        raise AccountError(_("This account is not locked. Its holder can sign in."))
    failures = signin.failures_clear(username=account.username)
    audit_record(
        actor=actor,
        action="account.unlocked",
        target=account,
        school=account.school,
        ip_address=ip_address,
        details={"failures": failures},
    )


@transaction.atomic
def signin_address_unlock(*, actor: User, address: str, ip_address: str | None) -> None:
    """The Hwb team lifts the pause on an address that passed the ceiling of failed sign-ins."""
    if not (is_hwb_team(actor) and actor.is_staff):
        raise AccountError(_("Only the Hwb team can lift the pause on an address."))
    if not signin.address_is_locked(address):
        raise AccountError(_("Signing in from this address is not paused."))
    failures = signin.failures_clear(address=address)
    audit_record(
        actor=actor,
        action="signin.address_unlocked",
        ip_address=ip_address,
        details={"address": address, "failures": failures},
    )
