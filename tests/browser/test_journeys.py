"""Journeys through the portal in Chromium, checked with axe on every page they reach."""

import re

import pytest
from django.utils import translation
from playwright.sync_api import Page, expect

from tests.factories import PASSWORD

from .pages import (
    AccountPage,
    AccountsPage,
    ChooseNewPasswordPage,
    DashboardPage,
    Header,
    HomePage,
    OneTimePasswordAlreadyShownPage,
    OneTimePasswordPage,
    ReauthPage,
    ResetPasswordPage,
    SignInPage,
    YourDetailsPage,
    check_accessibility,
)

# transaction=True: the live server's thread must see what the test commits. It also makes
# pytest-django run these after the other database tests, which the flush could otherwise harm.
pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

NEW_PASSWORD = "Llyn-Padarn-2025"


def welsh(text: str) -> str:
    """The Welsh for an English string, or the string itself while it is untranslated."""
    with translation.override("cy"):
        return translation.gettext(text)


def sign_in_to_user_management(page: Page, url: str, username: str, password: str):
    """From any signed-in page: the header's User management link, then the second sign-in."""
    Header(page).user_management()
    reauth = ReauthPage(page, url).verify()
    expect(reauth.main).to_contain_text("As an extra security measure")
    reauth.sign_in(username, password)
    return DashboardPage(page, url).verify()


def test_staff_member_reads_their_details_in_english_and_welsh(page: Page, server_url, staff):
    sign_in = SignInPage(page, server_url).goto().verify()
    sign_in.sign_in(staff.username, PASSWORD)
    HomePage(page, server_url, first_name="Siân").verify()

    dashboard = sign_in_to_user_management(page, server_url, staff.username, PASSWORD)
    expect(dashboard.main).to_contain_text("Llanberis Primary School")

    dashboard.header.my_profile()
    details = YourDetailsPage(page, server_url).verify()
    expect(page).to_have_url(details.url)
    details.expect_value("Name", "Siân Jones")
    details.expect_value("Hwb username", staff.username)
    details.expect_value("Email", staff.email)
    details.expect_value("School", "Llanberis Primary School (DfES number 6612001)")
    details.expect_value("Kind of account", "Staff")

    details.header.switch_to_welsh()
    expect(page).to_have_url(details.url)  # the switch comes back to the same page
    details.expect_language("cy")
    expect(details.header.english_button).to_be_visible()
    expect(details.header.welsh_button).to_have_count(0)
    expect(details.main).to_contain_text("Ysgol Gynradd Llanberis")
    expect(details.main).not_to_contain_text("Llanberis Primary School")
    expect(details.main).to_contain_text(staff.username)
    # Only wording the Welsh catalogue already translates is checked in Welsh.
    expect(page.get_by_role("heading", level=1)).to_have_text(welsh("Your Details"))
    expect(details.header.nav.get_by_role("button", name=welsh("Sign out"))).to_be_visible()
    check_accessibility(page)

    details.header.switch_to_english()
    details.expect_language("en")
    YourDetailsPage(page, server_url).verify()


def test_champion_resets_a_password_and_staff_member_chooses_a_new_one(
    page: Page, server_url, champion, staff, colleagues
):
    # The digital champion finds Siân and gives her a one-time password.
    SignInPage(page, server_url).goto().verify().sign_in(champion.username, PASSWORD)
    HomePage(page, server_url, first_name="Dafydd").verify()
    dashboard = sign_in_to_user_management(page, server_url, champion.username, PASSWORD)

    dashboard.manage_accounts()
    accounts = AccountsPage(page, server_url).verify()
    expect(accounts.result_count).to_have_text("4 accounts")
    accounts.search("Siân Jones")
    expect(accounts.result_count).to_have_text("1 account")
    expect(accounts.search_box).to_have_value("Siân Jones")
    check_accessibility(page)
    accounts.open_account("Jones, Siân")

    account = AccountPage(page, server_url, full_name="Siân Jones").verify()
    account.expect_value("Hwb username", staff.username)
    account.expect_value("Status", "Active")
    account.reset_password()

    confirm = ResetPasswordPage(page, server_url).verify()
    expect(confirm.main).to_contain_text(staff.username)
    expect(confirm.main).to_contain_text("will be emailed that you reset their password")
    confirm.confirm()

    # The POST redirected: the password is on a page of its own, shown this once.
    done = OneTimePasswordPage(page, server_url).verify()
    expect(page).to_have_url(
        re.compile(rf"/accounts/{staff.pk}/reset-password/one-time-password/$")
    )
    expect(done.main).to_contain_text(f"for {staff.username}")
    one_time_password = done.password
    assert one_time_password != PASSWORD

    # A refresh shows it no more, and mints nothing: the password handed out still works.
    page.reload()
    shown = OneTimePasswordAlreadyShownPage(page, server_url).verify()
    expect(shown.main).not_to_contain_text(one_time_password)
    expect(shown.main).to_contain_text("reset the password again")
    staff.refresh_from_db()
    assert staff.check_password(one_time_password)

    shown.header.sign_out()
    signed_out = SignInPage(page, server_url).verify()
    expect(page).to_have_url(signed_out.url)
    expect(signed_out.header.nav.get_by_role("link", name="Sign in")).to_be_visible()

    # Siân signs in with it and must choose her own password before anything else.
    signed_out.sign_in(staff.username, one_time_password)
    choose = ChooseNewPasswordPage(page, server_url).verify()
    expect(page).to_have_url(choose.url)
    expect(choose.main.get_by_label("Current password")).to_have_count(0)
    choose.choose(NEW_PASSWORD)

    home = HomePage(page, server_url, first_name="Siân").verify()
    expect(page).to_have_url(home.url)
    expect(home.success_banner).to_contain_text("Your password has been changed.")

    # The old one-time password is gone: User management wants the new password.
    dashboard = sign_in_to_user_management(page, server_url, staff.username, NEW_PASSWORD)
    dashboard.header.my_profile()
    details = YourDetailsPage(page, server_url).verify()
    details.expect_value("Name", "Siân Jones")
    details.expect_value("Hwb username", staff.username)

    staff.refresh_from_db()
    assert not staff.must_change_password
    assert staff.check_password(NEW_PASSWORD)


def test_sign_in_errors_are_summarised_and_accessible(page: Page, server_url, local_authorities):
    sign_in = SignInPage(page, server_url).goto().verify()
    sign_in.submit.click()

    expect(sign_in.error_summary).to_be_visible()
    expect(sign_in.error_summary).to_be_focused()  # GOV.UK Frontend moves focus to it
    expect(page).to_have_title(re.compile(r"^Error: "))
    expect(sign_in.heading).to_be_visible()
    username_link = sign_in.error_link("Enter your Hwb username")
    password_link = sign_in.error_link("Enter your password")
    expect(username_link).to_have_attribute("href", "#id_username")
    expect(password_link).to_have_attribute("href", "#id_password")
    # Each field carries its own message, tied to it for screen readers.
    expect(sign_in.username).to_have_accessible_description(re.compile("Enter your Hwb username"))
    expect(sign_in.password).to_have_accessible_description(re.compile("Enter your password"))
    check_accessibility(page)

    # The summary's links take keyboard and screen-reader users to the field at fault.
    password_link.click()
    expect(sign_in.password).to_be_focused()
    username_link.click()
    expect(sign_in.username).to_be_focused()


def test_first_tab_on_sign_in_page_focuses_skip_link(page: Page, server_url, local_authorities):
    sign_in = SignInPage(page, server_url).goto().verify()
    page.keyboard.press("Tab")
    skip_link = page.get_by_role("link", name="Skip to main content", exact=True)
    expect(skip_link).to_be_focused()
    expect(skip_link).to_be_visible()  # GOV.UK's skip link shows itself when focused

    page.keyboard.press("Enter")
    expect(page).to_have_url(re.compile(r"#main-content$"))
    expect(sign_in.main).to_be_focused()
