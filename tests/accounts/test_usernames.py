"""Usernames: legal surname + first initial, folded to ASCII, lower case, never reused."""

import pytest

from accounts.models import RetiredUsername, User
from accounts.usernames import username_base, usernames_allocate
from core.text import ascii_fold
from tests.factories import make_account


@pytest.mark.parametrize(
    ("first", "last", "expected"),
    [
        ("Joe", "Bloggs", "bloggsj"),
        ("Siân", "Jones", "joness"),
        ("Llŷr", "Hughes", "hughesl"),
        ("Gwenllïan", "Ŵyn", "wyng"),
        ("Rhodri", "ap Iwan", "apiwanr"),
        ("Catrin", "O'Neill", "oneillc"),
        ("Ffred", "Parry-Jones", "parryjonesf"),
        ("Ângharad", "Müller-Lüdenscheidt", "mullerludenscheidta"),
        ("Øystein", "Strauß", "strausso"),
        ("Zoë", "Łukasiewicz", "lukasiewiczz"),
        ("李", "王", "user"),
    ],
)
def test_username_is_surname_and_initial_folded_to_ascii(first, last, expected):
    assert username_base(first_name=first, last_name=last) == expected


def test_ascii_fold_keeps_welsh_letters_readable():
    assert ascii_fold("Siân ap Ŵyn-Jones, Ynys Môn") == "Sian ap Wyn-Jones, Ynys Mon"


def test_long_surnames_are_cut_to_twenty_letters():
    assert username_base(first_name="Ann", last_name="Llanfairpwllgwyngyllgogerych") == (
        "llanfairpwllgwyngyll" + "a"
    )


def test_a_clash_takes_the_next_number_and_numbers_are_never_given_twice(db, school):
    first = make_account(school=school, first_name="Joe", last_name="Bloggs")
    second = make_account(school=school, first_name="Jane", last_name="Bloggs")
    third = make_account(school=school, first_name="Jim", last_name="Blöggs")
    assert [first.username, second.username, third.username] == [
        "bloggsj",
        "bloggsj2",
        "bloggsj3",
    ]
    User.objects.filter(pk=second.pk).delete()
    # Even a username whose account is gone (and, here, never retired) is not given again.
    assert make_account(school=school, first_name="Jo", last_name="Bloggs").username == "bloggsj4"


def test_retired_usernames_are_never_given_again(db, school):
    RetiredUsername.objects.create(username="bloggsj", username_base="bloggsj")
    RetiredUsername.objects.create(username="bloggsj2", username_base="bloggsj")
    assert make_account(school=school, first_name="Joe", last_name="Bloggs").username == (
        "bloggsj3"
    )


def test_username_and_email_are_lower_case_at_the_hwb_domain(db, school, settings):
    settings.HWB_EMAIL_DOMAIN = "hwbcymru.net"
    user = make_account(school=school, first_name="Siân", last_name="Jones")
    assert user.username == "joness"
    assert user.email == "joness@hwbcymru.net"


def test_usernames_compare_case_insensitively_at_sign_in(client, staff_member):
    response = client.post(
        "/sign-in/", {"username": staff_member.username.upper(), "password": "Correct-Horse-42"}
    )
    assert response.status_code == 302
    assert client.session["_auth_user_id"] == str(staff_member.pk)


def test_a_name_ending_in_digits_never_looks_like_a_clash_number():
    assert username_base(first_name="7", last_name="Smith") == "smith"
    assert username_base(first_name="Ann", last_name="Henry8") == "henry8a"


def test_many_people_with_one_name_get_consecutive_numbers(db, school):
    make_account(school=school, first_name="Joe", last_name="Bloggs")
    RetiredUsername.objects.create(username="bloggsj3", username_base="bloggsj")
    # bloggsj3 was taken outside the counters: it is found, and numbers go on above it.
    assert usernames_allocate(["bloggsj", "bloggsj", "evansa", "bloggsj"]) == [
        "bloggsj4",
        "bloggsj5",
        "evansa",
        "bloggsj6",
    ]
    assert usernames_allocate(["bloggsj"]) == ["bloggsj7"]
