"""A real Celery worker on Redis applies runs, and a run survives its worker being killed.

The worker is a separate process on the test database, so these tests commit their data
(transactional_db) and send the task through Redis on a queue of their own.
"""

import signal
import time

import psycopg2
import pytest
from django.db import connection, transaction

from accounts.models import User
from provisioning.models import ProvisioningRun
from provisioning.services import run_receive
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
