"""Changing an account's name (marriage, adoption, a preferred name, a correction), and with it,
when the surname or the first initial changes, its username: the old one keeps signing in for a
year as an alias, is never given to anyone else, and the holder chooses a new password."""

from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from core.text import text_clean

from ..models import RetiredUsername, User, UsernameAlias
from ..rules import account_management_refusal
from ..usernames import base_of, username_base, username_next_free
from .audit import audit_record
from .errors import AccountError
from .sessions import account_sessions_end

RENAME_REASONS = {
    "marriage": gettext_lazy("Marriage or civil partnership"),
    "adoption": gettext_lazy("Adoption"),
    "preferred": gettext_lazy("A preferred name"),
    "correction": gettext_lazy("A correction"),
    "mis": gettext_lazy("A change in the school's MIS"),
}
ALIAS_DAYS = 365


def username_would_change(account: User, *, first_name: str, last_name: str) -> bool:
    """Whether the new name gives another username (a new surname or first initial)."""
    return username_base(first_name=first_name, last_name=last_name) != account.username_base


@transaction.atomic
def account_rename(
    *,
    actor: User,
    account: User,
    first_name: str,
    last_name: str,
    reason: str,
    new_username: bool,
    preferred_first_name: str | None = None,
    ip_address: str | None = None,
) -> User:
    """Give the account its new name; with ``new_username`` (and a name that gives another
    one), a new username too, the old kept as an alias for ALIAS_DAYS and retired for good, the
    holder signed out and asked to choose a new password."""
    account = User.objects.select_for_update().get(pk=account.pk)
    refusal = account_management_refusal(actor=actor, account=account)
    if refusal is not None:
        raise AccountError(_("You cannot change this account's name: ask the Hwb service desk."))
    first_name, last_name = text_clean(first_name)[:100], text_clean(last_name)[:100]
    if not first_name or not last_name:
        raise AccountError(_("An account needs a first name and a last name."))
    if reason not in RENAME_REASONS:
        raise AccountError(_("Choose why the name changes."))
    before = {
        "first_name": account.first_name,
        "last_name": account.last_name,
        "preferred_first_name": account.preferred_first_name,
    }
    old_username = account.username
    account.first_name, account.last_name = first_name, last_name
    fields = ["first_name", "last_name"]
    if preferred_first_name is not None:
        preferred = text_clean(preferred_first_name)[:100]
        account.preferred_first_name = "" if preferred == first_name else preferred
        fields.append("preferred_first_name")
    changes_username = new_username and username_would_change(
        account, first_name=first_name, last_name=last_name
    )
    if changes_username:
        base = username_base(first_name=first_name, last_name=last_name)
        account.username = username_next_free(base)
        account.username_base = base
        account.email = f"{account.username}@{settings.HWB_EMAIL_DOMAIN}"
        account.must_change_password = account.has_usable_password()
        fields += ["username", "username_base", "email", "must_change_password"]
        UsernameAlias.objects.create(
            account=account,
            username=old_username,
            until=timezone.now() + timedelta(days=ALIAS_DAYS),
        )
        RetiredUsername.objects.get_or_create(
            username=old_username, defaults={"username_base": base_of(old_username)}
        )
    account.save(update_fields=fields)
    audit_record(
        actor=actor,
        action="account.renamed",
        target=account,
        school=account.school,
        ip_address=ip_address,
        details={
            "reason": reason,
            "before": before,
            "after": {
                "first_name": first_name,
                "last_name": last_name,
                "preferred_first_name": account.preferred_first_name,
            },
            **(
                {"old_username": old_username, "new_username": account.username}
                if changes_username
                else {}
            ),
        },
    )
    if changes_username:
        account_sessions_end(accounts=[account])
    return account
