"""Promoting and demoting digital champions: by the school's champions (and headteacher), never
a champion removing themselves, never a school left without one; a new champion sets up the
second factor at their next sign-in."""

import pytest
from django.test import Client

from accounts.models import AuditEntry, SchoolRole, User
from accounts.services import AccountError, champion_role_set
from tests.conftest import sign_in
from tests.factories import PASSWORD, make_account, make_champion

CHAMPION = SchoolRole.Role.DIGITAL_CHAMPION


def page(response) -> str:
    return " ".join(response.content.decode().split())


def account_page(account) -> str:
    return f"/user-management/accounts/{account.pk}/"


def role_url(account) -> str:
    return f"/user-management/accounts/{account.pk}/digital-champion/"


def is_champion(account) -> bool:
    return SchoolRole.objects.filter(user=account, role=CHAMPION).exists()


def test_a_champion_promotes_a_teacher_who_then_sets_up_the_second_factor(
    champion_client, champion, staff_member
):
    body = page(champion_client.get(account_page(staff_member)))
    assert "Siân Jones is not a digital champion." in body
    response = champion_client.post(role_url(staff_member), {"champion": "yes"}, follow=True)
    assert "Siân Jones is now a digital champion." in page(response)
    assert is_champion(staff_member)
    entry = AuditEntry.objects.get(action="school_role.granted", target_id=str(staff_member.pk))
    assert (entry.actor, entry.details) == (champion, {"role": CHAMPION})
    # A double click changes nothing more.
    champion_client.post(role_url(staff_member), {"champion": "yes"})
    assert AuditEntry.objects.filter(action="school_role.granted").count() == 2  # + the fixture's
    # Their next sign-in asks them to set up two-step verification.
    browser = Client()
    browser.post("/sign-in/", {"username": staff_member.username, "password": PASSWORD})
    response = browser.get("/", follow=True)
    assert response.redirect_chain[-1][0].startswith("/second-factor/set-up/")


def test_a_champion_cannot_remove_themselves(champion_client, champion):
    make_champion(champion.school, first_name="Huw", last_name="Price")
    body = page(champion_client.get(account_page(champion)))
    assert "You cannot stop being a digital champion yourself" in body
    assert "Remove as digital champion</button>" not in body
    response = champion_client.post(role_url(champion), {"champion": "no"}, follow=True)
    assert "You cannot stop being a digital champion yourself" in page(response)
    assert is_champion(champion)


def test_a_champion_removes_another_and_the_last_one_stays(champion_client, champion, headteacher):
    other = make_champion(champion.school, first_name="Huw", last_name="Price")
    assert "Remove as digital champion</button>" in page(champion_client.get(account_page(other)))
    response = champion_client.post(role_url(other), {"champion": "no"}, follow=True)
    assert "Huw Price is no longer a digital champion." in page(response)
    assert not is_champion(other)
    assert AuditEntry.objects.filter(action="school_role.revoked", target_id=str(other.pk))
    # The headteacher may act too, but not leave the school without a champion.
    with pytest.raises(AccountError, match="keeps at least one digital champion"):
        champion_role_set(actor=headteacher, account=champion, champion=False)
    assert is_champion(champion)


def test_only_active_staff_can_become_champions(champion_client, champion, learner):
    governor = make_account(school=champion.school, kind=User.Kind.GOVERNOR, first_name="Alun")
    for account in (learner, governor):
        assert "Make a digital champion" not in page(champion_client.get(account_page(account)))
        champion_client.post(role_url(account), {"champion": "yes"})
        assert not is_champion(account)


def test_nobody_else_chooses_a_schools_champions(
    client, staff_member, other_school_staff, champion
):
    sign_in(client, make_champion(other_school_staff.school, first_name="Eleri"))
    assert client.post(role_url(staff_member), {"champion": "yes"}).status_code == 404
    with pytest.raises(AccountError, match="Only the school's digital champions and headteacher"):
        champion_role_set(actor=other_school_staff, account=staff_member, champion=True)
    assert not is_champion(staff_member)
