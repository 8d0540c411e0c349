"""A change of name in Chromium, in English and in Welsh: the champion changes a teacher's
surname after her marriage, with a preferred first name and a new username; her old username
still signs her in; the school's activity page says what happened. axe and the 375 px check."""

import pytest
from playwright.sync_api import Page, expect

from accounts.models import User
from tests.factories import PASSWORD

from .pages import ENGLISH, WELSH, Reauth, SignIn, check_accessibility

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.mark.parametrize("words", [ENGLISH, WELSH], ids=["en", "cy"])
def test_a_champion_changes_a_name_and_the_username(page: Page, server_url, champion, staff, words):
    old_username = staff.username
    SignIn(page, server_url).goto().verify()
    if words is WELSH:
        SignIn(page, server_url).header.switch_to_welsh()
    SignIn(page, server_url, words).verify().sign_in(champion.username)
    page.goto(server_url + f"/user-management/accounts/{staff.pk}/")
    Reauth(page, server_url, words).verify().sign_in(champion.username)
    page.get_by_role("link", name=words("Change the name")).click()
    check_accessibility(page)

    main = page.get_by_role("main")
    main.get_by_label(words("Last name"), exact=True).fill("Huws")
    main.get_by_label(words("Preferred first name (optional)"), exact=True).fill("Sioned")
    main.get_by_label(words("Marriage or civil partnership"), exact=True).check()
    main.get_by_label(words("Generate a new username from the new name"), exact=True).check()
    main.get_by_role("button", name=words("Change the name")).click()
    check_accessibility(page)
    account = User.objects.get(pk=staff.pk)
    assert (account.last_name, account.preferred_first_name) == ("Huws", "Sioned")
    assert account.username != old_username
    expect(page.get_by_role("alert")).to_contain_text(account.username)
    expect(page.get_by_role("main")).to_contain_text("Sioned")

    page.goto(server_url + "/user-management/activity/")
    check_accessibility(page)
    expect(page.get_by_role("main")).to_contain_text(words("Name changed"))

    # Her old username still signs her in (and she is asked for a new password).
    page.context.clear_cookies()
    SignIn(page, server_url).goto().verify()
    main = page.get_by_role("main")
    main.get_by_label("Hwb username", exact=True).fill(old_username)
    main.get_by_label("Password", exact=True).fill(PASSWORD)
    main.get_by_role("button", name="Sign in", exact=True).click()
    expect(page).not_to_have_url(f"{server_url}/sign-in/")
