"""School roles: headteacher (one per school) and digital champion."""

from django.db import transaction
from django.utils.translation import gettext as _

from schools.models import School

from ..models import SchoolRole, User
from ..rules import champion_role_refusal
from .audit import audit_record
from .errors import AccountError


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


@transaction.atomic
def champion_role_set(
    *, actor: User, account: User, champion: bool, ip_address: str | None = None
) -> bool:
    """Make ``account`` a digital champion of its school, or stop it being one (the rules in
    ``champion_role_refusal``; the school's roles locked, so two champions removing each other at
    once cannot leave it with none). A new champion sets up the second factor at their next
    sign-in. Returns whether anything changed."""
    account = User.objects.select_for_update().get(pk=account.pk)
    list(SchoolRole.objects.select_for_update().filter(school_id=account.school_id))
    refusal = champion_role_refusal(actor=actor, account=account, promote=champion)
    if refusal:
        raise AccountError(refusal)
    role = SchoolRole.Role.DIGITAL_CHAMPION
    if champion:
        created = not SchoolRole.objects.filter(user=account, role=role).exists()
        school_role_grant(
            actor=actor, user=account, school=account.school, role=role, ip_address=ip_address
        )
        return created
    deleted, _rows = SchoolRole.objects.filter(
        user=account, school_id=account.school_id, role=role
    ).delete()
    if deleted:
        audit_record(
            actor=actor,
            action="school_role.revoked",
            target=account,
            school=account.school,
            ip_address=ip_address,
            details={"role": role},
        )
    return bool(deleted)
