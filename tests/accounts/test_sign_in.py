"""Signing in: lock-out, forced password change, and User management's second sign-in."""

import datetime as dt

import pytest
import time_machine
from django.urls import reverse

from accounts.models import AuditEntry
from tests.conftest import sign_in
from tests.factories import PASSWORD
from tests.second_factor import next_code


def test_sign_in_with_the_right_password_lands_on_the_home_page(client, staff_member):
    response = client.post(
        "/sign-in/", {"username": staff_member.username, "password": PASSWORD}, follow=True
    )
    assert response.redirect_chain[-1][0] == "/"
    assert "User management" in response.content.decode()
    assert AuditEntry.objects.filter(action="account.signed_in", actor=staff_member).exists()


def test_a_wrong_password_says_so_and_signs_nobody_in(client, staff_member):
    response = client.post("/sign-in/", {"username": staff_member.username, "password": "nope"})
    body = response.content.decode()
    assert response.status_code == 200
    assert "The username or password is not right" in body
    assert "<title>Error:" in body
    assert "_auth_user_id" not in client.session


def test_empty_sign_in_form_lists_each_missing_field(client, db):
    body = client.post("/sign-in/", {}).content.decode()
    assert 'href="#id_username">Enter your Hwb username' in body
    assert 'href="#id_password">Enter your password' in body


def test_a_deactivated_account_cannot_sign_in(client, staff_member):
    staff_member.is_active = False
    staff_member.save()
    client.post("/sign-in/", {"username": staff_member.username, "password": PASSWORD})
    assert "_auth_user_id" not in client.session


def test_repeated_failures_lock_the_username_even_with_the_right_password(
    client, staff_member, settings
):
    for attempt in range(settings.AXES_FAILURE_LIMIT):
        client.post(
            "/sign-in/",
            {"username": staff_member.username, "password": "wrong"},
            REMOTE_ADDR=f"10.0.0.{attempt + 1}",
        )
    response = client.post(
        "/sign-in/",
        {"username": staff_member.username.upper(), "password": PASSWORD},
        REMOTE_ADDR="10.0.1.1",
    )
    assert response.status_code == 429
    assert "Signing in is paused" in response.content.decode()
    assert "_auth_user_id" not in client.session


def test_the_lock_out_ends_after_the_cool_off(client, staff_member, settings):
    start = dt.datetime(2026, 11, 2, 9, 0, tzinfo=dt.UTC)
    with time_machine.travel(start, tick=False):
        for _ in range(settings.AXES_FAILURE_LIMIT):
            client.post("/sign-in/", {"username": staff_member.username, "password": "wrong"})
    later = start + settings.AXES_COOLOFF_TIME + dt.timedelta(seconds=1)
    with time_machine.travel(later, tick=False):
        response = client.post(
            "/sign-in/", {"username": staff_member.username, "password": PASSWORD}
        )
    assert response.status_code == 302


def test_after_a_reset_the_first_sign_in_must_choose_a_new_password(client, staff_member):
    staff_member.must_change_password = True
    staff_member.save()
    sign_in(client, staff_member, reauthenticated=False)
    for path in ("/", "/user-management/", "/user-management/my-profile/"):
        assert client.get(path).url == reverse("accounts:password_change")
    page = client.get(reverse("accounts:password_change")).content.decode()
    assert "Choose a new password" in page
    assert "Current password" not in page

    weak = client.post(
        reverse("accounts:password_change"),
        {"new_password": "alllowercase1", "new_password_again": "alllowercase1"},
    )
    assert "upper-case letters, lower-case letters and digits" in weak.content.decode()
    mismatch = client.post(
        reverse("accounts:password_change"),
        {"new_password": "Brand-New-Pass9", "new_password_again": "Brand-New-Pass8"},
    )
    assert "The two new passwords are not the same" in mismatch.content.decode()

    response = client.post(
        reverse("accounts:password_change"),
        {"new_password": "Brand-New-Pass9", "new_password_again": "Brand-New-Pass9"},
    )
    assert response.url == "/"
    staff_member.refresh_from_db()
    assert not staff_member.must_change_password
    assert staff_member.check_password("Brand-New-Pass9")
    assert client.get("/").status_code == 200  # still signed in, free to go on
    assert AuditEntry.objects.filter(action="account.password_changed").exists()


def test_changing_a_password_by_choice_needs_the_current_one(client, staff_member):
    sign_in(client, staff_member, reauthenticated=False)
    response = client.post(
        reverse("accounts:password_change"),
        {
            "current_password": "not-it",
            "new_password": "Brand-New-Pass9",
            "new_password_again": "Brand-New-Pass9",
        },
    )
    assert "Your current password is not right" in response.content.decode()
    staff_member.refresh_from_db()
    assert staff_member.check_password(PASSWORD)


@pytest.mark.parametrize(
    "path", ["/user-management/", "/user-management/my-profile/", "/user-management/accounts/"]
)
def test_user_management_asks_for_the_password_again(client, champion, path):
    sign_in(client, champion, reauthenticated=False)
    response = client.get(path)
    assert response.status_code == 302
    assert response.url.startswith("/user-management/sign-in/?next=")
    page = client.get(response.url).content.decode()
    assert "Sign in to User management" in page
    after = client.post(
        response.url,
        {
            "username": champion.username,
            "password": PASSWORD,
            "code": next_code(champion),
            "next": path,
        },
    )
    assert after.url == path
    assert client.get(path).status_code == 200


def test_user_management_needs_a_signed_in_account_first(client, db):
    response = client.get("/user-management/my-profile/")
    assert response.url.startswith("/sign-in/")


def test_the_second_sign_in_must_be_the_same_account(client, champion, staff_member):
    sign_in(client, champion, reauthenticated=False)
    response = client.post(
        "/user-management/sign-in/", {"username": staff_member.username, "password": PASSWORD}
    )
    assert "the account you are signed in with" in response.content.decode()
    assert client.get("/user-management/").status_code == 302


def test_the_second_sign_in_knows_the_username_and_asks_only_for_the_password(client, staff_member):
    sign_in(client, staff_member, reauthenticated=False)
    form = client.get("/user-management/sign-in/").content.decode()
    assert f'value="{staff_member.username}"' in form and "readonly" in form
    assert "enter your password again" in form
    response = client.post("/user-management/sign-in/", {"password": PASSWORD})
    assert response.status_code == 302
    assert client.get("/user-management/").status_code == 200


def test_the_second_sign_in_refuses_a_next_link_to_another_site(client, champion):
    sign_in(client, champion, reauthenticated=False)
    response = client.post(
        "/user-management/sign-in/?next=https://evil.example/",
        {
            "username": champion.username,
            "password": PASSWORD,
            "code": next_code(champion),
            "next": "https://evil.example/",
        },
    )
    assert response.url == "/user-management/"


def test_the_second_sign_in_lasts_the_window_from_the_last_action(client, champion, settings):
    """WCAG 2.2.1: the window slides with activity; it ends only after 15 minutes idle."""
    settings.HWB_REAUTH_MINUTES = 15
    start = dt.datetime(2026, 11, 2, 9, 0, tzinfo=dt.UTC)
    with time_machine.travel(start, tick=False):
        sign_in(client, champion)
    for minutes in (14, 28, 42):  # each visit within 15 minutes of the last keeps it open
        with time_machine.travel(start + dt.timedelta(minutes=minutes), tick=False):
            assert client.get("/user-management/").status_code == 200
    # A page's own status polling does not keep it open by itself.
    with time_machine.travel(start + dt.timedelta(minutes=50), tick=False):
        polled = client.get("/user-management/", headers={"X-Requested-With": "status-poll"})
        assert polled.status_code == 200
    with time_machine.travel(start + dt.timedelta(minutes=57), tick=False):
        response = client.get("/user-management/")
        assert response.status_code == 302
        assert response.url.startswith("/user-management/sign-in/")
        body = client.get(response.url).content.decode()
    assert "You have not used User management for 15 minutes" in body


def test_signing_out_needs_a_post_and_ends_the_session(client, staff_member):
    sign_in(client, staff_member)
    assert client.get("/sign-out/").status_code == 405
    client.post("/sign-out/")
    assert "_auth_user_id" not in client.session
    assert client.get("/user-management/").url.startswith("/sign-in/")
    assert AuditEntry.objects.filter(action="account.signed_out", actor=staff_member).exists()


def test_staff_land_on_the_school_staff_dashboard(client, staff_member):
    sign_in(client, staff_member)
    body = client.get("/user-management/").content.decode()
    assert "School Staff Dashboard" in body
    assert "Manage your school&#x27;s accounts" not in body


def test_your_details_shows_name_username_email_school_and_kind(client, staff_member):
    sign_in(client, staff_member)
    body = client.get("/user-management/my-profile/").content.decode()
    for text in (
        "Your Details",
        "Siân Jones",
        staff_member.username,
        staff_member.email,
        "Llanberis Primary School",
        "6612001",
        "Staff",
    ):
        assert text in body


def test_your_details_in_welsh(client, staff_member):
    sign_in(client, staff_member)
    client.post("/i18n/setlang/", {"language": "cy", "next": "/"})
    body = client.get("/user-management/my-profile/").content.decode()
    assert '<html lang="cy"' in body
    assert "Ysgol Gynradd Llanberis" in body
    assert 'value="en"' in body  # the switch now offers English


def test_the_chosen_language_is_remembered_for_the_next_sign_in(client, staff_member):
    sign_in(client, staff_member, reauthenticated=False)
    client.post("/i18n/setlang/", {"language": "cy", "next": "/"})
    staff_member.refresh_from_db()
    assert staff_member.preferred_language == "cy"
    client.post("/sign-out/")
    client.cookies.clear()
    response = client.post("/sign-in/", {"username": staff_member.username, "password": PASSWORD})
    assert response.cookies["django_language"].value == "cy"
    assert '<html lang="cy"' in client.get("/").content.decode()


def test_cymraeg_chosen_on_the_sign_in_page_survives_signing_in_and_is_saved(client, staff_member):
    assert staff_member.school.interface_language != "cy"  # the school's default is English
    client.post("/i18n/setlang/", {"language": "cy", "next": "/sign-in/"})
    assert '<html lang="cy"' in client.get("/sign-in/").content.decode()
    response = client.post("/sign-in/", {"username": staff_member.username, "password": PASSWORD})
    assert response.cookies["django_language"].value == "cy"
    assert '<html lang="cy"' in client.get("/").content.decode()
    staff_member.refresh_from_db()
    assert staff_member.preferred_language == "cy"  # the person's explicit choice, kept
    assert AuditEntry.objects.filter(action="account.language_set", target_id=str(staff_member.pk))


def test_a_language_chosen_before_the_second_factor_is_saved_once_it_is_given(client, champion):
    client.post("/i18n/setlang/", {"language": "cy", "next": "/sign-in/"})
    client.post("/sign-in/", {"username": champion.username, "password": PASSWORD})
    champion.refresh_from_db()
    assert champion.preferred_language == ""  # not before the second factor
    assert '<html lang="cy"' in client.get("/second-factor/").content.decode()
    client.post("/second-factor/", {"code": next_code(champion)})
    champion.refresh_from_db()
    assert champion.preferred_language == "cy"


def test_an_unknown_language_changes_nothing(client, staff_member):
    sign_in(client, staff_member, reauthenticated=False)
    client.post("/i18n/setlang/", {"language": "xx", "next": "/"})
    staff_member.refresh_from_db()
    assert staff_member.preferred_language == ""


def test_a_form_without_its_csrf_token_changes_nothing_and_explains(db, staff_member):
    from django.test import Client

    strict = Client(enforce_csrf_checks=True)
    response = strict.post("/sign-in/", {"username": staff_member.username, "password": PASSWORD})
    assert response.status_code == 403
    assert "This page has expired" in response.content.decode()
    assert "_auth_user_id" not in strict.session


def test_a_welsh_school_signs_its_people_in_to_welsh_until_they_choose(client, staff_member):
    staff_member.school.interface_language = "cy"
    staff_member.school.save()
    response = client.post("/sign-in/", {"username": staff_member.username, "password": PASSWORD})
    assert response.cookies["django_language"].value == "cy"
    client.post("/i18n/setlang/", {"language": "en", "next": "/"})
    client.post("/sign-out/")
    response = client.post("/sign-in/", {"username": staff_member.username, "password": PASSWORD})
    assert response.cookies["django_language"].value == "en"


def test_failed_second_sign_ins_count_towards_the_lock_out(client, staff_member, settings):
    sign_in(client, staff_member, reauthenticated=False)
    for _ in range(settings.AXES_FAILURE_LIMIT):
        client.post(
            "/user-management/sign-in/", {"username": staff_member.username, "password": "x"}
        )
    response = client.post(
        "/user-management/sign-in/", {"username": staff_member.username, "password": PASSWORD}
    )
    assert response.status_code == 429
    assert client.get("/user-management/").status_code == 302


def test_the_forced_change_page_offers_only_signing_out(client, staff_member):
    staff_member.must_change_password = True
    staff_member.save()
    sign_in(client, staff_member, reauthenticated=False)
    body = client.get("/change-password/").content.decode()
    assert "Sign out" in body
    assert "My Profile" not in body
