"""Writes to accounts: creating them, passwords, roles, and the audit log every change goes to."""

import secrets
from collections.abc import Iterable
from datetime import datetime

from django.conf import settings
from django.contrib.auth.password_validation import validate_password
from django.db import IntegrityError, models, transaction
from django.db.models import Model
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from schools.identifiers import upn_hash, validate_upn
from schools.models import LocalAuthority, School
from schools.services import ImportReport, schools_import

from . import signin
from .bulk import AccountRef, audit_entry_build
from .emails import email_enqueue
from .models import AccountMove, AuditEntry, SchoolRole, User
from .rules import (
    Refusal,
    account_management_refusal,
    deletion_due,
    is_hwb_team,
    password_reset_refusal,
)
from .selectors import interface_language
from .usernames import username_base, username_next_free


class AccountError(Exception):
    """A rule of the accounts domain said no; the message is for the person who asked."""


class AccountResetRepeated(AccountError):
    """The same reset form arrived twice (a double click): the first one's password stands."""


def audit_record(
    *,
    actor: User | None,
    action: str,
    target: Model | None = None,
    school: School | None = None,
    ip_address: str | None = None,
    details: dict | None = None,
) -> AuditEntry:
    """Write one audit entry. Call it inside the transaction that makes the change."""
    entry = audit_entry_build(
        actor=actor,
        action=action,
        target=target,
        school=school,
        ip_address=ip_address,
        details=details,
    )
    entry.save(force_insert=True)
    return entry


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


def one_time_password_generate() -> str:
    """12 characters in three groups, with upper, lower and digits, no look-alikes (0/O, 1/l)."""
    upper = "ABCDEFGHJKLMNPQRSTUVWXYZ"
    lower = "abcdefghijkmnpqrstuvwxyz"
    digits = "23456789"
    alphabet = upper + lower + digits
    while True:
        chars = [secrets.choice(alphabet) for _ in range(12)]
        if (
            any(c in upper for c in chars)
            and any(c in lower for c in chars)
            and any(c in digits for c in chars)
        ):
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
        _holder_tell_of_reset(account=account, actor=actor)
    return password


def _holder_tell_of_reset(*, account: User, actor: User | None) -> None:
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
        language=interface_language(account) or settings.LANGUAGE_CODE,
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


@transaction.atomic
def school_role_grant(
    *, actor: User | None, user: User, school: School, role: str, ip_address: str | None = None
) -> SchoolRole:
    """Give a school role. A new headteacher replaces the old one (a school has one)."""
    if role not in SchoolRole.Role.values:
        raise AccountError(_("Unknown school role."))
    if user.school_id != school.pk:
        raise AccountError(_("Only an account of this school can hold one of its roles."))
    if role == SchoolRole.Role.DIGITAL_CHAMPION and actor is not None and actor.pk == user.pk:
        raise AccountError(_("Digital champions cannot promote themselves."))
    if role == SchoolRole.Role.HEADTEACHER:
        for previous in (
            SchoolRole.objects.select_for_update()
            .filter(school=school, role=role)
            .exclude(user=user)
        ):
            audit_record(
                actor=actor,
                action="school_role.revoked",
                target=previous.user,
                school=school,
                ip_address=ip_address,
                details={"role": role},
            )
            previous.delete()
    school_role, created = SchoolRole.objects.get_or_create(user=user, school=school, role=role)
    if created:
        audit_record(
            actor=actor,
            action="school_role.granted",
            target=user,
            school=school,
            ip_address=ip_address,
            details={"role": role},
        )
    return school_role


def account_session_record(*, user: User, event: str, ip_address: str | None) -> None:
    """Record a sign-in or sign-out ("signed_in", "signed_out"); Django keeps last_login."""
    if event not in {"signed_in", "signed_out"}:
        raise ValueError(f"unknown sign-in event {event!r}")  # a programming error, not a user's
    audit_record(
        actor=user,
        action=f"account.{event}",
        target=user,
        school=user.school,
        ip_address=ip_address,
    )


def account_language_set(*, user: User, language: str, ip_address: str | None) -> None:
    """Remember the interface language the account holder chose."""
    if language not in User.Language.values or user.preferred_language == language:
        return
    user.preferred_language = language
    user.save(update_fields=["preferred_language"])
    audit_record(
        actor=user,
        action="account.language_set",
        target=user,
        school=user.school,
        ip_address=ip_address,
        details={"language": language},
    )


@transaction.atomic
def schools_import_audited(
    *, rows: Iterable[dict[str, str]], actor: User | None, source: str = ""
) -> ImportReport:
    """Load the address list of schools, writing an audit entry for each school it changes.

    The import itself is schools' own service; the audit log lives here, a floor above it.
    """
    report = schools_import(rows=rows, actor=actor)
    changed = School.objects.in_bulk([change.school_id for change in report.changes])
    AuditEntry.objects.bulk_create(
        audit_entry_build(
            actor=actor,
            action="school.created" if change.created else "school.updated",
            target=changed[change.school_id],
            school=changed[change.school_id],
            details={"fields": list(change.fields), "source": source},
        )
        for change in report.changes
    )
    return report


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


@transaction.atomic
def account_sessions_end(*, accounts: list[User]) -> None:
    """Sign the accounts out of every browser they are signed in on."""
    User.objects.filter(pk__in=[a.pk for a in accounts]).update(
        session_generation=models.F("session_generation") + 1
    )


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
