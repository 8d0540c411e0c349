"""A worker applies the queued runs of several schools together, in one pass: each school's run
still succeeds, fails or is held on its own, learners move between schools of the same batch in
either order, a school's runs keep their order, and the pass costs about what one run costs."""

import zlib
from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext

from accounts.models import AccountMove, AuditEntry, SchoolRole, User
from provisioning.models import MisLearner, ProvisioningRun
from provisioning.services.batches import runs_apply_queued
from provisioning.services.runs import run_receive, snapshot_import
from tests.factories import SchoolFactory
from tests.provisioning.builders import learner_record, snapshot, staff_record

pytestmark = pytest.mark.django_db
JULY = datetime(2026, 7, 20, 6, 0, tzinfo=UTC)
NIGHT = datetime(2026, 9, 3, 2, 0, tzinfo=UTC)


def queued(school, *, learners=(), staff=(), at=NIGHT) -> ProvisioningRun:
    """A snapshot stored as a queued run, as the API leaves it before a worker takes it."""
    with time_machine.travel(at, tick=False):
        return run_receive(
            school=school,
            snapshot=snapshot(school, learners=learners, staff=staff, extracted_at=at),
            enqueue=False,
        )


def applied(school, learners, at=JULY) -> ProvisioningRun:
    with time_machine.travel(at, tick=False):
        return snapshot_import(
            school=school, snapshot=snapshot(school, learners=learners, extracted_at=at)
        )


def work(run: ProvisioningRun) -> ProvisioningRun:
    """A worker takes this run's task from the queue."""
    with time_machine.travel(NIGHT + timedelta(minutes=5), tick=False):
        runs_apply_queued(run_id=run.pk)
    run.refresh_from_db()
    return run


@pytest.fixture
def schools(db):
    return [SchoolFactory(dfes_number=f"66{number:05d}") for number in range(1, 7)]


def test_one_batch_applies_each_schools_run_on_its_own_terms(schools, settings):
    settings.HWB_RUN_BATCH_RUNS = 10
    plain, dropping, primary, secondary, broken, _spare = schools
    # A school whose new snapshot silently drops most of its roll: held, nothing of it applied.
    roll = [learner_record(surname="Hughes") for _ in range(20)]
    applied(dropping, roll)
    # Elin leaves the primary for the secondary: the secondary's run is queued first.
    elin = learner_record(forename="Elin", surname="Roberts", year_group="6")
    applied(primary, [elin])
    account = User.objects.get(upn_hash=MisLearner.objects.get(school=primary).upn_hash)

    runs = {
        "secondary": queued(
            secondary,
            learners=[dict(elin, year_group="7", admission_date="2026-09-03")],
            staff=[staff_record(is_headteacher=True)],
        ),
        "plain": queued(plain, learners=[learner_record() for _ in range(30)]),
        "dropping": queued(dropping, learners=roll[:5]),
        "broken": queued(broken, learners=[learner_record()]),
        "primary": queued(primary, learners=[dict(elin, leaving_date="2026-07-22")]),
    }
    # A snapshot damaged in storage: its run fails, and only its run.
    ProvisioningRun.objects.filter(pk=runs["broken"].pk).update(snapshot=b"not a snapshot")

    work(runs["secondary"])
    for run in runs.values():
        run.refresh_from_db()

    assert runs["plain"].status == "succeeded"
    assert runs["plain"].counts["learners"]["created"] == 30
    assert User.objects.filter(school=plain, kind="learner").count() == 30
    assert runs["broken"].status == "failed"
    assert "could not apply the snapshot" in runs["broken"].failure_reason
    assert not User.objects.filter(school=broken).exists()
    assert runs["dropping"].status == "held"
    assert "15 of 20 current learners" in runs["dropping"].failure_reason
    assert MisLearner.objects.filter(school=dropping, leaving_date__isnull=True).count() == 20
    account.refresh_from_db()
    assert account.school == secondary, "the same account moved with her"
    assert AccountMove.objects.filter(account=account, to_school=secondary).count() == 1
    assert runs["secondary"].status == runs["primary"].status == "succeeded"
    assert runs["secondary"].counts["learners"]["moved_in"] == 1
    assert runs["secondary"].accounts["learners"][elin["upn"]] == account.username
    assert runs["secondary"].counts["staff"]["created"] == 1
    assert SchoolRole.objects.filter(school=secondary, role="headteacher").exists(), (
        "its headteacher followed"
    )
    # Every account created names its own school and run in the audit trail.
    created = AuditEntry.objects.filter(action="account.created", school=plain)
    assert created.count() == 30
    assert {entry.details["run"] for entry in created} == {runs["plain"].pk}


def test_a_leaver_queued_after_the_admission_moves_the_account_too(schools, settings):
    settings.HWB_RUN_BATCH_RUNS = 10
    _plain, _dropping, primary, secondary, *_ = schools
    elin = learner_record(forename="Elin", surname="Roberts")
    applied(primary, [elin])
    leaver = queued(primary, learners=[dict(elin, leaving_date="2026-07-22")])
    admitted = queued(secondary, learners=[dict(elin, year_group="7")])
    work(leaver)
    admitted.refresh_from_db()
    assert admitted.counts["learners"]["moved_in"] == 1
    assert User.objects.get(upn_hash=MisLearner.objects.get(school=primary).upn_hash).school == (
        secondary
    )


def test_a_learner_new_to_two_schools_of_a_batch_gets_one_account(schools, settings):
    settings.HWB_RUN_BATCH_RUNS = 10
    first, second, *_ = schools
    twin = learner_record(forename="Gwen", surname="Evans")
    one = queued(first, learners=[twin])
    two = queued(second, learners=[twin])
    work(one)
    two.refresh_from_db()
    assert User.objects.filter(upn_hash=MisLearner.objects.get(school=first).upn_hash).count() == 1
    account = User.objects.get(upn_hash=MisLearner.objects.get(school=first).upn_hash)
    assert account.school == first, "at the school whose run came first"
    assert MisLearner.objects.get(school=second).account == account
    assert two.counts["learners"]["awaiting_leaver"] == 1


def test_a_schools_later_run_waits_for_its_earlier_one(schools, settings):
    settings.HWB_RUN_BATCH_RUNS = 10
    plain, other, *_ = schools
    earlier = queued(plain, learners=[learner_record(surname="Ellis")])
    starter = queued(other, learners=[learner_record()])
    later = queued(plain, learners=[learner_record(surname="Ellis")], at=NIGHT + timedelta(hours=1))
    work(starter)
    earlier.refresh_from_db()
    later.refresh_from_db()
    assert (earlier.status, later.status) == ("succeeded", "queued")
    assert work(later).status == "succeeded", "not stale: applied after the one before it"


def test_a_run_being_applied_elsewhere_is_left_to_that_worker(schools, settings):
    plain, *_ = schools
    run = queued(plain, learners=[learner_record()])
    ProvisioningRun.objects.filter(pk=run.pk).update(status="succeeded")
    assert work(run).status == "succeeded"
    assert not User.objects.filter(school=plain).exists(), "a finished run is not applied again"


def test_a_batch_of_ten_schools_costs_about_the_statements_of_one(schools, settings):
    settings.HWB_RUN_BATCH_RUNS = 10
    lone = SchoolFactory(dfes_number="6619999")
    run = queued(lone, learners=[learner_record() for _ in range(20)], staff=[staff_record()])
    with CaptureQueriesContext(connection) as one:
        work(run)
    many = [SchoolFactory(dfes_number=f"66180{n:02d}") for n in range(10)]
    runs = [
        queued(school, learners=[learner_record() for _ in range(20)], staff=[staff_record()])
        for school in many
    ]
    with CaptureQueriesContext(connection) as ten:
        work(runs[0])
    assert all(ProvisioningRun.objects.get(pk=r.pk).status == "succeeded" for r in runs)
    assert User.objects.filter(school__in=many).count() == 210
    # What grows with the schools is a few statements each (their run's row and audit entry).
    assert len(ten) < len(one) + 10 * 4, (len(one), len(ten))


def test_a_snapshot_stored_damaged_does_not_keep_others_from_their_pass(schools, settings):
    settings.HWB_RUN_BATCH_RUNS = 10
    plain, other, *_ = schools
    good = queued(plain, learners=[learner_record()])
    bad = queued(other, learners=[learner_record()])
    ProvisioningRun.objects.filter(pk=bad.pk).update(snapshot=zlib.compress(b"{"))
    assert work(good).status == "succeeded"
    bad.refresh_from_db()
    assert bad.status == "failed"


def test_a_run_whose_worker_was_lost_is_applied_alone_and_takes_no_other_run_with_it(
    schools, settings
):
    settings.HWB_RUN_BATCH_RUNS = 10
    plain, other, third, *_ = schools
    lost = queued(plain, learners=[learner_record()])
    ProvisioningRun.objects.filter(pk=lost.pk).update(attempts=1)  # handed over by the sweep
    waiting = queued(other, learners=[learner_record()])
    fresh = queued(third, learners=[learner_record()])
    assert work(lost).status == "succeeded"
    assert lost.attempts == 2
    waiting.refresh_from_db()
    assert waiting.status == "queued", "not claimed with a run that once killed its worker"
    # A fresh run's batch leaves the lost worker's runs out too.
    ProvisioningRun.objects.filter(pk=waiting.pk).update(attempts=1)
    assert work(fresh).status == "succeeded"
    waiting.refresh_from_db()
    assert (waiting.status, waiting.attempts) == ("queued", 1)
