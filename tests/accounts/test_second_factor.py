"""Two-step verification: who must have it, setting it up, codes at sign-in and at the second
sign-in, recovery codes, the admin, and the Hwb team's reset."""

import datetime as dt
import html
import re
import time
from base64 import b32encode

import pytest
import segno
import time_machine
from django.core import mail
from django.test import Client
from django.urls import reverse
from django_otp.plugins.otp_totp.models import TOTPDevice

from accounts.models import AuditEntry, SchoolRole, User
from accounts.second_factor import (
    SecondFactorError,
    recovery_codes_replace,
    second_factor_reset,
)
from accounts.services import account_password_reset, school_role_grant
from schools.models import LocalAuthority
from tests.conftest import sign_in
from tests.factories import PASSWORD, make_account
from tests.second_factor import code_at, give_second_factor, next_code

SET_UP = "/second-factor/set-up/"
CODE_PAGE = "/second-factor/"


def _password(client: Client, user: User, path: str = "/sign-in/"):
    response = client.post(path, {"username": user.username, "password": PASSWORD})
    assert response.status_code == 302, "the password was refused"
    return response


def _wrong_code(user: User) -> str:
    """A 6-digit code that no step near now accepts."""
    app = TOTPDevice.objects.get(user=user)
    now = int(time.time()) // 30
    near = {code_at(app.bin_key, step) for step in range(now - 250, now + 251)}
    return next(f"{n:06d}" for n in range(1_000_000) if f"{n:06d}" not in near)


def _setup_key(page: str) -> bytes:
    from accounts.second_factor import totp_key_from_text

    (text,) = re.findall(r'data-testid="setup-key">([A-Z2-7 ]+)<', page)
    return totp_key_from_text(text)


@pytest.fixture
def officer(db):
    return make_account(
        kind=User.Kind.LA_OFFICER,
        first_name="Mari",
        last_name="Lewis",
        local_authority=LocalAuthority.objects.get(code=661),
        second_factor=False,
    )


@pytest.fixture
def hwb_team(db):
    return User.objects.create_superuser("hwbadmin", PASSWORD, first_name="Hwb", last_name="Admin")


# --- Who must set it up -----------------------------------------------------------------------


@pytest.mark.parametrize("who", ["champion", "headteacher", "officer", "hwb_team"])
def test_an_account_that_needs_it_is_sent_to_set_up_after_the_password_and_reaches_nothing_else(
    client, school, who, officer
):
    people = {
        "champion": lambda: make_account(
            school=school, roles=(SchoolRole.Role.DIGITAL_CHAMPION,), second_factor=False
        ),
        "headteacher": lambda: make_account(
            school=school, roles=(SchoolRole.Role.HEADTEACHER,), second_factor=False
        ),
        "officer": lambda: officer,
        "hwb_team": lambda: make_account(
            kind=User.Kind.HWB_TEAM, first_name="Hwb", last_name="Desk", second_factor=False
        ),
    }
    person = people[who]()
    _password(client, person)
    for path in ["/", "/user-management/", "/user-management/accounts/", "/admin/"]:
        response = client.get(path)
        assert response.status_code == 302, path
        assert response.url.startswith(SET_UP), path
    set_up = client.get(SET_UP).content.decode()
    # The header offers nothing but signing out (and the language), which always works.
    assert 'href="/user-management/"' not in set_up
    assert 'href="/user-management/my-profile/"' not in set_up
    assert client.post("/sign-out/").url == "/sign-in/"


def test_learners_and_ordinary_staff_are_not_asked(client, learner, staff_member):
    for person in (learner, staff_member):
        client.logout()
        _password(client, person)
        assert client.get("/").status_code == 200
        assert not TOTPDevice.objects.filter(user=person).exists()
    page = client.get("/user-management/sign-in/").content.decode()
    assert 'name="code"' not in page
    response = client.post(
        "/user-management/sign-in/", {"username": staff_member.username, "password": PASSWORD}
    )
    assert response.status_code == 302


def test_a_role_given_later_asks_for_set_up_at_the_next_sign_in(client, school, staff_member):
    _password(client, staff_member)
    assert client.get("/").status_code == 200
    school_role_grant(
        actor=None, user=staff_member, school=school, role=SchoolRole.Role.DIGITAL_CHAMPION
    )
    client.logout()
    _password(client, staff_member)
    assert client.get("/").url.startswith(SET_UP)


def test_a_forced_password_change_comes_before_the_second_factor(client, champion, hwb_team):
    one_time = account_password_reset(actor=hwb_team, account=champion, ip_address=None)
    client.post("/sign-in/", {"username": champion.username, "password": one_time})
    assert client.get("/").url == "/change-password/"
    assert client.get(CODE_PAGE).url == "/change-password/"
    client.post(
        "/change-password/",
        {"new_password": "Another-Pass-77", "new_password_again": "Another-Pass-77"},
    )
    assert client.get("/").url.startswith(CODE_PAGE)


# --- Setting it up ----------------------------------------------------------------------------


def test_set_up_shows_a_qr_code_and_the_key_as_text_and_takes_only_a_right_code(client, school):
    head = make_account(school=school, roles=(SchoolRole.Role.HEADTEACHER,), second_factor=False)
    _password(client, head)
    response = client.get(SET_UP)
    page = response.content.decode()
    key = _setup_key(page)
    assert len(key) == 20
    # The key as text, grouped in fours, is what the QR code holds (an otpauth:// address).
    secret = b32encode(key).decode()
    assert " ".join(secret[i : i + 4] for i in range(0, 32, 4)) in page
    url = (
        f"otpauth://totp/Hwb%3A{head.username}?secret={secret}"
        "&algorithm=SHA1&digits=6&period=30&issuer=Hwb"
    )
    (src,) = re.findall(r'<img class="hwb-qr-code" src="([^"]+)"', page)
    assert html.unescape(src) == segno.make(url, error="m").svg_data_uri(scale=5, border=2)
    assert "img-src 'self' data:" in response["Content-Security-Policy"]
    # A refresh shows the same key (it waits in the session until confirmed).
    assert _setup_key(client.get(SET_UP).content.decode()) == key

    now = int(time.time()) // 30
    near = {code_at(key, step) for step in (now - 1, now, now + 1)}
    wrong = next(f"{n:06d}" for n in range(1000) if f"{n:06d}" not in near)
    refused = client.post(SET_UP, {"code": wrong})
    assert refused.status_code == 200
    assert "The code is not right" in refused.content.decode()
    assert "<title>Error:" in refused.content.decode()
    assert not TOTPDevice.objects.filter(user=head).exists()
    assert client.get("/").url.startswith(SET_UP)

    done = client.post(SET_UP, {"code": code_at(key, now), "next": "/user-management/"})
    assert done.status_code == 302
    assert done.url.startswith("/second-factor/recovery-codes/")
    shown = client.get(done.url).content.decode()
    codes = re.findall(r"<li>([a-z2-7]{4}-[a-z2-7]{4})</li>", shown)
    assert len(codes) == 10
    assert "shown only once" in shown
    again = client.get(done.url).content.decode()
    assert "Recovery codes already shown" in again
    assert not any(code in again for code in codes)
    assert client.get("/").status_code == 200
    assert AuditEntry.objects.filter(action="account.second_factor_set_up", actor=head).exists()


# --- Asked for at sign-in ---------------------------------------------------------------------


def test_sign_in_asks_for_the_code_refuses_a_wrong_one_and_takes_the_right_one(client, champion):
    _password(client, champion)
    asked = client.get("/user-management/")
    assert asked.url == f"{CODE_PAGE}?next=%2Fuser-management%2F"
    page = client.get(asked.url).content.decode()
    assert "Enter your security code" in page
    assert 'autocomplete="one-time-code"' in page

    refused = client.post(CODE_PAGE, {"code": _wrong_code(champion), "next": "/"})
    assert refused.status_code == 200
    assert "The code is not right" in refused.content.decode()
    assert client.get("/").url.startswith(CODE_PAGE)

    time.sleep(1.1)  # django-otp asks for a second's pause after a wrong code
    accepted = client.post(
        CODE_PAGE, {"code": next_code(champion), "next": "/user-management/accounts/"}
    )
    assert accepted.url == "/user-management/accounts/"
    assert client.get("/").status_code == 200
    assert AuditEntry.objects.filter(
        action="account.second_factor_passed", actor=champion, details__method="app"
    ).exists()


def test_a_code_works_only_once(client, champion):
    code = next_code(champion)
    _password(client, champion)
    assert client.post(CODE_PAGE, {"code": code}).status_code == 302
    other = Client()
    _password(other, champion)
    again = other.post(CODE_PAGE, {"code": code})
    assert "This code has been used already" in again.content.decode()


def test_a_recovery_code_signs_in_once_only(client, champion):
    codes = recovery_codes_replace(user=champion, ip_address=None)
    _password(client, champion)
    typed = f"{codes[0][:4]}-{codes[0][4:]}".upper()  # as printed, shouted
    assert client.post(CODE_PAGE, {"code": typed}).url == "/"
    assert client.get("/").status_code == 200
    client.logout()
    _password(client, champion)
    refused = client.post(CODE_PAGE, {"code": codes[0]})
    assert refused.status_code == 200
    assert "The code is not right" in refused.content.decode()
    assert AuditEntry.objects.filter(
        action="account.second_factor_passed", details__method="recovery_code"
    ).exists()


def test_wrong_codes_pause_the_code_and_then_lock_the_account_like_wrong_passwords(
    client, champion, settings
):
    settings.AXES_FAILURE_LIMIT = 5
    wrong = _wrong_code(champion)
    start = dt.datetime.now(tz=dt.UTC)
    with time_machine.travel(start, tick=False) as traveller:
        _password(client, champion)
        first = client.post(CODE_PAGE, {"code": wrong})
        assert "The code is not right" in first.content.decode()
        # Straight away, even the right code waits.
        paused = client.post(CODE_PAGE, {"code": next_code(champion)})
        assert "too many wrong codes. Wait" in paused.content.decode()
        for attempt in range(1, 4):
            traveller.shift(2**attempt + 1)
            response = client.post(CODE_PAGE, {"code": wrong})
            assert "The code is not right" in response.content.decode()
        traveller.shift(60)
        locked = client.post(CODE_PAGE, {"code": wrong})
        assert locked.status_code == 429
        assert "_auth_user_id" not in client.session  # signed out
        # The right password is refused for a while too.
        again = client.post("/sign-in/", {"username": champion.username, "password": PASSWORD})
        assert again.status_code == 429


# --- The second sign-in and the admin ---------------------------------------------------------


def test_the_second_sign_in_asks_for_the_code_too(client, champion):
    sign_in(client, champion, reauthenticated=False)
    page = client.get("/user-management/sign-in/").content.decode()
    assert 'name="code"' in page and "Security code" in page
    answers = {"username": champion.username, "password": PASSWORD}
    without = client.post("/user-management/sign-in/", answers)
    assert without.status_code == 200
    assert "Enter your security code" in without.content.decode()
    wrong = client.post("/user-management/sign-in/", {**answers, "code": _wrong_code(champion)})
    assert "The code is not right" in wrong.content.decode()
    assert client.get("/user-management/").status_code == 302
    time.sleep(1.1)
    right = client.post("/user-management/sign-in/", {**answers, "code": next_code(champion)})
    assert right.url == "/user-management/"
    assert client.get("/user-management/").status_code == 200


def test_the_admin_refuses_a_session_without_the_second_factor(client, hwb_team):
    # The admin's own sign-in page checks the password only: the session still needs a code.
    client.post("/admin/login/", {"username": hwb_team.username, "password": PASSWORD})
    assert "_auth_user_id" in client.session
    for path in ["/admin/", reverse("admin:accounts_user_changelist")]:
        response = client.get(path)
        assert response.status_code == 302
        assert response.url.startswith(CODE_PAGE)
    client.post(CODE_PAGE, {"code": next_code(hwb_team)})
    assert client.get("/admin/").status_code == 200


def test_the_admin_offers_no_page_that_shows_people_s_keys(client, hwb_team):
    client.force_login(hwb_team)
    assert client.get("/admin/otp_totp/totpdevice/").status_code == 404
    assert client.get("/admin/otp_static/staticdevice/").status_code == 404


# --- Resets and recovery codes ----------------------------------------------------------------


def test_the_hwb_team_resets_a_second_factor_from_the_admin(
    client, champion, hwb_team, django_capture_on_commit_callbacks
):
    champion_browser = sign_in(Client(), champion)
    assert champion_browser.get("/user-management/").status_code == 200
    client.force_login(hwb_team)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            reverse("admin:accounts_user_changelist"),
            {"action": "second_factor_reset_action", "_selected_action": [champion.pk]},
            follow=True,
            REMOTE_ADDR="203.0.113.9",
        )
    assert "Two-step verification reset for 1 account" in response.content.decode()
    assert not TOTPDevice.objects.filter(user=champion).exists()
    entry = AuditEntry.objects.get(action="account.second_factor_reset")
    assert (entry.actor, entry.target_id, entry.ip_address) == (
        hwb_team,
        str(champion.pk),
        "203.0.113.9",
    )
    # Signed out everywhere; the next sign-in sets it up again.
    assert champion_browser.get("/user-management/").url.startswith("/sign-in/")
    _password(champion_browser, champion)
    assert champion_browser.get("/").url.startswith(SET_UP)
    # The holder is told, in both languages, who did it and what to do if it was not expected.
    (email,) = [e for e in mail.outbox if e.to == [champion.email]]
    assert "two-step verification has been reset" in email.subject
    assert "dilysu dau gam" in email.subject
    assert "Hwb Admin of the Hwb team reset" in email.body
    assert "contact the Hwb service desk straight away" in email.body


def test_the_holder_s_own_language_comes_first_in_the_reset_email(
    champion, hwb_team, django_capture_on_commit_callbacks
):
    User.objects.filter(pk=champion.pk).update(preferred_language="cy")
    champion.refresh_from_db()
    with django_capture_on_commit_callbacks(execute=True):
        second_factor_reset(actor=hwb_team, account=champion, ip_address=None)
    (email,) = mail.outbox
    assert email.subject.startswith("Mae dilysu dau gam")
    assert email.body.index("Hwb Admin") < email.body.index("of the Hwb team")


def test_only_the_hwb_team_resets_a_second_factor_and_never_their_own(school, champion, hwb_team):
    head = make_account(school=school, roles=(SchoolRole.Role.HEADTEACHER,))
    give_second_factor(hwb_team)
    with pytest.raises(SecondFactorError, match="Only the Hwb team"):
        second_factor_reset(actor=champion, account=head, ip_address=None)
    with pytest.raises(SecondFactorError, match="your own"):
        second_factor_reset(actor=hwb_team, account=hwb_team, ip_address=None)
    assert TOTPDevice.objects.filter(user__in=[head, hwb_team]).count() == 2
    assert not AuditEntry.objects.filter(action="account.second_factor_reset").exists()


def test_your_details_shows_the_status_and_gives_new_recovery_codes_once(champion_client, champion):
    old = recovery_codes_replace(user=champion, ip_address=None)
    page = champion_client.get("/user-management/my-profile/").content.decode()
    assert "Two-step verification" in page
    assert "10 recovery codes left" in page
    response = champion_client.post("/user-management/my-profile/recovery-codes/")
    assert response.url.startswith("/second-factor/recovery-codes/")
    new = re.findall(
        r"<li>([a-z2-7]{4})-([a-z2-7]{4})</li>", champion_client.get(response.url).content.decode()
    )
    assert len(new) == 10
    assert "already shown" in champion_client.get(response.url).content.decode()
    assert AuditEntry.objects.filter(action="account.recovery_codes_replaced").count() == 2
    # The old codes stop working; a new one works.
    other = Client()
    _password(other, champion)
    assert other.post(CODE_PAGE, {"code": old[0]}).status_code == 200
    time.sleep(1.1)
    assert other.post(CODE_PAGE, {"code": "".join(new[0])}).status_code == 302


def test_staff_without_a_second_factor_see_no_status_row(client, staff_member):
    sign_in(client, staff_member)
    assert (
        "Two-step verification" not in client.get("/user-management/my-profile/").content.decode()
    )


def test_before_its_second_factor_a_session_changes_no_setting_of_the_account(client, champion):
    _password(client, champion)
    response = client.post("/i18n/setlang/", {"language": "cy", "next": CODE_PAGE})
    assert response.status_code == 302
    champion.refresh_from_db()
    assert champion.preferred_language == ""
    assert not AuditEntry.objects.filter(action="account.language_set").exists()
