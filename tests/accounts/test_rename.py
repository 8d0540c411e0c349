"""A change of name: the champion edits it with a reason; a new surname can bring a new
username, while the old one signs in for a year as an alias and is never given to anyone else."""

from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone

from accounts.models import AuditEntry, RetiredUsername, User, UsernameAlias
from accounts.services import AccountError, account_create, account_rename
from tests.factories import PASSWORD

NEW_PASSWORD = "Llanberis-Lake-Walk-94"


def rename_url(account) -> str:
    return f"/user-management/accounts/{account.pk}/name/"


def signs_in(username: str, password: str = PASSWORD) -> bool:
    return (
        Client().post("/sign-in/", {"username": username, "password": password}).status_code == 302
    )


def test_a_married_name_with_a_new_username_and_the_old_one_as_an_alias(
    champion_client, champion, staff_member
):
    old = staff_member.username
    assert old == "joness"
    response = champion_client.post(
        rename_url(staff_member),
        {"first_name": "Siân", "last_name": "Huws", "reason": "marriage", "new_username": "on"},
        follow=True,
    )
    body = " ".join(response.content.decode().split())
    assert "the username is now huwss. joness keeps working for signing in for a year" in body
    account = User.objects.get(pk=staff_member.pk)
    assert (account.last_name, account.username, account.email.split("@")[0]) == (
        "Huws",
        "huwss",
        "huwss",
    )
    assert account.must_change_password
    alias = UsernameAlias.objects.get(account=account)
    assert alias.username == old and alias.until > timezone.now() + timedelta(days=360)
    assert RetiredUsername.objects.filter(username=old).exists()
    entry = AuditEntry.objects.get(action="account.renamed")
    assert entry.details["old_username"] == old and entry.details["reason"] == "marriage"
    # Both names sign her in (then she must choose a new password).
    assert signs_in("huwss") and signs_in(old)
    # The old username is never given to someone else.
    other = account_create(
        actor=None, first_name="Sioned", last_name="Jones", kind="staff", school=account.school
    )
    assert other.username != old


def test_the_alias_stops_after_its_year_and_never_lets_a_wrong_password_in(champion, staff_member):
    account_rename(
        actor=champion,
        account=staff_member,
        first_name="Siân",
        last_name="Huws",
        reason="marriage",
        new_username=True,
    )
    assert not signs_in("joness", "Wrong-Guess-1")
    UsernameAlias.objects.update(until=timezone.now() - timedelta(seconds=1))
    assert not signs_in("joness")


def test_a_preferred_name_keeping_the_username(champion_client, champion, staff_member):
    champion_client.post(
        rename_url(staff_member),
        {"first_name": "Sian", "last_name": "Jones", "reason": "preferred"},
    )
    account = User.objects.get(pk=staff_member.pk)
    assert (account.first_name, account.username) == ("Sian", "joness")
    assert not UsernameAlias.objects.exists() and not account.must_change_password


def test_a_preferred_first_name_greets_them_and_keeps_the_legal_name(champion_client, staff_member):
    champion_client.post(
        rename_url(staff_member),
        {
            "first_name": "Siân",
            "last_name": "Jones",
            "preferred_first_name": " Sioned ",
            "reason": "preferred",
        },
    )
    account = User.objects.get(pk=staff_member.pk)
    assert (account.first_name, account.preferred_first_name) == ("Siân", "Sioned")
    assert account.get_short_name() == "Sioned" and account.username == "joness"
    page = champion_client.get(f"/user-management/accounts/{account.pk}/").content.decode()
    assert "Preferred first name" in page and "Sioned" in page
    entry = AuditEntry.objects.get(action="account.renamed")
    assert entry.details["after"]["preferred_first_name"] == "Sioned"
    # The one-click new username (after an MIS change) keeps it.
    User.objects.filter(pk=account.pk).update(last_name="Huws")
    champion_client.post(
        rename_url(account),
        {
            "first_name": "Siân",
            "last_name": "Huws",
            "preferred_first_name": "Sioned",
            "reason": "mis",
            "new_username": "on",
        },
    )
    account.refresh_from_db()
    assert (account.username, account.preferred_first_name) == ("huwss", "Sioned")


def test_a_form_with_mistakes_changes_nothing(champion_client, staff_member):
    response = champion_client.post(rename_url(staff_member), {"first_name": "", "last_name": ""})
    assert response.status_code == 400
    body = response.content.decode()
    assert "Enter the first name" in body and "Choose why the name changes" in body
    assert User.objects.get(pk=staff_member.pk).last_name == "Jones"


def test_the_champion_cannot_rename_the_headteacher(champion, headteacher):
    with pytest.raises(AccountError, match="ask the Hwb service desk"):
        account_rename(
            actor=champion,
            account=headteacher,
            first_name="Gwen",
            last_name="Ellis",
            reason="correction",
            new_username=False,
        )


def test_the_alias_and_the_new_username_share_one_lock_out(champion, staff_member, settings):
    account_rename(
        actor=champion,
        account=staff_member,
        first_name="Siân",
        last_name="Huws",
        reason="marriage",
        new_username=True,
    )
    for _ in range(settings.AXES_FAILURE_LIMIT):
        signs_in("joness", "Wrong-Guess-1")
    assert not signs_in("huwss")  # the five failures under the alias locked the account
