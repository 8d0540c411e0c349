"""Provisioning Client tokens: issued once, stored hashed, one live per school, revocable."""

import hashlib
from datetime import timedelta
from io import StringIO

import pytest
import time_machine
from django.core.management import CommandError, call_command
from django.utils import timezone

from accounts.models import AuditEntry
from provisioning.credentials import (
    client_token_issue,
    client_token_revoke,
    client_token_verify,
)
from provisioning.models import ClientToken


def test_a_token_is_stored_only_as_its_hash(school):
    token, secret = client_token_issue(school=school, actor=None)

    assert secret.startswith("hwbpc_") and len(secret) > 40
    token.refresh_from_db()
    assert token.token_hash == hashlib.sha256(secret.encode()).hexdigest()
    assert token.prefix == secret[:12]
    stored = [str(value) for value in ClientToken.objects.values_list().get(pk=token.pk)]
    assert not any(secret in value for value in stored)


def test_the_token_verifies_as_its_schools(school):
    token, secret = client_token_issue(school=school, actor=None)

    assert client_token_verify(secret) == token
    assert client_token_verify(secret).school == school


def test_a_new_token_revokes_the_old_one(school, other_school):
    old, old_secret = client_token_issue(school=school, actor=None)
    others, others_secret = client_token_issue(school=other_school, actor=None)

    new, new_secret = client_token_issue(school=school, actor=None)

    old.refresh_from_db()
    assert old.revoked_at is not None
    assert client_token_verify(old_secret) is None
    assert client_token_verify(new_secret) == new
    assert ClientToken.objects.filter(school=school, revoked_at__isnull=True).get() == new
    # Another school's token is its own business.
    assert client_token_verify(others_secret) == others


def test_issuing_and_revoking_are_audited(school, champion):
    first, _secret = client_token_issue(school=school, actor=champion, ip_address="192.0.2.7")
    second, _secret = client_token_issue(school=school, actor=None)
    client_token_revoke(token=second, actor=champion)

    entries = AuditEntry.objects.filter(action__startswith="provisioning.client_token")
    actions = sorted(
        (entry.action, entry.target_id, entry.details.get("reason", ""))
        for entry in entries.filter(school=school)
    )
    assert actions == [
        ("provisioning.client_token_issued", str(first.pk), ""),
        ("provisioning.client_token_issued", str(second.pk), ""),
        ("provisioning.client_token_revoked", str(first.pk), "replaced"),
        ("provisioning.client_token_revoked", str(second.pk), "revoked"),
    ]
    issued_by_champion = entries.get(action="provisioning.client_token_issued", actor=champion)
    assert issued_by_champion.ip_address == "192.0.2.7"
    assert first.created_by == champion


def test_a_revoked_token_no_longer_verifies_and_revoking_twice_changes_nothing(school):
    token, secret = client_token_issue(school=school, actor=None)

    client_token_revoke(token=token, actor=None)
    revoked_at = ClientToken.objects.get(pk=token.pk).revoked_at
    client_token_revoke(token=token, actor=None)

    assert client_token_verify(secret) is None
    assert ClientToken.objects.get(pk=token.pk).revoked_at == revoked_at
    assert AuditEntry.objects.filter(action="provisioning.client_token_revoked").count() == 1


@pytest.mark.parametrize(
    "candidate",
    [
        "",
        "hwbpc_",
        "hwbpc_" + "x" * 43,
        "not-a-token",
        "hwbpc_ŵŷâ",
        "hwbpc_" + "a" * 5000,
        None,
        42,
    ],
)
def test_strings_that_are_not_live_tokens_do_not_verify(school, candidate):
    client_token_issue(school=school, actor=None)

    assert client_token_verify(candidate) is None


def test_last_use_is_recorded_at_most_once_a_minute(school):
    token, secret = client_token_issue(school=school, actor=None)
    start = timezone.now()

    with time_machine.travel(start, tick=False):
        client_token_verify(secret)
    with time_machine.travel(start + timedelta(seconds=30), tick=False):
        client_token_verify(secret)
    assert ClientToken.objects.get(pk=token.pk).last_used_at == start

    with time_machine.travel(start + timedelta(seconds=61), tick=False):
        client_token_verify(secret)
    assert ClientToken.objects.get(pk=token.pk).last_used_at == start + timedelta(seconds=61)


def _issue(*args) -> str:
    out = StringIO()
    call_command("issue_client_token", *args, stdout=out)
    return out.getvalue()


def test_the_command_prints_a_working_token_once_and_says_it_will_not_be_shown_again(school):
    output = _issue(school.dfes_number)

    secret = next(word for word in output.split() if word.startswith("hwbpc_"))
    assert client_token_verify(secret).school == school
    assert "shown only now" in output and "cannot be shown again" in output
    assert output.count(secret) == 1


def test_the_command_revokes_the_schools_previous_token(school):
    first = next(w for w in _issue(school.dfes_number).split() if w.startswith("hwbpc_"))
    second = next(w for w in _issue("661 2001").split() if w.startswith("hwbpc_"))

    assert client_token_verify(first) is None
    assert client_token_verify(second).school == school


@pytest.mark.parametrize(
    ("dfes_number", "message"),
    [
        ("66120", "7 digits"),
        ("1234567", "Welsh local authority"),
        ("6619999", "No school has the DfES number 6619999"),
    ],
)
def test_the_command_refuses_a_bad_or_unknown_dfes_number(school, dfes_number, message):
    with pytest.raises(CommandError, match=message):
        _issue(dfes_number)

    assert not ClientToken.objects.exists()
