"""Passwords: one-time passwords from a reset, known passwords, a holder's own change."""

import secrets

from django.contrib.auth.password_validation import validate_password
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from .. import signin
from ..emails import email_enqueue
from ..models import AuditEntry, User
from ..rules import (
    is_hwb_team,
    password_reset_refusal,
)
from ..selectors import interface_language
from .audit import audit_record
from .errors import AccountError, AccountResetRepeated


def one_time_password_generate() -> str:
    """12 capital letters and digits in three groups, no look-alikes (0/O, 1/I): about 60 bits.

    One case only, so that what a screen reader spells out is what must be typed (it does not
    say which letters are capitals). The holder replaces it with their own at the first sign-in,
    which the full rule then judges."""
    letters = "ABCDEFGHJKLMNPQRSTUVWXYZ"
    digits = "23456789"
    alphabet = letters + digits
    while True:
        chars = [secrets.choice(alphabet) for _ in range(12)]
        if any(c in letters for c in chars) and any(c in digits for c in chars):
            return "-".join("".join(chars[i : i + 4]) for i in (0, 4, 8))


@transaction.atomic
def account_password_reset(
    *, actor: User | None, account: User, ip_address: str | None, form_key: str = ""
) -> str:
    """Give the account a one-time password, returned once, to be changed at the next sign-in.

    Who may reset whom is accounts.rules' (a champion never resets the headteacher, another
    champion, an officer or an account with admin rights). ``form_key`` is the reset form's own
    random key: the same form sent twice (a double click) resets once, and the second raises
    AccountResetRepeated. The holder of any account but a learner's is emailed.
    """
    account = (
        User.objects.select_for_update(of=("self",)).select_related("school").get(pk=account.pk)
    )
    refusal = password_reset_refusal(actor=actor, account=account)
    if refusal is not None:
        raise AccountError(refusal)
    if not account.is_active:
        raise AccountError(
            _("This account is deactivated. The Hwb service desk can reactivate it.")
        )
    # Under the account's row lock, so the second of two simultaneous requests sees the first.
    if (
        form_key
        and AuditEntry.objects.filter(
            target_type=User._meta.label_lower,
            target_id=str(account.pk),
            action="account.password_reset",
            details__form_key=form_key,
        ).exists()
    ):
        raise AccountResetRepeated(
            _("This password has just been reset: the one-time password was shown once.")
        )
    password = one_time_password_generate()
    account.set_password(password)
    account.must_change_password = True
    account.save(update_fields=["password", "must_change_password"])
    signin.failures_clear(username=account.username)  # a new password lifts a lock-out
    audit_record(
        actor=actor,
        action="account.password_reset",
        target=account,
        school=account.school,
        ip_address=ip_address,
        details={"form_key": form_key} if form_key else {},
    )
    # A learner's address is a Hwb mailbox they cannot read until they sign in.
    if account.kind != User.Kind.LEARNER:
        password_reset_holder_tell(account=account, actor=actor)
    return password


def password_reset_holder_tell(*, account: User, actor: User | None) -> None:
    """Email the holder, in their language first, who reset their password and when."""
    role = "hwb_team" if actor is None or is_hwb_team(actor) else "digital_champion"
    email_enqueue(
        to=account.email,
        template="password_reset_by_someone_else",
        context={
            "holder": account,
            "actor_name": (actor.get_full_name() or actor.username) if actor is not None else "",
            "actor_role": role,
            "actor_school": actor.school if actor is not None else None,
            "when": timezone.now(),
        },
        language=interface_language(account),  # not known: both languages, Welsh first
        bilingual=True,
    )


@transaction.atomic
def account_password_set(
    *, actor: User | None, account: User, password: str, ip_address: str | None = None
) -> None:
    """Give an account a known password (the demo data; the Hwb team's tools)."""
    validate_password(password, user=account)
    account.set_password(password)
    account.must_change_password = False
    account.save(update_fields=["password", "must_change_password"])
    signin.failures_clear(username=account.username)
    audit_record(
        actor=actor,
        action="account.password_set",
        target=account,
        school=account.school,
        ip_address=ip_address,
    )


@transaction.atomic
def account_password_change(*, user: User, new_password: str, ip_address: str | None) -> None:
    """The account holder sets their own password (clearing a forced change)."""
    validate_password(new_password, user=user)
    user.set_password(new_password)
    user.must_change_password = False
    user.save(update_fields=["password", "must_change_password"])
    audit_record(
        actor=user,
        action="account.password_changed",
        target=user,
        school=user.school,
        ip_address=ip_address,
    )
