"""Two real Celery workers on Redis apply the night's queued runs in batches at the same time:
neither waits for the other's schools, none deadlocks, nothing is applied twice, and learners
moving between schools applied by different workers move once, whichever run comes first."""

import time
from contextlib import contextmanager

import psycopg2
import pytest
from django.db import connection, transaction

from accounts.models import AccountMove, AuditEntry, User
from provisioning.models import ProvisioningRun
from provisioning.services.runs import run_receive, snapshot_import
from tests.factories import SchoolFactory
from tests.provisioning.builders import learner_record, snapshot
from tests.workers import start_worker, stop

PAIRS = 4


@contextmanager
def row_locked(table: str, pk: int):
    """Another transaction holds a row (a school's, a run's) until the block ends."""
    db = connection.settings_dict
    holder = psycopg2.connect(
        dbname=db["NAME"], user=db["USER"], host=db["HOST"] or "127.0.0.1", port=db["PORT"] or 5432
    )
    with holder.cursor() as cursor:
        cursor.execute(f"SELECT 1 FROM {table} WHERE id = %s FOR UPDATE", [pk])  # noqa: S608
    try:
        yield
    finally:
        holder.rollback()
        holder.close()


def statuses(runs) -> dict[str, int]:
    found: dict[str, int] = {}
    for status in ProvisioningRun.objects.filter(pk__in=[r.pk for r in runs]).values_list(
        "status", flat=True
    ):
        found[status] = found.get(status, 0) + 1
    return found


def wait_until(condition, workers, what: str, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return
        for worker in workers:
            assert worker.poll() is None, stop(worker)
        time.sleep(0.2)
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT state, wait_event_type, wait_event, left(query, 120) FROM pg_stat_activity"
            " WHERE datname = current_database() AND pid <> pg_backend_pid()"
        )
        sessions = cursor.fetchall()
    runs = list(ProvisioningRun.objects.values_list("pk", "school__dfes_number", "status"))
    pytest.fail(
        f"timed out waiting until {what}; runs {runs}; database sessions {sessions}; "
        "workers said:\n" + "\n".join(map(stop, workers))
    )


@pytest.mark.django_db(transaction=True)
def test_two_workers_apply_batches_at_once_without_deadlock_or_double_apply(
    queue, local_authorities
):
    blocked = SchoolFactory(dfes_number="6613000")
    leaving = [SchoolFactory(dfes_number=f"661310{n}") for n in range(PAIRS)]
    admitting = [SchoolFactory(dfes_number=f"661320{n}") for n in range(PAIRS)]
    movers = [learner_record(forename="Elin", surname=f"Roberts{n}") for n in range(PAIRS)]
    rolls = {school.pk: [learner_record() for _ in range(40)] for school in leaving}
    for school, mover in zip(leaving, movers, strict=True):
        snapshot_import(
            school=school, snapshot=snapshot(school, learners=[mover, *rolls[school.pk]])
        )
    accounts = {
        mover["upn"]: User.objects.get(
            school=school, first_name="Elin", last_name=mover["surname"]
        ).pk
        for school, mover in zip(leaving, movers, strict=True)
    }

    runs = []
    with transaction.atomic():  # every task is sent to Redis when this commits
        runs.append(
            run_receive(
                school=blocked,
                snapshot=snapshot(blocked, learners=[learner_record() for _ in range(40)]),
            )
        )
        # Admissions queued before leavers, so a pair may be split between the workers.
        for leaver_school, admitted_school, mover in zip(leaving, admitting, movers, strict=True):
            admitted = [dict(mover, year_group="7"), *[learner_record() for _ in range(40)]]
            runs.append(
                run_receive(
                    school=admitted_school, snapshot=snapshot(admitted_school, learners=admitted)
                )
            )
            left = [dict(mover, leaving_date="2026-07-22"), *rolls[leaver_school.pk]]
            runs.append(
                run_receive(school=leaver_school, snapshot=snapshot(leaver_school, learners=left))
            )
    workers = []
    try:
        with row_locked("schools_school", blocked.pk):  # a worker whose batch has it waits
            workers = [start_worker(queue, HWB_RUN_BATCH_RUNS="3") for _ in range(2)]
            # One worker's batch waits on the blocked school; the other applies the rest.
            wait_until(
                lambda: statuses(runs).get("succeeded", 0) >= 3,
                workers,
                "the other worker applied a batch",
            )
            assert ProvisioningRun.objects.get(pk=runs[0].pk).status == "running"
        wait_until(
            lambda: statuses(runs) == {"succeeded": len(runs)}, workers, "every run succeeded"
        )
    finally:
        output = "\n".join(stop(worker) for worker in workers)
    assert "deadlock" not in output.lower(), output
    for run in runs:
        applied = AuditEntry.objects.filter(
            action="provisioning.run_applied", target_id=str(run.pk)
        )
        assert applied.count() == 1, f"run {run.pk} applied {applied.count()} times"
    for (upn, account_id), school in zip(accounts.items(), admitting, strict=True):
        assert User.objects.get(pk=account_id).school == school, upn
        assert AccountMove.objects.filter(account_id=account_id).count() == 1
    assert User.objects.filter(school__in=admitting, kind="learner").count() == PAIRS * 41
    assert User.objects.filter(school=blocked, kind="learner").count() == 40
    # The admission's run moved the account, or (applied before the leaver's) waited for it.
    told = [
        (run.counts["learners"]["moved_in"], run.counts["learners"]["awaiting_leaver"])
        for run in ProvisioningRun.objects.filter(school__in=admitting)
    ]
    assert sorted(sum(pair) for pair in told) == [1] * PAIRS, told


@pytest.mark.django_db(transaction=True)
def test_a_task_for_a_run_in_another_workers_batch_leaves_it_to_that_worker(local_authorities):
    from provisioning.services.batches import runs_apply_queued

    school = SchoolFactory(dfes_number="6613100")
    run = run_receive(
        school=school, snapshot=snapshot(school, learners=[learner_record()]), enqueue=False
    )
    ProvisioningRun.objects.filter(pk=run.pk).update(status="running", attempts=1)
    with connection.cursor() as cursor:
        cursor.execute("SET lock_timeout = '2s'")  # waiting would fail here, not hang
    try:
        with row_locked("provisioning_provisioningrun", run.pk):  # another worker's batch
            started = time.monotonic()
            runs_apply_queued(run_id=run.pk)
            assert time.monotonic() - started < 1, "it did not wait for the other worker"
    finally:
        with connection.cursor() as cursor:
            cursor.execute("SET lock_timeout = 0")
    run.refresh_from_db()
    assert (run.status, run.attempts) == ("running", 1), "left as the other worker has it"
    assert not User.objects.filter(school=school).exists()
