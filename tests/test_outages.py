"""Outages, for real, with the production settings: Redis (broker and cache) down, the database
down. Nothing received may be lost or stuck, the API answers in its JSON contract (503 with
Retry-After when nothing could be stored), and /healthz/ says which part is down.
"""

import json
import subprocess
import sys
import time

import pytest
from django.db import transaction
from django.test import RequestFactory
from django.utils import timezone

from hwb_portal.views import server_error
from provisioning.credentials import client_token_issue
from provisioning.models import ProvisioningRun
from provisioning.recovery import runs_stalled_recover
from tests.factories import SchoolFactory
from tests.provisioning.builders import learner_record, snapshot
from tests.servers import (
    ROOT,
    free_port,
    gunicorn,
    http_get,
    http_post,
    production_env,
    require_postgresql,
)
from tests.workers import start_worker, stop, wait_until

API = "/api/provisioning/v1"


@pytest.mark.django_db(transaction=True)
def test_with_redis_down_a_snapshot_is_accepted_and_applied_once_redis_is_back(
    local_authorities, queue, tmp_path, settings
):
    """gunicorn as compose runs it, its REDIS_URL pointing where nothing listens."""
    require_postgresql()
    school = SchoolFactory(dfes_number="6612001")
    secret = client_token_issue(school=school, actor=None)[1]
    body = json.dumps(snapshot(school, learners=[learner_record() for _ in range(6)])).encode()
    env = production_env(REDIS_URL=f"redis://127.0.0.1:{free_port()}/0")

    with gunicorn(env, tmp_path) as (port, log):
        status, headers, answer = http_post(
            port, f"{API}/snapshots/", body, headers={"Authorization": f"Bearer {secret}"}
        )
        health_status, _headers, health = http_get(port, "/healthz/")

    assert status == 202, answer
    assert headers["Content-Type"] == "application/json"
    run = ProvisioningRun.objects.get(pk=json.loads(answer)["run"])
    assert run.status == "queued"
    assert "could not be handed to a worker" in log.text
    assert (health_status, json.loads(health)) == (503, {"database": "ok", "broker": "unavailable"})

    # Redis is back: beat's sweep hands the run to a worker, which applies it.
    worker = start_worker(queue)
    try:
        with transaction.atomic():
            handed = runs_stalled_recover(now=timezone.now() + timezone.timedelta(minutes=6))
        assert handed == (1, 0)
        wait_until(
            lambda: ProvisioningRun.objects.get(pk=run.pk).status == "succeeded", worker, "applied"
        )
    finally:
        stop(worker)
    assert ProvisioningRun.objects.get(pk=run.pk).counts["learners"]["created"] == 6


def _client_in_production(script: str, **env: str) -> dict:
    """Run ``script`` with Django's test client in a process of its own, production settings."""
    preamble = (
        "import json, django; django.setup()\n"
        "from django.test import Client\n"
        'client = Client(raise_request_exception=False, HTTP_HOST="localhost")\n'
    )
    result = subprocess.run(  # noqa: S603
        [sys.executable, "-c", preamble + script],
        env=production_env(**env),
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout.strip().splitlines()[-1])


def test_with_the_database_down_the_api_answers_503_with_retry_after():
    started = time.monotonic()
    answers = _client_in_production(
        """
import secrets
bearer = {"authorization": "Bearer hwbpc_" + secrets.token_urlsafe(32)}  # looked up: a query
out = {}
for name, response in {
    "send": client.post("/api/provisioning/v1/snapshots/", "{}", content_type="application/json",
                        headers=bearer),
    "runs": client.get("/api/provisioning/v1/runs/", headers=bearer),
    "health": client.get("/healthz/"),
}.items():
    out[name] = [response.status_code, response["Content-Type"], response.get("Retry-After"),
                 response.content.decode()]
print(json.dumps(out))
""",
        DATABASE_URL=f"postgres://postgres@127.0.0.1:{free_port()}/hwb",
    )

    for name in ("send", "runs"):
        status, content_type, retry_after, body = answers[name]
        assert (status, content_type, retry_after) == (503, "application/json", "60"), body
        (error,) = json.loads(body)["errors"]
        assert error["code"] == "unavailable" and "nothing was stored" in error["message"]
    status, _content_type, _retry, body = answers["health"]
    assert status == 503 and json.loads(body)["database"] == "unavailable"
    assert time.monotonic() - started < 30


def test_an_unexpected_error_under_the_api_is_still_the_contracts_json(client, db):
    try:
        raise RuntimeError("a bug")
    except RuntimeError:
        response = server_error(RequestFactory().get(f"{API}/runs/"))
        page = server_error(RequestFactory().get("/user-management/"))
    assert response.status_code == 500 and response["Content-Type"] == "application/json"
    assert json.loads(response.content)["errors"][0]["code"] == "server_error"
    assert page.status_code == 500 and b"problem with the service" in page.content

    malformed = client.get(f"{API}/runs/", headers={"host": "evil.example"})
    assert malformed.status_code == 400 and malformed["Content-Type"] == "application/json"
    assert malformed.json()["errors"][0]["code"] == "bad_request"
