"""The rules of Account Transfer, each with its message: checked at submit and again at proceed.

``school`` (Llanberis, 6612001) is the previous school and ``other_school`` (Glantaf, 6814004)
the new one. The member of staff who moved has an old account at Llanberis (its MIS record has
a leaving date) and a new account at Glantaf (a record with a start date and a staff code).
"""

import threading
import time
from datetime import date, timedelta
from types import SimpleNamespace

import pytest
import time_machine
from django.core import mail
from django.db import connection, connections, transaction
from django.db.utils import IntegrityError

from accounts.models import AccountMove, AccountMoveClaim, SchoolRole, User
from accounts.services import account_deactivate, account_move_claim_open, school_role_grant
from provisioning.selectors import staff_record_of
from provisioning.services.runs import snapshot_import
from schools.identifiers import WELSH_LOCAL_AUTHORITIES
from schools.models import LocalAuthority
from service_desk.models import ServiceDeskRequest
from tests.factories import SchoolFactory, make_account
from tests.provisioning.builders import snapshot
from tests.services import require
from tests.transfers.builders import (
    _current_roll,
    _provision,
    headteacher_of,
    moved_staff,
    staff_of,
)
from transfers.models import TransferRequest
from transfers.rules import (
    TransferError,
    transfer_approvers,
    transfer_lookup_allowed,
)
from transfers.services import (
    transfer_cancel,
    transfer_decide,
    transfer_proceed,
    transfer_request_submit,
    transfer_requests_expire,
)

MESSAGE = "Dear Dr Ellis, please approve the transfer of my Hwb account. Thank you, Siân"

NO_SUCH_ACCOUNT = (
    "There is no staff account with this username at Llanberis Primary School that can be "
    "transferred. Check the username with a digital champion at that school; if it is right "
    "and the account is yours, the Hwb service desk (hwb@gov.wales) can help."
)
GOVERNOR = "It is not possible to move governor accounts."
# The seed's words ("Moving Hwb accounts").
ITE_STUDENT = (
    "Moving accounts for ITE students is not offered due to the number of students and "
    "placements each year. All ITE students should download all necessary data before the end "
    "of each placement."
)
NO_LEAVING_DATE = (
    "Llanberis Primary School's MIS has no leaving date for you yet. Ask its SIMS or Teacher "
    "Centre administrator to add one; Hwb sees it after the school's next successful "
    "provisioning run, usually the next day."
)
NO_START_DATE = (
    "Your new school's MIS has no staff record for you with a start date and a staff code. "
    "Ask its SIMS or Teacher Centre administrator to add them; Hwb sees them after the "
    "school's next successful provisioning run."
)
ALREADY_OPEN = "You already have an open transfer request. Open it from your dashboard."


def submit(requester: User, *, dfes: str = "6612001", username: str, **kwargs):
    kwargs.setdefault("message", MESSAGE)
    kwargs.setdefault("headteacher_confirmed", True)
    return transfer_request_submit(
        requester=requester,
        previous_dfes=dfes,
        previous_username=username,
        ip_address="192.0.2.10",
        **kwargs,
    )


def refused(requester: User, **kwargs) -> str:
    """The message of a refused submit; nothing is created and nobody is emailed."""
    with pytest.raises(TransferError) as refusal:
        submit(requester, **kwargs)
    assert not TransferRequest.objects.exists()
    assert mail.outbox == []
    return str(refusal.value)


def mis_change(school, account: User, **fields) -> None:
    """The school's MIS changes one person's record, and the school's next run brings it in."""
    code = staff_record_of(school=school, account=account).staff_code
    (record,) = [r for r in _current_roll(school, replacing={}) if r["staff_code"] == code]
    _provision(school, {**record, **fields})


def namesake_of(school) -> User:
    """Another Siân Jones at ``school``, whose MIS has no date of birth for her: she could be
    the holder of Siân's old account as far as the records tell (a doubtful match)."""
    return staff_of(school, first_name="Siân", last_name="Jones", date_of_birth=None)


@pytest.fixture
def moved(school, other_school) -> SimpleNamespace:
    head = headteacher_of(school)
    old, new = moved_staff(school, other_school)
    return SimpleNamespace(head=head, old=old, new=new)


@pytest.fixture
def officers(school) -> list[User]:
    """Two officers of Llanberis's local authority (Gwynedd)."""
    return [
        make_account(
            kind=User.Kind.LA_OFFICER,
            first_name=first,
            last_name="Officer",
            local_authority=school.local_authority,
        )
        for first in ("Alaw", "Bryn")
    ]


def approved(moved) -> TransferRequest:
    request = submit(moved.new, username=moved.old.username)
    return transfer_decide(request_id=request.pk, decider=moved.head, approve=True)


# --- The usual case ---------------------------------------------------------------------------


def test_a_member_of_staff_who_moved_can_ask_and_the_headteacher_is_emailed(
    moved, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        request = submit(moved.new, username=moved.old.username.upper())
    assert request.status == TransferRequest.Status.SUBMITTED
    assert request.approver == TransferRequest.Approver.HEADTEACHER
    assert request.previous_account == moved.old
    assert request.previous_username == moved.old.username
    assert request.requester == moved.new
    assert request.new_school == moved.new.school
    assert [message.to for message in mail.outbox] == [[moved.head.email]]


# --- Step 1: the previous school and the username ---------------------------------------------


def test_an_unknown_previous_school_is_refused(moved):
    message = refused(moved.new, dfes="6619999", username=moved.old.username)
    assert message == (
        "No school has this DfES number. Check it in the Address List of Schools on the Welsh "
        "Government website."
    )


def test_the_new_schools_own_dfes_number_is_refused(moved, other_school):
    message = refused(moved.new, dfes=other_school.dfes_number, username=moved.old.username)
    assert message == (
        "This is your new school's DfES number. Enter the DfES number of the school you worked "
        "at before."
    )


def test_an_unknown_username_and_one_at_another_school_get_the_same_message(
    moved, other_school_staff
):
    assert refused(moved.new, username="nobody123") == NO_SUCH_ACCOUNT
    elsewhere = make_account(school=SchoolFactory(), first_name="Huw", last_name="Elsewhere")
    assert refused(moved.new, username=elsewhere.username) == NO_SUCH_ACCOUNT
    assert refused(moved.new, username=other_school_staff.username) == NO_SUCH_ACCOUNT


def test_a_learners_username_gets_the_same_message(moved, learner):
    assert learner.school == moved.old.school
    assert refused(moved.new, username=learner.username) == NO_SUCH_ACCOUNT


def test_the_requesters_own_username_gets_the_same_message(moved):
    assert refused(moved.new, username=moved.new.username) == NO_SUCH_ACCOUNT


def test_a_governor_account_cannot_be_moved(moved, school):
    # Its holder (the same name as the requester's MIS record) is told why.
    governor = make_account(school=school, kind=User.Kind.GOVERNOR, first_name="Siân")
    assert refused(moved.new, username=governor.username) == GOVERNOR


def test_a_governor_cannot_ask_to_move_an_account(moved, other_school):
    governor = make_account(school=other_school, kind=User.Kind.GOVERNOR, first_name="Gareth")
    assert refused(governor, username=moved.old.username) == GOVERNOR


def test_an_ite_student_account_cannot_be_moved(moved, school):
    student = make_account(school=school, kind=User.Kind.ITE_STUDENT, first_name="Siân")
    assert refused(moved.new, username=student.username) == ITE_STUDENT


def test_an_ite_student_cannot_ask_to_move_an_account(moved, other_school):
    student = make_account(school=other_school, kind=User.Kind.ITE_STUDENT, first_name="Ifan")
    assert refused(student, username=moved.old.username) == ITE_STUDENT


def test_an_account_closed_more_than_twelve_months_ago_cannot_be_moved(school, other_school):
    headteacher_of(school)
    left_long_ago = date.today() - timedelta(days=400)
    old, new = moved_staff(school, other_school, leaving_date=left_long_ago)
    old.refresh_from_db()
    assert not old.is_active and old.deletion_due_at < old.deactivated_at  # 12 months are up
    assert refused(new, username=old.username) == (
        f"The account {old.username} is closed and can no longer be transferred. Ask the Hwb "
        "service desk if you need something from it."
    )


def test_an_account_the_hwb_team_closed_cannot_be_moved(moved):
    account_deactivate(
        actor=None,
        account=moved.old,
        reason=User.DeactivationReason.HWB_TEAM,
        deletion_due_at=moved.old.deletion_due_at,
    )
    assert "is closed and can no longer be transferred" in refused(
        moved.new, username=moved.old.username
    )


def test_an_account_deactivated_by_its_leaving_date_within_twelve_months_can_be_moved(moved):
    assert not moved.old.is_active
    assert moved.old.deactivation_reason == User.DeactivationReason.LEFT
    assert submit(moved.new, username=moved.old.username).previous_account == moved.old


# --- The MIS records and runs of both schools --------------------------------------------------


def test_a_previous_school_whose_provisioning_never_succeeded_is_refused(other_school):
    never_ran = SchoolFactory(dfes_number="6612002", name_en="Bethesda Primary School")
    headteacher = make_account(school=never_ran, roles=(SchoolRole.Role.HEADTEACHER,))
    old = make_account(school=never_ran, first_name="Siân")
    # A dry run is not a successful run.
    snapshot_import(school=never_ran, snapshot=snapshot(never_ran), dry_run=True)
    new = staff_of(other_school, first_name="Siân")
    assert headteacher.is_active
    assert refused(new, dfes=never_ran.dfes_number, username=old.username) == (
        "Bethesda Primary School's Provisioning Client has not run successfully yet. Ask the "
        "school to check its Provisioning Client, then try again after its next run."
    )


def test_a_new_school_whose_provisioning_never_succeeded_is_refused(moved):
    never_ran = SchoolFactory(dfes_number="6612002")
    requester = make_account(school=never_ran, first_name="Siân")
    assert refused(requester, username=moved.old.username) == (
        "Your new school's Provisioning Client has not run successfully yet. Ask your school to "
        "check its Provisioning Client, then try again after its next run."
    )


def test_no_leaving_date_at_the_previous_school_is_refused(school, other_school):
    headteacher_of(school)
    still_there = staff_of(school, first_name="Siân")
    new = staff_of(other_school, first_name="Siân", start_date=date.today().isoformat())
    assert refused(new, username=still_there.username) == NO_LEAVING_DATE


def test_no_start_date_at_the_new_school_is_refused(school, other_school):
    headteacher_of(school)
    old, new = moved_staff(school, other_school)
    mis_change(other_school, new, start_date=None)
    assert refused(new, username=old.username) == NO_START_DATE


def test_no_staff_record_at_the_new_school_is_refused(moved, other_school):
    # An account a digital champion made by hand: the new school's MIS does not hold it.
    by_hand = make_account(school=other_school, first_name="Siân")
    assert staff_record_of(school=other_school, account=by_hand) is None
    assert refused(by_hand, username=moved.old.username) == NO_START_DATE


def test_a_leaving_date_at_the_new_school_too_is_refused(moved, other_school):
    mis_change(other_school, moved.new, leaving_date=date.today().isoformat())
    assert refused(moved.new, username=moved.old.username) == NO_START_DATE


def test_the_headteachers_confirmation_and_a_message_are_needed(moved):
    assert refused(moved.new, username=moved.old.username, headteacher_confirmed=False) == (
        "Confirm the headteacher's details of your previous school."
    )
    assert refused(moved.new, username=moved.old.username, message="  ") == (
        "Write a message to the headteacher of up to 2000 characters."
    )
    assert "up to 2000 characters" in refused(
        moved.new, username=moved.old.username, message="x" * 2001
    )


# --- The same rules again at Proceed -----------------------------------------------------------


def assert_nothing_moved(moved, request: TransferRequest) -> None:
    old = User.objects.get(pk=moved.old.pk)
    new = User.objects.get(pk=moved.new.pk)
    assert old.school == moved.old.school and not old.is_active
    assert new.school == moved.new.school and new.is_active
    assert new.deletion_due_at is None
    assert not AccountMove.objects.exists()
    assert staff_record_of(school=new.school, account=new) is not None
    request.refresh_from_db()
    assert request.status == TransferRequest.Status.APPROVED


def test_proceed_is_refused_when_the_new_schools_record_lost_its_start_date(moved, other_school):
    request = approved(moved)
    mis_change(other_school, moved.new, start_date=None)
    with pytest.raises(TransferError, match="no staff record for you with a start date"):
        transfer_proceed(request_id=request.pk, requester=moved.new)
    assert_nothing_moved(moved, request)


def test_proceed_is_refused_when_the_previous_school_took_the_leaving_date_away(moved, school):
    request = approved(moved)
    mis_change(school, moved.old, leaving_date=None)
    moved.old.refresh_from_db()
    assert moved.old.is_active  # the MIS restored them at their previous school
    with pytest.raises(TransferError) as refusal:
        transfer_proceed(request_id=request.pk, requester=moved.new)
    assert str(refusal.value) == NO_LEAVING_DATE
    request.refresh_from_db()
    assert request.status == TransferRequest.Status.APPROVED
    assert User.objects.get(pk=moved.old.pk).school == school
    assert User.objects.get(pk=moved.new.pk).is_active
    assert not AccountMove.objects.exists()


def test_proceed_is_refused_when_the_previous_account_closed_meanwhile(moved):
    request = approved(moved)
    with (
        time_machine.travel(moved.old.deletion_due_at + timedelta(minutes=1)),
        pytest.raises(TransferError, match="is closed and can no longer be transferred"),
    ):
        transfer_proceed(request_id=request.pk, requester=moved.new)
    assert_nothing_moved(moved, request)


# --- One open request per account --------------------------------------------------------------


def test_a_second_request_while_one_is_open_is_refused(moved, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        first = submit(moved.new, username=moved.old.username)
    with pytest.raises(TransferError) as refusal:
        submit(moved.new, username=moved.old.username)
    assert str(refusal.value) == ALREADY_OPEN
    assert list(TransferRequest.objects.all()) == [first]
    assert len(mail.outbox) == 1


def test_a_second_request_for_the_same_previous_account_is_refused(moved, other_school):
    submit(moved.new, username=moved.old.username)
    colleague = namesake_of(other_school)
    with pytest.raises(TransferError) as refusal:
        submit(colleague, username=moved.old.username)
    assert str(refusal.value) == (
        f"There is already an open transfer request for the account {moved.old.username}."
    )


def test_an_account_the_service_desk_is_already_moving_cannot_also_be_transferred(
    moved, other_school
):
    colleague = staff_of(other_school, first_name="Rhys", last_name="Evans")
    ServiceDeskRequest.objects.create(
        requester=colleague,
        requester_username=colleague.username,
        new_school=other_school,
        previous_school=moved.old.school,
        previous_account=moved.old,
        previous_username=moved.old.username,
    )
    # The claim the service desk's request holds on the account, as raising it takes one.
    account_move_claim_open(
        account=moved.old, requester=colleague, route=AccountMoveClaim.Route.SERVICE_DESK
    )
    with pytest.raises(TransferError) as refusal:
        submit(moved.new, username=moved.old.username)
    assert str(refusal.value) == (
        f"The Hwb service desk is already handling a request to keep the account "
        f"{moved.old.username}. Follow it from Your Details, or cancel it there first."
    )
    assert not TransferRequest.objects.exists()


def test_an_approved_request_is_still_open(moved):
    approved(moved)
    with pytest.raises(TransferError, match="already have an open transfer request"):
        submit(moved.new, username=moved.old.username)


def test_after_a_rejection_the_member_of_staff_may_ask_again(moved):
    request = submit(moved.new, username=moved.old.username)
    transfer_decide(request_id=request.pk, decider=moved.head, approve=False)
    again = submit(moved.new, username=moved.old.username)
    assert again.status == TransferRequest.Status.SUBMITTED


def test_the_database_itself_allows_one_open_request_per_account(moved, other_school):
    first = submit(moved.new, username=moved.old.username)
    colleague = staff_of(other_school, first_name="Rhys", last_name="Evans")
    fields = {
        "new_school": other_school,
        "previous_school": moved.old.school,
        "message": MESSAGE,
        "approver": TransferRequest.Approver.HEADTEACHER,
    }
    with pytest.raises(IntegrityError), transaction.atomic():
        TransferRequest.objects.create(requester=moved.new, previous_username="x", **fields)
    with pytest.raises(IntegrityError), transaction.atomic():
        TransferRequest.objects.create(
            requester=colleague, previous_account=moved.old, previous_username="x", **fields
        )
    # Past requests do not count: a finished one sits beside an open one.
    TransferRequest.objects.create(
        requester=moved.new,
        previous_account=moved.old,
        previous_username="x",
        status=TransferRequest.Status.REJECTED,
        **fields,
    )
    assert TransferRequest.objects.filter(status__in=TransferRequest.OPEN).get() == first


# --- Who decides -------------------------------------------------------------------------------


def test_a_headteacher_asked_for_their_own_account_is_not_asked_to_decide(
    school, other_school, officers, django_capture_on_commit_callbacks
):
    today = date.today()
    old, new = moved_staff(
        school,
        other_school,
        first_name="Gwenllian",
        last_name="Ellis",
        leaving_date=today + timedelta(days=14),  # still the head until the end of term
        start_date=today - timedelta(days=1),
    )
    school_role_grant(actor=None, user=old, school=school, role=SchoolRole.Role.HEADTEACHER)
    elsewhere = make_account(
        kind=User.Kind.LA_OFFICER,
        first_name="Carys",
        last_name="Cardiff",
        local_authority=other_school.local_authority,
    )
    with django_capture_on_commit_callbacks(execute=True):
        request = submit(new, username=old.username)
    assert request.approver == TransferRequest.Approver.LOCAL_AUTHORITY
    assert sorted(message.to[0] for message in mail.outbox) == sorted(
        officer.email for officer in officers
    )
    assert elsewhere.email not in [message.to[0] for message in mail.outbox]
    assert old.email not in [message.to[0] for message in mail.outbox]


def test_a_school_without_a_headteacher_sends_the_request_to_its_local_authority(
    school, other_school, officers, django_capture_on_commit_callbacks
):
    old, new = moved_staff(school, other_school)
    assert not SchoolRole.objects.filter(school=school, role="headteacher").exists()
    with django_capture_on_commit_callbacks(execute=True):
        request = submit(new, username=old.username)
    assert request.approver == TransferRequest.Approver.LOCAL_AUTHORITY
    assert sorted(message.to[0] for message in mail.outbox) == sorted(
        officer.email for officer in officers
    )
    body = mail.outbox[0].body
    assert "You are asked as an officer of the local authority" in body


def test_an_inactive_headteacher_is_passed_over_for_the_local_authority(moved, officers):
    account_deactivate(
        actor=None,
        account=moved.head,
        reason=User.DeactivationReason.HWB_TEAM,
        deletion_due_at=moved.old.deletion_due_at,
    )
    approver, deciders = transfer_approvers(
        previous_school=moved.old.school, previous_account=moved.old
    )
    assert approver == TransferRequest.Approver.LOCAL_AUTHORITY
    assert sorted(deciders, key=lambda u: u.pk) == officers


def test_nobody_to_decide_is_a_clear_error(school, other_school):
    old, new = moved_staff(school, other_school)
    assert refused(new, username=old.username) == (
        "Llanberis Primary School has no headteacher in Hwb to decide, and its local "
        "authority has no officer in Hwb. Ask the Hwb service desk (hwb@gov.wales) to help."
    )


# --- Nobody can list usernames -----------------------------------------------------------------


def test_lookups_are_limited_per_member_of_staff_per_hour(moved, other_school_staff, settings):
    settings.HWB_TRANSFER_LOOKUPS_PER_HOUR = 3
    with time_machine.travel("2026-03-02 09:00 +0000", tick=False):
        assert [transfer_lookup_allowed(requester=moved.new) for _ in range(4)] == [
            True,
            True,
            True,
            False,
        ]
        assert transfer_lookup_allowed(requester=other_school_staff)
    with time_machine.travel("2026-03-02 09:59 +0000", tick=False):
        assert not transfer_lookup_allowed(requester=moved.new)
    with time_machine.travel("2026-03-02 10:01 +0000", tick=False):
        assert transfer_lookup_allowed(requester=moved.new)


# --- Two submits at the same moment (PostgreSQL, two connections) ------------------------------


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


def _locks_waited_on() -> int:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FROM pg_stat_activity "
            "WHERE datname = current_database() AND wait_event_type = 'Lock'"
        )
        return cursor.fetchone()[0]


def _race(first_requester: User, second_requester: User, username: str) -> list:
    """The first submit stays uncommitted until the second is waiting on it; then it commits."""
    outcomes: list = [None, None]
    first_done = threading.Event()
    release = threading.Event()

    def first():
        try:
            with transaction.atomic():
                outcomes[0] = submit(first_requester, username=username)
                first_done.set()
                release.wait(10)
        except Exception as error:  # noqa: BLE001 - reported by the test
            outcomes[0] = error
            first_done.set()
        finally:
            connections.close_all()

    def second():
        try:
            outcomes[1] = submit(second_requester, username=username)
        except Exception as error:  # noqa: BLE001 - reported by the test
            outcomes[1] = error
        finally:
            connections.close_all()

    threads = [threading.Thread(target=first), threading.Thread(target=second)]
    threads[0].start()
    assert first_done.wait(20)
    threads[1].start()
    deadline = time.monotonic() + 10
    while _locks_waited_on() == 0 and time.monotonic() < deadline:
        time.sleep(0.05)
    release.set()
    for thread in threads:
        thread.join(30)
    return outcomes


@pytest.mark.django_db(transaction=True)
def test_two_submits_racing_for_one_account_make_one_request(racing_schools):
    require(
        connection.vendor == "postgresql",
        "PostgreSQL",
        "set DATABASE_URL=postgres://postgres@127.0.0.1:5432/hwb_portal",
    )
    previous, new = racing_schools
    headteacher_of(previous)
    old, requester = moved_staff(previous, new)
    first, second = _race(requester, requester, old.username)
    assert isinstance(first, TransferRequest), first
    assert isinstance(second, TransferError), second
    assert str(second) == ALREADY_OPEN
    assert TransferRequest.objects.count() == 1


@pytest.mark.django_db(transaction=True)
def test_two_people_racing_for_one_previous_account_make_one_request(racing_schools):
    require(
        connection.vendor == "postgresql",
        "PostgreSQL",
        "set DATABASE_URL=postgres://postgres@127.0.0.1:5432/hwb_portal",
    )
    previous, new = racing_schools
    headteacher_of(previous)
    old, requester = moved_staff(previous, new)
    colleague = namesake_of(new)
    first, second = _race(requester, colleague, old.username)
    assert isinstance(first, TransferRequest), first
    # The second passed every check before the first committed: the unique index said no.
    assert isinstance(second, TransferError), second
    assert str(second) == (
        f"There is already an open transfer request for the account {old.username}."
    )
    assert TransferRequest.objects.count() == 1


# --- The claim a request holds on the accounts (one open request per account, any route) ------


def _open_claims(moved) -> int:
    return AccountMoveClaim.objects.filter(
        account=moved.old, requester=moved.new, closed_at__isnull=True
    ).count()


def test_a_request_claims_the_account_until_it_is_cancelled(moved):
    request = submit(moved.new, username=moved.old.username)
    assert _open_claims(moved) == 1
    transfer_cancel(request_id=request.pk, requester=moved.new)
    assert _open_claims(moved) == 0


def test_a_rejected_request_lets_the_account_go(moved):
    request = submit(moved.new, username=moved.old.username)
    transfer_decide(request_id=request.pk, decider=moved.head, approve=False)
    assert _open_claims(moved) == 0


def test_an_approved_request_keeps_its_claim_until_it_proceeds(moved):
    request = approved(moved)
    assert _open_claims(moved) == 1
    transfer_proceed(request_id=request.pk, requester=moved.new)
    assert _open_claims(moved) == 0


def test_an_expired_request_lets_the_account_go(moved):
    submit(moved.new, username=moved.old.username)
    with time_machine.travel(date.today() + timedelta(days=40)):
        assert transfer_requests_expire() == 1
    assert _open_claims(moved) == 0
