"""A real Celery worker on Redis applies runs, and a run survives its worker being killed.

The worker is a separate process on the test database, so these tests commit their data
(transactional_db) and send the task through Redis on a queue of their own.
"""

import os
import signal
import subprocess
import sys
import time
import uuid

import psycopg2
import pytest
from django.conf import settings
from django.db import connection, transaction

from accounts.models import User
from hwb_portal.celery import app as celery_app
from provisioning.models import ProvisioningRun
from provisioning.services import run_receive
from provisioning.tasks import run_apply
from schools.identifiers import WELSH_LOCAL_AUTHORITIES
from schools.models import LocalAuthority, School
from tests.factories import SchoolFactory
from tests.provisioning.builders import learner_record, snapshot
from tests.services import require

VISIBILITY_TIMEOUT = 3


@pytest.fixture
def school(transactional_db) -> School:
    """A school of its own (each transactional test's flush removes the migrations' authorities)."""
    for code, (name_en, name_cy) in WELSH_LOCAL_AUTHORITIES.items():
        LocalAuthority.objects.get_or_create(
            code=code, defaults={"name_en": name_en, "name_cy": name_cy}
        )
    return SchoolFactory(dfes_number="6612001")


@pytest.fixture
def queue():
    """Send tasks through Redis to a queue only this test's workers read."""
    redis_url = os.environ.get("REDIS_URL", "")
    require(bool(redis_url), "Redis", "set REDIS_URL=redis://127.0.0.1:6379/0")
    require(
        connection.vendor == "postgresql",
        "PostgreSQL",
        "set DATABASE_URL=postgres://postgres@127.0.0.1:5432/hwb_portal",
    )
    name = f"hwb-test-{uuid.uuid4().hex[:8]}"
    conf = celery_app.conf
    saved = (conf.task_always_eager, conf.broker_url, conf.task_default_queue)
    conf.task_always_eager = False
    conf.broker_url = redis_url
    conf.task_default_queue = name
    yield name
    conf.task_always_eager, conf.broker_url, conf.task_default_queue = saved


def start_worker(queue: str) -> subprocess.Popen:
    db = connection.settings_dict
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "hwb_portal.settings.local",
        "DATABASE_URL": (
            f"postgres://{db['USER']}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"
        ),
        "HWB_UPN_HASH_KEY": settings.HWB_UPN_HASH_KEY,
        "HWB_TASK_VISIBILITY_TIMEOUT": str(VISIBILITY_TIMEOUT),
    }
    return subprocess.Popen(  # noqa: S603
        [
            sys.executable,
            "-m",
            "celery",
            "-A",
            "hwb_portal",
            "worker",
            "--pool=solo",
            "--loglevel=WARNING",
            f"--queues={queue}",
            f"--hostname={queue}-{uuid.uuid4().hex[:4]}@%h",
            "--without-gossip",
            "--without-mingle",
            "--without-heartbeat",
        ],
        env=env,
        cwd=settings.BASE_DIR,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )


def stop(worker: subprocess.Popen, sig=signal.SIGTERM) -> str:
    if worker.poll() is None:
        worker.send_signal(sig)
        try:
            worker.wait(timeout=20)
        except subprocess.TimeoutExpired:
            worker.kill()
            worker.wait()
    return worker.stdout.read().decode(errors="replace")


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
    first = start_worker(queue)
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
    second = start_worker(queue)
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
