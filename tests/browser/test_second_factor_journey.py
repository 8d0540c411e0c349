"""A headteacher's first sign-in sets up two-step verification (QR code and key as text), and
the next one asks for a code, in Welsh: in Chromium, with axe on every page."""

import re

import pytest
from django.utils import translation
from playwright.sync_api import Page, expect

from accounts.models import SchoolRole
from accounts.second_factor import totp_key_from_text
from tests.factories import PASSWORD, make_account
from tests.second_factor import current_code, next_code

from .pages import (
    HomePage,
    RecoveryCodesPage,
    SecondFactorSetUpPage,
    SecurityCodePage,
    SignInPage,
    check_accessibility,
)

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def welsh(text: str) -> str:
    with translation.override("cy"):
        return translation.gettext(text)


def test_a_headteacher_sets_up_two_step_verification_then_signs_in_with_a_code_in_welsh(
    page: Page, server_url, llanberis
):
    head = make_account(
        school=llanberis,
        first_name="Gwenllian",
        last_name="Ellis",
        roles=(SchoolRole.Role.HEADTEACHER,),
        second_factor=False,
    )
    SignInPage(page, server_url).goto().verify().sign_in_without_code(head.username, PASSWORD)

    set_up = SecondFactorSetUpPage(page, server_url).verify()
    expect(page).to_have_url(re.compile(r"/second-factor/set-up/"))
    # The QR code loads (the content security policy allows the server-made SVG) ...
    expect(set_up.qr_code).to_be_visible()
    assert set_up.qr_code.evaluate("img => img.complete && img.naturalWidth > 0")
    # ... and the same key is there as text, in groups of four.
    assert re.fullmatch(r"([A-Z2-7]{4} ){7}[A-Z2-7]{4}", set_up.key_text)
    key = totp_key_from_text(set_up.key_text)

    set_up.confirm("123")
    expect(page.locator(".govuk-error-summary")).to_contain_text("The code is not right")
    expect(page).to_have_title(re.compile(r"^Error: Set up two-step verification"))
    check_accessibility(page)

    set_up.confirm(current_code(key))
    codes = RecoveryCodesPage(page, server_url).verify()
    assert len(codes.codes) == 10
    assert all(re.fullmatch(r"[a-z2-7]{4}-[a-z2-7]{4}", code) for code in codes.codes)
    codes.kept()
    home = HomePage(page, server_url, first_name="Gwenllian").verify()

    # Next time the code page asks for a code; in Welsh, as the person switches to it there.
    home.header.sign_out()
    SignInPage(page, server_url).verify().sign_in_without_code(head.username, PASSWORD)
    asked = SecurityCodePage(page, server_url).verify()
    asked.header.switch_to_welsh()
    asked.heading_text = welsh("Enter your security code")
    asked.verify()
    asked.expect_language("cy")
    asked.enter(next_code(head), label=welsh("Security code"), button=welsh("Continue"))
    with translation.override("cy"):
        greeting = translation.gettext("Welcome, %(name)s") % {"name": "Gwenllian"}
    expect(page.get_by_role("heading", level=1, name=greeting, exact=True)).to_be_visible()
    check_accessibility(page)
