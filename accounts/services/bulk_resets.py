"""Passwords in bulk: a champion resets the passwords of many accounts at once (a class, a year
group, the accounts a search finds) and gets one printable credential sheet, shown once.

Staff get the usual 12-character one-time password; learners three short words and two digits
that a seven-year-old can type. Every one must be changed at the holder's first sign-in. The
accounts a champion may not reset (their own, a headteacher's or another champion's, anything
above them) are left out and counted.
"""

import secrets
from dataclasses import dataclass

from django.contrib.auth.hashers import make_password
from django.db import transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from .. import signin
from ..bulk import audit_entry_build
from ..hashers import OneTimePasswordHasher
from ..models import AuditEntry, User
from ..rules import password_reset_refusal
from .errors import AccountError
from .passwords import one_time_password_generate, password_reset_holder_tell

BULK_RESET_MAX = 2000
# Short, common, unambiguous words, in Welsh and English, for learners' one-time passwords.
LEARNER_WORDS = [
    "afal",
    "ci",
    "cath",
    "coed",
    "dwr",
    "haul",
    "lleuad",
    "mor",
    "nant",
    "seren",
    "tan",
    "tir",
    "ty",
    "afon",
    "bryn",
    "cae",
    "apple",
    "bear",
    "bird",
    "boat",
    "cake",
    "cat",
    "cow",
    "dog",
    "duck",
    "fish",
    "frog",
    "hat",
    "kite",
    "lion",
    "moon",
    "owl",
    "pig",
    "red",
    "rock",
    "star",
    "sun",
    "tree",
    "van",
    "wolf",
    "blue",
    "green",
    "gold",
    "pink",
    "hill",
    "lake",
    "rain",
    "snow",
]
_hasher = OneTimePasswordHasher()


@dataclass(frozen=True)
class Credential:
    """One card of the credential sheet."""

    name: str
    username: str
    password: str
    kind: str


def learner_password_generate() -> str:
    """Three short words and two digits: 'haul-cath-tree-47'."""
    words = "-".join(secrets.choice(LEARNER_WORDS) for _ in range(3))
    return f"{words}-{secrets.randbelow(90) + 10}"


@transaction.atomic
def passwords_reset_bulk(
    *, actor: User, account_ids: list[int], ip_address: str | None = None
) -> tuple[list[Credential], int]:
    """Reset the passwords of the given accounts the actor may reset, in one transaction:
    returns the credentials (for the sheet, never stored) and how many were left out."""
    if len(account_ids) > BULK_RESET_MAX:
        raise AccountError(
            _("Reset at most %(max)d accounts at a time: narrow the search.")
            % {"max": BULK_RESET_MAX}
        )
    accounts = list(
        User.objects.select_for_update(of=("self",))
        .filter(pk__in=account_ids, is_active=True)
        .select_related("school")
        .order_by("last_name", "first_name", "username")
    )
    allowed = [a for a in accounts if password_reset_refusal(actor=actor, account=a) is None]
    left_out = len(account_ids) - len(allowed)
    credentials = []
    for account in allowed:
        password = (
            learner_password_generate()
            if account.kind == User.Kind.LEARNER
            else one_time_password_generate()
        )
        account.password = make_password(password, hasher=_hasher)
        account.must_change_password = True
        credentials.append(
            Credential(account.get_full_name(), account.username, password, account.kind)
        )
    User.objects.bulk_update(allowed, ["password", "must_change_password"], batch_size=500)
    ids = [account.pk for account in allowed]
    # Every browser signed out, and any lock lifted: a new password is a new start.
    User.objects.filter(pk__in=ids).update(session_generation=F("session_generation") + 1)
    signin.failures_clear_many(usernames=[account.username for account in allowed])
    now = timezone.now()
    AuditEntry.objects.bulk_create(
        [
            audit_entry_build(
                actor=actor,
                action="account.password_reset",
                target=account,
                school=account.school,
                ip_address=ip_address,
                details={"bulk": True},
                created_at=now,
            )
            for account in allowed
        ],
        batch_size=1000,
    )
    for account in allowed:
        if account.kind != User.Kind.LEARNER:
            password_reset_holder_tell(account=account, actor=actor)
    return credentials, left_out
