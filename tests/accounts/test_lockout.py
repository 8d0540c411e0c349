"""Lock-out after failed sign-ins: per account, never per school; an address ceiling against
password spraying; unlocking by digital champions and the Hwb team."""

import re

import pytest
from axes.models import AccessAttempt
from django.conf import settings as django_settings
from django.test import Client
from django.urls import reverse

from accounts.models import AuditEntry, SchoolRole, User
from tests.factories import PASSWORD, make_account

SCHOOL_ADDRESS = "198.51.100.20"  # the one public address a whole school shares


def _sign_in(username: str, password: str, address: str = SCHOOL_ADDRESS, **extra):
    """A sign-in from a browser of its own."""
    return Client().post(
        "/sign-in/", {"username": username, "password": password}, REMOTE_ADDR=address, **extra
    )


def _lock(account: User, address: str = SCHOOL_ADDRESS) -> None:
    for _ in range(django_settings.AXES_FAILURE_LIMIT):
        _sign_in(account.username, "Wrong-Guess-1", address)


# --- Per account, not per address -------------------------------------------------------------


def test_one_pupils_failures_do_not_lock_out_the_rest_of_the_school(school, learner):
    classmate = make_account(
        school=school, kind=User.Kind.LEARNER, first_name="Osian", last_name="Owen"
    )
    _lock(learner)
    assert _sign_in(learner.username, PASSWORD).status_code == 429
    assert _sign_in(classmate.username, PASSWORD).status_code == 302


def test_another_accounts_good_sign_in_does_not_reset_a_usernames_failures(
    headteacher, staff_member, settings
):
    # The attack: four guesses at the headteacher, then a good sign-in of another
    # account from the same address, again and again.
    for _round in range(3):
        for _guess in range(settings.AXES_FAILURE_LIMIT - 1):
            _sign_in(headteacher.username, "Guess-Again-9")
        assert _sign_in(staff_member.username, PASSWORD).status_code == 302
    response = _sign_in(headteacher.username, PASSWORD)
    assert response.status_code == 429
    assert "too many failed attempts to sign in with this username" in response.content.decode()


def test_a_good_sign_in_resets_only_its_own_usernames_count(staff_member, settings):
    for _ in range(settings.AXES_FAILURE_LIMIT - 1):
        _sign_in(staff_member.username, "Typo-Typo-1")
    assert _sign_in(staff_member.username, PASSWORD).status_code == 302
    for _ in range(settings.AXES_FAILURE_LIMIT - 1):
        _sign_in(staff_member.username, "Typo-Typo-1")
    assert _sign_in(staff_member.username, PASSWORD).status_code == 302


def test_many_usernames_failing_from_one_address_hit_the_address_ceiling(
    school, staff_member, settings
):
    settings.HWB_SIGNIN_ADDRESS_FAILURE_LIMIT = 12
    for number in range(11):  # spraying: one guess at each of many usernames
        _sign_in(f"guess{number}", "Summer2026")
    assert _sign_in(staff_member.username, PASSWORD).status_code == 302
    _sign_in("guess11", "Summer2026")
    refused = _sign_in(staff_member.username, PASSWORD)
    assert refused.status_code == 429
    body = refused.content.decode()
    assert "have come from your network" in body
    assert "Hwb service desk" in body
    assert _sign_in(staff_member.username, PASSWORD, address="203.0.113.50").status_code == 302


def test_tries_refused_during_a_lock_neither_count_nor_prolong_it(staff_member, settings):
    _lock(staff_member)
    for _ in range(20):
        assert _sign_in(staff_member.username, "Still-Wrong-1").status_code == 429
    attempts = AccessAttempt.objects.filter(username=staff_member.username)
    assert sum(a.failures_since_start for a in attempts) == settings.AXES_FAILURE_LIMIT


# --- Digital champions unlock their school's accounts -----------------------------------------


def test_a_champion_sees_which_accounts_are_locked_and_unlocks_one(
    champion_client, champion, staff_member, learner
):
    _lock(staff_member)
    listing = champion_client.get("/user-management/accounts/").content.decode()
    assert listing.count(">Locked</strong>") == 1
    row = listing[listing.index(staff_member.username) :]
    assert row.index(">Locked</strong>") < row.index("</tr>")

    page = champion_client.get(f"/user-management/accounts/{staff_member.pk}/").content.decode()
    assert "locked after repeated failed sign-ins" in page
    assert ">Unlock</button>" in page
    assert (
        ">Unlock</button>"
        not in champion_client.get(f"/user-management/accounts/{learner.pk}/").content.decode()
    )

    response = champion_client.post(
        f"/user-management/accounts/{staff_member.pk}/unlock/", follow=True
    )
    assert response.redirect_chain[-1][0] == f"/user-management/accounts/{staff_member.pk}/"
    assert "can sign in again" in response.content.decode()
    assert _sign_in(staff_member.username, PASSWORD).status_code == 302
    entry = AuditEntry.objects.get(action="account.unlocked")
    assert (entry.actor, entry.target_id, entry.school) == (
        champion,
        str(staff_member.pk),
        staff_member.school,
    )
    assert entry.ip_address == "127.0.0.1"


def test_locks_are_shown_in_welsh(champion_client, staff_member):
    _lock(staff_member)
    champion_client.post("/i18n/setlang/", {"language": "cy", "next": "/"})
    listing = champion_client.get("/user-management/accounts/").content.decode()
    assert ">Wedi’i gloi</strong>" in listing
    page = champion_client.get(f"/user-management/accounts/{staff_member.pk}/").content.decode()
    assert ">Datgloi</button>" in page
    response = champion_client.post(
        f"/user-management/accounts/{staff_member.pk}/unlock/", follow=True
    )
    assert "gallant fewngofnodi eto" in response.content.decode()


def test_unlocking_another_schools_account_answers_404_and_changes_nothing(
    champion_client, other_school_staff
):
    _lock(other_school_staff)
    response = champion_client.post(f"/user-management/accounts/{other_school_staff.pk}/unlock/")
    assert response.status_code == 404
    assert _sign_in(other_school_staff.username, PASSWORD).status_code == 429
    assert not AuditEntry.objects.filter(action="account.unlocked").exists()


def test_unlock_is_a_post(champion_client, staff_member):
    _lock(staff_member)
    response = champion_client.get(f"/user-management/accounts/{staff_member.pk}/unlock/")
    assert response.status_code == 405
    assert _sign_in(staff_member.username, PASSWORD).status_code == 429


def test_the_headteachers_lock_is_for_the_hwb_team(champion_client, headteacher):
    _lock(headteacher)
    response = champion_client.post(f"/user-management/accounts/{headteacher.pk}/unlock/")
    assert response.status_code == 400
    body = response.content.decode()
    assert "Only the Hwb team can unlock this account" in body
    assert "<title>Error:" in body
    assert _sign_in(headteacher.username, PASSWORD).status_code == 429


def test_unlocking_an_account_that_is_not_locked_says_so(champion_client, staff_member):
    response = champion_client.post(f"/user-management/accounts/{staff_member.pk}/unlock/")
    assert response.status_code == 400
    assert "This account is not locked" in response.content.decode()
    assert not AuditEntry.objects.filter(action="account.unlocked").exists()


def test_a_password_reset_clears_the_lock(champion_client, staff_member):
    _lock(staff_member)
    reset = f"/user-management/accounts/{staff_member.pk}/reset-password/"
    key = champion_client.get(reset).context["form"]["form_key"].value()
    response = champion_client.post(reset, {"form_key": key}, follow=True)
    one_time_password = response.context["password"]
    assert _sign_in(staff_member.username, one_time_password).status_code == 302


# --- The Hwb team, in the admin ---------------------------------------------------------------


@pytest.fixture
def hwb_team_client(db):
    team = User.objects.create_superuser(
        "hwbadmin", "Admin-Pass-42", first_name="Hwb", last_name="Admin"
    )
    client = Client()
    client.force_login(team)
    return client


def test_the_hwb_team_sees_and_lifts_locks_in_the_admin(hwb_team_client, headteacher, staff_member):
    _lock(headteacher)
    changelist = reverse("admin:accounts_user_changelist")
    locked = hwb_team_client.get(changelist, {"locked": "yes"})
    assert list(locked.context["cl"].result_list) == [headteacher]
    response = hwb_team_client.post(
        changelist,
        {"action": "unlock", "_selected_action": [headteacher.pk, staff_member.pk]},
        follow=True,
    )
    assert "1 account unlocked" in response.content.decode()
    assert _sign_in(headteacher.username, PASSWORD).status_code == 302
    entry = AuditEntry.objects.get(action="account.unlocked")
    assert entry.actor.username == "hwbadmin" and entry.target_id == str(headteacher.pk)


def test_failed_sign_ins_in_the_admin_are_lifted_only_through_the_services(
    hwb_team_client, staff_member, headteacher, settings
):
    settings.HWB_SIGNIN_ADDRESS_FAILURE_LIMIT = 6
    _lock(staff_member, address="203.0.113.8")
    for number in range(6):
        _sign_in(f"guess{number}", "x")
    assert _sign_in(headteacher.username, PASSWORD).status_code == 429
    changelist = reverse("admin:axes_accessattempt_changelist")
    page = hwb_team_client.get(changelist)
    assert page.status_code == 200
    actions = dict(page.context["action_form"].fields["action"].choices)
    assert "delete_selected" not in actions
    assert {"unlock_accounts", "unlock_addresses"} <= set(actions)

    row = AccessAttempt.objects.get(username="guess0")
    hwb_team_client.post(changelist, {"action": "unlock_addresses", "_selected_action": [row.pk]})
    assert _sign_in(headteacher.username, PASSWORD).status_code == 302
    assert _sign_in(staff_member.username, PASSWORD).status_code == 429  # locked elsewhere
    entry = AuditEntry.objects.get(action="signin.address_unlocked")
    assert entry.details == {"address": SCHOOL_ADDRESS, "failures": 6}

    row = AccessAttempt.objects.get(username=staff_member.username)
    hwb_team_client.post(changelist, {"action": "unlock_accounts", "_selected_action": [row.pk]})
    assert _sign_in(staff_member.username, PASSWORD).status_code == 302
    assert AuditEntry.objects.filter(action="account.unlocked").count() == 1


def test_the_admin_tells_each_usernames_lock_in_words_in_english_and_welsh(
    hwb_team_client, staff_member, learner
):
    _lock(staff_member)
    _sign_in(learner.username, "Wrong-Guess-1")
    changelist = reverse("admin:axes_accessattempt_changelist")
    english = " ".join(hwb_team_client.get(changelist).content.decode().split())
    assert "4 attempts left" in english
    assert re.search(r"Locked until \d\d:\d\d", english)
    hwb_team_client.post("/i18n/setlang/", {"language": "cy", "next": "/"})
    welsh = " ".join(hwb_team_client.get(changelist).content.decode().split())
    assert "4 ymgais ar ôl" in welsh
    assert re.search(r"Wedi’i gloi tan \d\d:\d\d", welsh)


def test_a_school_role_holders_lock_is_not_lifted_by_a_champion_through_the_service(
    champion, school
):
    from accounts.services import AccountError, account_unlock

    other_champion = make_account(
        school=school,
        first_name="Nia",
        last_name="Wyn",
        roles=(SchoolRole.Role.DIGITAL_CHAMPION,),
    )
    _lock(other_champion)
    with pytest.raises(AccountError):
        account_unlock(actor=champion, account=other_champion, ip_address=None)
