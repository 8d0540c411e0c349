"""Service-desk requests in Chromium: a member of staff of a brand-new school asks to keep their
existing account from Your Details; the Hwb team asks the previous organisation for written
authorisation in the admin; the previous headteacher opens the emailed link (no sign-in) and
authorises in writing; the Hwb team processes it; the member of staff sees "Account moved" and
signs in with the kept account at the new school. Plus the decline path. axe checks every page
of ours reached (the Django admin is the Hwb team's own tool and is not checked).

Emails go through the real outbox: with eager Celery the live server's thread delivers them on
commit into Django's in-memory mailbox, which the test reads as the recipients would.
"""

import re
from datetime import date, timedelta
from types import SimpleNamespace
from urllib.parse import urlsplit

import pytest
from django.core import mail
from playwright.sync_api import Page, expect

from accounts.models import User
from schools.models import School
from service_desk.models import ServiceDeskRequest
from tests.factories import SchoolFactory
from tests.transfers.builders import headteacher_of, moved_staff

from .pages import (
    DeskAuthorise,
    DeskAuthoriseDone,
    DeskCheckStep,
    DeskPreviousAccountStep,
    DeskStart,
    DeskStatus,
    Reauth,
    SignIn,
    YourDetails,
    check_accessibility,
    check_described_by,
    check_narrow_width,
    submit_sign_in,
)

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

AUTHORISATION_LINK = re.compile(r"https?://\S+/service-desk/authorise/\S+/")
STATUS_LINK = re.compile(r"https?://\S+/user-management/keep-my-account/status/")
DESK_PASSWORD = "Desk-Pass-4242"
STATEMENT = "Siân Jones taught at Llanberis Primary until July; her account may go with her."


@pytest.fixture(autouse=True)
def _private_media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture
def ysgol_newydd(local_authorities) -> School:
    """A brand-new school, opened three weeks ago."""
    return SchoolFactory(
        dfes_number="6814010",
        name_en="Bro Taf New Secondary School",
        name_cy="Ysgol Uwchradd Newydd Bro Taf",
        phase=School.Phase.SECONDARY,
        opening_date=date.today() - timedelta(days=21),
    )


@pytest.fixture
def moved(llanberis, ysgol_newydd):
    """Siân taught at Llanberis Primary (her old account) and now works at the new school,
    whose MIS gave her a new account; Dr Gwenllian Ellis is Llanberis's headteacher."""
    headteacher = headteacher_of(llanberis)
    old, new = moved_staff(llanberis, ysgol_newydd)
    return SimpleNamespace(
        old=old, new=new, headteacher=headteacher, previous=llanberis, new_school=ysgol_newydd
    )


@pytest.fixture
def hwb_team(transactional_db) -> User:
    return User.objects.create_superuser(
        "hwbdesk", DESK_PASSWORD, first_name="Hwb", last_name="Desk"
    )


# --- Steps ------------------------------------------------------------------------------------


def the_email(address: str, subject_has: str = ""):
    found = [e for e in mail.outbox if address in e.to and subject_has in e.subject]
    assert len(found) == 1, [(e.to, e.subject) for e in mail.outbox]
    return found[0]


def link_in(email, pattern: re.Pattern, server_url: str) -> str:
    (link,) = set(pattern.findall(email.body))
    return server_url + urlsplit(link).path


def raise_from_your_details(page: Page, url: str, moved) -> DeskStatus:
    SignIn(page, url).goto().verify().sign_in(moved.new.username)
    page.goto(url + YourDetails.path)
    Reauth(page, url).verify().sign_in(moved.new.username)
    details = YourDetails(page, url).verify()
    expect(details.main.get_by_role("button", name="Account Transfer")).to_have_count(0)
    details.main.get_by_role("button", name="Keep my existing Hwb account").click()

    start = DeskStart(page, url).verify()
    expect(start.main).to_contain_text("deleted after 12 months")
    start.main.get_by_role("button", name="Start").click()

    step = DeskPreviousAccountStep(page, url).verify()
    step.dfes_number.press_sequentially(moved.previous.dfes_number)
    expect(step.school_name).to_have_text(f"Previous organisation: {moved.previous.name}")
    check_accessibility(page)
    step.username.fill(moved.old.username)
    step.note.fill("I taught Year 3 there until July.")
    step.button("Next").click()

    check = DeskCheckStep(page, url).verify()
    check.expect_value("Previous organisation", moved.previous.name)
    check.expect_value("Your existing Hwb username", moved.old.username)
    check.button("Submit request").click()

    status = DeskStatus(page, url).verify()
    expect(page).to_have_url(status.url)
    expect(status.value("Status")).to_have_text("Received by the service desk")
    expect(status.timeline).to_contain_text("You sent the request to the service desk")
    assert the_email(moved.new.email, "has been received")
    return status


def desk_signs_in(new_context, url: str) -> Page:
    context = new_context()
    page = context.new_page()
    page.set_default_timeout(10_000)
    page.goto(url + "/admin/login/")
    page.get_by_label("Username").fill("hwbdesk")
    page.get_by_label("Password").fill(DESK_PASSWORD)
    submit_sign_in(page, "hwbdesk", page.get_by_role("button", name="Log in"))
    expect(page.locator("#site-name")).to_be_visible()
    return page


def desk_asks_for_authorisation(page: Page, url: str, request: ServiceDeskRequest) -> None:
    page.goto(url + f"/admin/service_desk/servicedeskrequest/{request.pk}/change/")
    page.get_by_role("link", name="Ask the previous organisation for written authorisation").click()
    check_described_by(page)  # the form's hints exist for the fields that point at them
    check_narrow_width(page, 320)  # nothing off-screen on a 320 px screen (WCAG 1.4.10)
    page.get_by_role(
        "button", name="Ask the previous organisation for written authorisation"
    ).click()
    expect(page.locator(".messagelist")).to_contain_text("Written authorisation asked of")


def headteacher_answers(new_context, url: str, moved, *, authorise: bool) -> None:
    """Dr Ellis, in her own browser and not signed in, answers from the link in her email."""
    email = the_email(moved.headteacher.email, "Written authorisation needed")
    link = link_in(email, AUTHORISATION_LINK, url)
    token = urlsplit(link).path.rstrip("/").rsplit("/", 1)[-1]
    context = new_context()
    page = context.new_page()
    page.set_default_timeout(10_000)
    page.goto(link)

    form = DeskAuthorise(page, url).verify()
    expect(page).to_have_url(form.url)  # the clean URL: no token in history or Referer
    assert token not in page.url
    expect(form.value("Who asks")).to_contain_text("Siân Jones")
    expect(form.value("The account to move")).to_contain_text(moved.old.username)
    expect(form.value("To the new school")).to_contain_text(moved.new_school.name)

    # Sending without a statement or the declaration: the GOV.UK error pattern.
    form.main.get_by_label("Your full name", exact=True).fill("Gwenllian Ellis")
    form.main.get_by_label("Your role", exact=True).fill("Headteacher")
    form.button("Send your answer").click()
    expect(page).to_have_title(re.compile(r"^Error: "))
    expect(page.locator(".govuk-error-summary")).to_contain_text("Write your statement")
    check_accessibility(page)

    choice = "I authorise the move of this account" if authorise else "I decline"
    form.main.get_by_label(re.compile(choice)).check()
    form.main.get_by_label("Your written statement", exact=True).fill(
        STATEMENT if authorise else "Siân still works here; the account stays with us."
    )
    form.main.get_by_label(re.compile("^I confirm that I may answer")).check()
    form.button("Send your answer").click()

    done = DeskAuthoriseDone(page, url, authorised=authorise).verify()
    expect(done.main).to_contain_text("Gwenllian Ellis, Headteacher")
    context.close()


# --- Journeys ---------------------------------------------------------------------------------


def test_a_new_schools_teacher_keeps_her_account_through_the_service_desk(
    page: Page, new_context, server_url, moved, hwb_team
):
    raise_from_your_details(page, server_url, moved)
    request = ServiceDeskRequest.objects.get()
    assert the_email("hwb-team@hwb.gov.wales", f"#{request.pk}")

    desk = desk_signs_in(new_context, server_url)
    desk_asks_for_authorisation(desk, server_url, request)

    # Meanwhile Siân sees that her previous organisation has been asked.
    page.reload()
    status = DeskStatus(page, server_url).verify()
    expect(status.value("Status")).to_have_text("Waiting for written authorisation")

    headteacher_answers(new_context, server_url, moved, authorise=True)
    page.reload()
    expect(status.value("Status")).to_have_text("Authorised by the previous organisation")
    expect(status.timeline).to_contain_text("Authorised in writing by Gwenllian Ellis, Headteacher")

    desk.reload()
    desk.get_by_role("link", name="Process: move the account").click()
    expect(desk.locator("#content-main")).to_contain_text("deleted after 12 months")
    desk.get_by_role("button", name="Process: move the account").click()
    expect(desk.locator(".messagelist")).to_contain_text("Account moved")

    # Siân's new account is signed out; the email tells her which account to use now.
    email = the_email(moved.old.email, "Account moved")
    assert f"Sign in again with {moved.old.username}" in email.body
    page.reload()
    SignIn(page, server_url).verify()
    page.goto(link_in(email, STATUS_LINK, server_url))
    SignIn(page, server_url).verify().sign_in(moved.old.username)
    Reauth(page, server_url).verify().sign_in(moved.old.username)
    status = DeskStatus(page, server_url).verify()
    expect(status.value("Status")).to_have_text("Account moved")
    expect(status.main).to_contain_text(
        f"Account moved: {moved.old.username} now belongs to {moved.new_school.name}"
    )
    page.goto(server_url + YourDetails.path)
    details = YourDetails(page, server_url).verify()
    details.expect_value("Hwb username", moved.old.username)
    expect(details.value("School")).to_contain_text(moved.new_school.name)

    # The new account she asked with is closed.
    page.context.clear_cookies()
    SignIn(page, server_url).goto().sign_in(moved.new.username)
    expect(page.locator(".govuk-error-summary")).to_be_visible()


def test_a_declined_request_leaves_both_accounts_as_they_were(
    page: Page, new_context, server_url, moved, hwb_team
):
    raise_from_your_details(page, server_url, moved)
    request = ServiceDeskRequest.objects.get()
    desk = desk_signs_in(new_context, server_url)
    desk_asks_for_authorisation(desk, server_url, request)
    headteacher_answers(new_context, server_url, moved, authorise=False)

    page.reload()
    status = DeskStatus(page, server_url).verify()
    expect(status.value("Status")).to_have_text("Declined by the previous organisation")
    expect(status.main).to_contain_text("keep using the Hwb account created at your new school")
    assert the_email(moved.new.email, "has declined")
    desk.reload()
    expect(desk.get_by_role("link", name="Process: move the account")).to_have_count(0)
    moved.old.refresh_from_db()
    assert moved.old.school == moved.previous
