"""Passwords: the 8+/upper/lower/digit rule, and nothing a guesser would try early."""

import re

import pytest
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.urls import reverse

from accounts.services import account_password_change, one_time_password_generate
from hwb_portal.management.commands.seed_demo import DEMO_PASSWORD
from tests.conftest import sign_in
from tests.factories import PASSWORD

ADVICE = {
    "en": "Use three or four unrelated words instead",
    "cy": "Defnyddiwch dri neu bedwar gair digyswllt yn lle hynny",
}


def _choose(client, password: str):
    return client.post(
        reverse("accounts:password_change"),
        {"new_password": password, "new_password_again": password},
    )


@pytest.fixture
def forced_client(client, staff_member):
    """Siân Jones of Llanberis Primary School (Ysgol Gynradd Llanberis), choosing a password."""
    staff_member.must_change_password = True
    staff_member.save()
    return sign_in(client, staff_member, reauthenticated=False)


@pytest.mark.parametrize(
    "password",
    [
        "Summer2026",
        "Cymru2026",
        "Hwb12345",
        "Gorffennaf2026",  # July, in Welsh
        "Llanberis2026",  # the school's name
        "Ysgol-Gynradd-9",  # the school's Welsh name
        "LlanberisPrimary1",
        "Joness-2026",  # the username
        "Sian-Jones-77",  # the person's names, without the accent
    ],
)
@pytest.mark.parametrize("language", ["en", "cy"])
def test_guessable_passwords_are_refused_with_advice(
    forced_client, staff_member, password, language
):
    forced_client.post("/i18n/setlang/", {"language": language, "next": "/"})
    response = _choose(forced_client, password)
    body = response.content.decode()
    assert ADVICE[language] in body.replace("\n", " ")
    assert "<title>Error:" in body or "<title>Gwall:" in body
    staff_member.refresh_from_db()
    assert staff_member.must_change_password
    assert not staff_member.check_password(password)


def test_a_strong_passphrase_is_accepted(forced_client, staff_member):
    response = _choose(forced_client, "Mynydd-Glas-Coffi7")
    assert response.status_code == 302
    staff_member.refresh_from_db()
    assert staff_member.check_password("Mynydd-Glas-Coffi7")


def test_the_form_says_how_to_choose_a_password(forced_client):
    body = forced_client.get(reverse("accounts:password_change")).content.decode()
    assert "Use three or four unrelated words" in body


def test_the_services_refuse_a_guessable_password_too(staff_member):
    with pytest.raises(ValidationError) as refused:
        account_password_change(user=staff_member, new_password="Cymru2026", ip_address=None)
    assert "password_guessable" in [error.code for error in refused.value.error_list]


def test_the_upper_lower_digit_rule_still_applies(staff_member):
    with pytest.raises(ValidationError) as refused:
        validate_password("mynydd-glas-coffi-araf", user=staff_member)
    assert "password_not_mixed" in [error.code for error in refused.value.error_list]


def test_the_passwords_the_portal_documents_pass(staff_member):
    for password in [PASSWORD, DEMO_PASSWORD]:
        validate_password(password, user=staff_member)


def test_a_one_time_password_is_one_case_so_a_screen_reader_spells_it_as_typed():
    issued = [one_time_password_generate() for _ in range(200)]
    for password in issued:
        assert re.fullmatch(r"[A-HJ-NP-Z2-9]{4}-[A-HJ-NP-Z2-9]{4}-[A-HJ-NP-Z2-9]{4}", password)
        assert password == password.upper()
    assert len(set(issued)) == 200


def test_a_very_long_password_is_judged_without_error(staff_member):
    validate_password("Mynydd-Glas-Coffi7-" * 20, user=staff_member)
