"""The accounts' rules: who may manage whose account, and how long a deactivated account is
kept. Pure reads: the services enforce them and the pages show them.

Who may manage whom (reset a password, unlock a sign-in, reset a second factor):

- a digital champion manages the *ordinary* accounts of their own school: learners, staff,
  governors and ITE students who hold no school role and no admin rights;
- the headteacher, other digital champions, local-authority officers, the Hwb team and any
  account with admin rights are managed by the Hwb team only (in the admin);
- a local-authority officer who is a Hwb administrator for their authority manages the
  accounts the authority made for its own staff (no school; non-MIS, with an expiry);
- the Hwb team manages anyone but themselves; an account with full admin rights (superuser)
  only by another superuser, so a narrower admin role cannot reset its way up;
- nobody manages their own account this way (they change their own password instead);
- a teacher resets (only resets) the passwords of the learners in the registration group the
  school's MIS says they tutor (contract 1.1), learners with no role or admin rights;
- with no actor (the Hwb team's command line on the server) the rule does not apply.
"""

import enum
from datetime import date, datetime, time

from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from core.dates import years_after

from .models import SchoolRole, User

# Accounts a digital champion may manage, when they hold no school role and no admin rights.
ORDINARY_KINDS = frozenset(
    {User.Kind.LEARNER, User.Kind.STAFF, User.Kind.GOVERNOR, User.Kind.ITE_STUDENT}
)
# A deactivated account is deleted this many months after it stopped being used.
RETENTION_MONTHS = 12


class Refusal(enum.Enum):
    """Why an actor may not manage an account; each service words it for its own action."""

    SELF = "self"  # their own account: they change their own password instead
    HWB_TEAM_ONLY = "hwb_team_only"  # a senior or privileged account: the Hwb team's job
    SUPERUSER_ONLY = "superuser_only"  # full admin rights: only another superuser
    NOT_THEIRS = "not_theirs"  # not an account this actor manages at all


def is_hwb_team(user: User | None) -> bool:
    """An active Hwb team account (they work in the Django admin)."""
    return user is not None and user.is_active and user.kind == User.Kind.HWB_TEAM


def champion_school_id(user: User) -> int | None:
    """The school the user is an active digital champion of, or None."""
    if not user.is_active or user.school_id is None:
        return None
    is_champion = SchoolRole.objects.filter(
        user=user, school_id=user.school_id, role=SchoolRole.Role.DIGITAL_CHAMPION
    ).exists()
    return user.school_id if is_champion else None


def authority_admin_id(user: User) -> int | None:
    """The local authority whose own staff accounts this officer manages, or None."""
    if (
        user.is_active
        and user.kind == User.Kind.LA_OFFICER
        and user.manages_authority_accounts
        and user.local_authority_id is not None
    ):
        return user.local_authority_id
    return None


def account_is_senior(account: User) -> bool:
    """Headteachers, champions, officers, the Hwb team, admin rights: the Hwb team's to manage."""
    return (
        account.kind not in ORDINARY_KINDS
        or account.is_staff
        or account.is_superuser
        or SchoolRole.objects.filter(user=account).exists()
    )


def account_management_refusal(*, actor: User | None, account: User) -> Refusal | None:
    """Why ``actor`` may not manage ``account`` (reset, unlock, second factor); None if they may."""
    if actor is None:
        return None
    if actor.pk == account.pk:
        return Refusal.SELF
    if is_hwb_team(actor):
        if account.is_superuser and not actor.is_superuser:
            return Refusal.SUPERUSER_ONLY
        return None
    if account.school_id is None:
        # An authority's own staff account: its authority's Hwb administrators manage it.
        if (
            account.local_authority_id is not None
            and account.non_mis_purpose
            and authority_admin_id(actor) == account.local_authority_id
        ):
            return Refusal.HWB_TEAM_ONLY if account_is_senior(account) else None
        return Refusal.NOT_THEIRS
    if champion_school_id(actor) != account.school_id:
        return Refusal.NOT_THEIRS
    if account_is_senior(account):
        return Refusal.HWB_TEAM_ONLY
    return None


def account_manageable_by(*, actor: User | None, account: User) -> bool:
    return account_management_refusal(actor=actor, account=account) is None


def deletion_due(leaving_date: date) -> datetime:
    """12 months after the leaving date (29 February falls back to the 28th)."""
    due = years_after(leaving_date, RETENTION_MONTHS // 12)
    return timezone.make_aware(datetime.combine(due, time.min))


# What each refusal means for a password reset (unlocking and second factors word their own).
_RESET_REFUSALS = {
    Refusal.SELF: _("You cannot reset your own password here. Use “Change your password” instead."),
    Refusal.HWB_TEAM_ONLY: _(
        "Only the Hwb team can reset this account's password: it belongs to a headteacher, a "
        "digital champion, a local-authority officer or the Hwb team, or has admin rights. "
        "Ask the Hwb service desk."
    ),
    Refusal.SUPERUSER_ONLY: _(
        "Only a member of the Hwb team with full admin rights can reset this account's password."
    ),
    Refusal.NOT_THEIRS: _(
        "You cannot reset this account's password: it is not one of the accounts you manage."
    ),
}


def password_reset_refusal(*, actor: User | None, account: User) -> str | None:
    """Why ``actor`` may not reset this account's password, in words; None if they may."""
    refusal = account_management_refusal(actor=actor, account=account)
    if refusal is Refusal.NOT_THEIRS and learner_is_tutored_by(account=account, tutor=actor):
        return None
    return str(_RESET_REFUSALS[refusal]) if refusal is not None else None


def mis_records(relation: str):
    """The MIS records of accounts (provisioning's models), reached through their relation to
    the account: accounts does not import provisioning, which builds on it."""
    return User._meta.get_field(relation).related_model.objects


def tutor_groups(user: User) -> list[str]:
    """The registration groups the MIS says this active member of staff tutors at their school."""
    if not user.is_active or user.kind != User.Kind.STAFF or user.school_id is None:
        return []
    return sorted(
        mis_records("mis_staff_records")
        .filter(account=user, school_id=user.school_id, leaving_date__isnull=True)
        .exclude(registration_group="")
        .values_list("registration_group", flat=True)
    )


def tutored_learners(tutor: User):
    """The active learner accounts of the tutor's registration groups, at the tutor's school."""
    groups = tutor_groups(tutor)
    if not groups:
        return User.objects.none()
    return User.objects.filter(
        school_id=tutor.school_id,
        kind=User.Kind.LEARNER,
        is_active=True,
        is_staff=False,
        is_superuser=False,
        school_roles__isnull=True,
        mis_learner_records__school_id=tutor.school_id,
        mis_learner_records__leaving_date__isnull=True,
        mis_learner_records__registration_group__in=groups,
    ).distinct()


def learner_is_tutored_by(*, account: User, tutor: User | None) -> bool:
    """Whether ``account`` is a learner of a registration group ``tutor`` tutors."""
    if tutor is None or account.kind != User.Kind.LEARNER or account.school_id != tutor.school_id:
        return False
    return tutored_learners(tutor).filter(pk=account.pk).exists()


def champion_role_refusal(*, actor: User, account: User, promote: bool) -> str:
    """Why ``actor`` may not make ``account`` a digital champion (``promote``) or stop it being
    one; empty if they may. Champions and the headteacher act for their own school (the Hwb
    team for any); only active school staff are champions; a champion cannot remove themselves,
    and a school keeps at least one champion."""
    school_id = account.school_id
    headteacher = (
        actor.is_active
        and actor.school_id == school_id
        and SchoolRole.objects.filter(
            user=actor, school_id=school_id, role=SchoolRole.Role.HEADTEACHER
        ).exists()
    )
    if not (is_hwb_team(actor) or headteacher or champion_school_id(actor) == school_id):
        return str(_("Only the school's digital champions and headteacher choose its champions."))
    if promote and (not account.is_active or account.kind != User.Kind.STAFF):
        return str(_("Only active staff of the school can be digital champions."))
    if promote:
        return ""
    if actor.pk == account.pk and not headteacher:
        return str(
            _(
                "You cannot stop being a digital champion yourself: ask another champion or the "
                "headteacher."
            )
        )
    others = SchoolRole.objects.filter(
        school_id=school_id, role=SchoolRole.Role.DIGITAL_CHAMPION
    ).exclude(user=account)
    if not others.exists():
        return str(_("A school keeps at least one digital champion: make someone else one first."))
    return ""
