"""The digital champion's toolset in Chromium, in English and in Welsh: create a governor's
account with an expiry, keep it, close another, download the list, reset passwords onto a
credential sheet shown once, promote a second champion who is then asked to set up two-step
verification. axe and the 375 px check on every page."""

import csv
import io

import pytest
from playwright.sync_api import Page, expect

from accounts.models import SchoolRole, User
from tests.factories import PASSWORD

from .pages import ENGLISH, WELSH, Reauth, SignIn, Words, check_accessibility

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def open_user_management(page: Page, url: str, champion: User, words: Words) -> None:
    SignIn(page, url).goto().verify()
    if words is WELSH:
        SignIn(page, url).header.switch_to_welsh()
    SignIn(page, url, words).verify().sign_in(champion.username)
    page.goto(url + "/user-management/accounts/")
    Reauth(page, url, words).verify().sign_in(champion.username)
    expect(page.locator("html")).to_have_attribute("lang", words.language)


def create_account(page: Page, words: Words, first: str, last: str, purpose: str, expiry: str):
    page.get_by_role("button", name=words("Create an account")).click()
    check_accessibility(page)
    main = page.get_by_role("main")
    main.get_by_label(words("First name"), exact=True).fill(first)
    main.get_by_label(words("Last name"), exact=True).fill(last)
    main.get_by_label(words(purpose), exact=True).check()
    main.get_by_label(words(expiry), exact=True).check()
    main.get_by_role("button", name=words("Create the account")).click()
    check_accessibility(page)


@pytest.mark.parametrize("words", [ENGLISH, WELSH], ids=["en", "cy"])
def test_the_champion_runs_the_schools_own_accounts(
    page: Page, server_url, champion, staff, colleagues, words
):
    open_user_management(page, server_url, champion, words)
    check_accessibility(page)

    # A governor's account, to the end of the academic year.
    create_account(
        page, words, "Alun", "Bebb", "Governor", "To the end of the academic year (31 August)"
    )
    governor = User.objects.get(first_name="Alun")
    expect(page.get_by_role("alert")).to_contain_text(governor.username)
    assert (governor.kind, governor.non_mis_purpose) == ("governor", "governor")
    # Kept for 6 more months from today.
    main = page.get_by_role("main")
    main.get_by_label(words("6 months from today"), exact=True).check()
    main.get_by_role("button", name=words("Keep"), exact=True).click()
    check_accessibility(page)
    expect(page.get_by_role("alert")).to_contain_text(governor.username)

    # A visitor's account for a month, then closed at once.
    page.goto(server_url + "/user-management/accounts/")
    create_account(page, words, "Ifor", "Inspector", "Visitor, such as an inspector", "1 month")
    page.get_by_role("main").get_by_role("button", name=words("Close now")).click()
    check_accessibility(page)
    visitor = User.objects.get(first_name="Ifor")
    assert (visitor.is_active, visitor.deactivation_reason) == (False, "closed")

    # The list as CSV, with the governor on it.
    page.goto(server_url + "/user-management/accounts/")
    with page.expect_download() as download:
        page.get_by_role("link", name=words("Download these accounts (CSV)")).click()
    text = download.value.path().read_text(encoding="utf-8-sig")
    assert governor.username in [row[2] for row in csv.reader(io.StringIO(text))]

    # New passwords for the accounts a search finds, on a sheet shown once.
    sarah = colleagues[0]
    page.goto(server_url + f"/user-management/accounts/?q={sarah.username}")
    page.get_by_role("link", name=words("Reset the passwords of these accounts")).click()
    check_accessibility(page)
    page.get_by_role("main").get_by_role("button", name=words("Reset the passwords")).click()
    expect(page.locator(".hwb-card")).to_have_count(1)
    expect(page.locator(".hwb-card")).to_contain_text(sarah.username)
    check_accessibility(page)
    page.reload()
    expect(page.locator(".hwb-card")).to_have_count(0)  # shown once

    # Or the accounts ticked on the list.
    gwenllian = colleagues[1]
    page.goto(server_url + "/user-management/accounts/")
    page.get_by_role("main").get_by_label(
        words("Select %(name)s") % {"name": gwenllian.get_full_name()}, exact=True
    ).check()
    page.get_by_role("button", name=words("Reset the passwords of the selected accounts")).click()
    check_accessibility(page)
    page.get_by_role("main").get_by_role("button", name=words("Reset the passwords")).click()
    expect(page.locator(".hwb-card")).to_have_count(1)
    expect(page.locator(".hwb-card")).to_contain_text(gwenllian.username)

    # Siân becomes a second digital champion.
    page.goto(server_url + f"/user-management/accounts/{staff.pk}/")
    check_accessibility(page)
    page.get_by_role("main").get_by_role("button", name=words("Make a digital champion")).click()
    check_accessibility(page)
    assert SchoolRole.objects.filter(user=staff, role="digital_champion").exists()

    # At her next sign-in she is asked to set up two-step verification.
    page.context.clear_cookies()
    SignIn(page, server_url).goto().verify()
    page.get_by_role("main").get_by_label("Hwb username", exact=True).fill(staff.username)
    page.get_by_role("main").get_by_label("Password", exact=True).fill(PASSWORD)
    page.get_by_role("main").get_by_role("button", name="Sign in", exact=True).click()
    page.goto(server_url + "/")
    expect(page).to_have_url(f"{server_url}/second-factor/set-up/?next=%2F")
    check_accessibility(page)
