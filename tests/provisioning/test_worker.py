"""A real Celery worker on Redis applies runs, and a run survives its worker being killed: the
broker delivers it again after its visibility timeout, and the stalled-run sweep within minutes.

The worker is a separate process on the test database, so these tests commit their data
(transactional_db) and send the task through Redis on a queue of their own.
"""

import signal
import time
from contextlib import contextmanager
from datetime import timedelta

import psycopg2
import pytest
from django.db import connection, transaction
from django.utils import timezone

from accounts.models import OutboundEmail, User
from provisioning.models import ProvisioningRun
from provisioning.recovery import runs_stalled_recover
from provisioning.services.runs import run_receive
from provisioning.tasks import run_apply
from schools.models import School
from tests.factories import SchoolFactory
from tests.provisioning.builders import learner_record, snapshot
from tests.workers import start_worker, stop

VISIBILITY_TIMEOUT = 3


@pytest.fixture
def school(local_authorities) -> School:
    return SchoolFactory(dfes_number="6612001")


def wait_for(run_id: int, statuses: set[str], worker, timeout: float = 45) -> ProvisioningRun:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        run = ProvisioningRun.objects.get(pk=run_id)
        if run.status in statuses:
            return run
        assert worker.poll() is None, stop(worker)
        time.sleep(0.2)
    pytest.fail(f"run {run_id} still {run.status}; worker said:\n{stop(worker)}")


def receive(school: School, size: int = 25) -> ProvisioningRun:
    people = [learner_record() for _ in range(size)]
    with transaction.atomic():  # the task is sent when this commits
        return run_receive(school=school, snapshot=snapshot(school, learners=people))


@pytest.mark.django_db(transaction=True)
def test_a_real_worker_picks_up_a_run_from_redis_and_finishes_it(queue, school):
    worker = start_worker(queue)
    try:
        run = receive(school)
        assert run.status == "queued"
        run = wait_for(run.pk, {"succeeded", "failed"}, worker)
    finally:
        output = stop(worker)
    assert run.status == "succeeded", (run.failure_reason, output)
    assert run.counts["learners"]["created"] == 25
    assert User.objects.filter(school=school, kind="learner").count() == 25


@pytest.mark.django_db(transaction=True)
def test_a_run_survives_its_worker_being_killed_and_still_applies_once(queue, school):
    first = start_worker(queue, HWB_TASK_VISIBILITY_TIMEOUT=str(VISIBILITY_TIMEOUT))
    # Lock the MIS learner table: the worker stops half-way, records staged, about to write.
    db = connection.settings_dict
    blocker = psycopg2.connect(
        dbname=db["NAME"], user=db["USER"], host=db["HOST"] or "127.0.0.1", port=db["PORT"] or 5432
    )
    with blocker.cursor() as cursor:
        cursor.execute("LOCK TABLE provisioning_mislearner IN EXCLUSIVE MODE")
    try:
        run = receive(school)
        wait_for(run.pk, {"running"}, first)
        time.sleep(1)  # now waiting inside its transaction
        stop(first, signal.SIGKILL)  # no warm shutdown: the task is never acknowledged
    finally:
        blocker.rollback()
        blocker.close()
    assert ProvisioningRun.objects.get(pk=run.pk).status == "running"
    assert not User.objects.filter(kind="learner").exists(), "nothing half-applied"

    time.sleep(VISIBILITY_TIMEOUT + 1)  # the unacknowledged task becomes visible again
    second = start_worker(queue, HWB_TASK_VISIBILITY_TIMEOUT=str(VISIBILITY_TIMEOUT))
    try:
        run = wait_for(run.pk, {"succeeded", "failed"}, second)
        assert run.status == "succeeded", run.failure_reason
        # Delivered once more (say, a duplicate): nothing is applied twice.
        run_apply.delay(run.pk)
        time.sleep(2)
    finally:
        stop(second)
    assert User.objects.filter(school=school, kind="learner").count() == 25
    assert ProvisioningRun.objects.get(pk=run.pk).counts["learners"]["created"] == 25


@contextmanager
def mis_tables_locked():
    """Hold the MIS learner table, as a slow apply would: a worker stops there, mid-apply."""
    db = connection.settings_dict
    blocker = psycopg2.connect(
        dbname=db["NAME"], user=db["USER"], host=db["HOST"] or "127.0.0.1", port=db["PORT"] or 5432
    )
    with blocker.cursor() as cursor:
        cursor.execute("LOCK TABLE provisioning_mislearner IN EXCLUSIVE MODE")
    try:
        yield
    finally:
        blocker.rollback()
        blocker.close()


def killed_mid_apply(run_id: int, queue: str, *, handed_over) -> None:
    """A worker takes the run and is killed with SIGKILL while applying it."""
    worker = start_worker(queue)  # the default visibility timeout: an hour
    with mis_tables_locked():
        handed_over()
        wait_for(run_id, {"running"}, worker)
        time.sleep(1)  # now waiting inside its transaction
        stop(worker, signal.SIGKILL)


def sweep_until(outcome: tuple[int, int], timeout: float = 20) -> None:
    """The beat sweep, as it runs every minute, until it acts (a dead worker's database
    session lets go of the run's row lock a moment after the worker is gone)."""
    deadline = time.monotonic() + timeout
    while (result := runs_stalled_recover(now=timezone.now() + timedelta(minutes=6))) != outcome:
        assert result == (0, 0), result
        assert time.monotonic() < deadline, "the run stayed locked"
        time.sleep(0.2)


@pytest.mark.django_db(transaction=True)
def test_a_run_whose_worker_is_killed_is_applied_by_another_within_minutes(queue, school):
    """Without the sweep the run would wait an hour (the broker's visibility timeout)."""
    run = receive(school, size=10)
    killed_mid_apply(run.pk, queue, handed_over=lambda: None)  # receive() handed it over
    assert ProvisioningRun.objects.get(pk=run.pk).status == "running"

    second = start_worker(queue)
    try:
        sweep_until((1, 0))
        run = wait_for(run.pk, {"succeeded", "failed"}, second, timeout=20)
    finally:
        stop(second)
    assert run.status == "succeeded" and run.attempts == 2
    assert User.objects.filter(school=school, kind="learner").count() == 10


@pytest.mark.django_db(transaction=True)
def test_a_run_whose_workers_are_killed_twice_fails_and_the_hwb_team_is_told(
    queue, school, settings
):
    settings.HWB_TEAM_EMAIL = "hwb-team@example.wales"
    run = receive(school, size=10)
    killed_mid_apply(run.pk, queue, handed_over=lambda: None)  # receive() handed it over
    killed_mid_apply(run.pk, queue, handed_over=lambda: sweep_until((1, 0)))

    sweep_until((0, 1))

    run = ProvisioningRun.objects.get(pk=run.pk)
    assert run.status == "failed" and run.attempts == 2
    assert not User.objects.filter(school=school).exists(), "nothing half-applied"
    email = OutboundEmail.objects.get(to="hwb-team@example.wales")
    assert "failed: its worker stopped twice" in email.subject
