"""The daily jobs: accounts deleted 12 months after leaving, and raw UPNs removed from runs."""

from datetime import UTC, datetime

import pytest
import time_machine

from accounts.models import AuditEntry, RetiredUsername, User
from accounts.retention import accounts_delete_due
from provisioning.models import MisLearner, ProvisioningRun
from provisioning.services.jobs import run_upns_remove_expired
from provisioning.services.runs import snapshot_import
from tests.factories import make_account
from tests.provisioning.builders import learner_record, snapshot

pytestmark = pytest.mark.django_db


def apply(school, learners, at):
    with time_machine.travel(at, tick=False):
        return snapshot_import(
            school=school, snapshot=snapshot(school, learners=learners, extracted_at=at)
        )


@pytest.fixture
def leavers(school):
    """Three learners who left on 22 July 2026 (deactivated by the next run)."""
    people = [learner_record(forename=name) for name in ("Ann", "Bea", "Cai")]
    run = apply(school, people, datetime(2026, 7, 1, tzinfo=UTC))
    apply(
        school,
        [dict(p, leaving_date="2026-07-22") for p in people],
        datetime(2026, 7, 23, tzinfo=UTC),
    )
    return [User.objects.get(username=u) for u in run.accounts["learners"].values()]


def test_accounts_are_deleted_12_months_after_leaving_and_their_trail_kept(school, leavers):
    usernames = sorted(u.username for u in leavers)
    with time_machine.travel(datetime(2027, 7, 20, 3, tzinfo=UTC)):
        assert accounts_delete_due() == 0, "not yet"
    with time_machine.travel(datetime(2027, 7, 23, 3, tzinfo=UTC)):
        assert accounts_delete_due() == 3
        assert accounts_delete_due() == 0, "safe to run twice"
    assert not User.objects.filter(kind="learner").exists()
    assert sorted(RetiredUsername.objects.values_list("username", flat=True)) == usernames
    deleted = AuditEntry.objects.filter(action="account.deleted")
    assert sorted(deleted.values_list("target_repr", flat=True)) == usernames
    assert AuditEntry.objects.filter(action="account.created").count() == 3, "trail kept"
    assert MisLearner.objects.filter(account__isnull=True).count() == 3


def test_deletion_works_in_batches(school, leavers, settings):
    settings.HWB_DELETION_BATCH_SIZE = 2
    with time_machine.travel(datetime(2027, 8, 1, tzinfo=UTC)):
        assert accounts_delete_due() == 3


def test_a_returning_learner_is_not_deleted(school, leavers):
    returning = MisLearner.objects.get(account=leavers[0])
    run = ProvisioningRun.objects.filter(school=school).order_by("pk").first()
    upn = next(u for u, name in run.accounts["learners"].items() if name == leavers[0].username)
    apply(school, [learner_record(upn, forename="Ann")], datetime(2027, 1, 5, tzinfo=UTC))
    with time_machine.travel(datetime(2027, 8, 1, tzinfo=UTC)):
        assert accounts_delete_due() == 2
    assert User.objects.get(pk=returning.account_id).is_active


def test_accounts_deactivated_for_other_reasons_are_left_alone(school):
    make_account(school=school, first_name="Keep", last_name="Me")
    with time_machine.travel(datetime(2030, 1, 1, tzinfo=UTC)):
        assert accounts_delete_due() == 0


def test_raw_upns_leave_a_run_after_the_retention_period(school):
    good = learner_record(forename="Ann")
    bad = learner_record(forename="Bad", year_group="99")
    run = apply(school, [good, bad], datetime(2026, 9, 1, tzinfo=UTC))
    assert good["upn"] in run.accounts["learners"]
    assert run.errors[0]["key"] == bad["upn"]

    with time_machine.travel(datetime(2026, 9, 30, tzinfo=UTC)):
        assert run_upns_remove_expired() == 0
    with time_machine.travel(datetime(2026, 10, 2, tzinfo=UTC)):
        assert run_upns_remove_expired() == 1
        assert run_upns_remove_expired() == 0
    run.refresh_from_db()
    assert run.accounts["learners"] == {}
    assert run.errors[0]["key"] == ""
    assert run.errors[0]["code"] == "invalid_year_group", "the error itself stays"
    assert good["upn"] not in str(run.__dict__)
