"""The daily jobs of Account Transfer, on a frozen clock: reminders, expiry, and deleting the
replaced account 12 months after Proceed with transfer."""

import re
from datetime import timedelta
from types import SimpleNamespace

import pytest
import time_machine
from django.core import mail
from django.utils import timezone

from accounts.models import AuditEntry, RetiredUsername, SchoolRole, User
from accounts.retention import accounts_delete_due
from accounts.services import school_role_grant
from provisioning.policy import deletion_due
from tests.transfers.builders import headteacher_of, moved_staff, staff_of
from transfers import tasks
from transfers.models import TransferRequest
from transfers.rules import (
    TransferError,
)
from transfers.selectors import (
    transfer_request_from_link,
)
from transfers.services import (
    transfer_decide,
    transfer_proceed,
    transfer_request_submit,
)

Status = TransferRequest.Status
TOKEN = re.compile(r"http://\S+/transfers/decide/([^/\s]+)/")


@pytest.fixture
def moved(school, other_school) -> SimpleNamespace:
    head = headteacher_of(school)
    old, new = moved_staff(school, other_school)
    return SimpleNamespace(head=head, old=old, new=new)


@pytest.fixture
def submitted(moved, django_capture_on_commit_callbacks) -> TransferRequest:
    with django_capture_on_commit_callbacks(execute=True):
        request = transfer_request_submit(
            requester=moved.new,
            previous_dfes=moved.old.school.dfes_number,
            previous_username=moved.old.username,
            message="Please approve.",
            headteacher_confirmed=True,
        )
    mail.outbox.clear()
    return request


def days_after(request: TransferRequest, days: float):
    return time_machine.travel(request.created_at + timedelta(days=days), tick=False)


def run_daily_jobs(capture) -> tuple[int, int]:
    """What beat runs each morning (the tasks, run eagerly), with their emails delivered."""
    with capture(execute=True):
        return tasks.transfer_requests_remind(), tasks.transfer_requests_expire()


# --- Reminders -----------------------------------------------------------------------------------


def test_an_unanswered_request_is_reminded_once_after_seven_days(
    moved, submitted, django_capture_on_commit_callbacks
):
    with days_after(submitted, 7 - 1 / 1440):
        assert run_daily_jobs(django_capture_on_commit_callbacks) == (0, 0)
    assert mail.outbox == []
    with days_after(submitted, 7):
        assert run_daily_jobs(django_capture_on_commit_callbacks) == (1, 0)
    (reminder,) = mail.outbox
    assert reminder.to == [moved.head.email]
    assert " / Reminder: Account Transfer request from Siân Jones" in reminder.subject
    assert "The request is still waiting for a decision." in reminder.body
    # The reminder's link works like the first one.
    assert transfer_request_from_link(TOKEN.search(reminder.body).group(1)) == submitted
    for later in (7.5, 8, 20):
        with days_after(submitted, later):
            assert run_daily_jobs(django_capture_on_commit_callbacks) == (0, 0)
    assert len(mail.outbox) == 1
    submitted.refresh_from_db()
    assert submitted.reminded_at is not None
    assert submitted.status == Status.SUBMITTED
    assert list(submitted.events.values_list("action", flat=True)) == ["submitted", "reminded"]


def test_the_reminder_goes_to_the_current_headteacher(
    moved, submitted, school, django_capture_on_commit_callbacks
):
    new_head = staff_of(school, first_name="Rhodri", last_name="Hughes")
    school_role_grant(actor=None, user=new_head, school=school, role=SchoolRole.Role.HEADTEACHER)
    with days_after(submitted, 7):
        run_daily_jobs(django_capture_on_commit_callbacks)
    assert [message.to for message in mail.outbox] == [[new_head.email]]
    assert "Dear Rhodri Hughes," in mail.outbox[0].body


def test_a_decided_request_is_not_reminded(moved, submitted, django_capture_on_commit_callbacks):
    transfer_decide(request_id=submitted.pk, decider=moved.head, approve=False)
    mail.outbox.clear()
    with days_after(submitted, 8):
        assert run_daily_jobs(django_capture_on_commit_callbacks) == (0, 0)
    assert mail.outbox == []


def test_the_reminder_delay_is_configurable(
    moved, submitted, settings, django_capture_on_commit_callbacks
):
    settings.HWB_TRANSFER_REMINDER_DAYS = 3
    with days_after(submitted, 3):
        assert run_daily_jobs(django_capture_on_commit_callbacks) == (1, 0)


# --- Expiry --------------------------------------------------------------------------------------


def test_an_unanswered_request_expires_after_thirty_days_and_its_link_with_it(
    moved, submitted, django_capture_on_commit_callbacks
):
    with days_after(submitted, 7):
        run_daily_jobs(django_capture_on_commit_callbacks)
    reminder_token = TOKEN.search(mail.outbox[-1].body).group(1)
    mail.outbox.clear()
    with days_after(submitted, 30 - 1 / 1440):
        assert run_daily_jobs(django_capture_on_commit_callbacks) == (0, 0)
    with days_after(submitted, 30):
        assert run_daily_jobs(django_capture_on_commit_callbacks) == (0, 1)
        (notice,) = mail.outbox
        assert notice.to == [moved.new.email]
        assert notice.subject == "Your Account transfer request has expired"
        assert "was not decided in time, and has expired" in notice.body
        assert f"created in your new school, {moved.new.username}" in notice.body
        # The reminder's link (still within its own 30 days) no longer decides anything.
        with pytest.raises(TransferError):
            transfer_request_from_link(reminder_token)
        with pytest.raises(TransferError, match="already been decided"):
            transfer_decide(request_id=submitted.pk, decider=moved.head, approve=True)
        assert run_daily_jobs(django_capture_on_commit_callbacks) == (0, 0)
    assert len(mail.outbox) == 1
    submitted.refresh_from_db()
    assert submitted.status == Status.EXPIRED
    assert submitted.finished_at is not None
    assert list(submitted.events.values_list("action", flat=True)) == [
        "submitted",
        "reminded",
        "expired",
    ]
    assert AuditEntry.objects.filter(
        action="transfer.expired", target_id=str(submitted.pk)
    ).exists()
    assert User.objects.get(pk=moved.new.pk).is_active
    # The member of staff may ask again.
    again = transfer_request_submit(
        requester=moved.new,
        previous_dfes=moved.old.school.dfes_number,
        previous_username=moved.old.username,
        message="Please approve.",
        headteacher_confirmed=True,
    )
    assert again.status == Status.SUBMITTED


def test_an_approved_request_left_alone_lapses_thirty_days_after_its_approval(
    moved, submitted, django_capture_on_commit_callbacks
):
    with days_after(submitted, 10):
        transfer_decide(request_id=submitted.pk, decider=moved.head, approve=True)
    with days_after(submitted, 39):
        assert run_daily_jobs(django_capture_on_commit_callbacks) == (0, 0)
    submitted.refresh_from_db()
    assert submitted.status == Status.APPROVED, "30 days from the approval, not the request"
    mail.outbox.clear()
    with days_after(submitted, 41):
        assert run_daily_jobs(django_capture_on_commit_callbacks) == (0, 1)
    submitted.refresh_from_db()
    assert submitted.status == Status.EXPIRED
    (message,) = mail.outbox
    assert message.to == [moved.new.email]
    assert "was approved, but the transfer was not completed in time" in message.body
    with pytest.raises(TransferError):
        transfer_proceed(request_id=submitted.pk, requester=moved.new)
    moved.old.refresh_from_db()
    assert moved.old.school == moved.head.school, "nothing moved"


# --- Deleting the replaced account 12 months after Proceed ---------------------------------------


def test_the_replaced_account_is_deleted_twelve_months_after_proceed(moved, submitted):
    transfer_decide(request_id=submitted.pk, decider=moved.head, approve=True)
    transfer_proceed(request_id=submitted.pk, requester=moved.new)
    replaced = User.objects.get(pk=moved.new.pk)
    due = replaced.deletion_due_at
    proceeded_on = timezone.localdate(replaced.deactivated_at)
    assert due == deletion_due(proceeded_on)  # the same date a year on, at midnight
    due_on = timezone.localdate(due)
    assert (due_on.year, due_on.month) == (proceeded_on.year + 1, proceeded_on.month)

    with time_machine.travel(due - timedelta(days=1), tick=False):
        assert accounts_delete_due() == 0
    assert User.objects.filter(pk=moved.new.pk).exists()

    with time_machine.travel(due + timedelta(days=1), tick=False):
        assert accounts_delete_due() == 1
        assert accounts_delete_due() == 0  # safe to run twice
    assert not User.objects.filter(pk=moved.new.pk).exists()
    entry = AuditEntry.objects.get(action="account.deleted", target_id=str(moved.new.pk))
    assert entry.target_repr == moved.new.username
    assert RetiredUsername.objects.filter(username=moved.new.username).exists()
    # The transferred account, and the request's record of who asked, stay.
    transferred = User.objects.get(pk=moved.old.pk)
    assert transferred.is_active and transferred.school == moved.new.school
    submitted.refresh_from_db()
    assert submitted.status == Status.COMPLETED
    assert submitted.requester is None
    assert submitted.requester_username == moved.new.username
