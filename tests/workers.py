"""A real Celery worker on Redis for tests: a separate process on the test database.

Tests that use it commit their data (transactional_db) and send tasks through Redis on a queue
of their own, so workers of other test runs never take them. In CI a missing Redis or
PostgreSQL is an error; elsewhere those tests are skipped.
"""

import os
import signal
import socket
import subprocess
import sys
import time
import uuid

import pytest
from django.conf import settings
from django.db import connection

from hwb_portal.celery import app as celery_app
from schools.identifiers import WELSH_LOCAL_AUTHORITIES
from schools.models import LocalAuthority
from tests.services import require


@pytest.fixture
def local_authorities(transactional_db) -> None:
    """The 22 authorities of the data migration, which each transactional test's flush removes."""
    for code, (name_en, name_cy) in WELSH_LOCAL_AUTHORITIES.items():
        LocalAuthority.objects.get_or_create(
            code=code, defaults={"name_en": name_en, "name_cy": name_cy}
        )


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


@pytest.fixture
def broker_down():
    """Tasks sent to a Redis that is not there (nothing listens on its port): a broker outage."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        closed = probe.getsockname()[1]
    conf = celery_app.conf
    saved = (conf.task_always_eager, conf.broker_url)
    _forget_broker_connections()
    conf.task_always_eager = False
    conf.broker_url = f"redis://127.0.0.1:{closed}/0"
    yield conf.broker_url
    _forget_broker_connections()
    conf.task_always_eager, conf.broker_url = saved


def _forget_broker_connections() -> None:
    """Celery keeps its producer pool for the broker it first used: drop it (as after a fork)."""
    celery_app._pool = None
    celery_app.amqp._producer_pool = None


def start_worker(queue: str, **env_extra: str) -> subprocess.Popen:
    """A worker process reading ``queue``, on the test database, with extra environment."""
    db = connection.settings_dict
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "hwb_portal.settings.local",
        "DATABASE_URL": (
            f"postgres://{db['USER']}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"
        ),
        "HWB_UPN_HASH_KEY": settings.HWB_UPN_HASH_KEY,
        # What the worker sends itself (an email after a move) stays on this test's queue.
        "CELERY_TASK_DEFAULT_QUEUE": queue,
        **env_extra,
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
    """Stop the worker (SIGKILL: no warm shutdown) and return what it printed."""
    if worker.poll() is None:
        worker.send_signal(sig)
        try:
            worker.wait(timeout=20)
        except subprocess.TimeoutExpired:
            worker.kill()
            worker.wait()
    return worker.stdout.read().decode(errors="replace")


def wait_until(condition, worker: subprocess.Popen, what: str, timeout: float = 45) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return
        assert worker.poll() is None, stop(worker)
        time.sleep(0.2)
    pytest.fail(f"timed out waiting until {what}; worker said:\n{stop(worker)}")
