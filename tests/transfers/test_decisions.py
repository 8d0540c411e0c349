"""Deciding a request (the link, who may, exactly once) and what the member of staff does next.

``school`` (Llanberis) is the previous school and ``other_school`` (Glantaf) the new one.
"""

import re
import threading
from datetime import date, timedelta
from types import SimpleNamespace

import pytest
import time_machine
from django.core import mail, signing
from django.db import connection, connections
from django.test import Client
from django.utils import timezone

from accounts.models import AccountMove, AuditEntry, OutboundEmail, SchoolRole, User
from accounts.services import account_language_set, account_password_set, school_role_grant
from provisioning.models import MisStaff
from provisioning.policy import deletion_due
from provisioning.selectors import staff_record_of
from schools.identifiers import WELSH_LOCAL_AUTHORITIES
from schools.models import LocalAuthority
from tests.conftest import sign_in
from tests.factories import PASSWORD, SchoolFactory, make_account
from tests.services import require
from tests.transfers.builders import headteacher_of, moved_staff, staff_of
from transfers.models import TransferEvent, TransferRequest
from transfers.rules import (
    TransferError,
    transfer_approvers,
)
from transfers.selectors import (
    DECISION_LINK,
    transfer_may_decide,
    transfer_request_from_link,
)
from transfers.services import (
    transfer_cancel,
    transfer_decide,
    transfer_proceed,
    transfer_request_submit,
)

Status = TransferRequest.Status
MESSAGE = "Dear Dr Ellis,\nPlease approve the transfer of my Hwb account.\nThank you, Siân"
OLD_PASSWORD = "Old-Account-Pass-77"
LINK = re.compile(r"(http://\S+/transfers/decide/([^/\s]+)/)")


def submit(requester: User, previous: User) -> TransferRequest:
    return transfer_request_submit(
        requester=requester,
        previous_dfes=previous.school.dfes_number,
        previous_username=previous.username,
        message=MESSAGE,
        headteacher_confirmed=True,
        ip_address="192.0.2.10",
    )


def link_token(message) -> str:
    """The token of the decision link in an email."""
    match = LINK.search(message.body)
    assert match, message.body
    return match.group(2)


def fresh(user: User) -> User:
    return User.objects.get(pk=user.pk)


@pytest.fixture
def moved(school, other_school) -> SimpleNamespace:
    head = headteacher_of(school)
    old, new = moved_staff(school, other_school)
    account_password_set(actor=None, account=old, password=OLD_PASSWORD)
    return SimpleNamespace(head=head, old=fresh(old), new=new)


@pytest.fixture
def submitted(moved, django_capture_on_commit_callbacks) -> TransferRequest:
    with django_capture_on_commit_callbacks(execute=True):
        return submit(moved.new, moved.old)


@pytest.fixture
def approved(moved, submitted, django_capture_on_commit_callbacks) -> TransferRequest:
    with django_capture_on_commit_callbacks(execute=True):
        return transfer_decide(request_id=submitted.pk, decider=moved.head, approve=True)


# --- The headteacher's email --------------------------------------------------------------------


def test_the_headteachers_email_shows_the_request_and_its_link(moved, submitted, other_school):
    (message,) = mail.outbox
    assert message.to == [moved.head.email]
    # In Welsh and English, Welsh first (Welsh Language Standards), whatever the reader speaks.
    welsh, english = message.subject.split(" / ")
    assert english == (
        f"Account Transfer request from Siân Jones for the account {moved.old.username} of "
        "Siân Jones"
    )
    assert welsh.startswith("Cais i drosglwyddo cyfrif gan Siân Jones")
    body = message.body
    assert "Dear Gwenllian Ellis," in body
    assert f"Siân Jones ({moved.new.username})" in body
    assert f"Glantaf Secondary School ({other_school.dfes_number})" in body
    assert f"Account asked for: {moved.old.username}, held by Siân Jones" in body
    assert MESSAGE in body
    assert "only pressing one of them decides" in body
    assert "The link expires in 30 days and works once." in body
    html = message.alternatives[0].content
    assert "Please approve the transfer of my Hwb account.<br>Thank you, Siân" in html
    url, token = LINK.search(body).groups()
    assert f'href="{url}"' in html
    assert transfer_request_from_link(token) == submitted


def test_the_link_days_in_the_email_follow_the_setting(
    moved, settings, django_capture_on_commit_callbacks
):
    settings.HWB_TRANSFER_LINK_DAYS = 14
    with django_capture_on_commit_callbacks(execute=True):
        submit(moved.new, moved.old)
    assert "The link expires in 14 days and works once." in mail.outbox[0].body


def test_a_message_with_markup_is_escaped_in_the_html_email(
    moved, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        transfer_request_submit(
            requester=moved.new,
            previous_dfes=moved.old.school.dfes_number,
            previous_username=moved.old.username,
            message='<a href="https://evil.example">Click</a> & approve',
            headteacher_confirmed=True,
        )
    (message,) = mail.outbox
    assert '<a href="https://evil.example">Click</a> & approve' in message.body
    html = message.alternatives[0].content
    assert "evil.example&quot;&gt;Click&lt;/a&gt; &amp; approve" in html
    assert '<a href="https://evil.example">' not in html


# --- Approve and reject -------------------------------------------------------------------------


def test_approving_tells_the_member_of_staff_at_their_new_account(moved, approved):
    assert approved.status == Status.APPROVED
    assert approved.decided_by == moved.head
    assert approved.decided_by_name == "Gwenllian Ellis"
    assert approved.decided_at is not None
    assert approved.finished_at is None
    message = mail.outbox[-1]
    assert message.to == [moved.new.email]
    assert message.subject == "Your Account transfer request has been approved"
    body = message.body
    steps = [
        f"1. Sign in to your NEW Hwb account ({moved.new.username}).",
        "2. Select User management.",
        "3. You will be asked to sign in again as an extra security measure.",
        "Your Account transfer request has been reviewed’, select View Request.",
        "5. On the Account Transfer Status page, choose Proceed with transfer or Cancel Request.",
    ]
    positions = [body.index(step) for step in steps]
    assert positions == sorted(positions)
    assert "you will be signed out of Hwb automatically" in body
    assert f"sign in again with your transferred account, {moved.old.username}" in body
    assert "will be deactivated and deleted after 12 months" in body
    assert "/user-management/account-transfer/status/" in body
    email = OutboundEmail.objects.get(template="transfer_approved")
    assert email.to == moved.new.email


def test_every_step_is_on_the_requests_timeline_and_in_the_audit_log(moved, approved):
    events = list(approved.events.values_list("action", "actor_username"))
    assert events == [("submitted", moved.new.username), ("approved", moved.head.username)]
    assert AuditEntry.objects.filter(
        action="transfer.approved", actor=moved.head, target_id=str(approved.pk)
    ).exists()


def test_rejecting_tells_the_member_of_staff_and_nothing_else_happens(
    moved, submitted, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        request = transfer_decide(request_id=submitted.pk, decider=moved.head, approve=False)
    assert request.status == Status.REJECTED
    assert request.finished_at is not None
    message = mail.outbox[-1]
    assert message.to == [moved.new.email]
    assert message.subject == "Your Account transfer request has been rejected"
    assert "There is no further action required." in message.body
    assert f"created in your new school, {moved.new.username}" in message.body
    assert fresh(moved.old).school == moved.old.school and not fresh(moved.old).is_active
    assert fresh(moved.new).is_active and fresh(moved.new).deletion_due_at is None
    assert not AccountMove.objects.exists()
    with pytest.raises(TransferError, match="Only an approved request can go ahead."):
        transfer_proceed(request_id=request.pk, requester=moved.new)
    assert not AccountMove.objects.exists()


def test_a_local_authority_officer_decides_when_the_school_has_no_headteacher(
    school, other_school, django_capture_on_commit_callbacks
):
    officer = make_account(
        kind=User.Kind.LA_OFFICER, first_name="Alaw", local_authority=school.local_authority
    )
    old, new = moved_staff(school, other_school)
    with django_capture_on_commit_callbacks(execute=True):
        request = submit(new, old)
    assert mail.outbox[0].to == [officer.email]
    assert transfer_may_decide(user=officer, transfer=request)
    request = transfer_decide(request_id=request.pk, decider=officer, approve=True)
    assert request.status == Status.APPROVED


# --- Exactly one decision (PostgreSQL: eight connections at once) -------------------------------


@pytest.fixture
def racing_schools(transactional_db):
    """Both schools, in a test whose data is committed (the racing threads must see it)."""
    for code, (name_en, name_cy) in WELSH_LOCAL_AUTHORITIES.items():
        LocalAuthority.objects.get_or_create(
            code=code, defaults={"name_en": name_en, "name_cy": name_cy}
        )
    previous = SchoolFactory(dfes_number="6612001", name_en="Llanberis Primary School")
    new = SchoolFactory(dfes_number="6814004", name_en="Glantaf Secondary School")
    return previous, new


@pytest.mark.django_db(transaction=True)
def test_eight_simultaneous_approve_and_reject_clicks_make_one_decision(racing_schools):
    require(
        connection.vendor == "postgresql",
        "PostgreSQL",
        "set DATABASE_URL=postgres://postgres@127.0.0.1:5432/hwb_portal",
    )
    previous, new_school = racing_schools
    head = headteacher_of(previous)
    old, new = moved_staff(previous, new_school)
    request = submit(new, old)
    clicks = 8
    start = threading.Barrier(clicks)
    outcomes: list = [None] * clicks

    def click(number: int) -> None:
        try:
            start.wait(10)
            outcomes[number] = transfer_decide(
                request_id=request.pk, decider=head, approve=number % 2 == 0
            )
        except Exception as error:  # noqa: BLE001 - each outcome is checked below
            outcomes[number] = error
        finally:
            connections.close_all()

    threads = [threading.Thread(target=click, args=(number,)) for number in range(clicks)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)

    decided = [outcome for outcome in outcomes if isinstance(outcome, TransferRequest)]
    refused = [outcome for outcome in outcomes if isinstance(outcome, TransferError)]
    assert len(decided) == 1, outcomes
    assert len(refused) == clicks - 1, outcomes
    request.refresh_from_db()
    assert request.status == decided[0].status
    status = request.get_status_display()
    assert {str(error) for error in refused} == {
        f"This request has already been decided: {status}."
    }
    assert request.events.exclude(action="submitted").count() == 1
    assert (
        AuditEntry.objects.filter(action__in=["transfer.approved", "transfer.rejected"]).count()
        == 1
    )
    outcome_emails = OutboundEmail.objects.filter(
        template__in=["transfer_approved", "transfer_rejected"]
    )
    assert outcome_emails.count() == 1
    assert outcome_emails.get().template == f"transfer_{request.status}"


# --- The link ------------------------------------------------------------------------------------


def test_a_tampered_link_is_refused(moved, submitted):
    token = link_token(mail.outbox[0])
    for position in (2, len(token) // 2, len(token) - 1):
        changed = "A" if token[position] != "A" else "B"
        tampered = token[:position] + changed + token[position + 1 :]
        with pytest.raises(TransferError, match="This link is not valid."):
            transfer_request_from_link(tampered)
    with pytest.raises(TransferError, match="This link is not valid."):
        transfer_request_from_link("not-a-token")


def test_a_link_expires_after_the_configured_days(moved, settings, submitted):
    token = link_token(mail.outbox[0])
    sent = submitted.created_at
    with time_machine.travel(sent + timedelta(days=30) - timedelta(minutes=1)):
        assert transfer_request_from_link(token) == submitted
    with (
        time_machine.travel(sent + timedelta(days=30, minutes=1)),
        pytest.raises(TransferError, match="This link has expired."),
    ):
        transfer_request_from_link(token)
    settings.HWB_TRANSFER_LINK_DAYS = 5
    with (
        time_machine.travel(sent + timedelta(days=5, minutes=1)),
        pytest.raises(TransferError, match="This link has expired."),
    ):
        transfer_request_from_link(token)
    assert fresh(moved.old).school == moved.old.school
    submitted.refresh_from_db()
    assert submitted.status == Status.SUBMITTED


def test_a_link_works_once(moved, submitted):
    token = link_token(mail.outbox[0])
    request = transfer_request_from_link(token)
    transfer_decide(request_id=request.pk, decider=moved.head, approve=True)
    with pytest.raises(TransferError, match="This request has already been decided: Approved."):
        transfer_request_from_link(token)
    with pytest.raises(TransferError, match="already been decided"):
        transfer_decide(request_id=request.pk, decider=moved.head, approve=False)
    request.refresh_from_db()
    assert request.status == Status.APPROVED


def test_a_link_for_one_request_is_useless_for_another(
    moved, submitted, school, other_school, django_capture_on_commit_callbacks
):
    token_a = link_token(mail.outbox[0])
    old_b, new_b = moved_staff(school, other_school, first_name="Rhys", last_name="Evans")
    with django_capture_on_commit_callbacks(execute=True):
        request_b = submit(new_b, old_b)
    assert transfer_request_from_link(token_a) == submitted
    assert transfer_request_from_link(link_token(mail.outbox[-1])) == request_b
    # Signed with our key but for request B with A's nonce (say, ids reused after a restore).
    forged = signing.dumps({"r": request_b.pk, "n": submitted.link_nonce}, salt=DECISION_LINK.salt)
    with pytest.raises(TransferError, match="This link is not valid."):
        transfer_request_from_link(forged)
    # The same payload signed for another purpose (another salt) is no decision link.
    other_purpose = signing.dumps({"r": request_b.pk, "n": request_b.link_nonce})
    with pytest.raises(TransferError, match="This link is not valid."):
        transfer_request_from_link(other_purpose)


def test_another_schools_headteacher_cannot_decide(moved, submitted, other_school):
    new_schools_head = headteacher_of(other_school, first_name="Owain", last_name="Rees")
    third_school = SchoolFactory(dfes_number="6612002")
    third_head = make_account(
        school=third_school, first_name="Nia", roles=(SchoolRole.Role.HEADTEACHER,)
    )
    for outsider in (new_schools_head, third_head, moved.new, fresh(moved.old)):
        assert not transfer_may_decide(user=outsider, transfer=submitted)
        with pytest.raises(TransferError, match="You cannot decide this request."):
            transfer_decide(request_id=submitted.pk, decider=outsider, approve=True)
    submitted.refresh_from_db()
    assert submitted.status == Status.SUBMITTED
    assert submitted.decided_by is None
    assert not OutboundEmail.objects.filter(template="transfer_approved").exists()


def test_local_authority_officers_do_not_decide_while_the_school_has_a_headteacher(
    moved, submitted, school
):
    officer = make_account(
        kind=User.Kind.LA_OFFICER, first_name="Alaw", local_authority=school.local_authority
    )
    assert not transfer_may_decide(user=officer, transfer=submitted)
    with pytest.raises(TransferError, match="You cannot decide this request."):
        transfer_decide(request_id=submitted.pk, decider=officer, approve=True)


def test_a_new_headteacher_decides_a_request_sent_to_the_old_one(moved, submitted, school):
    new_head = staff_of(school, first_name="Rhodri", last_name="Hughes")
    school_role_grant(actor=None, user=new_head, school=school, role=SchoolRole.Role.HEADTEACHER)
    assert not transfer_may_decide(user=moved.head, transfer=submitted)
    with pytest.raises(TransferError, match="You cannot decide this request."):
        transfer_decide(request_id=submitted.pk, decider=moved.head, approve=True)
    assert transfer_may_decide(user=new_head, transfer=submitted)
    request = transfer_decide(request_id=submitted.pk, decider=new_head, approve=True)
    assert request.decided_by == new_head


# --- Proceed with transfer ----------------------------------------------------------------------


def test_proceed_moves_the_previous_account_to_the_new_school(
    moved, approved, school, other_school
):
    new_record = staff_record_of(school=other_school, account=moved.new)
    old_record = staff_record_of(school=school, account=moved.old)
    assert not moved.old.is_active  # deactivated by its leaving date
    today = timezone.localdate()

    request = transfer_proceed(request_id=approved.pk, requester=moved.new, ip_address="192.0.2.9")

    assert request.status == Status.COMPLETED and request.finished_at is not None
    old = fresh(moved.old)
    assert old.school == other_school
    assert old.username == moved.old.username
    assert old.check_password(OLD_PASSWORD)
    assert old.is_active and old.deactivated_at is None
    assert old.deactivation_reason == "" and old.deletion_due_at is None
    assert MisStaff.objects.get(pk=new_record.pk).account == old
    assert MisStaff.objects.get(pk=old_record.pk).account == old  # the history stays
    move = AccountMove.objects.get()
    assert (move.account, move.from_school, move.to_school) == (old, school, other_school)
    assert move.reason == AccountMove.Reason.TRANSFER
    assert move.actor == moved.new
    assert move.details["transfer_request"] == request.pk
    new = fresh(moved.new)
    assert not new.is_active
    assert new.deactivation_reason == User.DeactivationReason.REPLACED
    assert new.deletion_due_at == deletion_due(today)
    assert 365 <= (timezone.localdate(new.deletion_due_at) - today).days <= 366
    assert list(request.events.values_list("action", flat=True)) == [
        "submitted",
        "approved",
        "completed",
    ]
    assert AuditEntry.objects.filter(action="transfer.completed", actor=moved.new).exists()


def test_proceed_signs_both_accounts_out_everywhere(school, other_school):
    headteacher = headteacher_of(school)
    today = date.today()
    old, new = moved_staff(
        school,
        other_school,
        leaving_date=today + timedelta(days=14),  # still working out their notice
        start_date=today - timedelta(days=1),
    )
    assert old.is_active
    as_old = sign_in(Client(), old, reauthenticated=False)
    as_new = sign_in(Client(), new)
    assert as_old.get("/").status_code == 200
    assert as_new.get("/").status_code == 200

    request = submit(new, old)
    transfer_decide(request_id=request.pk, decider=headteacher, approve=True)
    transfer_proceed(request_id=request.pk, requester=new)

    for client in (as_old, as_new):
        response = client.get("/")
        assert response.status_code == 302
        assert response.url == "/sign-in/"
    # The transferred account signs in at its new school; the replaced one cannot.
    again = Client()
    assert (
        again.post("/sign-in/", {"username": old.username, "password": PASSWORD}).status_code == 302
    )
    assert fresh(old).school == other_school
    refused = Client().post("/sign-in/", {"username": new.username, "password": PASSWORD})
    assert refused.status_code != 302
    # Its holder (who knows its password) is told which username to use now; nobody else is.
    told = (
        f"closed when your existing Hwb account moved to your school. Sign in with {old.username}"
    )
    assert told in " ".join(refused.content.decode().split())
    guessed = Client().post("/sign-in/", {"username": new.username, "password": "Guess-1234!"})
    assert guessed.status_code != 302
    assert "Sign in with" not in guessed.content.decode()
    assert "The username or password is not right" in guessed.content.decode()


def test_a_role_the_new_account_held_at_the_new_school_goes_with_the_transferred_account(
    moved, approved, other_school
):
    school_role_grant(
        actor=None, user=moved.new, school=other_school, role=SchoolRole.Role.DIGITAL_CHAMPION
    )
    transfer_proceed(request_id=approved.pk, requester=moved.new)
    roles = SchoolRole.objects.filter(school=other_school, role=SchoolRole.Role.DIGITAL_CHAMPION)
    assert [role.user for role in roles] == [moved.old]
    assert AuditEntry.objects.filter(
        action="school_role.revoked", target_id=str(moved.new.pk)
    ).exists()


def test_proceed_twice_moves_once(moved, approved):
    transfer_proceed(request_id=approved.pk, requester=moved.new)
    with pytest.raises(TransferError, match="Only an approved request can go ahead."):
        transfer_proceed(request_id=approved.pk, requester=moved.new)
    assert AccountMove.objects.count() == 1
    assert TransferEvent.objects.filter(request=approved, action="completed").count() == 1


def test_nobody_else_can_proceed_with_a_members_request(moved, approved, other_school):
    colleague = staff_of(other_school, first_name="Rhys", last_name="Evans")
    with pytest.raises(TransferRequest.DoesNotExist):
        transfer_proceed(request_id=approved.pk, requester=colleague)
    assert not AccountMove.objects.exists()


def test_a_headteacher_who_transferred_away_no_longer_decides_for_their_old_school(
    school, other_school
):
    officer = make_account(
        kind=User.Kind.LA_OFFICER, first_name="Alaw", local_authority=school.local_authority
    )
    today = date.today()
    old, new = moved_staff(
        school,
        other_school,
        first_name="Gwenllian",
        last_name="Ellis",
        leaving_date=today + timedelta(days=14),
        start_date=today - timedelta(days=1),
    )
    school_role_grant(actor=None, user=old, school=school, role=SchoolRole.Role.HEADTEACHER)
    request = submit(new, old)
    assert request.approver == TransferRequest.Approver.LOCAL_AUTHORITY
    transfer_decide(request_id=request.pk, decider=officer, approve=True)
    transfer_proceed(request_id=request.pk, requester=new)
    moved_head = fresh(old)
    assert moved_head.school == other_school
    # Llanberis's next request must not go to someone who now works at Glantaf.
    assert not SchoolRole.objects.filter(user=moved_head, school=school).exists()
    approver, deciders = transfer_approvers(previous_school=school, previous_account=new)
    assert (approver, deciders) == (TransferRequest.Approver.LOCAL_AUTHORITY, [officer])


# --- Cancel Request -----------------------------------------------------------------------------


def test_cancelling_an_approved_request_leaves_both_accounts_as_they_are(moved, approved):
    request = transfer_cancel(request_id=approved.pk, requester=moved.new)
    assert request.status == Status.CANCELLED and request.finished_at is not None
    old, new = fresh(moved.old), fresh(moved.new)
    assert old.school == moved.old.school and not old.is_active
    assert old.deletion_due_at == moved.old.deletion_due_at
    assert new.is_active and new.deletion_due_at is None
    assert staff_record_of(school=new.school, account=new) is not None
    assert not AccountMove.objects.exists()
    with pytest.raises(TransferError, match="Only an approved request can go ahead."):
        transfer_proceed(request_id=approved.pk, requester=moved.new)
    with pytest.raises(TransferError, match="This request is no longer open."):
        transfer_cancel(request_id=approved.pk, requester=moved.new)


def test_a_request_cancelled_before_the_decision_cannot_be_decided(moved, submitted):
    token = link_token(mail.outbox[0])
    transfer_cancel(request_id=submitted.pk, requester=moved.new)
    with pytest.raises(TransferError):
        transfer_request_from_link(token)
    with pytest.raises(TransferError, match="already been decided"):
        transfer_decide(request_id=submitted.pk, decider=moved.head, approve=True)
    submitted.refresh_from_db()
    assert submitted.status == Status.CANCELLED


# --- In the reader's language -------------------------------------------------------------------


def test_a_welsh_speaking_headteacher_gets_the_email_in_welsh(
    moved, django_capture_on_commit_callbacks
):
    account_language_set(user=moved.head, language="cy", ip_address=None)
    with django_capture_on_commit_callbacks(execute=True):
        submit(moved.new, moved.old)
    (message,) = mail.outbox
    assert message.extra_headers["Content-Language"] == "cy, en"
    # Welsh first, then English, as a Welsh reader would expect of a bilingual email.
    assert message.body.index("Ysgol Uwchradd Glantaf") < message.body.index(
        "Glantaf Secondary School"
    )
    assert message.subject.startswith("Cais i drosglwyddo cyfrif")
    html = message.alternatives[0].content
    assert '<html lang="cy">' in html
    assert html.index('<div lang="cy">') < html.index('<div lang="en">')


def test_words_written_on_a_welsh_page_are_marked_welsh_where_others_read_them(
    moved, django_capture_on_commit_callbacks, client
):
    """WCAG 3.1.2: Siân wrote her message on a Welsh page, Dr Ellis reads it on an English one
    (and in her email): it carries lang="cy", so a screen reader speaks it as Welsh."""
    from django.utils import translation

    from tests.conftest import sign_in

    with translation.override("cy"), django_capture_on_commit_callbacks(execute=True):
        request = submit(moved.new, moved.old)
    assert request.message_language == "cy"
    email = mail.outbox[-1]
    html = email.alternatives[0][0]
    assert '<p lang="cy" style=' in html
    sign_in(client, moved.head)
    client.get(f"/transfers/decide/{link_token(email)}/")
    page = client.get("/transfers/decide/").content.decode()
    assert '<dd class="govuk-summary-list__value" lang="cy">Dear Dr Ellis,' in page
