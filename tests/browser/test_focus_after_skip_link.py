"""After the skip link, an empty form's error summary still takes focus, and the address has no
"#main-content" for the browser to jump to (WCAG 2.4.3, 3.3.1)."""

import pytest
from playwright.sync_api import Page, expect

from .pages import SignIn, check_accessibility

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_the_skip_link_then_an_empty_sign_in_focuses_the_error_summary(page: Page, server_url):
    SignIn(page, server_url).goto().verify()
    page.keyboard.press("Tab")
    expect(page.get_by_role("link", name="Skip to main content")).to_be_focused()
    page.keyboard.press("Enter")
    expect(page).to_have_url(f"{server_url}/sign-in/#main-content")
    page.get_by_role("main").get_by_role("button", name="Sign in", exact=True).click()
    summary = page.locator(".govuk-error-summary")
    expect(summary).to_be_visible()
    expect(summary).to_be_focused()
    assert "#main-content" not in page.url
    check_accessibility(page)
