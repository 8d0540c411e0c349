"""Every password rule speaks Welsh on a Welsh page: each validator's error and help text, and
the password form's errors as a page renders them (Django's own Welsh catalogue lacks some, so
they are this project's messages; a regression to a library's English would fail here)."""

import pytest
from django.contrib.auth.password_validation import get_default_password_validators
from django.core.exceptions import ValidationError
from django.test import Client
from django.utils import translation

from tests.conftest import sign_in
from tests.factories import PASSWORD, make_account

pytestmark = pytest.mark.django_db

# A password each rule refuses (for the account Siân Jones, username joness).
REFUSED = {
    "UserAttributeSimilarityValidator": "joness",
    "MinimumLengthValidator": "Ab1",
    "CommonPasswordValidator": "password",
    "NumericPasswordValidator": "12345678901234",
    "MixedCharactersValidator": "alllowercaseletters",
    "GuessablePasswordValidator": "Password1",
}


def _refusal(validator, password, user) -> str:
    with pytest.raises(ValidationError) as refused:
        validator.validate(password, user)
    return " ".join(refused.value.messages)


@pytest.mark.parametrize(
    "validator", get_default_password_validators(), ids=lambda v: type(v).__name__
)
def test_each_rule_refuses_and_explains_in_welsh(validator, school):
    user = make_account(school=school, first_name="Siân", last_name="Jones")
    password = REFUSED[type(validator).__name__]
    with translation.override("en"):
        english = (_refusal(validator, password, user), str(validator.get_help_text()))
    with translation.override("cy"):
        welsh = (_refusal(validator, password, user), str(validator.get_help_text()))
    assert welsh[0] != english[0], f"{type(validator).__name__}'s error is English in Welsh"
    assert welsh[1] != english[1], f"{type(validator).__name__}'s help is English in Welsh"


def test_a_short_common_password_is_refused_in_welsh_on_the_page(school):
    user = make_account(school=school, first_name="Siân", last_name="Jones")
    client = sign_in(Client(), user)
    client.cookies["django_language"] = "cy"
    response = client.post(
        "/change-password/",
        {"current_password": PASSWORD, "new_password": "abc", "new_password_again": "abc"},
    )
    body = response.content.decode()
    assert 'lang="cy"' in body
    for english in ("too short", "too common", "This password", "must contain"):
        assert english not in body, english


def test_the_field_shows_every_error_the_summary_lists_for_it(school):
    user = make_account(school=school, first_name="Siân", last_name="Jones")
    client = sign_in(Client(), user)
    response = client.post(
        "/change-password/",
        {"current_password": PASSWORD, "new_password": "abc", "new_password_again": "abc"},
    )
    body = response.content.decode()
    summary = body[body.index("govuk-error-summary__list") :]
    summary = summary[: summary.index("</ul>")]
    at_field = body[body.index('id="id_new_password-error"') :]
    at_field = at_field[: at_field.index("</p>")]
    listed = summary.count('href="#id_new_password"')
    assert listed >= 2  # too short, and not mixed: both are told
    assert at_field.count("<br>") == listed - 1
