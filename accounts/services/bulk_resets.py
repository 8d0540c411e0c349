"""Passwords in bulk: a champion resets the passwords of many accounts at once (a class, a year
group, the accounts a search finds) and gets one printable credential sheet, shown once.

Staff and secondary learners get the usual 12-character one-time password; learners in nursery,
reception and years 1 to 6 three short words and two digits that a seven-year-old can type.
Every one must be changed at the holder's first sign-in, except a primary learner's where the
school has chosen that (``School.primary_passwords_kept``). The accounts the actor may not reset
(their own, a headteacher's or another champion's, anything above them; for a teacher, anyone
outside the registration group they tutor) are left out and counted.
"""

import secrets
from dataclasses import dataclass

from django.contrib.auth.hashers import make_password
from django.db import transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from schools.identifiers import PRIMARY_YEAR_GROUPS
from schools.models import School

from .. import signin
from ..bulk import audit_entry_build
from ..hashers import OneTimePasswordHasher
from ..models import AuditEntry, User
from ..rules import champion_school_id, is_hwb_team, mis_records, password_reset_refusal
from .audit import audit_record
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
    must_change: bool = True


def learner_password_generate() -> str:
    """Three short words and two digits: 'haul-cath-tree-47'."""
    words = "-".join(secrets.choice(LEARNER_WORDS) for _ in range(3))
    return f"{words}-{secrets.randbelow(90) + 10}"


def _primary_learner_ids(accounts: list[User]) -> set[int]:
    """The learners among ``accounts`` whose school's MIS has them in a primary year (one query)."""
    learner_ids = [account.pk for account in accounts if account.kind == User.Kind.LEARNER]
    if not learner_ids:
        return set()
    return set(
        mis_records("mis_learner_records")
        .filter(
            account_id__in=learner_ids,
            school_id=F("account__school_id"),
            leaving_date__isnull=True,
            year_group__in=PRIMARY_YEAR_GROUPS,
        )
        .values_list("account_id", flat=True)
    )


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
    primary = _primary_learner_ids(allowed)
    credentials = []
    for account in allowed:
        if account.pk in primary:
            password = learner_password_generate()
            account.must_change_password = not account.school.primary_passwords_kept
        else:
            password = one_time_password_generate()
            account.must_change_password = True
        account.password = make_password(password, hasher=_hasher)
        credentials.append(
            Credential(
                account.get_full_name(),
                account.username,
                password,
                account.kind,
                account.must_change_password,
            )
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


@transaction.atomic
def primary_passwords_kept_set(
    *, actor: User, school: School, kept: bool, ip_address: str | None = None
) -> None:
    """Whether the school's primary learners keep a password issued in bulk (a digital
    champion's choice for their school, or the Hwb team's), audited."""
    if not (is_hwb_team(actor) or champion_school_id(actor) == school.pk):
        raise AccountError(_("Only the school's digital champions choose this."))
    school = School.objects.select_for_update().get(pk=school.pk)
    if school.primary_passwords_kept == kept:
        return
    school.primary_passwords_kept = kept
    school.save(update_fields=["primary_passwords_kept", "updated_at"])
    audit_record(
        actor=actor,
        action="school.primary_passwords_kept",
        target=school,
        school=school,
        ip_address=ip_address,
        details={"kept": kept},
    )
