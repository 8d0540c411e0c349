"""Nothing received is lost or stuck: a run stored while the broker was down, or whose worker
died, is handed to a worker again by the beat sweep and applied once; a run whose worker was lost
twice is failed and the Hwb team told.

The real thing (a worker killed with SIGKILL, then another applying the run) is in
test_worker.py; a production server with Redis down is in tests/test_outages.py.
"""

import json
import logging
from datetime import timedelta

import psycopg2
import pytest
from django.core import mail
from django.db import connection, transaction
from django.urls import reverse
from django.utils import timezone

from accounts.models import AuditEntry, OutboundEmail, User
from provisioning.credentials import client_token_issue
from provisioning.models import ProvisioningRun
from provisioning.recovery import runs_stalled_recover
from provisioning.services.runs import run_receive
from tests.provisioning.builders import learner_record, snapshot
from tests.servers import require_postgresql

Status = ProvisioningRun.Status
API = "/api/provisioning/v1"


def later(minutes: int):
    return timezone.now() + timedelta(minutes=minutes)


def stored_run(school, *, learners: int = 3) -> ProvisioningRun:
    people = [learner_record() for _ in range(learners)]
    return run_receive(school=school, snapshot=snapshot(school, learners=people), enqueue=False)


def worker_lost(run: ProvisioningRun, *, attempts: int, minutes_ago: int = 10) -> None:
    """The state a worker leaves when it is killed half-way: running, nobody applying it."""
    ProvisioningRun.objects.filter(pk=run.pk).update(
        status=Status.RUNNING,
        attempts=attempts,
        started_at=timezone.now() - timedelta(minutes=minutes_ago),
        handed_over_at=timezone.now() - timedelta(minutes=minutes_ago),
    )


def test_a_snapshot_sent_while_the_broker_is_down_is_accepted_and_applied_once_it_is_back(
    client, school, broker_down, caplog, django_capture_on_commit_callbacks
):
    secret = client_token_issue(school=school, actor=None)[1]
    body = json.dumps(snapshot(school, learners=[learner_record() for _ in range(4)]))

    with caplog.at_level(logging.WARNING), django_capture_on_commit_callbacks(execute=True):
        response = client.generic(
            "POST",
            f"{API}/snapshots/",
            body,
            content_type="application/json",
            headers={"authorization": f"Bearer {secret}"},
        )

    assert response.status_code == 202
    assert response["Content-Type"] == "application/json"
    run = ProvisioningRun.objects.get(pk=response.json()["run"])
    assert run.status == Status.QUEUED
    assert "could not be handed to a worker" in caplog.text

    from hwb_portal.celery import app as celery_app

    celery_app.conf.task_always_eager = True  # the broker is back (here: tasks run in-process)
    with django_capture_on_commit_callbacks(execute=True):
        assert runs_stalled_recover(now=later(6)) == (1, 0)
    run.refresh_from_db()
    assert run.status == Status.SUCCEEDED and run.attempts == 1
    assert User.objects.filter(school=school, kind="learner").count() == 4


def test_a_queued_run_is_handed_over_only_once_it_has_waited_and_once_a_period(
    school, django_capture_on_commit_callbacks, settings
):
    settings.HWB_RUN_STALLED_MINUTES = 5
    run = stored_run(school)
    ProvisioningRun.objects.filter(pk=run.pk).update(handed_over_at=timezone.now())

    assert runs_stalled_recover(now=later(4)) == (0, 0), "a busy morning's queue is no outage"
    with django_capture_on_commit_callbacks() as handed:
        assert runs_stalled_recover(now=later(6)) == (1, 0)
        assert runs_stalled_recover(now=later(7)) == (0, 0), "not again before 5 more minutes"
    assert len(handed) == 1


def test_a_run_whose_worker_was_lost_is_handed_to_another_and_applied(
    school, django_capture_on_commit_callbacks
):
    run = stored_run(school, learners=5)
    worker_lost(run, attempts=1)

    with django_capture_on_commit_callbacks(execute=True):
        assert runs_stalled_recover() == (1, 0)

    run.refresh_from_db()
    assert run.status == Status.SUCCEEDED and run.attempts == 2
    assert run.counts["learners"]["created"] == 5
    handed = AuditEntry.objects.get(action="provisioning.run_handed_over_again")
    assert handed.school == school and handed.details["attempts"] == 1
    assert mail.outbox == [] and not OutboundEmail.objects.exists(), "nobody to tell yet"


def test_a_run_whose_worker_was_lost_twice_fails_and_the_hwb_team_is_told(
    school, settings, client, django_capture_on_commit_callbacks
):
    settings.HWB_TEAM_EMAIL = "hwb-team@example.wales"
    run = stored_run(school)
    worker_lost(run, attempts=2)

    with django_capture_on_commit_callbacks(execute=True):
        assert runs_stalled_recover() == (0, 1)

    run.refresh_from_db()
    assert run.status == Status.FAILED and run.snapshot is None
    assert "stopped 2 times" in run.failure_reason
    assert not User.objects.filter(school=school).exists(), "nothing applied"
    (email,) = mail.outbox
    assert email.to == ["hwb-team@example.wales"]
    assert "Llanberis Primary School (6612001)" in email.subject
    assert f"/admin/provisioning/provisioningrun/{run.pk}/change/" in email.body
    assert AuditEntry.objects.filter(action="provisioning.run_given_up", school=school).exists()
    # The Hwb team sees the attempts in the admin.
    hwb_team = User.objects.create_superuser("hwbadmin", "Admin-Pass-42")
    client.force_login(hwb_team)
    page = client.get(reverse("admin:provisioning_provisioningrun_change", args=[run.pk]))
    assert "Attempts" in page.content.decode() and "stopped 2 times" in page.content.decode()
    # A second sweep tells nobody again.
    with django_capture_on_commit_callbacks(execute=True):
        assert runs_stalled_recover(now=later(30)) == (0, 0)
    assert len(mail.outbox) == 1


def test_finished_and_held_runs_are_never_touched(school, django_capture_on_commit_callbacks):
    held, failed = stored_run(school), stored_run(school)
    ProvisioningRun.objects.filter(pk=held.pk).update(status=Status.HELD)
    ProvisioningRun.objects.filter(pk=failed.pk).update(status=Status.FAILED, attempts=1)

    with django_capture_on_commit_callbacks() as handed:
        assert runs_stalled_recover(now=later(60)) == (0, 0)
    assert handed == []


@pytest.mark.django_db(transaction=True)
def test_a_run_being_applied_is_left_to_its_worker(local_authorities):
    """A live apply holds its run's row lock: the sweep passes over it, however long it takes."""
    require_postgresql()
    from tests.factories import SchoolFactory

    school = SchoolFactory(dfes_number="6612001")
    with transaction.atomic():
        run = stored_run(school)
    worker_lost(run, attempts=1, minutes_ago=30)
    db = connection.settings_dict
    worker = psycopg2.connect(
        dbname=db["NAME"], user=db["USER"], host=db["HOST"] or "127.0.0.1", port=db["PORT"] or 5432
    )
    try:
        with worker.cursor() as cursor:  # as snapshot_run_apply holds it while applying
            cursor.execute(
                "SELECT id FROM provisioning_provisioningrun WHERE id = %s FOR UPDATE", [run.pk]
            )
        assert runs_stalled_recover() == (0, 0)
        assert ProvisioningRun.objects.get(pk=run.pk).status == Status.RUNNING
    finally:
        worker.rollback()
        worker.close()
    # Its worker gone, the lock goes with it: now the run is handed over.
    from hwb_portal.celery import app as celery_app

    assert celery_app.conf.task_always_eager
    assert runs_stalled_recover() == (1, 0)
    assert ProvisioningRun.objects.get(pk=run.pk).status == Status.SUCCEEDED
