"""Playwright page objects for the portal, found the way people find things: roles and labels.

Each page object knows its path and its level-1 heading. `verify()` waits for the heading and
then runs axe on the page, so a journey that verifies every page it reaches checks them all.
"""

from __future__ import annotations

import re
from urllib.parse import urlsplit

from axe_playwright_python.sync_playwright import Axe
from django.utils import translation
from playwright.sync_api import Locator, Page, expect

from accounts.models import User
from accounts.second_factor import totp_key_from_text
from schools.models import School
from tests.factories import PASSWORD as DEFAULT_PASSWORD
from tests.second_factor import current_code, next_code

BLOCKING_IMPACTS = ("serious", "critical")
_axe = Axe()


# --- Accessibility --------------------------------------------------------------------------------


def _describe(violation: dict) -> str:
    lines = [
        f"- {violation['id']} ({violation.get('impact')}): {violation.get('help')}",
        f"  {violation.get('helpUrl', '')}",
    ]
    for node in violation.get("nodes", []):
        target = " ".join(str(part) for part in node.get("target", []))
        lines.append(f"    target: {target}")
        summary = (node.get("failureSummary") or "").replace("\n", " ")
        if summary:
            lines.append(f"      {summary}")
    return "\n".join(lines)


PHONE = {"width": 375, "height": 812}

# What sticks out to the right of a phone's screen: elements wider than the page, outside any
# container that scrolls on its own (a wide table may scroll inside its own box).
_SIDEWAYS = """() => {
  const width = document.documentElement.clientWidth;
  const scrollsItself = (el) => {
    for (let p = el.parentElement; p; p = p.parentElement) {
      const x = getComputedStyle(p).overflowX;
      if ((x === "auto" || x === "scroll") && p !== document.documentElement) return true;
    }
    return false;
  };
  const out = [];
  for (const el of document.body.querySelectorAll("*")) {
    const box = el.getBoundingClientRect();
    if (box.width && box.right > width + 1 && !scrollsItself(el)
        && getComputedStyle(el).position !== "fixed"
        && !el.closest(".govuk-visually-hidden, .govuk-skip-link")) {
      out.push(`${el.tagName.toLowerCase()}.${el.className} (${Math.round(box.right)}px)`);
    }
  }
  return {scroll: document.documentElement.scrollWidth - width, out: out.slice(0, 5)};
}"""

# The header's menu items on a phone: none may touch the next on the same line.
_MENU_GAPS = """() => {
  const items = [...document.querySelectorAll("#navigation > li")].map(
    (li) => li.getBoundingClientRect());
  const touching = [];
  for (let i = 1; i < items.length; i++) {
    const a = items[i - 1], b = items[i];
    if (Math.abs(a.top - b.top) < 4 && b.left - a.right < 8) touching.push(i);
  }
  return touching;
}"""


def check_described_by(page: Page) -> None:
    """Every aria-describedby names elements that exist (a hint or error a reader can reach)."""
    missing = page.evaluate(
        """() => [...document.querySelectorAll('[aria-describedby]')].flatMap(el =>
            el.getAttribute('aria-describedby').split(/\\s+/).filter(Boolean)
              .filter(id => !document.getElementById(id))
              .map(id => `${el.name || el.id}: ${id}`))"""
    )
    assert not missing, f"{page.url}: aria-describedby names no element: {missing}"


def check_narrow_width(page: Page, width: int = 320) -> None:
    """At ``width`` px (WCAG 1.4.10's 320) nothing is off-screen sideways."""
    desktop = page.viewport_size
    page.set_viewport_size({"width": width, "height": 640})
    try:
        found = page.evaluate(_SIDEWAYS)
        assert found["scroll"] <= 0 and not found["out"], (
            f"{page.url} scrolls sideways at {width} px by {found['scroll']} px: {found['out']}"
        )
    finally:
        if desktop:
            page.set_viewport_size(desktop)


def check_phone_width(page: Page) -> None:
    """At 375 px wide the page never scrolls sideways and the header's items stay apart."""
    desktop = page.viewport_size
    page.set_viewport_size(PHONE)
    try:
        found = page.evaluate(_SIDEWAYS)
        assert found["scroll"] <= 0 and not found["out"], (
            f"{page.url} scrolls sideways at 375 px by {found['scroll']} px: {found['out']}"
        )
        assert not page.evaluate(_MENU_GAPS), f"{page.url}: header items run together at 375 px"
    finally:
        if desktop:
            page.set_viewport_size(desktop)


def check_accessibility(page: Page) -> None:
    """Run axe on the page as it is; fail on any serious or critical violation. The page must
    also fit a phone (375 px) without sideways scrolling."""
    page.wait_for_load_state("load")
    check_phone_width(page)
    violations = _axe.run(page).response["violations"]
    blocking = [v for v in violations if v.get("impact") in BLOCKING_IMPACTS]
    minor = [v for v in violations if v.get("impact") not in BLOCKING_IMPACTS]
    if minor:  # reported (shown with -rA or on failure), not fatal
        print(f"axe: lesser violations on {page.url}:\n" + "\n".join(map(_describe, minor)))
    assert not blocking, (
        f"axe: {len(blocking)} serious or critical violation(s) on {page.url} "
        f"({page.title()!r}):\n" + "\n".join(map(_describe, blocking))
    )


# --- Two-step verification, passed as the person's authenticator app would ------------------------


def submit_sign_in(page: Page, username: str, button: Locator) -> None:
    """Press a sign-in button, giving a security code where the portal asks for one.

    Any language: the code field and the buttons are found by their place, not their words. A
    code field on the same form (the second sign-in) gets the app's code first; after the
    password, the portal's security-code page gets one, and its set-up page (an account with
    no app yet) is read the way a person without a camera would: the key as text.
    """
    code_field = page.locator("main #id_code")
    if code_field.count():
        code_field.fill(next_code(User.objects.get(username=username)))
    with page.expect_navigation():
        button.click()
    path = urlsplit(page.url).path
    if path == "/second-factor/":
        page.locator("main #id_code").fill(next_code(User.objects.get(username=username)))
        with page.expect_navigation():
            page.locator("main form:has(#id_code) button[type=submit]").click()
    elif path == "/second-factor/set-up/":
        key = totp_key_from_text(page.get_by_test_id("setup-key").inner_text())
        page.locator("main #id_code").fill(current_code(key))
        with page.expect_navigation():
            page.locator("main form:has(#id_code) button[type=submit]").click()
        expect(page.get_by_test_id("recovery-codes")).to_be_visible()
        with page.expect_navigation():
            page.locator("main a.govuk-button").click()


# --- The header, on every page --------------------------------------------------------------------


class Header:
    """The service's own menu and the language switch, at the top of every page."""

    def __init__(self, page: Page):
        self.page = page
        # The service menu is the first navigation landmark (pagination and the like come later,
        # inside <main>). Found by position, not by its label, which the Welsh page translates.
        self.nav = page.get_by_role("navigation").first

    @property
    def welsh_button(self) -> Locator:
        return self.page.get_by_role("button", name="Cymraeg", exact=True)

    @property
    def english_button(self) -> Locator:
        return self.page.get_by_role("button", name="English", exact=True)

    def user_management(self) -> None:
        self.nav.get_by_role("link", name="User management", exact=True).click()

    def my_profile(self) -> None:
        self.nav.get_by_role("link", name="My Profile", exact=True).click()

    def sign_out(self) -> None:
        self.nav.get_by_role("button", name="Sign out", exact=True).click()

    def switch_to_welsh(self) -> None:
        self.welsh_button.click()

    def switch_to_english(self) -> None:
        self.english_button.click()


# --- Pages ----------------------------------------------------------------------------------------


class BasePage:
    path = "/"
    heading_text: str | re.Pattern = ""

    def __init__(self, page: Page, base_url: str):
        self.page = page
        self.base_url = base_url.rstrip("/")
        self.header = Header(page)

    @property
    def url(self) -> str:
        return self.base_url + self.path

    @property
    def heading(self) -> Locator:
        return self.page.get_by_role("heading", level=1, name=self.heading_text, exact=True)

    @property
    def main(self) -> Locator:
        return self.page.get_by_role("main")

    def goto(self):
        self.page.goto(self.url)
        return self

    def verify(self):
        """This page is showing (its heading) and passes axe."""
        expect(self.heading).to_be_visible()
        check_accessibility(self.page)
        return self

    def expect_language(self, code: str) -> None:
        expect(self.page.locator("html")).to_have_attribute("lang", code)


class SignInPage(BasePage):
    path = "/sign-in/"
    heading_text = "Sign in to Hwb"

    @property
    def username(self) -> Locator:
        return self.main.get_by_label("Hwb username", exact=True)

    @property
    def password(self) -> Locator:
        return self.main.get_by_label("Password", exact=True)

    @property
    def submit(self) -> Locator:
        return self.main.get_by_role("button", name="Sign in", exact=True)

    @property
    def error_summary(self) -> Locator:
        # GOV.UK's error summary: an alert headed "There is a problem".
        return self.page.locator(".govuk-error-summary").filter(
            has=self.page.get_by_role("heading", name="There is a problem")
        )

    def error_link(self, message: str) -> Locator:
        return self.error_summary.get_by_role("link", name=message, exact=True)

    def sign_in(self, username: str, password: str) -> None:
        self.username.fill(username)
        self.password.fill(password)
        submit_sign_in(self.page, username, self.submit)

    def sign_in_without_code(self, username: str, password: str) -> None:
        """The password only: a journey that walks through the second factor's pages itself."""
        self.username.fill(username)
        self.password.fill(password)
        self.submit.click()


class LockedOutPage(BasePage):
    """What a sign-in answers while the username (or the address) is locked out."""

    path = "/sign-in/"
    heading_text = "Signing in is paused"


class ReauthPage(SignInPage):
    """User management's second sign-in."""

    path = "/user-management/sign-in/"
    heading_text = "Sign in to User management"

    def sign_in(self, username: str, password: str) -> None:
        """The username is filled in already (and cannot be changed): only the password."""
        expect(self.username).to_have_value(username)
        expect(self.username).to_have_attribute("readonly", "")
        self.password.fill(password)
        submit_sign_in(self.page, username, self.submit)

    def sign_in_without_code(self, username: str, password: str) -> None:
        expect(self.username).to_have_value(username)
        self.password.fill(password)
        self.submit.click()


class SecondFactorSetUpPage(BasePage):
    """Two-step verification's set-up: a QR code, the key as text, and a code to confirm."""

    path = "/second-factor/set-up/"
    heading_text = "Set up two-step verification"

    @property
    def qr_code(self) -> Locator:
        return self.main.get_by_role("img", name="QR code to add Hwb to your authenticator app")

    @property
    def key_text(self) -> str:
        return self.page.get_by_test_id("setup-key").inner_text().strip()

    def confirm(self, code: str) -> None:
        self.main.get_by_label("Code from the app", exact=True).fill(code)
        self.main.get_by_role("button", name="Confirm", exact=True).click()


class RecoveryCodesPage(BasePage):
    heading_text = "Your recovery codes"

    @property
    def codes(self) -> list[str]:
        return [
            c.strip()
            for c in self.page.get_by_test_id("recovery-codes").locator("li").all_inner_texts()
        ]

    def kept(self) -> None:
        self.main.get_by_role("button", name="I have kept my recovery codes", exact=True).click()


class SecurityCodePage(BasePage):
    """After the password: a code from the app (or a recovery code)."""

    path = "/second-factor/"
    heading_text = "Enter your security code"

    def enter(self, code: str, label: str = "Security code", button: str = "Continue") -> None:
        self.main.get_by_label(label, exact=True).fill(code)
        self.main.get_by_role("button", name=button, exact=True).click()


class HomePage(BasePage):
    path = "/"

    def __init__(self, page: Page, base_url: str, first_name: str):
        super().__init__(page, base_url)
        self.heading_text = f"Welcome, {first_name}"

    @property
    def success_banner(self) -> Locator:
        return self.page.get_by_role("alert").filter(has_text="Success")


class DashboardPage(BasePage):
    path = "/user-management/"
    heading_text = "School Staff Dashboard"

    def manage_accounts(self) -> None:
        self.main.get_by_role("link", name="Manage your school's accounts", exact=True).click()


class SummaryListPage(BasePage):
    """A page with a GOV.UK summary list: read a value by its key."""

    def value(self, key: str) -> Locator:
        row = self.main.locator(".govuk-summary-list__row").filter(
            has=self.page.locator("dt", has_text=re.compile(rf"^\s*{re.escape(key)}\s*$"))
        )
        return row.locator("dd")

    def expect_value(self, key: str, text: str) -> None:
        expect(self.value(key)).to_have_text(text)


class YourDetailsPage(SummaryListPage):
    path = "/user-management/my-profile/"
    heading_text = "Your Details"


class AccountsPage(BasePage):
    path = "/user-management/accounts/"
    heading_text = "Your school's accounts"

    @property
    def search_box(self) -> Locator:
        return self.main.get_by_label("Search by name, username or UPN", exact=True)

    @property
    def result_count(self) -> Locator:
        return self.main.get_by_role("status")

    @property
    def results(self) -> Locator:
        return self.main.get_by_role("table").get_by_role("row")

    def search(self, text: str) -> None:
        self.search_box.fill(text)
        self.main.get_by_role("button", name="Search", exact=True).click()

    def open_account(self, listed_name: str) -> None:
        """Open an account by its name as listed ("Jones, Siân")."""
        self.main.get_by_role("table").get_by_role("link", name=listed_name, exact=True).click()


class AccountPage(SummaryListPage):
    """A champion's view of one account of their school."""

    def __init__(self, page: Page, base_url: str, full_name: str):
        super().__init__(page, base_url)
        self.heading_text = full_name

    def reset_password(self) -> None:
        self.main.get_by_role("link", name="Reset password", exact=True).click()

    def unlock(self) -> None:
        self.main.get_by_role("button", name="Unlock", exact=True).click()

    @property
    def success_banner(self) -> Locator:
        return self.page.get_by_role("alert").filter(has_text="Success")


class ResetPasswordPage(BasePage):
    heading_text = "Reset password"

    def confirm(self) -> None:
        self.main.get_by_role("button", name="Reset password", exact=True).click()


class OneTimePasswordPage(BasePage):
    heading_text = "One-time password"

    @property
    def password(self) -> str:
        value = self.page.get_by_test_id("one-time-password").inner_text().strip()
        assert value, "the one-time password is empty"
        return value


class OneTimePasswordAlreadyShownPage(BasePage):
    """The same address once the password has been shown: a refresh shows it no more."""

    heading_text = "One-time password already shown"


class PasswordChangePage(BasePage):
    path = "/change-password/"
    heading_text = "Change your password"

    def choose(self, new_password: str, confirm: str | None = None) -> None:
        self.main.get_by_label("New password", exact=True).fill(new_password)
        self.main.get_by_label("Confirm new password", exact=True).fill(
            new_password if confirm is None else confirm
        )
        self.main.get_by_role("button", name="Save password", exact=True).click()


class ChooseNewPasswordPage(PasswordChangePage):
    """The same page, when a one-time password forces the change."""

    heading_text = "Choose a new password"


# --- Provisioning ---------------------------------------------------------------------------------


class ChampionDashboardPage(DashboardPage):
    """The dashboard as a digital champion sees it, with the champion's tools."""

    def provisioning(self) -> None:
        self.main.get_by_role("link", name="Provisioning", exact=True).click()


class ProvisioningPage(BasePage):
    """The champion's Provisioning page: syncs from the MIS, records to correct, moving learners."""

    path = "/user-management/provisioning/"
    heading_text = "Provisioning"

    @property
    def records_to_correct(self) -> Locator:
        return self.main.get_by_role("table", name="Records Hwb could not take in the latest sync")

    @property
    def syncs(self) -> Locator:
        return self.main.get_by_role("table", name="Your school's latest syncs, newest first")

    @property
    def held_moves(self) -> Locator:
        return self.main.get_by_role(
            "table", name="Learners whose move between schools the Hwb team is checking"
        )

    def problem_row(self, person: str) -> Locator:
        """The row of a record error, found by the person it is about."""
        return self.records_to_correct.get_by_role("row").filter(
            has=self.page.get_by_role("rowheader", name=re.compile(re.escape(person)))
        )

    def open_latest_sync(self) -> None:
        self.syncs.get_by_role("link").first.click()


class ProvisioningRunPage(SummaryListPage):
    """One sync of the school: its status, counts, record errors and warnings."""

    heading_text = re.compile(r"^Sync of ")

    @property
    def heading(self) -> Locator:
        return self.page.get_by_role("heading", level=1, name=self.heading_text)

    @property
    def record_errors(self) -> Locator:
        return self.main.get_by_role(
            "table", name="Records Hwb could not take, with what is wrong and who puts it right"
        )

    def back_to_provisioning(self) -> None:
        self.page.get_by_role("link", name="Back to Provisioning", exact=True).click()


# --- Words: the English of the pages, or its Welsh ------------------------------------------------


class Words:
    """The interface's words in one language: the English msgid, or its Welsh from the catalogue
    (the English itself while a string is still untranslated)."""

    def __init__(self, language: str = "en"):
        self.language = language

    def __call__(self, text: str) -> str:
        with translation.override(self.language):
            return translation.gettext(text)

    def name(self, school: School) -> str:
        """A school's name as the pages in this language show it."""
        with translation.override(self.language):
            return school.name


ENGLISH = Words("en")
WELSH = Words("cy")


# --- Account Transfer's pages, in either language -------------------------------------------------


class JourneyPage(BasePage):
    """A page whose heading is read in the journey's language."""

    english_heading = ""

    def __init__(self, page: Page, base_url: str, words: Words = ENGLISH):
        super().__init__(page, base_url)
        self.words = words
        self.heading_text = words(self.english_heading)

    def verify(self):
        """The heading, the page's language, and axe."""
        expect(self.heading).to_be_visible()
        self.expect_language(self.words.language)
        check_accessibility(self.page)
        return self

    def nav_link(self, english: str) -> None:
        self.header.nav.get_by_role("link", name=self.words(english), exact=True).click()

    def button(self, english: str):
        return self.main.get_by_role("button", name=self.words(english), exact=True)

    def sign_out(self) -> None:
        self.header.nav.get_by_role("button", name=self.words("Sign out"), exact=True).click()

    def expect_caption(self, text: str) -> None:
        expect(self.main.locator(".govuk-caption-l")).to_have_text(text)


class SignIn(JourneyPage):
    path = "/sign-in/"
    english_heading = "Sign in to Hwb"

    def sign_in(self, username: str, password: str = DEFAULT_PASSWORD) -> None:
        self.main.get_by_label(self.words("Hwb username"), exact=True).fill(username)
        self.main.get_by_label(self.words("Password"), exact=True).fill(password)
        submit_sign_in(self.page, username, self.button("Sign in"))

    @property
    def error_summary(self):
        return self.page.locator(".govuk-error-summary")


class Reauth(SignIn):
    path = "/user-management/sign-in/"
    english_heading = "Sign in to User management"

    def sign_in(self, username: str, password: str = DEFAULT_PASSWORD) -> None:
        """The username is filled in already (and cannot be changed): only the password."""
        expect(self.main.get_by_label(self.words("Hwb username"), exact=True)).to_have_value(
            username
        )
        self.main.get_by_label(self.words("Password"), exact=True).fill(password)
        submit_sign_in(self.page, username, self.button("Sign in"))


class Home(JourneyPage):
    path = "/"

    def __init__(self, page: Page, base_url: str, words: Words = ENGLISH, *, first_name: str):
        super().__init__(page, base_url, words)
        with translation.override(words.language):
            self.heading_text = translation.gettext("Welcome, %(name)s") % {"name": first_name}


class Dashboard(JourneyPage):
    path = "/user-management/"
    english_heading = "School Staff Dashboard"

    @property
    def reviewed_banner(self):
        return self.main.get_by_role("region").filter(
            has_text=self.words("Your Account transfer request has been reviewed")
        )


class YourDetails(SummaryListPage, JourneyPage):
    path = "/user-management/my-profile/"
    english_heading = "Your Details"

    def account_transfer(self) -> None:
        self.button("Account Transfer").click()  # a link styled, and announced, as a button


class TransferStart(JourneyPage):
    path = "/user-management/account-transfer/"
    english_heading = "Account Transfer"

    @property
    def warning(self):
        return self.main.locator(".govuk-warning-text")

    def start(self) -> None:
        self.button("Start").click()


class PreviousSchoolStep(JourneyPage):
    path = "/user-management/account-transfer/request/previous-school/"
    english_heading = "Your previous school account"

    @property
    def dfes_number(self):
        return self.main.get_by_label(self.words("Previous School DfES Number"), exact=True)

    @property
    def username(self):
        return self.main.get_by_label(self.words("Previous School Hwb Username"), exact=True)

    @property
    def school_name(self):
        """The live region under the DfES number where the school's name appears."""
        return self.main.locator("#previous-school-name")


class MessageStep(JourneyPage):
    path = "/user-management/account-transfer/request/message/"
    english_heading = "Your message to the headteacher"

    @property
    def message(self):
        return self.main.get_by_label(
            self.words("Message to the headteacher of your previous school"), exact=True
        )

    @property
    def confirmation(self):
        return self.main.get_by_label(
            self.words("I confirm that these are the headteacher's details of my previous school"),
            exact=True,
        )


class TransferCheckStep(SummaryListPage, JourneyPage):
    path = "/user-management/account-transfer/request/check/"
    english_heading = "Check your answers before sending your request"

    def value(self, key: str):
        # Rows here also hold a Change link, in a second <dd>: the answer is the first.
        return super().value(key).locator("xpath=self::*[contains(@class, '__value')]")


class TransferStatus(SummaryListPage, JourneyPage):
    path = "/user-management/account-transfer/status/"
    english_heading = "Account Transfer Status"

    @property
    def past_requests(self):
        return self.main.get_by_role("table", name=self.words("Past requests"))

    @property
    def timeline(self):
        return self.main.get_by_role("table", name=self.words("What has happened"))

    @property
    def success_banner(self):
        return self.main.locator(".govuk-notification-banner--success")


class ProceedConfirm(JourneyPage):
    english_heading = "Proceed with transfer?"


class Completed(JourneyPage):
    path = "/transfers/completed/"
    english_heading = "Your account has been transferred"


class Decision(SummaryListPage, JourneyPage):
    path = "/transfers/decide/"
    english_heading = "Account transfer request"

    @property
    def people(self):
        """Both people side by side: who asks, and the holder of the account."""
        return self.main.get_by_role("table", name=self.words("Who asks, and whose account it is"))

    def person(self, row: str, column: int):
        """A cell of the side-by-side table (column 1: who asks; 2: the holder)."""
        return (
            self.people.get_by_role("row", name=re.compile(f"^{row}"))
            .get_by_role("cell")
            .nth(column - 1)
        )

    @property
    def same_person(self):
        return self.main.get_by_role("checkbox", name=re.compile(r"^I have checked that"))

    @property
    def error_summary(self):
        return self.page.locator(".govuk-error-summary")


class DecisionDone(JourneyPage):
    def __init__(self, page: Page, base_url: str, words: Words = ENGLISH, *, approved: bool):
        self.english_heading = (
            "You approved the request" if approved else "You rejected the request"
        )
        super().__init__(page, base_url, words)


# --- The service desk's pages ---------------------------------------------------------------------


class DeskStart(JourneyPage):
    path = "/user-management/keep-my-account/"
    english_heading = "Keep my existing Hwb account"


class DeskPreviousAccountStep(JourneyPage):
    path = "/user-management/keep-my-account/request/previous-account/"
    english_heading = "Your existing Hwb account"

    @property
    def dfes_number(self):
        return self.main.get_by_label("Previous organisation's DfES number", exact=True)

    @property
    def username(self):
        return self.main.get_by_label("Your existing Hwb username", exact=True)

    @property
    def note(self):
        return self.main.get_by_label(
            "Anything the service desk should know (optional)", exact=True
        )

    @property
    def school_name(self):
        return self.main.locator("#previous-school-name")


class DeskCheckStep(SummaryListPage, JourneyPage):
    path = "/user-management/keep-my-account/request/check/"
    english_heading = "Check your answers before sending your request"

    def value(self, key: str):
        return super().value(key).locator("xpath=self::*[contains(@class, '__value')]")


class DeskStatus(SummaryListPage, JourneyPage):
    path = "/user-management/keep-my-account/status/"
    english_heading = "Your request to keep your Hwb account"

    @property
    def timeline(self):
        return self.main.get_by_role("table", name="What has happened")


class DeskAuthorise(SummaryListPage, JourneyPage):
    path = "/service-desk/authorise/"
    english_heading = "Written authorisation to move a Hwb account"


class DeskAuthoriseDone(JourneyPage):
    def __init__(self, page: Page, base_url: str, words: Words = ENGLISH, *, authorised: bool):
        self.english_heading = "You authorised the move" if authorised else "You declined the move"
        super().__init__(page, base_url, words)


# --- People and schools ---------------------------------------------------------------------------


# --- The local authority's pages: notices and staff matches ---------------------------------------


class LocalAuthorityPage(BasePage):
    path = "/local-authority/"
    heading_text = "Local authority"

    @property
    def notices(self):
        return self.main.get_by_role("table", name="Your authority's notices")

    def start_notice(self) -> None:
        self.main.get_by_role(
            "button", name="Tell the Hwb team about a school change", exact=True
        ).click()


class NoticeStartPage(BasePage):
    path = "/local-authority/notices/new/"
    heading_text = "Tell the Hwb team about a school change"

    def choose(self, kind: str) -> None:
        self.main.get_by_role("link", name=kind, exact=True).click()


class NoticeFormPage(BasePage):
    def __init__(self, page: Page, base_url: str, heading: str):
        super().__init__(page, base_url)
        self.heading_text = heading

    def date(self, legend: str, day) -> None:
        group = self.main.get_by_role("group", name=legend)
        group.get_by_label("Day", exact=True).fill(str(day.day))
        group.get_by_label("Month", exact=True).fill(str(day.month))
        group.get_by_label("Year", exact=True).fill(str(day.year))

    def proceed(self) -> None:
        self.main.get_by_role("button", name="Continue", exact=True).click()


class CheckPage(BasePage):
    path = "/local-authority/notices/new/merger/check/"
    heading_text = "Check your notice before sending it"

    @property
    def late_warning(self):
        return self.main.get_by_test_id("late-warning")

    def send(self) -> None:
        self.main.get_by_role("button", name="Send notice", exact=True).click()


class NoticePage(BasePage):
    heading_text = re.compile(r"^Merger: notice \d+$")

    def __init__(self, page: Page, base_url: str, notice_id: int | None = None):
        super().__init__(page, base_url)
        if notice_id is not None:
            self.path = f"/local-authority/notices/{notice_id}/"

    @property
    def heading(self):
        return self.page.get_by_role("heading", level=1, name=self.heading_text)


class ReviewPage(BasePage):
    heading_text = "Staff account matches"

    def row(self, username: str):
        """One account's choices: the fieldset whose legend names it (with its username)."""
        return self.main.get_by_role("group", name=re.compile(re.escape(f"({username})")))

    def choose(self, username: str, option: str) -> None:
        self.row(username).get_by_label(option, exact=True).check()

    def submit(self) -> None:
        self.main.get_by_role("button", name="Submit to the Hwb team", exact=True).click()

    def confirm_submit(self) -> None:
        """The confirmation page that follows a complete Submit: say yes."""
        expect(self.page.get_by_role("heading", level=1)).to_have_text(
            "Submit the staff account matches?"
        )
        check_accessibility(self.page)
        self.main.get_by_role("button", name="Yes, submit to the Hwb team").click()

    @property
    def error_summary(self):
        return self.page.locator(".govuk-error-summary")
