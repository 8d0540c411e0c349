"""The User management window's timeout warning in Chromium (WCAG 2.2.1), by keyboard, in English
and Welsh: the dialog opens before the window ends, takes focus, passes axe, and Enter on "Stay
in User management" closes it and gives a fresh window without leaving the page."""

import pytest
from playwright.sync_api import Page, expect

from .pages import ENGLISH, WELSH, Reauth, SignIn, check_accessibility

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.mark.parametrize("words", [ENGLISH, WELSH], ids=["en", "cy"])
def test_the_warning_offers_to_stay_by_keyboard(page: Page, server_url, champion, settings, words):
    settings.HWB_REAUTH_MINUTES = 1
    settings.HWB_REAUTH_WARNING_SECONDS = 57  # the dialog opens about 3 seconds in
    SignIn(page, server_url).goto().verify()
    if words is WELSH:
        SignIn(page, server_url).header.switch_to_welsh()
    SignIn(page, server_url, words).verify().sign_in(champion.username)
    page.goto(server_url + "/user-management/")
    Reauth(page, server_url, words).verify().sign_in(champion.username)
    page.evaluate("window.hwbNotReloaded = true")

    dialog = page.get_by_role("dialog")
    expect(dialog).to_be_visible(timeout=8_000)
    expect(dialog).to_contain_text(words("Do you want to stay in User management?"))
    stay = dialog.get_by_role("button", name=words("Stay in User management"))
    expect(stay).to_be_focused()
    check_accessibility(page)

    with page.expect_response("**/user-management/stay/") as stayed:
        page.keyboard.press("Enter")
    assert stayed.value.json() == {"seconds_left": 60}  # a fresh window from the server
    expect(dialog).to_be_hidden()
    assert page.evaluate("window.hwbNotReloaded") is True  # the page was not left
    expect(page).to_have_url(server_url + "/user-management/")
