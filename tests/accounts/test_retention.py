"""The 12-month deletion sweep is accounts' own daily job, whatever deactivated the account."""

from datetime import UTC, datetime

import pytest
import time_machine
from django.conf import settings as django_settings

from accounts import tasks
from accounts.models import AuditEntry, RetiredUsername, User
from accounts.retention import accounts_delete_due
from accounts.services import account_deactivate
from hwb_portal.celery import app

pytestmark = pytest.mark.django_db


def test_an_account_replaced_by_a_transfer_is_deleted_when_its_12_months_are_up(staff_member):
    due = datetime(2027, 3, 1, tzinfo=UTC)
    account_deactivate(
        actor=None,
        account=staff_member,
        reason=User.DeactivationReason.REPLACED,
        deletion_due_at=due,
    )
    with time_machine.travel(datetime(2027, 2, 28, tzinfo=UTC)):
        assert accounts_delete_due() == 0
    with time_machine.travel(datetime(2027, 3, 1, 2, 15, tzinfo=UTC)):
        assert tasks.accounts_delete_due.run() == 1, "the beat task runs the sweep"
        assert accounts_delete_due() == 0, "safe to run twice"
    assert not User.objects.filter(pk=staff_member.pk).exists()
    assert RetiredUsername.objects.filter(username=staff_member.username).exists()
    entry = AuditEntry.objects.get(action="account.deleted")
    assert (entry.actor_username, entry.target_id, entry.target_repr, entry.school_id) == (
        "retention",
        str(staff_member.pk),
        staff_member.username,
        staff_member.school_id,
    )


def test_the_deletion_sweep_is_an_accounts_task_on_the_beat_schedule():
    schedule = django_settings.CELERY_BEAT_SCHEDULE
    assert schedule["accounts-deletion-due"]["task"] == "accounts.tasks.accounts_delete_due"
    app.loader.import_default_modules()
    unknown = {entry["task"] for entry in schedule.values()} - set(app.tasks)
    assert not unknown, f"beat would send tasks no worker knows: {unknown}"
