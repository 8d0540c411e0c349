"""Sign-ins, sign-outs and the interface language, and ending every session of an account."""

from django.db import models, transaction

from ..models import User
from .audit import audit_record


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
def account_sessions_end(*, accounts: list[User]) -> None:
    """Sign the accounts out of every browser they are signed in on."""
    User.objects.filter(pk__in=[a.pk for a in accounts]).update(
        session_generation=models.F("session_generation") + 1
    )
