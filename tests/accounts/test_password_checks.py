"""The current password, asked for again (Change password, User management), is a sign-in
attempt: failures count towards the lock-out, and neither page confirms a guess."""

from django.urls import reverse

from tests.conftest import sign_in
from tests.factories import PASSWORD

from .test_lockout import _sign_in


def test_wrong_current_passwords_on_change_password_lock_the_account(
    client, staff_member, settings
):
    sign_in(client, staff_member, reauthenticated=False)
    new = {"new_password": "Mynydd-Glas-Coffi7", "new_password_again": "Mynydd-Glas-Coffi7"}
    for _ in range(settings.AXES_FAILURE_LIMIT):
        client.post(reverse("accounts:password_change"), {"current_password": "Nope-1", **new})
    response = client.post(
        reverse("accounts:password_change"), {"current_password": PASSWORD, **new}
    )
    assert response.status_code == 429
    assert "Signing in is paused" in response.content.decode()
    staff_member.refresh_from_db()
    assert staff_member.check_password(PASSWORD)
    assert _sign_in(staff_member.username, PASSWORD, address="127.0.0.1").status_code == 429


def test_wrong_second_sign_ins_lock_the_normal_sign_in_too(client, staff_member, settings):
    sign_in(client, staff_member, reauthenticated=False)
    for _ in range(settings.AXES_FAILURE_LIMIT):
        client.post(
            "/user-management/sign-in/", {"username": staff_member.username, "password": "x"}
        )
    right = {"username": staff_member.username, "password": PASSWORD}
    assert client.post("/user-management/sign-in/", right).status_code == 429
    assert _sign_in(staff_member.username, PASSWORD, address="127.0.0.1").status_code == 429


def test_the_second_sign_in_does_not_tell_whether_a_password_fits_another_account(
    client, staff_member, champion
):
    sign_in(client, staff_member, reauthenticated=False)
    right = client.post(
        "/user-management/sign-in/", {"username": champion.username, "password": PASSWORD}
    ).content.decode()
    wrong = client.post(
        "/user-management/sign-in/", {"username": champion.username, "password": "Nope-1"}
    ).content.decode()
    message = "Enter the username and password of the account you are signed in with"
    assert message in right and message in wrong
    assert "is not right" not in wrong


def test_change_password_does_not_confirm_a_guess_at_the_current_one(client, staff_member):
    sign_in(client, staff_member, reauthenticated=False)
    response = client.post(
        reverse("accounts:password_change"),
        {"current_password": "Nope-1", "new_password": PASSWORD, "new_password_again": PASSWORD},
    )
    body = response.content.decode()
    assert "Your current password is not right" in body
    assert "different from the one you have now" not in body


def test_the_new_password_must_differ_from_the_current_one(client, staff_member):
    sign_in(client, staff_member, reauthenticated=False)
    response = client.post(
        reverse("accounts:password_change"),
        {"current_password": PASSWORD, "new_password": PASSWORD, "new_password_again": PASSWORD},
    )
    assert "Choose a password different from the one you have now" in response.content.decode()
