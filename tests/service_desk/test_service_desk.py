"""Service-desk requests: staff of a brand-new school keeping their existing account, with the
previous organisation's written authorisation.

``school`` (Llanberis) is the previous organisation; ``other_school`` (Glantaf) is the new
school, made new by its opening date (or a local authority's notice).
"""

import re
import threading
from datetime import date, timedelta
from types import SimpleNamespace

import pytest
import time_machine
from django.contrib.auth import SESSION_KEY as AUTH_SESSION_KEY
from django.contrib.auth.models import Permission
from django.core import mail, signing
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection, connections
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from accounts.models import AccountMove, AuditEntry, OutboundEmail, SchoolRole, User
from provisioning.models import MisStaff
from provisioning.policy import deletion_due
from school_changes.models import SchoolNotice
from schools.identifiers import WELSH_LOCAL_AUTHORITIES
from schools.models import LocalAuthority
from service_desk.authorisation import (
    service_desk_authorisation_answer,
    service_desk_authorisation_ask,
    service_desk_authorisation_record,
    service_desk_request_from_link,
)
from service_desk.models import ServiceDeskRequest
from service_desk.selectors import may_ask_service_desk, school_is_new
from service_desk.services import (
    AUTHORISATION_LINK,
    ServiceDeskError,
    service_desk_request_cancel,
    service_desk_request_process,
    service_desk_request_raise,
)
from tests.conftest import sign_in
from tests.factories import PASSWORD, SchoolFactory, make_account
from tests.services import require
from tests.transfers.builders import headteacher_of, moved_staff
from transfers.models import TransferRequest
from transfers.rules import TransferError
from transfers.selectors import (
    DECISION_LINK,
)

Status = ServiceDeskRequest.Status
LINK = re.compile(r"(http://\S+/service-desk/authorise/([^/\s]+)/)")
UNKNOWN = "There is no staff account with this username at"
PDF = b"%PDF-1.7\n1 0 obj << /Type /Catalog >> endobj\n%%EOF\n"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 32
STATEMENT = "Siân Jones worked here from 2015 to 2025; her account and its work may go with her."


def fresh(user: User) -> User:
    return User.objects.get(pk=user.pk)


def link_token(message) -> str:
    match = LINK.search(message.body)
    assert match, message.body
    return match.group(2)


@pytest.fixture(autouse=True)
def _private_media(settings, tmp_path):
    """Documents go to a folder of this test's own (MEDIA_ROOT is private, never served)."""
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture
def hwb_team(db) -> User:
    return User.objects.create_superuser(
        "hwbdesk", "Desk-Pass-4242", first_name="Hwb", last_name="Desk"
    )


@pytest.fixture
def moved(school, other_school):
    """Siân worked at Llanberis (the old account) and now works at Glantaf, opened last month."""
    other_school.opening_date = date.today() - timedelta(days=30)
    other_school.save(update_fields=["opening_date"])
    head = headteacher_of(school)
    old, new = moved_staff(school, other_school)
    return SimpleNamespace(
        head=head, old=fresh(old), new=new, previous=school, new_school=other_school
    )


def raise_request(moved, *, by=None, note="I taught Year 3 there.") -> ServiceDeskRequest:
    return service_desk_request_raise(
        requester=moved.new,
        previous_dfes=moved.previous.dfes_number,
        previous_username=moved.old.username,
        note=note,
        raised_by=by or moved.new,
        ip_address="192.0.2.10",
    )


@pytest.fixture
def raised(moved, django_capture_on_commit_callbacks) -> ServiceDeskRequest:
    with django_capture_on_commit_callbacks(execute=True):
        return raise_request(moved)


@pytest.fixture
def awaiting(raised, hwb_team, django_capture_on_commit_callbacks) -> ServiceDeskRequest:
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        return service_desk_authorisation_ask(request_id=raised.pk, actor=hwb_team)


def answer(token: str, *, authorise: bool = True, **fields) -> ServiceDeskRequest:
    values = {
        "name": "Gwenllian Ellis",
        "role": "Headteacher",
        "statement": STATEMENT,
        "declared": True,
        "ip_address": "198.51.100.7",
    }
    values.update(fields)
    return service_desk_authorisation_answer(token=token, authorise=authorise, **values)


@pytest.fixture
def authorised(awaiting, django_capture_on_commit_callbacks) -> ServiceDeskRequest:
    token = link_token(mail.outbox[0])
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        return answer(token)


# --- Who may ask ---------------------------------------------------------------------------------


def test_staff_of_a_school_opened_within_a_year_or_opening_later_may_ask(school):
    today = date(2025, 9, 1)
    for opening, new in [
        (date(2025, 9, 1), True),
        (date(2026, 1, 5), True),
        (date(2024, 9, 1), True),  # exactly 12 months ago
        (date(2024, 8, 31), False),
        (None, False),
    ]:
        school.opening_date = opening
        assert school_is_new(school, today=today) is new, opening


def test_a_new_school_notice_makes_its_school_new(school, other_school):
    assert not school_is_new(other_school)
    notice = SchoolNotice.objects.create(
        kind=SchoolNotice.Kind.NEW_SCHOOL,
        local_authority=other_school.local_authority,
        effective_date=date.today() + timedelta(days=60),
        new_school_name="Ysgol Newydd",
        school=other_school,
    )
    assert school_is_new(other_school)
    notice.status = SchoolNotice.Status.WITHDRAWN
    notice.save()
    assert not school_is_new(other_school)
    # A merger notice does not make a school new.
    SchoolNotice.objects.create(
        kind=SchoolNotice.Kind.MERGER,
        local_authority=other_school.local_authority,
        effective_date=date.today(),
        school=other_school,
    )
    assert not school_is_new(other_school)


def test_only_active_staff_of_a_new_school_may_ask(moved, school):
    assert may_ask_service_desk(moved.new)
    assert not may_ask_service_desk(moved.old)  # at an old school (and closed)
    for kind in (User.Kind.GOVERNOR, User.Kind.ITE_STUDENT, User.Kind.LEARNER):
        someone = make_account(school=moved.new_school, kind=kind, first_name="Alun")
        assert not may_ask_service_desk(someone), kind
    old_school_staff = make_account(school=school, first_name="Mair")
    assert not may_ask_service_desk(old_school_staff)


# --- Raising a request --------------------------------------------------------------------------


def test_raising_a_request_records_it_and_emails_the_requester_and_the_desk(
    moved, raised, settings
):
    assert raised.status == Status.RECEIVED
    assert (raised.requester, raised.new_school) == (moved.new, moved.new_school)
    assert (raised.previous_account, raised.previous_school) == (moved.old, moved.previous)
    assert raised.raised_by == moved.new
    assert raised.note == "I taught Year 3 there."
    assert list(raised.events.values_list("action", flat=True)) == ["raised"]
    entry = AuditEntry.objects.get(action="service_desk.raised")
    assert (entry.actor, entry.ip_address) == (moved.new, "192.0.2.10")
    to_requester, to_desk = mail.outbox
    assert to_requester.to == [moved.new.email]
    assert to_requester.subject == "Your request to keep your Hwb account has been received"
    assert f"existing Hwb account {moved.old.username} from Llanberis Primary School" in (
        to_requester.body
    )
    assert "/user-management/keep-my-account/status/" in to_requester.body
    assert to_desk.to == [settings.HWB_TEAM_EMAIL]
    assert to_desk.subject == (
        f"Service-desk request #{raised.pk}: keep the account {moved.old.username}"
    )
    assert f"/admin/service_desk/servicedeskrequest/{raised.pk}/change/" in to_desk.body


def test_the_hwb_team_raises_a_request_on_someones_behalf(moved, hwb_team):
    request = raise_request(moved, by=hwb_team)
    assert request.raised_by == hwb_team and request.requester == moved.new
    assert list(request.events.values_list("action", "actor_username")) == [
        ("raised_by_desk", hwb_team.username)
    ]
    assert AuditEntry.objects.get(action="service_desk.raised").details["on_behalf"] is True


def test_someone_else_cannot_ask_for_an_account_but_the_hwb_team_may_raise_it_for_them(
    moved, hwb_team, desk_client
):
    stranger = make_account(school=moved.new_school, first_name="Rhys", last_name="Evans")
    with pytest.raises(TransferError) as refusal:
        service_desk_request_raise(
            requester=stranger,
            previous_dfes=moved.previous.dfes_number,
            previous_username=moved.old.username,
            note="",
            raised_by=stranger,
        )
    assert str(refusal.value).startswith(UNKNOWN)  # nothing about whose account it is
    assert not ServiceDeskRequest.objects.exists()
    # The desk checks with the previous school in writing, and sees what the matcher says.
    request = service_desk_request_raise(
        requester=stranger,
        previous_dfes=moved.previous.dfes_number,
        previous_username=moved.old.username,
        note="",
        raised_by=hwb_team,
    )
    change = desk_client.get(admin_url("change", request.pk)).content.decode()
    assert "No match: the records describe someone else" in change


@pytest.mark.parametrize("kind", [User.Kind.GOVERNOR, User.Kind.ITE_STUDENT])
def test_governor_and_ite_requesters_are_refused(moved, kind):
    someone = make_account(school=moved.new_school, kind=kind, first_name="Alun")
    message = "governor" if kind == User.Kind.GOVERNOR else "ITE students"
    with pytest.raises(TransferError, match=message):
        service_desk_request_raise(
            requester=someone,
            previous_dfes=moved.previous.dfes_number,
            previous_username=moved.old.username,
            note="",
            raised_by=someone,
        )
    assert not ServiceDeskRequest.objects.exists()


@pytest.mark.parametrize("kind", [User.Kind.GOVERNOR, User.Kind.ITE_STUDENT])
def test_governor_and_ite_accounts_at_the_previous_school_are_refused(moved, kind):
    # Their holder (the requester's name) is told why; anyone else gets the one message.
    someone = make_account(
        school=moved.previous,
        kind=kind,
        first_name=moved.new.first_name,
        last_name=moved.new.last_name,
    )
    message = "governor" if kind == User.Kind.GOVERNOR else "ITE students"
    with pytest.raises(TransferError, match=message):
        service_desk_request_raise(
            requester=moved.new,
            previous_dfes=moved.previous.dfes_number,
            previous_username=someone.username,
            note="",
            raised_by=moved.new,
        )
    assert not ServiceDeskRequest.objects.exists()


def test_unknown_accounts_learners_and_the_same_account_get_one_message(moved, learner):
    for username in ("nobody99", learner.username, moved.new.username):
        with pytest.raises(TransferError, match=UNKNOWN):
            service_desk_request_raise(
                requester=moved.new,
                previous_dfes=moved.previous.dfes_number,
                previous_username=username,
                note="",
                raised_by=moved.new,
            )
    with pytest.raises(TransferError, match="This is your new school's DfES number"):
        service_desk_request_raise(
            requester=moved.new,
            previous_dfes=moved.new_school.dfes_number,
            previous_username=moved.new.username,
            note="",
            raised_by=moved.new,
        )
    with pytest.raises(TransferError, match="No school has this DfES number"):
        service_desk_request_raise(
            requester=moved.new,
            previous_dfes="6619999",
            previous_username=moved.old.username,
            note="",
            raised_by=moved.new,
        )
    assert not ServiceDeskRequest.objects.exists()


def test_staff_of_a_school_that_is_not_new_are_sent_to_account_transfer(moved, school):
    moved.new_school.opening_date = date(2001, 9, 1)
    moved.new_school.save()
    with pytest.raises(ServiceDeskError, match="use Account Transfer"):
        raise_request(moved)


def test_an_account_with_an_open_request_is_refused(moved, raised, school, other_school):
    with pytest.raises(ServiceDeskError, match="already an open request to keep an account for"):
        raise_request(moved)
    # Someone else of the same name naming the same existing account.
    colleague = make_account(
        school=other_school, first_name=moved.old.first_name, last_name=moved.old.last_name
    )
    with pytest.raises(ServiceDeskError, match="already an open request to keep the account"):
        service_desk_request_raise(
            requester=colleague,
            previous_dfes=school.dfes_number,
            previous_username=moved.old.username,
            note="",
            raised_by=colleague,
        )
    assert ServiceDeskRequest.objects.count() == 1


def test_an_account_with_an_open_transfer_is_refused(moved, school, other_school):
    TransferRequest.objects.create(
        requester=moved.new,
        requester_username=moved.new.username,
        new_school=other_school,
        previous_school=school,
        previous_account=moved.old,
        previous_username=moved.old.username,
        message="Please",
        approver=TransferRequest.Approver.HEADTEACHER,
    )
    with pytest.raises(ServiceDeskError, match="open Account Transfer request"):
        raise_request(moved)


def test_a_huge_note_is_refused_and_odd_unicode_is_kept(moved):
    with pytest.raises(ServiceDeskError, match="up to 2000 characters"):
        raise_request(moved, note="x" * 2001)
    request = raise_request(moved, note="  Ŵyn ap Siôn \x00— 👩‍🏫  ")
    assert request.note == "Ŵyn ap Siôn — 👩‍🏫"


# --- Asking for written authorisation -----------------------------------------------------------


def test_asking_emails_the_previous_headteacher_a_signed_link(moved, awaiting, hwb_team):
    assert awaiting.status == Status.AWAITING
    assert awaiting.authoriser_email == moved.head.email
    assert awaiting.authorisation_requested_at is not None
    message, told = mail.outbox
    assert message.to == [moved.head.email]
    # The requester hears that their previous school was asked, but not at which address.
    assert told.to == [moved.new.email]
    assert told.subject == (
        "The service desk has asked your previous organisation to authorise the move of your "
        "Hwb account"
    )
    assert f"asked {moved.old.school.name} for written authorisation" in told.body
    assert moved.head.email not in told.body
    welsh, english = message.subject.split(" / ")  # Welsh first
    assert english == f"Written authorisation needed to move the Hwb account {moved.old.username}"
    assert "Dear Gwenllian Ellis," in message.body
    # The account's holder is named, not just "their account".
    assert f"The account to move: {moved.old.username}, held by Siân Jones" in message.body
    assert "The link expires in 14 days and works once." in message.body
    assert service_desk_request_from_link(link_token(message)) == awaiting
    event = awaiting.events.get(action="authorisation_asked")
    assert (event.actor_username, event.note) == (hwb_team.username, moved.head.email)
    assert AuditEntry.objects.filter(
        action="service_desk.authorisation_asked", actor=hwb_team
    ).exists()


def test_without_a_headteacher_the_local_authoritys_officers_are_asked(
    school, other_school, hwb_team, django_capture_on_commit_callbacks
):
    other_school.opening_date = date.today()
    other_school.save()
    officer = make_account(
        kind=User.Kind.LA_OFFICER, first_name="Alaw", local_authority=school.local_authority
    )
    old, new = moved_staff(school, other_school)
    request = service_desk_request_raise(
        requester=new,
        previous_dfes=school.dfes_number,
        previous_username=old.username,
        note="",
        raised_by=new,
    )
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        service_desk_authorisation_ask(request_id=request.pk, actor=hwb_team)
    assert [message.to for message in mail.outbox] == [[officer.email], [new.email]]


def test_the_desk_may_type_another_address_and_asking_again_spends_the_old_link(
    moved, awaiting, hwb_team, django_capture_on_commit_callbacks
):
    first_token = link_token(mail.outbox[0])
    with pytest.raises(ServiceDeskError, match="Enter an email address"):
        service_desk_authorisation_ask(request_id=awaiting.pk, actor=hwb_team, email="not-an-email")
    with django_capture_on_commit_callbacks(execute=True):
        service_desk_authorisation_ask(
            request_id=awaiting.pk, actor=hwb_team, email="pennaeth@llanberis.example"
        )
    message = mail.outbox[-1]
    assert message.to == ["pennaeth@llanberis.example"]
    assert "Dear headteacher," in message.body
    with pytest.raises(ServiceDeskError, match="replaced by a newer one"):
        service_desk_request_from_link(first_token)
    with pytest.raises(ServiceDeskError, match="replaced by a newer one"):
        answer(first_token)
    assert service_desk_request_from_link(link_token(message)).pk == awaiting.pk


# --- The written answer ---------------------------------------------------------------------------


def test_authorising_in_writing_records_who_what_and_when(moved, authorised, settings):
    assert authorised.status == Status.AUTHORISED
    assert authorised.authorisation_method == ServiceDeskRequest.Method.LINK
    assert (authorised.authoriser_name, authorised.authoriser_role) == (
        "Gwenllian Ellis",
        "Headteacher",
    )
    assert authorised.authoriser_statement == STATEMENT
    assert authorised.authorised_at is not None and authorised.link_nonce == ""
    entry = AuditEntry.objects.get(action="service_desk.authorised")
    assert entry.ip_address == "198.51.100.7"
    assert entry.details["name"] == "Gwenllian Ellis"
    to_requester, to_desk = mail.outbox
    assert to_requester.to == [moved.new.email]
    assert to_requester.subject == (
        "Your previous organisation has authorised the move of your Hwb account"
    )
    assert to_desk.to == [settings.HWB_TEAM_EMAIL]
    assert "authorised: ready to process" in to_desk.subject
    # Nothing has moved yet: the desk processes it.
    assert fresh(moved.old).school == moved.previous
    assert fresh(moved.new).is_active


def test_declining_ends_the_request_and_changes_no_account(
    moved, awaiting, django_capture_on_commit_callbacks
):
    token = link_token(mail.outbox[0])
    with django_capture_on_commit_callbacks(execute=True):
        request = answer(token, authorise=False, statement="She never worked here.")
    assert request.status == Status.DECLINED and request.finished_at is not None
    assert mail.outbox[-2].subject == (
        "Your previous organisation has declined the move of your Hwb account"
    )
    with pytest.raises(ServiceDeskError, match="Only an authorised request"):
        service_desk_request_process(request_id=request.pk, actor=moved.new)
    assert not AccountMove.objects.exists()


def test_an_answer_needs_a_statement_a_name_a_role_and_the_declaration(moved, awaiting):
    token = link_token(mail.outbox[0])
    for fields, message in [
        ({"statement": "   "}, "Write a statement"),
        ({"statement": "x" * 4001}, "Write a statement"),
        ({"name": ""}, "full name"),
        ({"role": "r" * 201}, "role"),
        ({"declared": False}, "declaration"),
    ]:
        with pytest.raises(ServiceDeskError, match=message):
            answer(token, **fields)
    awaiting.refresh_from_db()
    assert awaiting.status == Status.AWAITING


def test_a_tampered_link_is_refused(awaiting):
    token = link_token(mail.outbox[0])
    for position in (2, len(token) // 2, len(token) - 1):
        changed = "A" if token[position] != "A" else "B"
        with pytest.raises(ServiceDeskError, match="This link is not valid."):
            service_desk_request_from_link(token[:position] + changed + token[position + 1 :])
    with pytest.raises(ServiceDeskError, match="This link is not valid."):
        answer("not-a-token")
    awaiting.refresh_from_db()
    assert awaiting.status == Status.AWAITING


def test_an_expired_link_changes_nothing(awaiting, settings):
    """Links last 14 days, however long the setting asks for: a forwarded or leaked link is
    not a standing key to someone's account."""
    token = link_token(mail.outbox[0])
    assert "expires in 14 days" in mail.outbox[0].body
    sent = awaiting.authorisation_requested_at
    with time_machine.travel(sent + timedelta(days=14) - timedelta(minutes=1)):
        assert service_desk_request_from_link(token) == awaiting
    with (
        time_machine.travel(sent + timedelta(days=14, minutes=1)),
        pytest.raises(ServiceDeskError, match="This link has expired."),
    ):
        answer(token)
    settings.HWB_AUTHORISATION_LINK_DAYS = 30
    with (
        time_machine.travel(sent + timedelta(days=15)),
        pytest.raises(ServiceDeskError, match="This link has expired."),
    ):
        service_desk_request_from_link(token)
    settings.HWB_AUTHORISATION_LINK_DAYS = 3
    with (
        time_machine.travel(sent + timedelta(days=3, minutes=1)),
        pytest.raises(ServiceDeskError, match="This link has expired."),
    ):
        service_desk_request_from_link(token)
    awaiting.refresh_from_db()
    assert awaiting.status == Status.AWAITING and awaiting.authoriser_name == ""


def test_a_link_lifetime_over_14_days_is_refused_at_start_up(settings):
    from django.core.checks import run_checks

    settings.HWB_AUTHORISATION_LINK_DAYS = 30
    assert "hwb.E003" in [error.id for error in run_checks()]
    settings.HWB_AUTHORISATION_LINK_DAYS = 14
    assert "hwb.E003" not in [error.id for error in run_checks()]


def test_a_replayed_link_answers_once(moved, awaiting):
    token = link_token(mail.outbox[0])
    answer(token)
    with pytest.raises(ServiceDeskError, match="already been answered or closed: Authorised"):
        answer(token, authorise=False, name="Someone Else")
    awaiting.refresh_from_db()
    assert awaiting.status == Status.AUTHORISED and awaiting.authoriser_name == "Gwenllian Ellis"
    assert awaiting.events.filter(action__in=["authorised", "declined"]).count() == 1


def test_a_link_for_one_request_is_useless_for_another(
    moved, awaiting, hwb_team, school, other_school
):
    token_a = link_token(mail.outbox[0])
    old_b, new_b = moved_staff(school, other_school, first_name="Rhys", last_name="Evans")
    request_b = service_desk_request_raise(
        requester=new_b,
        previous_dfes=school.dfes_number,
        previous_username=old_b.username,
        note="",
        raised_by=new_b,
    )
    request_b = service_desk_authorisation_ask(request_id=request_b.pk, actor=hwb_team)
    forged = signing.dumps(
        {"r": request_b.pk, "n": awaiting.link_nonce}, salt=AUTHORISATION_LINK.salt
    )
    with pytest.raises(ServiceDeskError):
        answer(forged)
    other_purpose = signing.dumps({"r": request_b.pk, "n": request_b.link_nonce})
    with pytest.raises(ServiceDeskError, match="This link is not valid."):
        answer(other_purpose)
    assert service_desk_request_from_link(token_a) == awaiting
    request_b.refresh_from_db()
    assert request_b.status == Status.AWAITING


def test_a_link_to_a_cancelled_request_answers_nothing(moved, awaiting):
    token = link_token(mail.outbox[0])
    service_desk_request_cancel(request_id=awaiting.pk, actor=moved.new)
    with pytest.raises(ServiceDeskError, match="already been answered or closed: Cancelled"):
        answer(token)


# --- Authorisation received another way ---------------------------------------------------------


def upload(content: bytes, name: str = "letter.pdf") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, content, content_type="application/pdf")


def record(request, hwb_team, document, *, authorise=True):
    return service_desk_authorisation_record(
        request_id=request.pk,
        actor=hwb_team,
        authorise=authorise,
        name="Gwenllian Ellis",
        role="Headteacher",
        statement=STATEMENT,
        document=document,
        ip_address="192.0.2.44",
    )


def test_the_desk_records_an_authorisation_with_its_document(
    moved, raised, hwb_team, django_capture_on_commit_callbacks
):
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        request = record(raised, hwb_team, upload(PDF, "Llythyr gan y pennaeth ✓.pdf"))
    assert request.status == Status.AUTHORISED
    assert request.authorisation_method == ServiceDeskRequest.Method.DOCUMENT
    assert request.authorisation_document.name.endswith(f"authorisation-{request.pk}.pdf")
    with request.authorisation_document.open("rb") as stored:
        assert stored.read() == PDF
    assert request.events.filter(action="authorised", actor_username=hwb_team.username).exists()
    entry = AuditEntry.objects.get(action="service_desk.authorised")
    assert entry.details["method"] == "document" and entry.ip_address == "192.0.2.44"
    assert [message.to for message in mail.outbox] == [[moved.new.email]]


@pytest.mark.parametrize(
    "content, message",
    [
        (b"MZ\x90\x00 a Windows program named .pdf", "must be a PDF, PNG or JPEG"),
        (b"<html><script>alert(1)</script></html>", "must be a PDF, PNG or JPEG"),
        (b"", "Attach the authorisation document"),
    ],
)
def test_a_document_of_the_wrong_kind_is_refused(raised, hwb_team, content, message):
    with pytest.raises(ServiceDeskError, match=message):
        record(raised, hwb_team, upload(content))
    raised.refresh_from_db()
    assert raised.status == Status.RECEIVED and not raised.authorisation_document


def test_a_document_over_the_limit_is_refused(raised, hwb_team, settings):
    settings.HWB_AUTHORISATION_MAX_BYTES = 1024
    with pytest.raises(ServiceDeskError, match="too big"):
        record(raised, hwb_team, upload(PDF + b"0" * 1024))
    assert record(raised, hwb_team, upload(PNG, "scan.png")).authorisation_document.name.endswith(
        ".png"
    )


# --- Processing -----------------------------------------------------------------------------------


def test_processing_moves_the_account_as_a_transfer_does(
    moved, authorised, hwb_team, school, other_school, django_capture_on_commit_callbacks
):
    new_record = MisStaff.objects.get(school=other_school, account=moved.new)
    generations = (fresh(moved.old).session_generation, fresh(moved.new).session_generation)
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        request = service_desk_request_process(
            request_id=authorised.pk, actor=hwb_team, ip_address="192.0.2.50"
        )
    assert request.status == Status.COMPLETED and request.processed_by == hwb_team
    old = fresh(moved.old)
    assert old.school == other_school and old.is_active and old.check_password(PASSWORD)
    new = fresh(moved.new)
    assert not new.is_active
    assert new.deactivation_reason == User.DeactivationReason.REPLACED
    assert new.deletion_due_at == deletion_due(timezone.localdate())
    assert (old.session_generation, new.session_generation) == (
        generations[0] + 1,
        generations[1] + 1,
    )
    assert MisStaff.objects.get(pk=new_record.pk).account == old
    move = AccountMove.objects.get()
    assert move.reason == AccountMove.Reason.SERVICE_DESK
    assert (move.from_school, move.to_school, move.actor) == (school, other_school, hwb_team)
    assert move.details["service_desk_request"] == request.pk
    assert AuditEntry.objects.filter(action="service_desk.completed", actor=hwb_team).exists()
    assert request.events.last().action == "completed"
    subjects = {message.to[0]: message.subject for message in mail.outbox}
    assert subjects[old.email].startswith("Account moved")
    # Processing twice moves nobody twice.
    with pytest.raises(ServiceDeskError, match="Only an authorised request"):
        service_desk_request_process(request_id=request.pk, actor=hwb_team)
    assert AccountMove.objects.count() == 1


def test_only_an_authorised_request_is_processed(moved, raised, awaiting, hwb_team):
    with pytest.raises(ServiceDeskError, match="Only an authorised request"):
        service_desk_request_process(request_id=awaiting.pk, actor=hwb_team)
    assert fresh(moved.old).school == moved.previous


def test_a_governor_made_of_the_previous_account_meanwhile_is_not_moved(
    moved, authorised, hwb_team
):
    User.objects.filter(pk=moved.old.pk).update(kind=User.Kind.GOVERNOR)
    with pytest.raises(TransferError, match="not possible to move governor accounts"):
        service_desk_request_process(request_id=authorised.pk, actor=hwb_team)
    assert fresh(moved.old).school == moved.previous
    assert not AccountMove.objects.exists()


def test_an_account_moved_meanwhile_is_not_moved_again(moved, authorised, hwb_team):
    third = SchoolFactory(dfes_number="6612002")
    User.objects.filter(pk=moved.old.pk).update(school=third)
    with pytest.raises(ServiceDeskError, match="has moved meanwhile"):
        service_desk_request_process(request_id=authorised.pk, actor=hwb_team)
    assert not AccountMove.objects.exists()


def test_a_transfer_opened_meanwhile_stops_processing(moved, authorised, hwb_team):
    TransferRequest.objects.create(
        requester=moved.new,
        requester_username=moved.new.username,
        new_school=moved.new_school,
        previous_school=moved.previous,
        previous_account=moved.old,
        previous_username=moved.old.username,
        message="Please",
        approver=TransferRequest.Approver.HEADTEACHER,
    )
    with pytest.raises(ServiceDeskError, match="open Account Transfer request"):
        service_desk_request_process(request_id=authorised.pk, actor=hwb_team)
    assert not AccountMove.objects.exists()


# --- Cancelling ---------------------------------------------------------------------------------


def test_the_desk_cancelling_tells_the_member_of_staff(
    moved, awaiting, hwb_team, django_capture_on_commit_callbacks
):
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        request = service_desk_request_cancel(request_id=awaiting.pk, actor=hwb_team)
    assert request.status == Status.CANCELLED and request.link_nonce == ""
    assert mail.outbox[0].to == [moved.new.email]
    assert mail.outbox[0].subject == "Your request to keep your Hwb account has been cancelled"
    with pytest.raises(ServiceDeskError, match="no longer open"):
        service_desk_request_cancel(request_id=awaiting.pk, actor=hwb_team)


# === Pages ========================================================================================

START = "/user-management/keep-my-account/"
STATUS = "/user-management/keep-my-account/status/"
PROFILE = "/user-management/my-profile/"
AUTHORISE = "/service-desk/authorise/"


def wizard_post(client, step: str, **fields):
    data = {"service_desk_wizard-current_step": step}
    data.update({f"{step}-{name}": value for name, value in fields.items()})
    response = client.post(reverse("service_desk:wizard", args=[step]), data)
    if response.status_code == 303:  # refused: the step's page shows the answers and errors
        assert response.url == reverse("service_desk:wizard", args=[step])
        return client.get(response.url)
    return response


def test_your_details_offers_keep_my_account_to_staff_of_a_new_school(client, moved):
    sign_in(client, moved.new)
    page = client.get(PROFILE).content.decode()
    assert "Keep my existing Hwb account" in page
    assert 'href="/user-management/account-transfer/"' not in page


def test_your_details_keeps_account_transfer_for_other_staff(client, moved, school):
    colleague = make_account(school=school, first_name="Mair")
    sign_in(client, colleague)
    page = client.get(PROFILE).content.decode()
    assert "Account Transfer" in page and "Keep my existing Hwb account" not in page
    assert "not new" in client.get(START).content.decode()


@pytest.mark.parametrize(
    "kind, why",
    [
        (User.Kind.GOVERNOR, "It is not possible to move governor accounts."),
        (User.Kind.ITE_STUDENT, "Moving accounts for ITE students is not offered"),
    ],
)
def test_governors_and_ite_students_of_a_new_school_see_why_not(client, moved, kind, why):
    someone = make_account(school=moved.new_school, kind=kind, first_name="Alun")
    sign_in(client, someone)
    page = client.get(PROFILE).content.decode()
    assert why in page and "Keep my existing Hwb account</a>" not in page
    assert why in client.get(START).content.decode()
    response = client.get(reverse("service_desk:wizard", args=["previous-account"]))
    assert response.status_code == 302 and response["Location"] == START


def test_learners_find_no_service_desk_pages(client, moved):
    learner = make_account(school=moved.new_school, kind=User.Kind.LEARNER, first_name="Elin")
    sign_in(client, learner, reauthenticated=False)
    client.post("/user-management/sign-in/", {"username": learner.username, "password": PASSWORD})
    for path in (START, STATUS):
        assert client.get(path).status_code in (302, 404)
        assert "Keep my existing" not in client.get(path).content.decode()


def test_the_member_of_staff_raises_a_request_from_the_pages(
    client, moved, settings, django_capture_on_commit_callbacks
):
    sign_in(client, moved.new)
    assert "deleted after 12 months" in client.get(START).content.decode()
    client.get(reverse("service_desk:wizard_start") + "?reset=1")
    page = client.get(reverse("service_desk:wizard", args=["previous-account"]))
    assert 'data-dfes-lookup="previous-school-name"' in page.content.decode()
    response = wizard_post(
        client,
        "previous-account",
        dfes_number=moved.previous.dfes_number,
        previous_username=moved.old.username.upper(),
        note="Year 3 teacher",
    )
    assert response.status_code == 302, response.content.decode()
    check = client.get(response["Location"]).content.decode()
    assert "Check your answers" in check and "Llanberis Primary School" in check
    assert moved.old.username in check and "Year 3 teacher" in check
    with django_capture_on_commit_callbacks(execute=True):
        response = wizard_post(client, "check")
    assert response.status_code == 302 and response["Location"] == STATUS
    request = ServiceDeskRequest.objects.get()
    assert request.previous_account == moved.old and request.note == "Year 3 teacher"
    status = client.get(STATUS).content.decode()
    assert "Received by the service desk" in status
    assert "You sent the request to the service desk" in status
    assert {message.to[0] for message in mail.outbox} == {
        moved.new.email,
        settings.HWB_TEAM_EMAIL,
    }
    # An open request: the start page and the form lead to its status.
    assert client.get(START)["Location"] == STATUS


def test_the_form_gives_the_transfers_one_message_for_an_unknown_account(client, moved):
    sign_in(client, moved.new)
    client.get(reverse("service_desk:wizard_start") + "?reset=1")
    response = wizard_post(
        client,
        "previous-account",
        dfes_number=moved.previous.dfes_number,
        previous_username="nobody99",
    )
    page = response.content.decode()
    assert response.status_code == 200
    assert UNKNOWN in page and "<title>Error:" in page
    assert not ServiceDeskRequest.objects.exists()


def test_the_member_of_staff_cancels_an_open_request(
    client, moved, raised, django_capture_on_commit_callbacks, settings
):
    sign_in(client, moved.new)
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("service_desk:cancel", args=[raised.pk]))
    assert response.status_code == 302
    raised.refresh_from_db()
    assert raised.status == Status.CANCELLED
    assert mail.outbox[0].to == [settings.HWB_TEAM_EMAIL]
    assert "You cancelled the request" in client.get(STATUS).content.decode()


def test_a_cancelled_request_stays_listed_when_a_new_one_is_raised(client, moved, raised):
    service_desk_request_cancel(request_id=raised.pk, actor=moved.new)
    again = raise_request(moved)
    sign_in(client, moved.new)
    status = client.get(STATUS).content.decode()
    assert "Past requests" in status and "Previous organisation" in status
    assert "Cancelled" in status and "Received by the service desk" in status
    assert ServiceDeskRequest.objects.filter(pk=again.pk, status=Status.RECEIVED).exists()


def test_nobody_else_can_cancel_or_see_a_request(client, moved, raised, other_school):
    colleague = make_account(school=other_school, first_name="Rhys", last_name="Evans")
    sign_in(client, colleague)
    assert client.post(reverse("service_desk:cancel", args=[raised.pk])).status_code == 404
    assert moved.old.username not in client.get(STATUS).content.decode()
    raised.refresh_from_db()
    assert raised.status == Status.RECEIVED


# --- The written authorisation page -------------------------------------------------------------


def authorisation_form(**overrides) -> dict:
    data = {
        "full_name": "Gwenllian Ellis",
        "role": "Headteacher",
        "decision": "authorise",
        "statement": STATEMENT,
        "declared": "on",
    }
    data.update(overrides)
    return data


def test_the_link_moves_its_token_into_the_session_and_needs_no_sign_in(awaiting):
    client = Client()
    token = link_token(mail.outbox[0])
    response = client.get(f"{AUTHORISE}{token}/")
    assert response.status_code == 302 and response["Location"] == AUTHORISE
    assert response["Referrer-Policy"] == "no-referrer"
    page = client.get(AUTHORISE)
    body = page.content.decode()
    assert page.status_code == 200 and AUTH_SESSION_KEY not in client.session
    assert token not in body
    assert "Glantaf Secondary School" in body and awaiting.previous_username in body
    assert "Siân Jones" in body


def test_the_page_records_the_answer_once(awaiting, django_capture_on_commit_callbacks):
    client = Client(REMOTE_ADDR="203.0.113.5")
    client.get(f"{AUTHORISE}{link_token(mail.outbox[0])}/")
    invalid = client.post(AUTHORISE, authorisation_form(statement="", declared=""))
    assert invalid.status_code == 400
    body = invalid.content.decode()
    assert "<title>Error:" in body and "Write your statement" in body
    assert "Tick the box to confirm the declaration" in body
    with django_capture_on_commit_callbacks(execute=True):
        done = client.post(AUTHORISE, authorisation_form())
    assert "You authorised the move" in done.content.decode()
    awaiting.refresh_from_db()
    assert awaiting.status == Status.AUTHORISED
    assert AuditEntry.objects.get(action="service_desk.authorised").ip_address == "203.0.113.5"
    again = client.post(AUTHORISE, authorisation_form(decision="decline"))
    assert again.status_code == 400
    assert "already been answered" in again.content.decode()
    awaiting.refresh_from_db()
    assert awaiting.status == Status.AUTHORISED


def test_an_unanswered_choice_is_linked_from_the_error_summary_to_its_first_option(awaiting):
    client = Client()
    client.get(f"{AUTHORISE}{link_token(mail.outbox[0])}/")
    body = client.post(AUTHORISE, authorisation_form(decision="")).content.decode()
    assert '<a href="#id_decision_0">Choose whether you authorise or decline</a>' in body
    assert 'id="id_decision_0"' in body
    awaiting.refresh_from_db()
    assert awaiting.status == Status.AWAITING


def test_the_page_without_a_link_or_with_a_tampered_one_changes_nothing(awaiting):
    client = Client()
    assert "Open the link in the email again" in client.get(AUTHORISE).content.decode()
    assert client.post(AUTHORISE, authorisation_form()).status_code == 400
    token = link_token(mail.outbox[0])
    tampered = client.get(f"{AUTHORISE}{token[:-3]}xyz/")
    assert tampered.status_code == 400 and "This link is not valid." in tampered.content.decode()
    awaiting.refresh_from_db()
    assert awaiting.status == Status.AWAITING
    # The transfer's decision link session key is untouched by ours (no mixing of purposes).
    assert DECISION_LINK.session_key not in client.session


# --- The admin ------------------------------------------------------------------------------------


@pytest.fixture
def desk_client(client, hwb_team) -> Client:
    client.force_login(hwb_team)
    return client


def admin_url(name: str, *args) -> str:
    return reverse(f"admin:service_desk_servicedeskrequest_{name}", args=args)


def test_the_desk_raises_asks_records_and_processes_in_the_admin(
    desk_client, moved, hwb_team, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        response = desk_client.post(
            admin_url("add"),
            {
                "requester_username": moved.new.username.upper(),
                "dfes_number": moved.previous.dfes_number,
                "previous_username": moved.old.username,
                "note": "Phoned the desk",
            },
        )
    assert response.status_code == 302
    request = ServiceDeskRequest.objects.get()
    assert request.raised_by == hwb_team
    change = desk_client.get(admin_url("change", request.pk)).content.decode()
    assert "Ask the previous organisation for written authorisation" in change
    assert "Process: move the account" not in change
    ask_page = desk_client.get(admin_url("ask", request.pk)).content.decode()
    assert moved.head.email in ask_page
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        desk_client.post(admin_url("ask", request.pk), {"email": ""})
    assert mail.outbox[0].to == [moved.head.email]
    with django_capture_on_commit_callbacks(execute=True):
        answer(link_token(mail.outbox[0]))
    change = desk_client.get(admin_url("change", request.pk)).content.decode()
    assert "Process: move the account" in change
    confirm = desk_client.get(admin_url("process", request.pk)).content.decode()
    assert "deleted after 12 months" in confirm
    with django_capture_on_commit_callbacks(execute=True):
        desk_client.post(admin_url("process", request.pk))
    request.refresh_from_db()
    assert request.status == Status.COMPLETED
    assert fresh(moved.old).school == moved.new_school


def test_the_admin_refuses_a_governor_on_behalf_of_anyone(desk_client, moved):
    governor = make_account(school=moved.previous, kind=User.Kind.GOVERNOR, first_name="Alun")
    response = desk_client.post(
        admin_url("add"),
        {
            "requester_username": moved.new.username,
            "dfes_number": moved.previous.dfes_number,
            "previous_username": governor.username,
        },
    )
    assert response.status_code == 200
    assert "It is not possible to move governor accounts." in response.content.decode()
    assert not ServiceDeskRequest.objects.exists()


def test_the_admin_refuses_a_document_that_is_not_one(desk_client, raised):
    response = desk_client.post(
        admin_url("record", raised.pk),
        {
            "decision": "authorise",
            "full_name": "Gwenllian Ellis",
            "role": "Headteacher",
            "statement": STATEMENT,
            "document": upload(b"#!/bin/sh\nrm -rf /\n", "letter.pdf"),
        },
    )
    assert response.status_code == 200
    assert "must be a PDF, PNG or JPEG" in response.content.decode()
    raised.refresh_from_db()
    assert raised.status == Status.RECEIVED


def test_the_document_downloads_only_for_the_hwb_team(client, desk_client, raised, hwb_team):
    record(raised, hwb_team, upload(PDF))
    url = admin_url("document", raised.pk)
    change = desk_client.get(admin_url("change", raised.pk)).content.decode()
    assert url in change and "/media/" not in change
    response = desk_client.get(url)
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"].startswith("attachment;")
    assert b"".join(response.streaming_content) == PDF
    outsider = Client()
    assert outsider.get(url).status_code == 302  # to the admin's sign-in
    headteacher = make_account(
        school=raised.previous_school, first_name="Nia", roles=(SchoolRole.Role.HEADTEACHER,)
    )
    sign_in(outsider, headteacher)
    assert outsider.get(url).status_code == 302  # not staff: the admin sends them to sign in


def test_the_admin_pages_open_and_the_desk_cancels_from_there(
    desk_client, moved, raised, django_capture_on_commit_callbacks
):
    assert desk_client.get(admin_url("changelist")).status_code == 200
    add_page = desk_client.get(admin_url("add")).content.decode()
    assert "Raise a service-desk request on someone" in add_page
    assert desk_client.get(admin_url("record", raised.pk)).status_code == 200
    assert "Cancel the request" in desk_client.get(admin_url("cancel", raised.pk)).content.decode()
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        response = desk_client.post(admin_url("cancel", raised.pk))
    assert response.status_code == 302
    raised.refresh_from_db()
    assert raised.status == Status.CANCELLED
    assert raised.events.last().action == "cancelled_by_desk"
    assert mail.outbox[0].to == [moved.new.email]
    # Nothing left to do: the buttons are gone, and a stale POST changes nothing.
    change = desk_client.get(admin_url("change", raised.pk)).content.decode()
    assert "Process: move the account" not in change and "Record authorisation" not in change
    desk_client.post(admin_url("process", raised.pk))
    raised.refresh_from_db()
    assert raised.status == Status.CANCELLED


def test_admin_users_without_the_permission_cannot_act(client, raised):
    viewer = User.objects.create_user(
        "deskviewer", "Viewer-Pass-42", first_name="Desk", last_name="Viewer", kind="hwb_team"
    )
    User.objects.filter(pk=viewer.pk).update(is_staff=True)
    viewer.user_permissions.add(Permission.objects.get(codename="view_servicedeskrequest"))
    client.force_login(User.objects.get(pk=viewer.pk))
    assert client.get(admin_url("change", raised.pk)).status_code == 200
    for name in ("ask", "record", "process", "cancel"):
        assert client.post(admin_url(name, raised.pk)).status_code == 403, name
    assert client.post(admin_url("add"), {}).status_code == 403
    raised.refresh_from_db()
    assert raised.status == Status.RECEIVED


# --- Exactly one answer (PostgreSQL: six connections at once) -----------------------------------


@pytest.mark.django_db(transaction=True)
def test_six_simultaneous_answers_record_one(_private_media):
    require(
        connection.vendor == "postgresql",
        "PostgreSQL",
        "set DATABASE_URL=postgres://postgres@127.0.0.1:5432/hwb_portal",
    )
    for code, (name_en, name_cy) in WELSH_LOCAL_AUTHORITIES.items():
        LocalAuthority.objects.get_or_create(
            code=code, defaults={"name_en": name_en, "name_cy": name_cy}
        )
    previous = SchoolFactory(dfes_number="6612001", name_en="Llanberis Primary School")
    new_school = SchoolFactory(dfes_number="6814004", opening_date=date.today())
    headteacher_of(previous)
    old, new = moved_staff(previous, new_school)
    desk = User.objects.create_superuser("hwbdesk", "Desk-Pass-4242", first_name="H", last_name="D")
    request = service_desk_request_raise(
        requester=new,
        previous_dfes=previous.dfes_number,
        previous_username=old.username,
        note="",
        raised_by=new,
    )
    service_desk_authorisation_ask(request_id=request.pk, actor=desk)
    request.refresh_from_db()
    token = signing.dumps({"r": request.pk, "n": request.link_nonce}, salt=AUTHORISATION_LINK.salt)
    clicks = 6
    start = threading.Barrier(clicks)
    outcomes: list = [None] * clicks

    def click(number: int) -> None:
        try:
            start.wait(10)
            outcomes[number] = answer(token, authorise=number % 2 == 0, name=f"Person {number}")
        except Exception as error:  # noqa: BLE001 - each outcome is checked below
            outcomes[number] = error
        finally:
            connections.close_all()

    threads = [threading.Thread(target=click, args=(number,)) for number in range(clicks)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)

    answered = [each for each in outcomes if isinstance(each, ServiceDeskRequest)]
    refused = [each for each in outcomes if isinstance(each, ServiceDeskError)]
    assert (len(answered), len(refused)) == (1, clicks - 1), outcomes
    request.refresh_from_db()
    assert request.authoriser_name == answered[0].authoriser_name
    assert request.events.filter(action__in=["authorised", "declined"]).count() == 1
    assert (
        OutboundEmail.objects.filter(template="service_desk_update").count() == 3
    )  # raised, asked, one answer


def test_a_note_written_on_a_welsh_page_is_marked_welsh_for_the_desk(
    moved, django_capture_on_commit_callbacks, settings
):
    from django.utils import translation

    with translation.override("cy"), django_capture_on_commit_callbacks(execute=True):
        request = raise_request(moved, note="Roeddwn i’n dysgu Blwyddyn 3 yno.")
    assert request.note_language == "cy"
    (to_desk,) = [email for email in mail.outbox if email.to == [settings.HWB_TEAM_EMAIL]]
    assert '<td lang="cy" style=' in to_desk.alternatives[0][0]
