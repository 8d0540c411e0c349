"""Provisioning Client credentials: issuing, checking and revoking a school's bearer token.

A token is shown once, when it is issued; the portal keeps only its SHA-256, so a leaked database
does not leak working credentials. A school has at most one live token.
"""

import hashlib
import hmac
import secrets
from datetime import timedelta

from django.db import transaction
from django.utils import timezone

from accounts.models import User
from accounts.services import audit_record
from schools.models import School

from .models import ClientToken

# Tells people (and secret scanners) what a leaked string is: a Hwb Provisioning Client token.
TOKEN_PREFIX = "hwbpc_"
# secrets.token_urlsafe(32) is 43 characters; anything much longer is not one of ours.
_TOKEN_MAX_LENGTH = 100
# How stale last_used_at may get: a client sending often writes it at most once a minute.
_LAST_USED_RESOLUTION = timedelta(minutes=1)


def _token_hash(raw: str) -> str:
    return hashlib.sha256(raw.encode()).hexdigest()


@transaction.atomic
def client_token_issue(
    *, school: School, actor: User | None, ip_address: str | None = None
) -> tuple[ClientToken, str]:
    """Issue the school's new token, revoking its previous one. Returns the token and its secret.

    The secret is returned only here: show it once, it cannot be recovered.
    """
    # Two issues for one school at once queue behind the school's row, so each revokes the other.
    School.objects.select_for_update().filter(pk=school.pk).first()
    for previous in ClientToken.objects.select_for_update().filter(
        school=school, revoked_at__isnull=True
    ):
        _revoke(token=previous, actor=actor, ip_address=ip_address, reason="replaced")
    raw = TOKEN_PREFIX + secrets.token_urlsafe(32)
    token = ClientToken.objects.create(
        school=school,
        prefix=raw[:12],
        token_hash=_token_hash(raw),
        created_by=actor if actor is not None and actor.pk else None,
    )
    audit_record(
        actor=actor,
        action="provisioning.client_token_issued",
        target=token,
        school=school,
        ip_address=ip_address,
        details={"prefix": token.prefix},
    )
    return token, raw


@transaction.atomic
def client_token_revoke(
    *, token: ClientToken, actor: User | None, ip_address: str | None = None
) -> ClientToken:
    """Revoke a token (nothing happens to one already revoked)."""
    token = ClientToken.objects.select_for_update().get(pk=token.pk)
    if token.revoked_at is None:
        _revoke(token=token, actor=actor, ip_address=ip_address, reason="revoked")
    return token


def _revoke(*, token: ClientToken, actor: User | None, ip_address: str | None, reason: str):
    token.revoked_at = timezone.now()
    token.save(update_fields=["revoked_at"])
    audit_record(
        actor=actor,
        action="provisioning.client_token_revoked",
        target=token,
        school=token.school,
        ip_address=ip_address,
        details={"prefix": token.prefix, "reason": reason},
    )


def client_token_verify(raw: str) -> ClientToken | None:
    """The live token whose secret this is, or None (unknown, revoked or not a token at all)."""
    if not isinstance(raw, str) or not raw.startswith(TOKEN_PREFIX):
        return None
    if len(raw) > _TOKEN_MAX_LENGTH or not raw.isascii():
        return None
    digest = _token_hash(raw)
    # Looking up by the hash gives an attacker no timing signal about the secret; the final
    # comparison is constant-time all the same.
    token = ClientToken.objects.select_related("school").filter(token_hash=digest).first()
    if token is None or not hmac.compare_digest(token.token_hash, digest):
        return None
    if token.revoked_at is not None:
        return None
    now = timezone.now()
    if token.last_used_at is None or now - token.last_used_at >= _LAST_USED_RESOLUTION:
        ClientToken.objects.filter(pk=token.pk).update(last_used_at=now)
        token.last_used_at = now
    return token
