"""Keyboard only, in English and Welsh, at 1280 and 320 pixels wide (WCAG 2.1.1, 2.4.3, 1.4.10):
a member of staff signs in, opens User management, passes its second sign-in and reaches Account
Transfer; a digital champion finds an account with the list's search. No mouse: Tab moves the
focus, typing fills the field in focus, Enter and Space act. axe on every page reached."""

import re

import pytest
from playwright.sync_api import Locator, Page, expect

from accounts.second_factor import totp_key_from_text
from tests.factories import PASSWORD
from tests.second_factor import current_code, give_second_factor, next_code

from .pages import ENGLISH, WELSH, check_accessibility

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
WIDTHS = {"wide": {"width": 1280, "height": 900}, "narrow": {"width": 320, "height": 720}}
MAX_TABS = 60


def tab_to(page: Page, target: Locator) -> None:
    """Press Tab until ``target`` has the focus (as a keyboard user would), or fail."""
    for _ in range(MAX_TABS):
        if target.evaluate("el => el === document.activeElement"):
            return
        page.keyboard.press("Tab")
    raise AssertionError(f"Tab never reached {target} on {page.url}")


def type_into(page: Page, target: Locator, text: str) -> None:
    tab_to(page, target)
    page.keyboard.type(text)


def press_on(page: Page, target: Locator, key: str = "Enter") -> None:
    tab_to(page, target)
    page.keyboard.press(key)


def sign_in_by_keyboard(page: Page, words, username: str, user, *, again: bool = False) -> None:
    main = page.get_by_role("main")
    if not again:
        type_into(page, main.get_by_label(words("Hwb username"), exact=True), username)
    type_into(page, main.get_by_label(words("Password"), exact=True), PASSWORD)
    code = main.locator("#id_code")
    if code.count():
        type_into(page, code, next_code(user))
    press_on(page, main.get_by_role("button", name=words("Sign in"), exact=True))
    page.wait_for_url(lambda url: "sign-in/" not in url)
    page.wait_for_load_state("load")
    submit_code = page.locator("main form:has(#id_code) button[type=submit]")
    if "/second-factor/set-up/" in page.url:  # no app yet: the key as text, as without a camera
        key = totp_key_from_text(page.get_by_test_id("setup-key").inner_text())
        type_into(page, page.locator("main #id_code"), current_code(key))
        with page.expect_navigation():
            press_on(page, submit_code)
        expect(page.get_by_test_id("recovery-codes")).to_be_visible()
        with page.expect_navigation():
            press_on(page, page.locator("main a.govuk-button"))
    elif page.locator("main #id_code").count():  # the security-code page after the password
        type_into(page, page.locator("main #id_code"), next_code(user))
        with page.expect_navigation():
            press_on(page, submit_code)


def start(page: Page, server_url: str, words, width: str) -> None:
    page.set_viewport_size(WIDTHS[width])
    page.goto(server_url + "/sign-in/")
    if words is WELSH:
        with page.expect_navigation():
            press_on(page, page.get_by_role("button", name="Cymraeg", exact=True))
    expect(page.locator("html")).to_have_attribute("lang", words.language)


@pytest.mark.parametrize("width", WIDTHS)
@pytest.mark.parametrize("words", [ENGLISH, WELSH], ids=["en", "cy"])
def test_a_member_of_staff_reaches_account_transfer_by_keyboard(
    page: Page, server_url, staff, words, width
):
    start(page, server_url, words, width)
    check_accessibility(page)
    sign_in_by_keyboard(page, words, staff.username, staff)
    with page.expect_navigation():
        press_on(page, page.get_by_role("link", name=words("User management"), exact=True).first)
    check_accessibility(page)
    sign_in_by_keyboard(page, words, staff.username, staff, again=True)
    expect(page).to_have_url(server_url + "/user-management/")
    check_accessibility(page)
    with page.expect_navigation():
        press_on(page, page.get_by_role("main").get_by_role("link", name=words("My Profile")))
    check_accessibility(page)


@pytest.mark.parametrize("width", WIDTHS)
@pytest.mark.parametrize("words", [ENGLISH, WELSH], ids=["en", "cy"])
def test_a_champion_searches_the_accounts_by_keyboard(
    page: Page, server_url, champion, colleagues, words, width
):
    start(page, server_url, words, width)
    sign_in_by_keyboard(page, words, champion.username, champion)
    page.goto(server_url + "/user-management/accounts/")
    sign_in_by_keyboard(page, words, champion.username, champion, again=True)
    check_accessibility(page)
    main = page.get_by_role("main")
    gwenllian = colleagues[1]
    type_into(page, main.get_by_label(words("Search by name, username or UPN")), "gwenllian")
    with page.expect_navigation():
        press_on(page, main.get_by_role("button", name=words("Search"), exact=True))
    check_accessibility(page)
    link = page.get_by_role("main").get_by_role(
        "link", name=f"{gwenllian.last_name}, {gwenllian.first_name}"
    )
    with page.expect_navigation():
        press_on(page, link)
    expect(page.get_by_role("heading", level=1)).to_have_text(gwenllian.get_full_name())
    check_accessibility(page)


@pytest.mark.parametrize("width", WIDTHS)
@pytest.mark.parametrize("words", [ENGLISH, WELSH], ids=["en", "cy"])
def test_a_headteacher_decides_from_the_email_link_by_keyboard(
    page: Page, server_url, llanberis, local_authorities, words, width
):
    """Dr Ellis follows the link in her email, signs in, and approves Siân's request."""
    from django.core import mail

    from schools.models import School
    from tests.factories import SchoolFactory
    from tests.transfers.builders import headteacher_of, moved_staff
    from transfers.models import TransferRequest
    from transfers.services import transfer_request_submit

    glantaf = SchoolFactory(
        dfes_number="6814004",
        name_en="Glantaf Secondary School",
        name_cy="Ysgol Uwchradd Glantaf",
        phase=School.Phase.SECONDARY,
    )
    head = headteacher_of(llanberis)
    give_second_factor(head)  # set up long ago, with the app on her phone
    old, new = moved_staff(llanberis, glantaf)
    transfer_request_submit(
        requester=new,
        previous_dfes=llanberis.dfes_number,
        previous_username=old.username,
        message="Please approve the move of my account.",
        headteacher_confirmed=True,
        ip_address=None,
    )
    (email,) = [each for each in mail.outbox if head.email in each.to]
    link = re.search(r"http://\S+(/transfers/decide/[^/\s]+/)", email.body).group(1)

    start(page, server_url, words, width)
    page.goto(server_url + link)
    check_accessibility(page)
    sign_in_by_keyboard(page, words, head.username, head)
    if "/user-management/sign-in/" in page.url:
        sign_in_by_keyboard(page, words, head.username, head, again=True)
    check_accessibility(page)
    with page.expect_navigation():
        press_on(page, page.get_by_role("button", name=words("Approve"), exact=True))
    check_accessibility(page)
    assert TransferRequest.objects.get().status == TransferRequest.Status.APPROVED


@pytest.mark.parametrize("width", WIDTHS)
@pytest.mark.parametrize("words", [ENGLISH, WELSH], ids=["en", "cy"])
def test_an_officer_starts_a_notice_by_keyboard(page: Page, server_url, llanberis, words, width):
    """An officer opens Local authority, starts a new-school notice, sends it empty and is told
    every problem at once, the summary taking the focus."""
    from accounts.models import User
    from tests.factories import make_account

    officer = make_account(
        kind=User.Kind.LA_OFFICER,
        local_authority=llanberis.local_authority,
        first_name="Alun",
        last_name="Morgan",
    )
    start(page, server_url, words, width)
    sign_in_by_keyboard(page, words, officer.username, officer)
    with page.expect_navigation():
        press_on(page, page.get_by_role("link", name=words("Local authority"), exact=True).first)
    check_accessibility(page)
    with page.expect_navigation():
        press_on(
            page, page.get_by_role("button", name=words("Tell the Hwb team about a school change"))
        )
    check_accessibility(page)
    with page.expect_navigation():
        press_on(page, page.get_by_role("link", name=words("A new school opening")))
    check_accessibility(page)
    main = page.get_by_role("main")
    submit = main.get_by_role("button").last
    with page.expect_navigation():
        press_on(page, submit)
    summary = page.locator(".govuk-error-summary")
    expect(summary).to_be_focused()
    assert summary.get_by_role("link").count() >= 3  # every problem at once, not the date alone
    check_accessibility(page)


@pytest.mark.parametrize("width", WIDTHS)
def test_the_hwb_team_reaches_the_work_queue_by_keyboard(page: Page, server_url, width):
    """The Hwb team signs in through the portal (setting up two-step verification by keyboard)
    and opens the admin's work queue."""
    from accounts.models import User

    admin = User.objects.create_superuser("hwbadmin", PASSWORD, first_name="Hwb", last_name="Admin")
    start(page, server_url, ENGLISH, width)
    sign_in_by_keyboard(page, ENGLISH, "hwbadmin", admin)
    page.goto(server_url + "/admin/")
    with page.expect_navigation():
        press_on(page, page.get_by_role("link", name="Work queue: what waits for the Hwb team"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Work queue")
    check_accessibility(page)
