"""The same code runs on PostgreSQL, with a Redis cache and a real Celery worker."""

import os
import subprocess
import sys
import time

import pytest
from django.conf import settings
from django.db import connection

from hwb_portal.celery import app as celery_app
from tests.services import IN_CI, require


def test_ci_runs_the_suite_on_postgresql(db):
    if IN_CI:
        assert connection.vendor == "postgresql", "CI must set DATABASE_URL to PostgreSQL"
    assert connection.vendor in {"postgresql", "sqlite"}


def test_redis_serves_as_the_cache_when_redis_url_is_set():
    redis_url = os.environ.get("REDIS_URL", "")
    require(bool(redis_url), "Redis", "set REDIS_URL=redis://127.0.0.1:6379/0")
    from django.core.cache.backends.redis import RedisCache

    cache = RedisCache(redis_url, {})
    cache.set("hwb-test-key", "Siân", 5)
    assert cache.get("hwb-test-key") == "Siân"
    cache.delete("hwb-test-key")


def test_a_real_worker_starts_on_redis_and_answers(tmp_path):
    redis_url = os.environ.get("REDIS_URL", "")
    require(bool(redis_url), "Redis", "set REDIS_URL=redis://127.0.0.1:6379/0")
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "hwb_portal.settings.local"}
    worker = subprocess.Popen(  # noqa: S603
        [
            sys.executable,
            "-m",
            "celery",
            "-A",
            "hwb_portal",
            "worker",
            "--pool=solo",
            "--loglevel=WARNING",
            "--hostname=hwb-test-worker@%h",
            "--without-gossip",
            "--without-mingle",
        ],
        env=env,
        cwd=settings.BASE_DIR,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    try:
        celery_app.conf.broker_url = redis_url
        replies = []
        deadline = time.monotonic() + 30
        while not replies and time.monotonic() < deadline:
            assert worker.poll() is None, worker.stdout.read().decode()
            replies = celery_app.control.ping(timeout=1.0)
        assert any(name.startswith("hwb-test-worker@") for reply in replies for name in reply)
    finally:
        worker.terminate()
        worker.wait(timeout=20)
        celery_app.conf.broker_url = settings.CELERY_BROKER_URL


@pytest.mark.parametrize("module", ["hwb_portal.settings.local", "hwb_portal.settings.test"])
def test_settings_need_no_server(module):
    """With no DATABASE_URL or REDIS_URL the portal runs on SQLite with eager tasks."""
    env = {k: v for k, v in os.environ.items() if k not in {"DATABASE_URL", "REDIS_URL"}}
    code = (
        "from django.conf import settings as s;"
        "print(s.DATABASES['default']['ENGINE'], s.CELERY_TASK_ALWAYS_EAGER)"
    )
    out = subprocess.run(  # noqa: S603
        [
            sys.executable,
            "-c",
            f"import django,os;os.environ['DJANGO_SETTINGS_MODULE']='{module}';"
            f"django.setup();{code}",
        ],
        env=env,
        cwd=settings.BASE_DIR,
        capture_output=True,
        text=True,
        check=True,
    ).stdout.split()
    assert out == ["django.db.backends.sqlite3", "True"]


def test_production_settings_refuse_to_start_without_secrets():
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "HWB_"))}
    env["DJANGO_SETTINGS_MODULE"] = "hwb_portal.settings.production"
    result = subprocess.run(  # noqa: S603
        [sys.executable, "manage.py", "check"],
        env=env,
        cwd=settings.BASE_DIR,
        capture_output=True,
        text=True,
    )
    assert result.returncode != 0
    assert "DJANGO_SECRET_KEY" in result.stderr
