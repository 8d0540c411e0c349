"""Accounts a school makes in Hwb itself, not from its MIS: governors, supply and temporary staff,
local-authority and consortium staff, visitors and services; never learners. Each has an expiry
date; the daily job closes it then, or after 90 days without a sign-in, and closed accounts are
deleted 12 months later like any other."""

from datetime import date, timedelta

from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from core.dates import academic_year_end, months_after
from schools.models import LocalAuthority, School

from ..models import EXPIRING_WEEKS, User
from ..rules import (
    account_management_refusal,
    authority_admin_id,
    champion_school_id,
    is_hwb_team,
)
from .audit import audit_record
from .errors import AccountError
from .lifecycle import account_create, account_deactivate

Purpose = User.NonMisPurpose
# How long a new account lasts, or how long Keep extends one: months, or an academic year's end.
EXPIRY_CHOICES = ("1", "3", "6", "year_end")
KEEP_CHOICES = ("1", "3", "6", "next_year_end")
UNUSED_DAYS = 90


def expiry_date(choice: str, *, today: date) -> date:
    if choice == "year_end":
        return academic_year_end(today)
    if choice == "next_year_end":
        return academic_year_end(today, years_on=1)
    if choice in {"1", "3", "6"}:
        return months_after(today, int(choice))
    raise AccountError(_("Choose how long the account lasts."))


def _check_may_manage(
    actor: User, school: School | None, local_authority: LocalAuthority | None = None
) -> None:
    if is_hwb_team(actor):
        return
    if school is not None and champion_school_id(actor) == school.pk:
        return
    if school is None and local_authority is not None:
        if authority_admin_id(actor) == local_authority.pk:
            return
        raise AccountError(
            _("Only the authority's Hwb administrators manage its own staff accounts.")
        )
    raise AccountError(_("Only the school's digital champions manage its own accounts."))


@transaction.atomic
def non_mis_account_create(
    *,
    actor: User,
    school: School | None,
    first_name: str,
    last_name: str,
    purpose: str,
    expiry: str,
    local_authority: LocalAuthority | None = None,
    ip_address: str | None = None,
) -> User:
    """A school's own account (or, with no school, a local authority's for its own staff), with
    a username by the usual rule and no password yet (a champion or the authority's Hwb
    administrator issues a one-time password with Reset password)."""
    if school is not None:
        local_authority = None
    _check_may_manage(actor, school, local_authority)
    if school is None and local_authority is None:
        raise AccountError(_("An account belongs to a school or a local authority."))
    if purpose not in Purpose.values or (school is None and purpose == Purpose.GOVERNOR):
        raise AccountError(_("Choose who the account is for."))
    today = timezone.localdate()
    expires_on = expiry_date(expiry, today=today)
    kind = User.Kind.GOVERNOR if purpose == Purpose.GOVERNOR else User.Kind.STAFF
    account = account_create(
        actor=actor,
        first_name=first_name,
        last_name=last_name,
        kind=kind,
        school=school,
        local_authority=local_authority,
        ip_address=ip_address,
    )
    User.objects.filter(pk=account.pk).update(non_mis_purpose=purpose, expires_on=expires_on)
    account.refresh_from_db()
    audit_record(
        actor=actor,
        action="account.expiry_set",
        target=account,
        school=school,
        ip_address=ip_address,
        details={"purpose": purpose, "expires_on": expires_on.isoformat()},
    )
    return account


def _own_account(actor: User, account: User, *, governors_too: bool = False) -> User:
    """The account, locked, if it is one the school runs itself (or, with ``governors_too``, a
    governor's from the MIS, whom a champion closes by hand when they leave)."""
    account = User.objects.select_for_update().get(pk=account.pk)
    ours = bool(account.non_mis_purpose) or (governors_too and account.kind == User.Kind.GOVERNOR)
    if not ours or (account.school is None and account.local_authority is None):
        raise AccountError(_("This account comes from the school's MIS: its MIS decides."))
    _check_may_manage(actor, account.school, account.local_authority)
    # Never one's own account, nor one above the actor (a champion's, say): the Hwb team's.
    if account_management_refusal(actor=actor, account=account) is not None:
        raise AccountError(_("You cannot change this account: ask the Hwb service desk."))
    return account


@transaction.atomic
def non_mis_account_keep(
    *, actor: User, account: User, until: str, ip_address: str | None = None
) -> User:
    """Keep an account longer: to the end of next academic year, or 6, 3 or 1 months from today."""
    account = _own_account(actor, account)
    if not account.is_active:
        raise AccountError(_("This account is closed already."))
    if until not in KEEP_CHOICES:
        raise AccountError(_("Choose how long to keep the account."))
    account.expires_on = expiry_date(until, today=timezone.localdate())
    account.closes_at_expiry = False
    account.save(update_fields=["expires_on", "closes_at_expiry"])
    audit_record(
        actor=actor,
        action="account.expiry_set",
        target=account,
        school=account.school,
        ip_address=ip_address,
        details={"expires_on": account.expires_on.isoformat(), "kept": True},
    )
    return account


def non_mis_account_close(
    *, actor: User, account: User, at_expiry: bool = False, ip_address: str | None = None
) -> None:
    """Close a school's own account, or a governor's who has left, now (deleted 12 months later,
    like any closed account); or, ``at_expiry``, let it close on its expiry date without being
    asked about it again."""
    with transaction.atomic():
        account = _own_account(actor, account, governors_too=True)
        if not account.is_active:
            raise AccountError(_("This account is closed already."))
        if at_expiry:
            if account.expires_on is None:
                raise AccountError(_("This account has no expiry date: close it now instead."))
            account.closes_at_expiry = True
            account.save(update_fields=["closes_at_expiry"])
            audit_record(
                actor=actor,
                action="account.close_at_expiry",
                target=account,
                school=account.school,
                ip_address=ip_address,
                details={"expires_on": account.expires_on.isoformat()},
            )
            return
        account_deactivate(
            actor=actor,
            account=account,
            reason=User.DeactivationReason.CLOSED,
            ip_address=ip_address,
        )


def non_mis_accounts_expiring(
    school: School | None,
    *,
    local_authority: LocalAuthority | None = None,
    today: date | None = None,
) -> list[User]:
    """The school's own accounts (with no school, the authority's) that close within
    EXPIRING_WEEKS (the banner of its champions, or of the authority's administrators)."""
    today = today or timezone.localdate()
    owner = (
        Q(school=school) if school is not None else Q(school=None, local_authority=local_authority)
    )
    return list(
        User.objects.filter(
            owner,
            is_active=True,
            expires_on__isnull=False,
            expires_on__lte=today + timedelta(weeks=EXPIRING_WEEKS),
            closes_at_expiry=False,  # decided already: it closes then
        )
        .exclude(non_mis_purpose="")
        .order_by("expires_on", "last_name", "first_name")[:100]
    )


def non_mis_accounts_close_due(*, today: date | None = None) -> dict[str, int]:
    """The daily job: close the school-made accounts whose expiry date has passed, and those
    nobody has signed in to for 90 days (counted from their creation if never). Safe to run
    twice: a closed account no longer matches."""
    today = today or timezone.localdate()
    unused_since = timezone.now() - timedelta(days=UNUSED_DAYS)
    own = User.objects.filter(is_active=True).exclude(non_mis_purpose="")
    expired = list(own.filter(expires_on__lt=today).values_list("pk", flat=True))
    unused = list(
        own.exclude(pk__in=expired)
        .filter(
            Q(last_login__lt=unused_since)
            | Q(last_login__isnull=True, date_joined__lt=unused_since)
        )
        .values_list("pk", flat=True)
    )
    for reason, ids in (
        (User.DeactivationReason.EXPIRED, expired),
        (User.DeactivationReason.UNUSED, unused),
    ):
        for account in User.objects.filter(pk__in=ids):
            account_deactivate(actor=None, account=account, reason=reason)
    return {"expired": len(expired), "unused": len(unused)}
