"""Account Transfer in Chromium: a member of staff who moved school asks for their old account,
the previous headteacher decides from the link in their email, and the member of staff proceeds
(or cancels), then signs in with the transferred account. axe checks every page reached.

Emails go through the real outbox: with eager Celery the live server's thread delivers them on
commit into Django's in-memory mailbox, which the test reads as the recipients would.
"""

import re
from types import SimpleNamespace
from urllib.parse import urlsplit

import pytest
from django.core import mail
from django.utils import timezone, translation
from playwright.sync_api import Page, expect

from accounts.models import User
from schools.models import School
from tests.factories import PASSWORD, SchoolFactory
from tests.transfers.builders import headteacher_of, moved_staff
from transfers.models import TransferRequest

from .pages import (
    ENGLISH,
    WELSH,
    Completed,
    Dashboard,
    Decision,
    DecisionDone,
    Home,
    JourneyPage,
    MessageStep,
    PreviousSchoolStep,
    ProceedConfirm,
    Reauth,
    SignIn,
    TransferCheckStep,
    TransferStart,
    TransferStatus,
    Words,
    YourDetails,
    check_accessibility,
)

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

DECISION_LINK = re.compile(r"https?://\S+/transfers/decide/\S+")
STATUS_LINK = re.compile(r"https?://\S+/user-management/account-transfer/status/")


# --- People and schools -----------------------------------------------------------------------


@pytest.fixture
def glantaf(local_authorities) -> School:
    return SchoolFactory(
        dfes_number="6814004",
        name_en="Glantaf Secondary School",
        name_cy="Ysgol Uwchradd Glantaf",
        phase=School.Phase.SECONDARY,
    )


@pytest.fixture
def moved(llanberis, glantaf):
    """Siân left Llanberis Primary a week ago (her old account deactivated by its sync) and
    started at Glantaf, whose sync gave her a new account; Dr Gwenllian Ellis is Llanberis's
    headteacher. Both of Siân's accounts have the same password, as people's often do."""
    headteacher = headteacher_of(llanberis)
    old, new = moved_staff(llanberis, glantaf)
    assert not old.is_active and new.is_active
    return SimpleNamespace(
        old=old, new=new, headteacher=headteacher, previous=llanberis, new_school=glantaf
    )


@pytest.fixture
def moved_doubtful(llanberis, glantaf):
    """As ``moved``, but Glantaf's MIS holds no date of birth for Siân: only her name matches
    the old account's record, so Dr Ellis must check that she is the same person."""
    headteacher = headteacher_of(llanberis)
    old, new = moved_staff(llanberis, glantaf, new_record={"date_of_birth": None})
    return SimpleNamespace(
        old=old, new=new, headteacher=headteacher, previous=llanberis, new_school=glantaf
    )


# --- Steps of the journeys --------------------------------------------------------------------


def emails_to(address: str) -> list:
    return [email for email in mail.outbox if address in email.to]


def the_email(address: str, subject_has: str = "") -> mail.EmailMessage:
    """The one email sent to ``address`` (with ``subject_has`` in its subject)."""
    found = [each for each in emails_to(address) if subject_has in each.subject]
    assert len(found) == 1, [(each.to, each.subject) for each in mail.outbox]
    return found[0]


def link_in(email, pattern: re.Pattern, server_url: str) -> str:
    """The link in an email's text, pointed at the live server (the email names the portal's
    configured address)."""
    (link,) = set(pattern.findall(email.body))
    parts = urlsplit(link)
    return server_url + parts.path + (f"?{parts.query}" if parts.query else "")


def sign_in(page: Page, url: str, username: str, words: Words = ENGLISH) -> Home:
    SignIn(page, url, words).goto().verify().sign_in(username)
    return Home(page, url, words, first_name="Siân").verify()


def to_user_management(
    page: Page, url: str, username: str, words: Words = ENGLISH, *, reauth: bool = True
) -> Dashboard:
    """From a signed-in page: User management, then (unless signed in again just now) its
    second sign-in."""
    JourneyPage(page, url, words).nav_link("User management")
    if reauth:
        Reauth(page, url, words).verify().sign_in(username)
    return Dashboard(page, url, words).verify()


def submit_request(page: Page, url: str, moved, words: Words = ENGLISH) -> TransferStatus:
    """Signed in with the new account: User management, My Profile, Account Transfer, the three
    steps, Submit. Ends on Account Transfer Status."""
    dashboard = to_user_management(page, url, moved.new.username, words)
    dashboard.nav_link("My Profile")

    details = YourDetails(page, url, words).verify()
    details.expect_value(words("Hwb username"), moved.new.username)
    details.account_transfer()

    start = TransferStart(page, url, words).verify()
    expect(start.warning).to_contain_text(words("Warning"))
    expect(start.warning).to_contain_text(
        words(
            "If your request is approved and the transfer is completed, the account you are "
            "signed in with now will be deactivated and then deleted after 12 months. Save "
            "copies of any emails, files and resources you want to keep from it somewhere else "
            "before you start."
        )
    )
    start.start()

    # Step 1 of 3: the school's name appears as soon as the 7 digits are typed.
    step1 = PreviousSchoolStep(page, url, words).verify()
    step1.expect_caption(_step(words, 1))
    expect(step1.school_name).to_be_empty()
    step1.dfes_number.press_sequentially(moved.previous.dfes_number[:6])
    expect(step1.school_name).to_be_empty()
    step1.dfes_number.press_sequentially(moved.previous.dfes_number[6:])
    expect(step1.school_name).to_have_text(
        f"{words('Previous school:')} {words.name(moved.previous)}"
    )
    check_accessibility(page)
    # Next without a username: refused, and the page is a GET (post/redirect/get), so a
    # refresh shows the same answers and errors without resubmitting anything.
    step1.button("Next").click()
    expect(page).to_have_title(re.compile(r"^" + re.escape(words("Error:"))))
    expect(step1.dfes_number).to_have_value(moved.previous.dfes_number)
    with page.expect_request(lambda request: request.is_navigation_request()) as reloaded:
        page.reload()
    assert reloaded.value.method == "GET"  # a form's answer would be POSTed again
    expect(page).to_have_title(re.compile(r"^" + re.escape(words("Error:"))))
    expect(step1.dfes_number).to_have_value(moved.previous.dfes_number)
    step1.username.fill(moved.old.username)
    step1.button("Next").click()

    # Step 2 of 3: a note to the headteacher, ready to send; the headteacher named.
    step2 = MessageStep(page, url, words).verify()
    step2.expect_caption(_step(words, 2))
    expect(step2.main).to_contain_text("Gwenllian Ellis")
    expect(step2.message).to_have_value(re.compile(r"^.*Gwenllian Ellis,\n", re.DOTALL))
    expect(step2.message).to_have_value(re.compile(re.escape(words.name(moved.previous))))
    expect(step2.message).to_have_value(re.compile(r"Siân Jones$"))
    step2.confirmation.check()
    step2.button("Next").click()

    # Step 3 of 3: everything to check, then Submit.
    check = TransferCheckStep(page, url, words).verify()
    check.expect_caption(_step(words, 3))
    check.expect_value(words("Previous School DfES Number"), moved.previous.dfes_number)
    check.expect_value(words("Previous school"), words.name(moved.previous))
    check.expect_value(words("Previous School Hwb Username"), moved.old.username)
    check.expect_value(words("Headteacher"), "Gwenllian Ellis")
    expect(check.value(words("Message"))).to_contain_text("Gwenllian Ellis")
    check.button("Submit").click()

    status = TransferStatus(page, url, words).verify()
    expect(page).to_have_url(status.url)
    with translation.override(words.language):
        expect(status.success_banner).to_contain_text(
            translation.gettext(
                "Your request has been sent to the headteacher of %(school)s. You will get an "
                "email at your new Hwb account when it has been decided."
            )
            % {"school": words.name(moved.previous)}
        )
        waiting = str(TransferRequest.Status.SUBMITTED.label)
    expect(status.value(words("Status"))).to_have_text(waiting)
    expect(status.timeline).to_contain_text(words("You sent the request"))
    expect(status.button("Proceed with transfer")).to_have_count(0)
    return status


def _step(words: Words, number: int) -> str:
    with translation.override(words.language):
        return translation.gettext("Step %(number)d of %(count)d") % {"number": number, "count": 3}


def headteacher_decides(new_context, url: str, moved, *, approve: bool) -> None:
    """Dr Ellis, in her own browser, opens the link in her email, signs in, and decides."""
    email = the_email(moved.headteacher.email)
    assert email.to == [moved.headteacher.email]
    assert "Siân Jones" in email.subject and moved.old.username in email.subject
    link = link_in(email, DECISION_LINK, url)
    token = urlsplit(link).path.rstrip("/").rsplit("/", 1)[-1]
    assert len(token) > 20
    (html, _type) = email.alternatives[0]
    assert link.split("/transfers/", 1)[1] in html  # the same link in the HTML part

    context = new_context()  # another person, another browser
    page = context.new_page()
    page.set_default_timeout(10_000)
    page.goto(link)

    # Asked to sign in first; the token has already left the address bar.
    sign_in_page = SignIn(page, url).verify()
    assert token not in page.url
    expect(sign_in_page.main).to_contain_text(
        "Sign in to decide Siân Jones's request to keep their Hwb account."
    )
    sign_in_page.sign_in(moved.headteacher.username)

    decision = Decision(page, url).verify()
    expect(page).to_have_url(decision.url)  # the clean URL: no token in history or Referer
    expect(decision.main).to_contain_text("Siân Jones")
    decision.expect_value("Previous School Hwb Username", moved.old.username)
    expect(decision.value("New school")).to_contain_text(moved.new_school.name)
    expect(decision.value("Message")).to_contain_text("Gwenllian Ellis")
    decision.button("Approve" if approve else "Reject").click()

    done = DecisionDone(page, url, approved=approve).verify()
    expect(done.main).to_contain_text(moved.old.username)
    context.close()


def outcome_email(moved, *, approved: bool, words: Words = ENGLISH):
    subject = (
        "Your Account transfer request has been approved"
        if approved
        else "Your Account transfer request has been rejected"
    )
    email = the_email(moved.new.email, words(subject))
    assert email.to == [moved.new.email]
    assert email.extra_headers["Content-Language"] == words.language  # her language
    return email


def view_reviewed_request(page: Page, url: str, moved, words: Words = ENGLISH) -> TransferStatus:
    """The new account again: User management, the banner, View Request."""
    home = sign_in(page, url, moved.new.username, words)
    # The landing page says so already, before User management.
    expect(home.main).to_contain_text(words("Your Account transfer request has been reviewed"))
    dashboard = to_user_management(page, url, moved.new.username, words)
    expect(dashboard.reviewed_banner).to_be_visible()
    expect(dashboard.reviewed_banner).to_contain_text(words.name(moved.previous))
    dashboard.reviewed_banner.get_by_role("link", name=words("View Request"), exact=True).click()

    status = TransferStatus(page, url, words).verify()
    with translation.override(words.language):
        approved = str(TransferRequest.Status.APPROVED.label)
    expect(status.value(words("Status"))).to_have_text(approved)
    expect(status.value(words("Decided by"))).to_contain_text("Gwenllian Ellis")
    expect(status.button("Proceed with transfer")).to_be_visible()
    expect(status.button("Cancel Request")).to_be_visible()
    return status


def proceed_and_sign_in_again(page: Page, url: str, moved, words: Words = ENGLISH) -> None:
    status = view_reviewed_request(page, url, moved, words)
    status.button("Proceed with transfer").click()
    # A page says what happens to each account before the irreversible step.
    confirm = ProceedConfirm(page, url, words).verify()
    expect(confirm.main).to_contain_text(moved.new.username)
    confirm.button("Proceed with transfer").click()

    completed = Completed(page, url, words).verify()
    expect(completed.main.locator(".govuk-panel")).to_contain_text(moved.old.username)
    expect(completed.main).to_contain_text(moved.old.username)
    # Signed out: the header offers Sign in, not Sign out.
    expect(completed.header.nav.get_by_role("button", name=words("Sign out"))).to_have_count(0)
    completed.button("Sign in").click()

    # The transferred (old) account, with its own password, now at the new school.
    sign_in_page = SignIn(page, url, words).verify()
    sign_in_page.sign_in(moved.old.username)
    # Signed in, in the language she chose (on her new account) if it was Welsh.
    home = Home(page, url, words, first_name="Siân").verify()
    expect(page).to_have_url(home.url)
    dashboard = to_user_management(page, url, moved.old.username, words)
    dashboard.nav_link("My Profile")
    details = YourDetails(page, url, words).verify()
    details.expect_value(words("Hwb username"), moved.old.username)
    expect(details.value(words("School"))).to_contain_text(words.name(moved.new_school))
    expect(details.value(words("School"))).to_contain_text(moved.new_school.dfes_number)
    details.sign_out()

    # The new account is closed.
    refused = SignIn(page, url, words).verify()
    refused.sign_in(moved.new.username)
    expect(refused.error_summary).to_be_visible()
    expect(refused.error_summary).to_contain_text(moved.old.username)  # the one to use now
    expect(refused.heading).to_be_visible()
    check_accessibility(page)


def accounts_unchanged(moved) -> None:
    old = User.objects.get(pk=moved.old.pk)
    new = User.objects.get(pk=moved.new.pk)
    assert (old.school_id, old.is_active) == (moved.previous.pk, False)
    assert (new.school_id, new.is_active, new.deletion_due_at) == (moved.new_school.pk, True, None)
    assert old.check_password(PASSWORD) and new.check_password(PASSWORD)


# --- The journeys -----------------------------------------------------------------------------


def test_approved_and_proceeded_the_old_account_moves_to_the_new_school(
    page: Page, server_url, new_context, moved
):
    sign_in(page, server_url, moved.new.username)
    status = submit_request(page, server_url, moved)
    status.sign_out()
    SignIn(page, server_url).verify()

    headteacher_decides(new_context, server_url, moved, approve=True)
    email = outcome_email(moved, approved=True)
    assert "Gwenllian Ellis has approved your request" in email.body
    assert link_in(email, STATUS_LINK, server_url) == server_url + TransferStatus.path

    proceed_and_sign_in_again(page, server_url, moved)

    old = User.objects.get(pk=moved.old.pk)
    new = User.objects.get(pk=moved.new.pk)
    assert (old.school_id, old.is_active) == (moved.new_school.pk, True)
    assert not new.is_active
    due = timezone.localtime(new.deletion_due_at).date()
    assert 365 <= (due - timezone.localdate()).days <= 366  # deleted 12 months on
    transfer = TransferRequest.objects.get()
    assert transfer.status == TransferRequest.Status.COMPLETED


def test_rejected_nothing_changes(page: Page, server_url, new_context, moved):
    sign_in(page, server_url, moved.new.username)
    submit_request(page, server_url, moved)

    headteacher_decides(new_context, server_url, moved, approve=False)
    email = outcome_email(moved, approved=False)
    assert "Gwenllian Ellis has rejected your request" in email.body
    assert "There is no further action required." in email.body

    # Still signed in (her own browser): the dashboard tells her, with nothing to proceed with...
    dashboard = to_user_management(page, server_url, moved.new.username, reauth=False)
    expect(dashboard.main).not_to_contain_text("Your Account transfer request has been reviewed")
    expect(dashboard.main).to_contain_text("Your Account transfer request was rejected")

    # ...and the status link in the email shows the rejection, with nothing to proceed with.
    page.goto(link_in(email, STATUS_LINK, server_url))
    status = TransferStatus(page, server_url).verify()
    expect(status.main).to_contain_text("Your latest request was rejected")
    expect(status.value("Previous School Hwb Username")).to_contain_text(moved.old.username)
    expect(status.main).to_contain_text("Rejected")
    expect(status.button("Proceed with transfer")).to_have_count(0)

    assert TransferRequest.objects.get().status == TransferRequest.Status.REJECTED
    accounts_unchanged(moved)


def test_approved_then_cancelled_both_accounts_stay_as_they_are(
    page: Page, server_url, new_context, moved
):
    sign_in(page, server_url, moved.new.username)
    submit_request(page, server_url, moved).sign_out()

    headteacher_decides(new_context, server_url, moved, approve=True)
    outcome_email(moved, approved=True)

    status = view_reviewed_request(page, server_url, moved)
    status.button("Cancel Request").click()

    status = TransferStatus(page, server_url).verify()
    expect(page).to_have_url(status.url)
    expect(status.success_banner).to_contain_text("Your request has been cancelled.")
    expect(status.main).to_contain_text("You have no open account transfer request.")
    expect(status.past_requests).to_contain_text("Cancelled")

    # Back on the dashboard, the banner has gone.
    status.page.get_by_role("link", name="Back to User management", exact=True).click()
    dashboard = Dashboard(page, server_url).verify()
    expect(dashboard.reviewed_banner).to_have_count(0)

    assert TransferRequest.objects.get().status == TransferRequest.Status.CANCELLED
    accounts_unchanged(moved)


def test_the_whole_journey_in_welsh(page: Page, server_url, new_context, moved):
    """Siân chooses Cymraeg once, on the sign-in page; every page after that is Welsh
    (<html lang="cy">, headings from the Welsh catalogue), and axe passes on each."""
    SignIn(page, server_url).goto().verify().header.switch_to_welsh()
    SignIn(page, server_url, WELSH).verify().sign_in(moved.new.username)
    Home(page, server_url, WELSH, first_name="Siân").verify()

    submit_request(page, server_url, moved, WELSH).sign_out()
    SignIn(page, server_url, WELSH).verify()

    headteacher_decides(new_context, server_url, moved, approve=True)  # in English, her choice
    outcome_email(moved, approved=True, words=WELSH)  # Siân chose Welsh: so is her email

    proceed_and_sign_in_again(page, server_url, moved, WELSH)

    assert TransferRequest.objects.get().status == TransferRequest.Status.COMPLETED


def test_a_doubtful_match_is_approved_only_with_the_headteachers_tick(
    page: Page, server_url, new_context, moved_doubtful
):
    moved = moved_doubtful
    sign_in(page, server_url, moved.new.username)
    submit_request(page, server_url, moved).sign_out()
    email = the_email(moved.headteacher.email)
    assert f"{moved.old.username}, held by Siân Jones" in email.body
    assert "Check before you decide" in email.body

    context = new_context()
    other = context.new_page()
    other.set_default_timeout(10_000)
    other.goto(link_in(email, DECISION_LINK, server_url))
    SignIn(other, server_url).verify().sign_in(moved.headteacher.username)
    decision = Decision(other, server_url).verify()

    # Both people side by side: names, usernames, schools, staff codes, years of birth only.
    expect(decision.people).to_be_visible()
    expect(decision.person("Hwb username", 1)).to_have_text(moved.new.username)
    expect(decision.person("Hwb username", 2)).to_have_text(moved.old.username)
    expect(decision.person("School", 1)).to_have_text(moved.new_school.name)
    expect(decision.person("School", 2)).to_have_text(moved.previous.name)
    expect(decision.person("Date of birth", 1)).to_have_text("Not in the MIS record")
    expect(decision.person("Date of birth", 2)).to_have_text("1980 (day and month not shown)")
    expect(decision.main).not_to_contain_text("1980-02-11")
    expect(decision.main).to_contain_text("only the name matches")

    # Approve without the tick: refused, said above the heading, nothing decided.
    decision.button("Approve").click()
    expect(decision.error_summary).to_contain_text(
        "Tick the box to confirm that the person asking is the holder of the account"
    )
    expect(other).to_have_title(re.compile(r"^Error: "))
    check_accessibility(other)
    assert TransferRequest.objects.get().status == TransferRequest.Status.SUBMITTED

    decision.same_person.check()
    decision.button("Approve").click()
    DecisionDone(other, server_url, approved=True).verify()
    context.close()

    transfer = TransferRequest.objects.get()
    assert transfer.status == TransferRequest.Status.APPROVED and transfer.same_person_confirmed
    outcome_email(moved, approved=True)
    proceed_and_sign_in_again(page, server_url, moved)
    assert TransferRequest.objects.get().status == TransferRequest.Status.COMPLETED
