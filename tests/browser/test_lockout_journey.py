"""A pupil's mistyping locks their own account, never their classmates'; the champion unlocks it."""

import pytest
from django.conf import settings
from playwright.sync_api import Page, expect

from tests.factories import PASSWORD

from .pages import (
    AccountPage,
    AccountsPage,
    HomePage,
    LockedOutPage,
    SignInPage,
    check_accessibility,
)
from .test_journeys import sign_in_to_user_management

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_a_locked_account_is_shown_to_the_champion_who_unlocks_it(
    page: Page, server_url, champion, staff, colleagues
):
    # Siân mistypes her password until signing in is paused, for her username only.
    sign_in = SignInPage(page, server_url).goto().verify()
    for _ in range(settings.AXES_FAILURE_LIMIT - 1):
        sign_in.sign_in(staff.username, "Not-My-Password-1")
        expect(sign_in.error_summary).to_be_visible()
    sign_in.sign_in(staff.username, "Not-My-Password-1")
    locked = LockedOutPage(page, server_url).verify()
    expect(locked.main).to_contain_text("with this username")
    expect(locked.main).to_contain_text("can unlock your account now")

    # The digital champion, at the same school (the same address), signs in as usual.
    SignInPage(page, server_url).goto().sign_in(champion.username, PASSWORD)
    HomePage(page, server_url, first_name="Dafydd").verify()
    dashboard = sign_in_to_user_management(page, server_url, champion.username, PASSWORD)
    dashboard.manage_accounts()
    accounts = AccountsPage(page, server_url).verify()
    siân_row = accounts.results.filter(has_text="Jones, Siân")
    expect(siân_row).to_contain_text("Locked")
    expect(accounts.results.get_by_text("Locked", exact=True)).to_have_count(1)
    accounts.open_account("Jones, Siân")

    account = AccountPage(page, server_url, full_name="Siân Jones").verify()
    account.expect_value("Status", "Active – locked after repeated failed sign-ins")
    account.unlock()
    account = AccountPage(page, server_url, full_name="Siân Jones").verify()
    expect(account.success_banner).to_contain_text("Siân Jones’s account is unlocked")
    account.expect_value("Status", "Active")
    expect(account.main.get_by_role("button", name="Unlock")).to_have_count(0)
    check_accessibility(page)
    account.header.sign_out()

    # Siân can sign in again.
    SignInPage(page, server_url).verify().sign_in(staff.username, PASSWORD)
    HomePage(page, server_url, first_name="Siân").verify()
