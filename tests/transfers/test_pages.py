"""The Account Transfer pages, as a member of staff and a headteacher use them."""

from datetime import date, timedelta
from types import SimpleNamespace
from urllib.parse import urlsplit

import pytest
from django.contrib.auth import SESSION_KEY as AUTH_SESSION_KEY
from django.core import mail
from django.urls import reverse

from accounts.models import User
from tests.conftest import sign_in
from tests.factories import SchoolFactory, make_account
from tests.transfers.builders import (
    headteacher_of,
    moved_staff,
    staff_of,
    staff_record_change,
)
from transfers.models import TransferRequest
from transfers.selectors import (
    DECISION_LINK,
)
from transfers.services import (
    transfer_decide,
    transfer_decision_link,
    transfer_request_submit,
)

START = "/user-management/account-transfer/"
STATUS = "/user-management/account-transfer/status/"
PROFILE = "/user-management/my-profile/"
DASHBOARD = "/user-management/"
DECISION = "/transfers/decide/"
UNKNOWN_USERNAME = "There is no staff account with this username at"


@pytest.fixture
def moved(school, other_school):
    """Siân left Llanberis Primary (the old account) and started at Glantaf (the new one)."""
    headteacher = headteacher_of(school)
    old, new = moved_staff(school, other_school)
    return SimpleNamespace(
        old=old, new=new, headteacher=headteacher, previous=school, new_school=other_school
    )


def wizard_post(client, step: str, **fields):
    data = {"transfer_wizard-current_step": step}
    data.update({f"{step}-{name}": value for name, value in fields.items()})
    response = client.post(reverse("transfers:wizard", args=[step]), data)
    if response.status_code == 303:  # refused: the step's page shows the answers and errors
        assert response.url == reverse("transfers:wizard", args=[step])
        return client.get(response.url)
    return response


def first_step(client, *, dfes_number: str, username: str):
    client.get(reverse("transfers:wizard_start") + "?reset=1")
    return wizard_post(
        client, "previous-school", dfes_number=dfes_number, previous_username=username
    )


def submitted(moved, django_capture_on_commit_callbacks) -> TransferRequest:
    """A request made through the service, its email to the headteacher sent."""
    with django_capture_on_commit_callbacks(execute=True):
        return transfer_request_submit(
            requester=moved.new,
            previous_dfes=moved.previous.dfes_number,
            previous_username=moved.old.username,
            message="Please let me keep my account.",
            headteacher_confirmed=True,
        )


def link_path(transfer: TransferRequest) -> str:
    return urlsplit(transfer_decision_link(transfer)).path


def page(response) -> str:
    return response.content.decode()


# --- Your Details and the start page ------------------------------------------------------------


def test_your_details_has_the_account_transfer_button_for_staff(client, moved):
    sign_in(client, moved.new)
    response = client.get(PROFILE)
    assert response.status_code == 200
    body = page(response)
    assert "Your Details" in body
    assert f'href="{START}"' in body
    assert ">Account Transfer</a>" in body


@pytest.mark.parametrize("kind", [User.Kind.LEARNER, User.Kind.GOVERNOR, User.Kind.ITE_STUDENT])
def test_your_details_has_no_account_transfer_button_for_other_accounts(client, school, kind):
    sign_in(client, make_account(school=school, kind=kind))
    body = page(client.get(PROFILE))
    assert "Your Details" in body
    assert f'href="{START}"' not in body


def test_governors_are_told_their_accounts_cannot_be_moved(client, school):
    sign_in(client, make_account(school=school, kind=User.Kind.GOVERNOR))
    assert "It is not possible to move governor accounts." in page(client.get(START))
    assert client.get(reverse("transfers:wizard", args=["previous-school"])).url == START


def test_ite_students_are_told_why_their_accounts_are_not_moved(client, school):
    sign_in(client, make_account(school=school, kind=User.Kind.ITE_STUDENT))
    assert "Moving accounts for ITE students is not offered" in page(client.get(START))


@pytest.mark.parametrize(
    "path",
    [
        START,
        STATUS,
        "/user-management/account-transfer/request/previous-school/",
        "/user-management/transfer-requests/1/",
    ],
)
def test_learners_find_no_transfer_pages(client, learner, path):
    sign_in(client, learner)
    assert client.get(path).status_code == 404


def test_learners_cannot_post_to_proceed_or_cancel(client, learner):
    sign_in(client, learner)
    assert client.post("/user-management/account-transfer/1/proceed/").status_code == 404
    assert client.post("/user-management/account-transfer/1/cancel/").status_code == 404


@pytest.mark.parametrize("path", [START, STATUS, PROFILE, DECISION])
def test_signed_out_visitors_are_sent_to_sign_in(client, db, path):
    response = client.get(path)
    assert response.status_code == 302
    assert response.url.startswith("/sign-in/?next=")


def test_transfer_pages_ask_for_the_second_sign_in(client, moved):
    sign_in(client, moved.new, reauthenticated=False)
    response = client.get(START)
    assert response.status_code == 302
    assert response.url.startswith("/user-management/sign-in/")


def test_the_start_page_warns_that_the_new_account_will_be_deleted(client, moved):
    sign_in(client, moved.new)
    response = client.get(START)
    body = page(response)
    assert response.status_code == 200
    assert "no-cache" in response["Cache-Control"]
    assert '<h1 class="govuk-heading-l">Account Transfer</h1>' in body
    assert "govuk-warning-text" in body
    assert "deactivated and then deleted after 12 months" in body
    assert "added a leaving date to your staff record" in body
    assert "included your start date and staff code" in body
    assert "The DfES number of your previous school." in body
    assert "/user-management/account-transfer/request/?reset=1" in body


# --- The wizard -----------------------------------------------------------------------------------


def test_the_wizard_sends_the_request_to_the_previous_headteacher(
    client, moved, django_capture_on_commit_callbacks
):
    sign_in(client, moved.new)

    response = first_step(client, dfes_number="6612001", username=moved.old.username.upper())
    assert response.status_code == 302
    assert response.url == reverse("transfers:wizard", args=["message"])

    step_two = page(client.get(response.url))
    assert "Step 2 of 3" in step_two
    assert "Previous school" in step_two and "Llanberis Primary School" in step_two
    assert "Gwenllian Ellis" in step_two  # the headteacher's name
    assert "Dear Gwenllian Ellis," in step_two  # the message, pre-filled
    assert 'name="message-headteacher_confirmed"' in step_two

    response = wizard_post(
        client, "message", message="Dear Gwenllian,\nPlease approve.", headteacher_confirmed="on"
    )
    assert response.url == reverse("transfers:wizard", args=["check"])
    check = page(client.get(response.url))
    assert "Step 3 of 3" in check
    assert moved.old.username in check and "Please approve." in check
    assert f'href="{reverse("transfers:wizard", args=["previous-school"])}"' in check  # Change
    assert ">Submit</button>" in check

    with django_capture_on_commit_callbacks(execute=True):
        response = wizard_post(client, "check")
    assert response.status_code == 302
    assert response.url == STATUS

    transfer = TransferRequest.objects.get()
    assert transfer.requester == moved.new
    assert transfer.previous_account == moved.old
    assert transfer.status == TransferRequest.Status.SUBMITTED
    assert transfer.message == "Dear Gwenllian,\nPlease approve."
    (email,) = mail.outbox
    assert email.to == [moved.headteacher.email]
    assert "/transfers/decide/" in email.body

    status = page(client.get(STATUS))
    assert "Your request has been sent to the headteacher of Llanberis Primary School" in status
    assert "Waiting for a decision" in status
    assert "You sent the request" in status  # the timeline
    assert "Proceed with transfer" not in status


def test_each_step_has_its_caption_and_back_link(client, moved):
    sign_in(client, moved.new)
    client.get(reverse("transfers:wizard_start") + "?reset=1")
    step_one = page(client.get(reverse("transfers:wizard", args=["previous-school"])))
    assert '<span class="govuk-caption-l">Step 1 of 3</span>' in step_one
    assert f'href="{START}" class="govuk-back-link"' in step_one
    assert "Previous School DfES Number" in step_one
    assert "Previous School Hwb Username" in step_one
    assert 'inputmode="numeric"' in step_one and 'autocomplete="off"' in step_one
    assert 'aria-live="polite"' in step_one
    assert "js/dfes-lookup.mjs" in step_one
    assert "<script>" not in step_one  # no inline script (the CSP)

    first_step(client, dfes_number="6612001", username=moved.old.username)
    step_two = page(client.get(reverse("transfers:wizard", args=["message"])))
    back = reverse("transfers:wizard", args=["previous-school"])
    assert f'href="{back}" class="govuk-back-link"' in step_two


def test_a_later_step_cannot_be_reached_before_the_first(client, moved):
    sign_in(client, moved.new)
    client.get(reverse("transfers:wizard_start") + "?reset=1")
    response = client.get(reverse("transfers:wizard", args=["check"]))
    assert response.url == reverse("transfers:wizard", args=["previous-school"])


def test_the_school_name_shows_on_the_next_page_load_without_javascript(client, moved):
    sign_in(client, moved.new)
    response = first_step(client, dfes_number="6612001", username="")
    body = page(response)
    assert response.status_code == 200
    assert "Previous school:" in body and "Llanberis Primary School" in body
    assert "Enter your Hwb username at your previous school" in body


def test_the_message_step_needs_the_tick_and_a_message(client, moved):
    sign_in(client, moved.new)
    first_step(client, dfes_number="6612001", username=moved.old.username)
    response = wizard_post(client, "message", message="")
    body = page(response)
    assert response.status_code == 200
    assert "govuk-error-summary" in body
    assert "Write a message to the headteacher" in body
    assert "Tick the box to confirm the headteacher&#x27;s details" in body
    response = wizard_post(client, "message", message="x" * 2001, headteacher_confirmed="on")
    assert "Write a message of up to 2,000 characters" in page(response)


def _step_one_error(client, *, dfes_number: str, username: str) -> str:
    response = first_step(client, dfes_number=dfes_number, username=username)
    assert response.status_code == 200
    body = page(response)
    assert "govuk-error-summary" in body
    assert "<title>Error:" in body
    return body


def test_step_one_refuses_an_unknown_dfes_number(client, moved):
    sign_in(client, moved.new)
    body = _step_one_error(client, dfes_number="6619999", username=moved.old.username)
    assert "No school has this DfES number." in body
    assert 'href="#id_previous-school-dfes_number"' in body
    body = _step_one_error(client, dfes_number="66120", username=moved.old.username)
    assert "Enter the DfES number as 7 digits" in body


def test_step_one_refuses_the_new_schools_own_dfes_number(client, moved):
    sign_in(client, moved.new)
    body = _step_one_error(client, dfes_number="6814004", username=moved.old.username)
    assert "This is your new school&#x27;s DfES number." in body
    assert "Previous school:</" not in body and "Glantaf Secondary School</strong>" not in body


def test_a_short_dfes_number_is_told_once(client, moved):
    sign_in(client, moved.new)
    body = _step_one_error(client, dfes_number="12345", username=moved.old.username)
    assert body.count("Enter the DfES number as 7 digits") == 2  # the summary and the field


def test_a_refused_step_redirects_so_back_and_refresh_never_resubmit(client, moved, settings):
    """Post/redirect/get: the refused answers and their errors come back on a GET, as often as
    the page is refreshed, without looking anyone up again."""
    settings.HWB_TRANSFER_LOOKUPS_PER_HOUR = 2
    sign_in(client, moved.new)
    client.get(reverse("transfers:wizard_start") + "?reset=1")
    step = reverse("transfers:wizard", args=["previous-school"])
    response = client.post(
        step,
        {
            "transfer_wizard-current_step": "previous-school",
            "previous-school-dfes_number": "6619999",
            "previous-school-previous_username": moved.old.username,
        },
    )
    assert (response.status_code, response.url) == (303, step)
    for _refresh in range(3):
        body = page(client.get(step))
        assert "<title>Error:" in body and "No school has this DfES number." in body
        assert 'value="6619999"' in body and f'value="{moved.old.username}"' in body
    # Starting again forgets the refused answers; the GETs looked nobody up, so the second
    # look-up of the hour (the limit) is still allowed.
    client.get(reverse("transfers:wizard_start") + "?reset=1")
    assert "<title>Error:" not in page(client.get(step))
    found = first_step(client, dfes_number="6612001", username=moved.old.username)
    assert found.status_code == 302 and found.url.endswith("/message/")


def test_step_one_gives_one_message_for_any_username_it_cannot_transfer(client, moved, school):
    learner = make_account(school=school, kind=User.Kind.LEARNER)
    sign_in(client, moved.new)
    unknown = _step_one_error(client, dfes_number="6612001", username="nobodyhere")
    a_learner = _step_one_error(client, dfes_number="6612001", username=learner.username)
    assert UNKNOWN_USERNAME in unknown and UNKNOWN_USERNAME in a_learner
    assert 'href="#id_previous-school-previous_username"' in unknown


def test_step_one_refuses_a_governor_account(client, moved, school):
    governor = make_account(school=school, kind=User.Kind.GOVERNOR, first_name="Siân")
    sign_in(client, moved.new)
    body = _step_one_error(client, dfes_number="6612001", username=governor.username)
    assert "It is not possible to move governor accounts." in body


def test_step_one_needs_a_leaving_date_at_the_previous_school(client, moved, school):
    still_there = staff_of(school, first_name="Siân", last_name="Jones")
    sign_in(client, moved.new)
    body = _step_one_error(client, dfes_number="6612001", username=still_there.username)
    assert "Llanberis Primary School&#x27;s MIS has no leaving date for you yet." in body


def test_step_one_limits_the_attempts_an_hour(client, moved, settings):
    settings.HWB_TRANSFER_LOOKUPS_PER_HOUR = 2
    sign_in(client, moved.new)
    for _attempt in range(2):
        _step_one_error(client, dfes_number="6612001", username="nobodyhere")
    body = _step_one_error(client, dfes_number="6612001", username=moved.old.username)
    assert "too many attempts" in body and "Try again in an hour." in body


def test_step_one_works_and_still_counts_attempts_while_redis_is_down(
    client, moved, settings, cache_with_redis_down, caplog
):
    """Redis holds only the attempt counter: without it each process counts in its own memory
    (and says so in the log), so the page answers and nobody can list usernames meanwhile."""
    settings.HWB_TRANSFER_LOOKUPS_PER_HOUR = 2
    sign_in(client, moved.new)
    for _attempt in range(2):
        _step_one_error(client, dfes_number="6612001", username="nobodyhere")
    body = _step_one_error(client, dfes_number="6612001", username=moved.old.username)
    assert "too many attempts" in body
    assert "Redis cannot be reached" in caplog.text


def test_a_submit_the_rules_now_refuse_goes_back_to_the_form(
    client, moved, django_capture_on_commit_callbacks
):
    sign_in(client, moved.new)
    first_step(client, dfes_number="6612001", username=moved.old.username)
    wizard_post(client, "message", message="Please.", headteacher_confirmed="on")
    # Meanwhile the new school's MIS gives the new record a leaving date: the request cannot go.
    leaving = (date.today() + timedelta(days=30)).isoformat()
    staff_record_change(moved.new_school, moved.new, leaving_date=leaving)
    response = wizard_post(client, "check")
    assert response.status_code == 302
    assert response.url == reverse("transfers:wizard", args=["previous-school"])
    body = page(client.get(response.url))
    assert "Your new school&#x27;s MIS has no staff record for you" in body
    assert not TransferRequest.objects.exists()
    assert mail.outbox == []


def test_someone_with_an_open_request_is_sent_to_its_status(
    client, moved, django_capture_on_commit_callbacks
):
    submitted(moved, django_capture_on_commit_callbacks)
    sign_in(client, moved.new)
    assert client.get(START).url == STATUS
    assert client.get(reverse("transfers:wizard", args=["previous-school"])).url == STATUS


# --- Deciding by the link in the email ------------------------------------------------------------


def test_the_link_moves_its_token_into_the_session_and_asks_the_headteacher_to_sign_in(
    client, moved, django_capture_on_commit_callbacks
):
    transfer = submitted(moved, django_capture_on_commit_callbacks)
    link = link_path(transfer)
    assert link in mail.outbox[0].body

    response = client.get(link)
    assert response.status_code == 302
    assert response.url == DECISION  # a clean URL: no token
    assert response["Referrer-Policy"] == "no-referrer"
    assert client.session[DECISION_LINK.session_key]

    response = client.get(DECISION)
    assert response.status_code == 302
    assert response.url == "/sign-in/?next=/transfers/decide/"
    # The sign-in page says why it is asked for; elsewhere it does not.
    reason = "Sign in to decide Siân Jones&#x27;s request to keep their Hwb account."
    assert reason in page(client.get(response.url))
    assert reason not in page(client.get("/sign-in/"))
    client.post("/i18n/setlang/", {"language": "cy", "next": "/"})
    assert "Mewngofnodwch i benderfynu ar gais Siân Jones" in page(client.get(response.url))
    client.post("/i18n/setlang/", {"language": "en", "next": "/"})

    sign_in(client, moved.headteacher, reauthenticated=False)
    assert reason not in page(client.get(response.url))  # given once, for that sign-in
    response = client.get(DECISION)
    body = page(response)
    assert response.status_code == 200
    # The clean page holds no token; a stricter policy would make Chromium send Origin: null
    # with its forms, which Django's CSRF check refuses.
    assert response["Referrer-Policy"] == "same-origin"
    assert "Please let me keep my account." in body
    assert "Glantaf Secondary School" in body and moved.old.username in body
    assert 'value="approve"' in body and 'value="reject"' in body
    transfer.refresh_from_db()
    assert transfer.status == TransferRequest.Status.SUBMITTED  # looking decides nothing


def test_the_headteacher_approves_once(client, moved, django_capture_on_commit_callbacks):
    transfer = submitted(moved, django_capture_on_commit_callbacks)
    link = link_path(transfer)
    client.get(link)
    sign_in(client, moved.headteacher, reauthenticated=False)

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(DECISION, {"decision": "approve"})
    assert response.status_code == 200
    assert "You approved the request" in page(response)
    transfer.refresh_from_db()
    assert transfer.status == TransferRequest.Status.APPROVED
    assert transfer.decided_by == moved.headteacher
    assert mail.outbox[-1].to == [moved.new.email]

    again = client.post(DECISION, {"decision": "reject"})
    assert again.status_code == 400
    assert "This request has already been decided: Approved." in page(again)

    reused = client.get(link)
    assert reused.status_code == 400
    assert "This request has already been decided: Approved." in page(reused)
    transfer.refresh_from_db()
    assert transfer.status == TransferRequest.Status.APPROVED


def test_the_headteacher_can_reject(client, moved, django_capture_on_commit_callbacks):
    transfer = submitted(moved, django_capture_on_commit_callbacks)
    client.get(link_path(transfer))
    sign_in(client, moved.headteacher, reauthenticated=False)
    response = client.post(DECISION, {"decision": "reject"})
    assert "You rejected the request" in page(response)
    transfer.refresh_from_db()
    assert transfer.status == TransferRequest.Status.REJECTED


def test_another_schools_headteacher_cannot_decide(
    client, moved, django_capture_on_commit_callbacks
):
    transfer = submitted(moved, django_capture_on_commit_callbacks)
    other_head = headteacher_of(moved.new_school, first_name="Rhys", last_name="Owen")
    client.get(link_path(transfer))
    sign_in(client, other_head, reauthenticated=False)
    response = client.get(DECISION)
    assert response.status_code == 403
    assert "Only the previous school's headteacher can decide this request" in page(response)
    assert "Please let me keep my account." not in page(response)
    assert client.post(DECISION, {"decision": "approve"}).status_code == 403
    transfer.refresh_from_db()
    assert transfer.status == TransferRequest.Status.SUBMITTED


def test_the_member_of_staff_cannot_decide_their_own_request(
    client, moved, django_capture_on_commit_callbacks
):
    transfer = submitted(moved, django_capture_on_commit_callbacks)
    client.get(link_path(transfer))
    sign_in(client, moved.new, reauthenticated=False)
    assert client.post(DECISION, {"decision": "approve"}).status_code == 403


def test_a_tampered_link_changes_nothing(client, moved, django_capture_on_commit_callbacks):
    transfer = submitted(moved, django_capture_on_commit_callbacks)
    link = link_path(transfer)
    sign_in(client, moved.headteacher, reauthenticated=False)
    response = client.get(link[:-3] + "abc/")
    assert response.status_code == 400
    assert response["Referrer-Policy"] == "no-referrer"
    assert "This link is not valid." in page(response)
    assert DECISION_LINK.session_key not in client.session
    assert client.post(DECISION, {"decision": "approve"}).status_code == 400
    transfer.refresh_from_db()
    assert transfer.status == TransferRequest.Status.SUBMITTED


def test_a_link_to_a_cancelled_request_decides_nothing(
    client, moved, django_capture_on_commit_callbacks
):
    transfer = submitted(moved, django_capture_on_commit_callbacks)
    link = link_path(transfer)
    client.get(link)
    staff = sign_in(client.__class__(), moved.new)
    staff.post(reverse("transfers:cancel", args=[transfer.pk]))
    sign_in(client, moved.headteacher, reauthenticated=False)
    response = client.post(DECISION, {"decision": "approve"})
    assert response.status_code == 400
    transfer.refresh_from_db()
    assert transfer.status == TransferRequest.Status.CANCELLED


# --- The dashboards -------------------------------------------------------------------------------


def test_the_headteachers_dashboard_lists_requests_to_decide(
    client, moved, django_capture_on_commit_callbacks
):
    transfer = submitted(moved, django_capture_on_commit_callbacks)
    sign_in(client, moved.headteacher)
    body = page(client.get(DASHBOARD))
    decide = reverse("transfers:decide_from_dashboard", args=[transfer.pk])
    assert "1 account transfer request is waiting for your decision" in body
    assert f'href="{decide}"' in body

    response = client.get(decide)
    assert response.status_code == 200
    assert 'value="approve"' in page(response)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(decide, {"decision": "approve"})
    assert "You approved the request" in page(response)
    assert "waiting for your decision" not in page(client.get(DASHBOARD))
    again = client.post(decide, {"decision": "reject"})
    assert again.status_code == 400
    assert "already been decided" in page(again)


def test_no_one_else_opens_a_request_from_the_dashboard(
    client, moved, django_capture_on_commit_callbacks
):
    transfer = submitted(moved, django_capture_on_commit_callbacks)
    other_head = headteacher_of(moved.new_school, first_name="Rhys", last_name="Owen")
    sign_in(client, other_head)
    assert "waiting for your decision" not in page(client.get(DASHBOARD))
    decide = reverse("transfers:decide_from_dashboard", args=[transfer.pk])
    assert client.get(decide).status_code == 404
    assert client.post(decide, {"decision": "approve"}).status_code == 404


def test_an_approved_request_shows_the_banner_with_view_request(
    client, moved, django_capture_on_commit_callbacks
):
    transfer = submitted(moved, django_capture_on_commit_callbacks)
    sign_in(client, moved.new)
    assert "has been reviewed" not in page(client.get(DASHBOARD))
    transfer_decide(request_id=transfer.pk, decider=moved.headteacher, approve=True)

    body = page(client.get(DASHBOARD))
    assert "School Staff Dashboard" in body
    assert "Your Account transfer request has been reviewed" in body
    assert f'href="{STATUS}">View Request</a>' in body

    status = page(client.get(STATUS))
    assert "Account Transfer Status" in status
    assert "Proceed with transfer" in status and "Cancel Request" in status
    assert "Approved by Gwenllian Ellis" in status


def test_the_landing_page_says_what_waits_and_links_through_the_second_sign_in(
    client, moved, django_capture_on_commit_callbacks
):
    transfer = submitted(moved, django_capture_on_commit_callbacks)
    staff = sign_in(client.__class__(), moved.new, reauthenticated=False)
    assert "Important" not in page(staff.get("/"))
    # The headteacher lands on the start page, before User management's second sign-in.
    sign_in(client, moved.headteacher, reauthenticated=False)
    body = page(client.get("/"))
    assert "1 account transfer request is waiting for your decision" in body
    assert f'href="{DASHBOARD}">Open User management to decide</a>' in body
    assert "You will be asked for your password again first" in body
    passing = client.get(DASHBOARD)
    assert passing.status_code == 302 and passing.url.startswith("/user-management/sign-in/")
    # Decided: the requester's start page says so, and the link leads to the status page.
    transfer_decide(request_id=transfer.pk, decider=moved.headteacher, approve=True)
    assert "waiting for your decision" not in page(client.get("/"))
    body = page(staff.get("/"))
    assert "Your Account transfer request has been reviewed" in body
    assert f'href="{STATUS}">View Request</a>' in body
    assert staff.get(STATUS).url.startswith("/user-management/sign-in/")


# --- Proceed or cancel ----------------------------------------------------------------------------


def _approved(moved, django_capture_on_commit_callbacks) -> TransferRequest:
    transfer = submitted(moved, django_capture_on_commit_callbacks)
    return transfer_decide(request_id=transfer.pk, decider=moved.headteacher, approve=True)


def test_proceed_moves_the_account_and_signs_the_member_of_staff_out(
    client, moved, django_capture_on_commit_callbacks
):
    transfer = _approved(moved, django_capture_on_commit_callbacks)
    sign_in(client, moved.new)
    response = client.post(reverse("transfers:proceed", args=[transfer.pk]))
    assert response.status_code == 302
    assert response.url == reverse("transfers:completed")
    assert AUTH_SESSION_KEY not in client.session

    done = page(client.get(response.url))
    assert "Your account has been transferred" in done
    assert moved.old.username in done
    assert client.get(DASHBOARD).status_code == 302  # signed out

    moved.old.refresh_from_db()
    moved.new.refresh_from_db()
    assert moved.old.school == moved.new_school and moved.old.is_active
    assert not moved.new.is_active
    assert moved.new.deactivation_reason == User.DeactivationReason.REPLACED
    assert moved.new.deletion_due_at is not None
    transfer.refresh_from_db()
    assert transfer.status == TransferRequest.Status.COMPLETED

    sign_in(client, moved.old)  # the transferred account, its own password
    assert "Llanberis" not in page(client.get(PROFILE))
    assert "Glantaf Secondary School" in page(client.get(PROFILE))


def test_cancel_leaves_both_accounts_as_they_were(
    client, moved, django_capture_on_commit_callbacks
):
    transfer = _approved(moved, django_capture_on_commit_callbacks)
    sign_in(client, moved.new)
    response = client.post(reverse("transfers:cancel", args=[transfer.pk]))
    assert response.url == STATUS
    status = page(client.get(STATUS))
    assert "Your request has been cancelled." in status
    assert "You have no open account transfer request." in status
    assert "Past requests" in status and "Cancelled" in status

    moved.old.refresh_from_db()
    moved.new.refresh_from_db()
    assert moved.old.school == moved.previous and not moved.old.is_active
    assert moved.new.school == moved.new_school and moved.new.is_active
    transfer.refresh_from_db()
    assert transfer.status == TransferRequest.Status.CANCELLED
    assert "has been reviewed" not in page(client.get(DASHBOARD))


def test_proceed_needs_an_approved_request(client, moved, django_capture_on_commit_callbacks):
    transfer = submitted(moved, django_capture_on_commit_callbacks)
    sign_in(client, moved.new)
    response = client.post(reverse("transfers:proceed", args=[transfer.pk]))
    assert response.status_code == 400
    assert "Only an approved request can go ahead." in page(response)
    moved.new.refresh_from_db()
    assert moved.new.is_active


def test_nobody_proceeds_with_someone_elses_request(
    client, moved, django_capture_on_commit_callbacks
):
    transfer = _approved(moved, django_capture_on_commit_callbacks)
    someone = staff_of(moved.new_school, first_name="Huw", last_name="Price")
    sign_in(client, someone)
    assert client.post(reverse("transfers:proceed", args=[transfer.pk])).status_code == 404
    assert client.post(reverse("transfers:cancel", args=[transfer.pk])).status_code == 404
    assert client.get(reverse("transfers:proceed", args=[transfer.pk])).status_code in (404, 405)


def test_the_status_page_without_requests_offers_to_start(client, moved):
    sign_in(client, moved.new)
    body = page(client.get(STATUS))
    assert "You have no open account transfer request." in body
    assert f'href="{START}"' in body


def test_the_admin_lists_requests_read_only(
    admin_client, moved, django_capture_on_commit_callbacks
):
    transfer = submitted(moved, django_capture_on_commit_callbacks)
    response = admin_client.get("/admin/transfers/transferrequest/?q=6612001")
    assert moved.old.username in page(response)
    detail = admin_client.get(f"/admin/transfers/transferrequest/{transfer.pk}/change/")
    assert detail.status_code == 200
    assert "submitted" in page(detail)
    assert admin_client.get("/admin/transfers/transferrequest/add/").status_code == 403


def test_a_school_without_a_run_is_named_in_the_error(client, db):
    previous = SchoolFactory(dfes_number="6612345", name_en="Ysgol Newydd")
    new_school = SchoolFactory(dfes_number="6612346")
    _old, new = moved_staff(SchoolFactory(dfes_number="6612347"), new_school)
    account = make_account(school=previous, first_name="Siân", last_name="Jones")
    sign_in(client, new)
    body = _step_one_error(client, dfes_number="6612345", username=account.username)
    assert "Ysgol Newydd&#x27;s Provisioning Client has not run successfully yet." in body


def _through_step_two(client, old, *, dfes_number: str = "6612001") -> str:
    first_step(client, dfes_number=dfes_number, username=old.username)
    return page(client.get(reverse("transfers:wizard", args=["message"])))


def test_without_a_headteacher_the_request_goes_to_the_local_authority(
    client, school, other_school, django_capture_on_commit_callbacks
):
    officer = make_account(
        kind=User.Kind.LA_OFFICER,
        local_authority=school.local_authority,
        first_name="Alun",
        last_name="Morgan",
    )
    old, new = moved_staff(school, other_school)
    sign_in(client, new)
    step_two = _through_step_two(client, old)
    assert "Your message to the local authority" in step_two
    assert f"The local authority: {school.local_authority.name}" in step_two
    wizard_post(client, "message", message="Please.", headteacher_confirmed="on")
    with django_capture_on_commit_callbacks(execute=True):
        response = wizard_post(client, "check")
    assert response.url == STATUS
    assert TransferRequest.objects.get().approver == TransferRequest.Approver.LOCAL_AUTHORITY
    assert [email.to for email in mail.outbox] == [[officer.email]]
    assert "sent to the local authority of Llanberis Primary School" in page(client.get(STATUS))

    # The officer sees it on their dashboard.
    officer_client = sign_in(client.__class__(), officer)
    transfer = TransferRequest.objects.get()
    decide = reverse("transfers:decide_from_dashboard", args=[transfer.pk])
    assert f'href="{decide}"' in page(officer_client.get(DASHBOARD))


def test_a_request_nobody_can_decide_stays_on_the_check_page_with_its_reason(
    client, school, other_school
):
    old, new = moved_staff(school, other_school)  # no headteacher, no officer
    sign_in(client, new)
    step_two = _through_step_two(client, old)
    assert "Nobody in Hwb can decide this request yet." in step_two
    wizard_post(client, "message", message="Please.", headteacher_confirmed="on")
    response = wizard_post(client, "check")
    body = page(response)
    assert response.status_code == 200
    assert "govuk-error-summary" in body
    assert "Llanberis Primary School has no headteacher in Hwb to decide" in body
    assert "Step 3 of 3" in body
    assert not TransferRequest.objects.exists()
    # The answers are kept: once someone can decide, Submit sends it.
    make_account(kind=User.Kind.LA_OFFICER, local_authority=school.local_authority)
    assert wizard_post(client, "check").url == STATUS
    assert TransferRequest.objects.count() == 1


def test_the_done_address_submits_nothing_by_a_get(client, moved):
    sign_in(client, moved.new)
    first_step(client, dfes_number="6612001", username=moved.old.username)
    wizard_post(client, "message", message="Please.", headteacher_confirmed="on")
    response = client.get(reverse("transfers:wizard", args=["done"]))
    assert response.status_code == 302
    assert not TransferRequest.objects.exists()


# --- Deciding and proceeding, as people found them ------------------------------------------------


def test_a_pending_request_says_who_is_to_decide_it(
    client, moved, django_capture_on_commit_callbacks
):
    submitted(moved, django_capture_on_commit_callbacks)
    sign_in(client, moved.new)
    status = page(client.get(STATUS))
    assert "To be decided by" in status and "Decided by" not in status
    assert "hwb-tag--nowrap" in status


def test_a_rejection_gives_its_reason_to_the_member_of_staff(
    client, moved, django_capture_on_commit_callbacks
):
    transfer = submitted(moved, django_capture_on_commit_callbacks)
    client.get(link_path(transfer))
    sign_in(client, moved.headteacher, reauthenticated=False)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            DECISION, {"decision": "reject", "reason": "  She left in 2019\u200b; ask the LA.  "}
        )
    done = page(response)
    assert "You rejected the request" in done
    assert "govuk-panel--confirmation" not in done  # not shown as a success
    assert moved.new.get_full_name() in done
    assert "She left in 2019; ask the LA." in mail.outbox[-1].body

    client.logout()
    sign_in(client, moved.new)
    dashboard = page(client.get(DASHBOARD))
    assert "Your Account transfer request was rejected" in dashboard
    assert "She left in 2019; ask the LA." in dashboard
    status = page(client.get(STATUS))
    assert "Reason for rejecting" in status
    assert "Rejected by Gwenllian Ellis: She left in 2019; ask the LA." in status


def test_proceed_asks_for_confirmation_before_anything_moves(
    client, moved, django_capture_on_commit_callbacks
):
    transfer = _approved(moved, django_capture_on_commit_callbacks)
    sign_in(client, moved.new)
    confirm = page(client.get(reverse("transfers:proceed", args=[transfer.pk])))
    assert "Proceed with transfer?" in confirm
    assert moved.new.username in confirm and "Save any emails and files" in confirm
    transfer.refresh_from_db()
    assert transfer.status == TransferRequest.Status.APPROVED
    moved.old.refresh_from_db()
    assert moved.old.school_id != moved.new.school_id


def test_someone_else_following_the_link_is_told_who_is_signed_in(
    client, moved, school, django_capture_on_commit_callbacks
):
    transfer = submitted(moved, django_capture_on_commit_callbacks)
    colleague = staff_of(school, first_name="Rhys", last_name="Evans")
    client.get(link_path(transfer))
    sign_in(client, colleague, reauthenticated=False)
    refused = page(client.get(DECISION))
    assert f"You are signed in as Rhys Evans ({colleague.username})" in refused
    assert reverse("accounts:sign_out") in refused
