"""The Hwb team's writes, which the admin makes through and never round: an account's details
and admin rights, deactivating and reactivating it, taking a school role away. Each is one
transaction and one audit entry, like every service.
"""

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from .models import SchoolRole, User
from .rules import Refusal, account_management_refusal, is_hwb_team
from .services import AccountError, account_deactivate, audit_record

# Details of an account the Hwb team may edit. School, kind, active state and password have
# services of their own (moves, deactivation, resets); usernames never change.
ACCOUNT_DETAIL_FIELDS = (
    "first_name",
    "last_name",
    "email",
    "preferred_language",
    "local_authority",
    "manages_authority_accounts",
)
# Admin rights and permissions: only a member of the Hwb team with full admin rights changes them.
ACCOUNT_RIGHTS_FIELDS = ("is_staff", "is_superuser", "groups", "user_permissions")
_MANY_TO_MANY = {"groups", "user_permissions"}


def _hwb_team_check(*, actor: User | None, account: User) -> None:
    """The Hwb team's own rule (accounts.rules): anyone but themselves; superusers by superusers."""
    if actor is not None and not is_hwb_team(actor):
        raise AccountError(_("Only the Hwb team can do this."))
    refusal = account_management_refusal(actor=actor, account=account)
    if refusal == Refusal.SELF:
        raise AccountError(
            _("You cannot do this to your own account: ask someone else in the Hwb team.")
        )
    if refusal is not None:
        raise AccountError(
            _("Only a member of the Hwb team with full admin rights can change this account.")
        )


def _rights_value(field: str, value):
    if field in _MANY_TO_MANY:
        return sorted(str(item) for item in value)
    return value


@transaction.atomic
def account_update(
    *, actor: User | None, account: User, changes: dict, ip_address: str | None = None
) -> list[str]:
    """Save changed details or admin rights of an account (the Hwb team, in the admin).

    Returns the fields that really changed; the audit entry lists them (with the new value of
    admin rights). Bad values change nothing and raise AccountError.
    """
    unknown = set(changes) - set(ACCOUNT_DETAIL_FIELDS) - set(ACCOUNT_RIGHTS_FIELDS)
    if unknown:
        raise AccountError(
            _("These details of an account cannot be changed here: %(fields)s.")
            % {"fields": ", ".join(sorted(unknown))}
        )
    account = User.objects.select_for_update().get(pk=account.pk)
    if actor is not None and not is_hwb_team(actor):
        raise AccountError(_("Only the Hwb team can do this."))
    if set(changes) & set(ACCOUNT_RIGHTS_FIELDS) and actor is not None and not actor.is_superuser:
        raise AccountError(
            _("Only a member of the Hwb team with full admin rights can change admin rights.")
        )
    if account.is_superuser and actor is not None and not actor.is_superuser:
        raise AccountError(
            _("Only a member of the Hwb team with full admin rights can change this account.")
        )
    changed: list[str] = []
    many: dict[str, list] = {}
    for field, value in changes.items():
        if field in _MANY_TO_MANY:
            if {item.pk for item in value} != set(
                getattr(account, field).values_list("pk", flat=True)
            ):
                many[field] = list(value)
                changed.append(field)
        elif getattr(account, field) != value:
            setattr(account, field, value)
            changed.append(field)
    if not changed:
        return []
    if account.manages_authority_accounts and (
        account.kind != User.Kind.LA_OFFICER or account.local_authority_id is None
    ):
        raise AccountError(
            _(
                "Only a local-authority officer, with their authority set, can be its Hwb "
                "administrator."
            )
        )
    scalar = [field for field in changed if field not in _MANY_TO_MANY]
    try:
        # Every field's own checks and the model's (admin rights for the Hwb team only).
        account.full_clean(exclude=[f.name for f in User._meta.fields if f.name not in scalar])
    except ValidationError as error:
        raise AccountError(" ".join(error.messages)) from None
    if scalar:
        account.save(update_fields=scalar)
    for field, value in many.items():
        getattr(account, field).set(value)
    details = {"fields": sorted(changed)}
    details.update(
        {
            field: _rights_value(field, many.get(field, getattr(account, field)))
            for field in changed
            if field in ACCOUNT_RIGHTS_FIELDS or field == "manages_authority_accounts"
        }
    )
    audit_record(
        actor=actor,
        action="account.updated",
        target=account,
        school=account.school,
        ip_address=ip_address,
        details=details,
    )
    return sorted(changed)


@transaction.atomic
def account_deactivate_by_hwb_team(
    *, actor: User | None, account: User, ip_address: str | None = None
) -> None:
    """The Hwb team deactivates an account; it is deleted 12 months later unless reactivated."""
    account = User.objects.select_for_update().get(pk=account.pk)
    _hwb_team_check(actor=actor, account=account)
    if not account.is_active:
        raise AccountError(_("This account is deactivated already."))
    account_deactivate(
        actor=actor, account=account, reason=User.DeactivationReason.HWB_TEAM, ip_address=ip_address
    )


@transaction.atomic
def account_reactivate(*, actor: User | None, account: User, ip_address: str | None = None) -> None:
    """The Hwb team reactivates a deactivated account: no longer due for deletion.

    An MIS account its school still shows as a leaver may be deactivated again by a later
    provisioning run of its school: the MIS is the truth for those.
    """
    account = User.objects.select_for_update().get(pk=account.pk)
    _hwb_team_check(actor=actor, account=account)
    if account.is_active:
        raise AccountError(_("This account is active already."))
    previous_reason = account.deactivation_reason
    User.objects.filter(pk=account.pk).update(
        is_active=True, deactivated_at=None, deactivation_reason="", deletion_due_at=None
    )
    account.refresh_from_db()
    audit_record(
        actor=actor,
        action="account.reactivated",
        target=account,
        school=account.school,
        ip_address=ip_address,
        details={"previous_reason": previous_reason},
    )


@transaction.atomic
def school_role_revoke(
    *, actor: User | None, role: SchoolRole, ip_address: str | None = None
) -> None:
    """Take a school role away (the Hwb team, in the admin). Champions never demote themselves."""
    role = SchoolRole.objects.select_for_update().select_related("user", "school").get(pk=role.pk)
    if actor is not None and actor.pk == role.user_id:
        raise AccountError(_("You cannot take away your own role."))
    audit_record(
        actor=actor,
        action="school_role.revoked",
        target=role.user,
        school=role.school,
        ip_address=ip_address,
        details={"role": role.role},
    )
    role.delete()
