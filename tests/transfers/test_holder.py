"""Account Transfer is tied to the holder of the account asked for.

The requester's MIS staff record at the new school is judged against the previous account's MIS
record at the previous school by the staff matcher the mergers use (names with Welsh and short
forms, date of birth, work email). Sure: as before. Doubtful: the headteacher sees both people
side by side and must tick that they are the same person. No match: refused, with the one
message step 1 gives for any account it cannot transfer (nobody learns whose account it is).

``school`` (Llanberis) is the previous school and ``other_school`` (Glantaf) the new one.
"""

import re
from datetime import timedelta
from urllib.parse import urlsplit

import pytest
from django.core import mail
from django.urls import reverse
from django.utils import timezone

from accounts.models import AccountMove, AuditEntry, User
from accounts.services import account_deactivate
from provisioning.selectors import staff_record_of
from tests.conftest import sign_in
from tests.factories import make_account
from tests.transfers.builders import (
    headteacher_of,
    moved_staff,
    staff_of,
    staff_record_change,
)
from transfers.models import TransferRequest
from transfers.rules import SamePersonNotConfirmed, TransferError
from transfers.services import (
    transfer_decide,
    transfer_decision_link,
    transfer_proceed,
    transfer_request_submit,
    transfer_requests_remind,
)

Status = TransferRequest.Status
MESSAGE = "Dear Dr Ellis, please approve the transfer of my Hwb account. Thank you"
NO_SUCH_ACCOUNT = (
    "There is no staff account with this username at Llanberis Primary School that can be "
    "transferred. Check the username with a digital champion at that school; if it is right "
    "and the account is yours, the Hwb service desk (hwb@gov.wales) can help."
)
DECISION = "/transfers/decide/"


def submit(requester: User, username: str, *, message: str = MESSAGE) -> TransferRequest:
    return transfer_request_submit(
        requester=requester,
        previous_dfes="6612001",
        previous_username=username,
        message=message,
        headteacher_confirmed=True,
        ip_address="192.0.2.10",
    )


def refused(requester: User, username: str, **kwargs) -> str:
    """The message of a refused submit; nothing is created and nobody is emailed."""
    with pytest.raises(TransferError) as refusal:
        submit(requester, username, **kwargs)
    assert not TransferRequest.objects.exists()
    assert mail.outbox == []
    return str(refusal.value)


def decide(request: TransferRequest, decider: User, **kwargs) -> TransferRequest:
    return transfer_decide(request_id=request.pk, decider=decider, **kwargs)


def nothing_moved(old: User, new: User) -> None:
    assert User.objects.get(pk=old.pk).school_id == old.school_id
    assert User.objects.get(pk=new.pk).is_active
    assert not AccountMove.objects.exists()


@pytest.fixture
def head(school) -> User:
    return headteacher_of(school)


@pytest.fixture
def sure(school, other_school, head):
    """Dafydd Hughes left Llanberis; Glantaf's MIS calls him Dai, with the same date of birth."""
    return moved_staff(
        school,
        other_school,
        first_name="Dafydd",
        last_name="Hughes",
        new_record={"forename": "Dai"},
    )


@pytest.fixture
def doubtful(school, other_school, head):
    """Siân Jones left Llanberis; Glantaf's MIS has her name but no date of birth."""
    return moved_staff(school, other_school, new_record={"date_of_birth": None})


# --- No match ---------------------------------------------------------------------------------


def test_an_unrelated_new_starter_is_refused_and_nothing_is_sent(
    school, other_school, head, django_capture_on_commit_callbacks
):
    old, _new = moved_staff(school, other_school)  # Siân Jones left Llanberis
    stranger = staff_of(other_school, first_name="Rhys", last_name="Evans")
    with django_capture_on_commit_callbacks(execute=True):
        message = refused(stranger, old.username)
    assert message == NO_SUCH_ACCOUNT  # the service desk can help; nothing about Siân
    nothing_moved(old, stranger)


def test_a_namesake_with_another_date_of_birth_is_refused(school, other_school, head):
    old, _new = moved_staff(school, other_school)
    namesake = staff_of(
        other_school, first_name="Siân", last_name="Jones", date_of_birth="1991-07-30"
    )
    assert refused(namesake, old.username) == NO_SUCH_ACCOUNT


# --- Sure ---------------------------------------------------------------------------------------


def test_a_sure_match_goes_as_before(sure, head, django_capture_on_commit_callbacks):
    old, new = sure
    with django_capture_on_commit_callbacks(execute=True):
        request = submit(new, old.username)
    assert request.match_confidence == TransferRequest.Match.SURE
    assert "name_variant" in request.match_reasons and "dob_same" in request.match_reasons
    assert request.previous_holder_name == "Dafydd Hughes"
    (email,) = mail.outbox
    assert email.to == [head.email]
    assert f"Who asks: Dai Hughes ({new.username})" in email.body
    assert f"Account asked for: {old.username}, held by Dafydd Hughes" in email.body
    assert "Check before you decide" not in email.body
    assert "The two schools' MIS records agree that they are the same person" in email.body

    approved = decide(request, head, approve=True)  # no tick needed
    assert approved.status == Status.APPROVED and not approved.same_person_confirmed
    transfer_proceed(request_id=request.pk, requester=new)
    assert User.objects.get(pk=old.pk).school == new.school


# --- Doubtful -----------------------------------------------------------------------------------


def test_a_doubtful_match_goes_to_the_headteacher_to_check(
    doubtful, head, django_capture_on_commit_callbacks
):
    old, new = doubtful
    with django_capture_on_commit_callbacks(execute=True):
        request = submit(new, old.username)
    assert request.match_confidence == TransferRequest.Match.DOUBTFUL
    assert {"name_only", "dob_missing"} <= set(request.match_reasons)
    (email,) = mail.outbox
    english = email.body.split("=" * 40)[1]  # after the Welsh
    assert "Check before you decide: the two schools' MIS records do not show for sure" in english
    assert "(name matches, date of birth missing, only the name matches)" in english
    assert "approve only once you have checked that they are the same person" in english
    entry = AuditEntry.objects.get(action="transfer.submitted")
    assert entry.details["match"] == "doubtful"


def test_a_doubtful_match_cannot_be_approved_without_the_tick(
    doubtful, head, django_capture_on_commit_callbacks
):
    old, new = doubtful
    request = submit(new, old.username)
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True), pytest.raises(SamePersonNotConfirmed):
        decide(request, head, approve=True)
    request.refresh_from_db()
    assert request.status == Status.SUBMITTED and request.decided_by is None
    assert mail.outbox == []
    assert not AuditEntry.objects.filter(action="transfer.approved").exists()


def test_a_doubtful_match_can_be_rejected_without_the_tick(doubtful, head):
    old, new = doubtful
    request = decide(submit(new, old.username), head, approve=False)
    assert request.status == Status.REJECTED


def test_a_doubtful_match_approved_with_the_tick_can_proceed(doubtful, head):
    old, new = doubtful
    request = decide(submit(new, old.username), head, approve=True, same_person_confirmed=True)
    assert request.status == Status.APPROVED and request.same_person_confirmed
    entry = AuditEntry.objects.get(action="transfer.approved")
    assert entry.details == {"match": "doubtful", "same_person_confirmed": True}
    transfer_proceed(request_id=request.pk, requester=new)
    assert TransferRequest.objects.get().status == Status.COMPLETED
    assert User.objects.get(pk=old.pk).school == new.school


def test_an_approval_is_refused_when_the_records_no_longer_match(client, sure, head, other_school):
    old, new = sure
    request = submit(new, old.username)
    staff_record_change(other_school, new, date_of_birth="1975-05-05")  # someone else after all
    with pytest.raises(TransferError, match="no longer show that the person asking is the holder"):
        decide(request, head, approve=True, same_person_confirmed=True)
    request.refresh_from_db()
    assert request.status == Status.SUBMITTED
    body = open_decision(client, request, head)
    assert 'value="approve"' not in body and "so it cannot be approved" in body
    assert decide(request, head, approve=False).status == Status.REJECTED


# --- Checked again at proceed -------------------------------------------------------------------


def test_proceed_is_refused_when_the_records_no_longer_match(sure, head, other_school):
    old, new = sure
    request = decide(submit(new, old.username), head, approve=True)
    staff_record_change(other_school, new, date_of_birth="1975-05-05")
    with pytest.raises(TransferError, match="no longer show clearly that the account"):
        transfer_proceed(request_id=request.pk, requester=new)
    nothing_moved(old, new)


def test_proceed_is_refused_when_a_sure_match_became_doubtful_after_the_approval(
    sure, head, other_school
):
    old, new = sure
    request = decide(submit(new, old.username), head, approve=True)
    staff_record_change(other_school, new, date_of_birth=None)  # nobody ticked for that
    with pytest.raises(TransferError, match="Cancel this request and ask again"):
        transfer_proceed(request_id=request.pk, requester=new)
    nothing_moved(old, new)


# --- The decision page --------------------------------------------------------------------------


def open_decision(client, request: TransferRequest, head: User) -> str:
    client.get(urlsplit(transfer_decision_link(request)).path)
    sign_in(client, head, reauthenticated=False)
    response = client.get(DECISION)
    assert response.status_code == 200
    return response.content.decode()


def test_the_decision_page_shows_both_people_side_by_side_with_masked_dates(
    client, doubtful, head, school, other_school
):
    old, new = doubtful
    body = open_decision(client, submit(new, old.username), head)
    table = body[body.index("<table") : body.index("</table>")]
    old_record = staff_record_of(school=school, account=old)
    new_record = staff_record_of(school=other_school, account=new)
    for text in (
        "Who asks",
        "Holder of the account",
        new.username,
        old.username,
        "Glantaf Secondary School",
        "Llanberis Primary School",
        new_record.staff_code,
        old_record.staff_code,
        "1980 (day and month not shown)",
        "Not in the MIS record",  # Glantaf's record has no date of birth
    ):
        assert text in table, text
    assert "1980-02-11" not in body and "11 February" not in body and "11/02" not in body
    assert "only the name matches" in body and "date of birth missing" in body
    assert f"the Hwb account {old.username} of Siân Jones at Llanberis Primary School" in body
    assert "I have checked that Siân Jones, who asks, is Siân Jones, the holder of" in body


def test_the_decision_page_refuses_an_approval_without_the_tick(
    client, doubtful, head, django_capture_on_commit_callbacks
):
    old, new = doubtful
    request = submit(new, old.username)
    open_decision(client, request, head)
    response = client.post(DECISION, {"decision": "approve"})
    body = response.content.decode()
    assert response.status_code == 400
    assert "<title>Error:" in body and 'href="#same_person"' in body
    assert "Tick the box to confirm that the person asking is the holder of the account" in body
    request.refresh_from_db()
    assert request.status == Status.SUBMITTED

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(DECISION, {"decision": "approve", "same_person": "on"})
    assert "You approved the request" in response.content.decode()
    request.refresh_from_db()
    assert request.status == Status.APPROVED and request.same_person_confirmed


def test_a_sure_match_is_approved_on_the_page_without_a_tick(client, sure, head):
    old, new = sure
    request = submit(new, old.username)
    body = open_decision(client, request, head)
    assert 'name="same_person"' not in body
    assert "Dafydd Hughes" in body and "Dai Hughes" in body
    assert "forename is a variant or short form, date of birth matches" in body
    client.post(DECISION, {"decision": "approve"})
    request.refresh_from_db()
    assert request.status == Status.APPROVED


def test_the_reminder_names_the_holder_too(doubtful, head, django_capture_on_commit_callbacks):
    old, new = doubtful
    request = submit(new, old.username)
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        transfer_requests_remind(now=request.created_at + timedelta(days=8))
    (email,) = mail.outbox
    assert f"for the account {old.username} of Siân Jones" in email.subject
    assert f"Account asked for: {old.username}, held by Siân Jones" in email.body
    assert "Check before you decide" in email.body


def test_the_admin_shows_the_holder_and_the_match(admin_client, doubtful, head):
    old, new = doubtful
    request = submit(new, old.username)
    body = admin_client.get(
        reverse("admin:transfers_transferrequest_change", args=[request.pk])
    ).content.decode()
    assert "Siân Jones" in body and "Doubtful: whoever decides checks both people" in body
    assert "name matches, date of birth missing, only the name matches" in body


# --- Step 1 tells nobody what kind another person's account is -----------------------------------


def _governor(school, **names):
    return make_account(school=school, kind=User.Kind.GOVERNOR, **names)


def _ite_student(school, **names):
    return make_account(school=school, kind=User.Kind.ITE_STUDENT, **names)


def _no_leaving_date(school, **names):
    return staff_of(school, first_name=names["first_name"], last_name=names["last_name"])


def _closed(school, **names):
    account = make_account(school=school, **names)
    account_deactivate(
        actor=None,
        account=account,
        reason=User.DeactivationReason.HWB_TEAM,
        deletion_due_at=timezone.now() + timedelta(days=300),
    )
    return account


KINDS = {
    "governor": (_governor, "It is not possible to move governor accounts."),
    "ite_student": (_ite_student, "Moving accounts for ITE students is not offered"),
    "no_leaving_date": (_no_leaving_date, "MIS has no leaving date for you yet"),
    "closed": (_closed, "is closed and can no longer be transferred"),
}


@pytest.mark.parametrize("kind", KINDS)
def test_step_one_gives_the_one_message_for_someone_elses_account(kind, school, other_school, head):
    make, _specific = KINDS[kind]
    account = make(school, first_name="Gareth", last_name="Pugh")
    requester = staff_of(other_school, first_name="Siân", last_name="Jones")
    assert refused(requester, account.username) == NO_SUCH_ACCOUNT


@pytest.mark.parametrize("kind", KINDS)
def test_step_one_explains_the_account_to_its_holder(kind, school, other_school, head):
    make, specific = KINDS[kind]
    account = make(school, first_name="Siân", last_name="Jones")
    requester = staff_of(other_school, first_name="Siân", last_name="Jones")
    assert specific in refused(requester, account.username)


def test_the_wizard_step_one_gives_the_one_message_for_a_governor_who_is_someone_else(
    client, school, other_school, head
):
    governor = _governor(school, first_name="Gareth", last_name="Pugh")
    requester = staff_of(other_school, first_name="Siân", last_name="Jones")
    sign_in(client, requester)
    client.get(reverse("transfers:wizard_start") + "?reset=1")
    response = client.post(
        reverse("transfers:wizard", args=["previous-school"]),
        {
            "transfer_wizard-current_step": "previous-school",
            "previous-school-dfes_number": "6612001",
            "previous-school-previous_username": governor.username,
        },
        follow=True,
    )
    body = response.content.decode()
    assert "There is no staff account with this username at Llanberis Primary School" in body
    assert "governor" not in body.lower()


# --- The message is cleaned as notices are -----------------------------------------------------


def test_bidi_and_zero_width_characters_leave_the_message(sure, head):
    old, new = sure
    request = submit(
        new, old.username, message="Annwyl\u202e Dr Ellis\u200b,\u2066 diolch 👩\u200d🏫"
    )
    assert request.message == "Annwyl Dr Ellis, diolch 👩\u200d🏫"


@pytest.mark.parametrize("invisible", ["\u202e\u202c", "\u200b\u200d \u200c", "\u2066\u2069\n"])
def test_a_message_of_only_invisible_characters_is_empty(sure, head, client, invisible):
    old, new = sure
    assert refused(new, old.username, message=invisible) == (
        "Write a message to the headteacher of up to 2000 characters."
    )
    # The wizard's message step says so too.
    sign_in(client, new)
    client.get(reverse("transfers:wizard_start") + "?reset=1")
    client.post(
        reverse("transfers:wizard", args=["previous-school"]),
        {
            "transfer_wizard-current_step": "previous-school",
            "previous-school-dfes_number": "6612001",
            "previous-school-previous_username": old.username,
        },
    )
    response = client.post(
        reverse("transfers:wizard", args=["message"]),
        {
            "transfer_wizard-current_step": "message",
            "message-message": invisible,
            "message-headteacher_confirmed": "on",
        },
        follow=True,
    )
    body = response.content.decode()
    assert "<title>Error:" in body and "Write a message to the headteacher" in body
    assert re.search(r"Step 2 of 3", body)
