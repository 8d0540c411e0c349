"""Benchmarks applying queued runs with 1, 2 and 4 real Celery workers; prints rates and memory.

Run: DATABASE_URL=postgres://postgres@127.0.0.1:5432/hwb_portal REDIS_URL=redis://127.0.0.1:6379/0 \
     .venv/bin/python bench/workers.py [--scale 0.05] [--workers 1,2,4] [--smoke] [--rebuild]

A bench database holds the simulated Wales at ``--scale`` with every school's first snapshot
stored as a queued run, as the API leaves them when the Provisioning Clients of all schools send
within the same hour (built once, then reused as a template). For each number of workers, a
fresh copy of it; the runs are sent to Redis (compose's run_apply task, on a queue of the
bench's own), then that many worker processes start (celery's solo pool: one process applying
one run at a time, as workers on other machines would, with the production settings and
compose's environment). Measured from the first run started to the last run finished (the runs'
own timestamps): records (learners + staff) per second, and each worker's peak resident memory
(VmHWM). On one machine the workers share its cores with PostgreSQL: more workers than cores
measure contention, not the scaling another machine's cores would give.
`--smoke`: a tiny Wales with 1 and 2 workers, for CI (figures printed).
"""

import argparse
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import harness  # noqa: E402

RECIPE = "wales-queued-runs-1"
SMOKE_SCALE = 0.002
TIMEOUT_SECONDS = 1800


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scale", type=float, default=None, help="share of Wales (0.05)")
    parser.add_argument("--workers", default=None, help="worker counts to try (1,2,4)")
    parser.add_argument("--smoke", action="store_true", help="tiny Wales, 1 and 2 workers")
    parser.add_argument("--rebuild", action="store_true", help="build the bench database afresh")
    options = parser.parse_args()
    scale = options.scale or (SMOKE_SCALE if options.smoke else 0.05)
    counts = [int(n) for n in (options.workers or ("1,2" if options.smoke else "1,2,4")).split(",")]

    server = harness.server_settings()
    base = f"{server['NAME']}_bench_workers_{str(scale).replace('.', '_')}"
    harness.django_setup(server, base)  # connects only to build it
    records = _ensure_queued_wales(server, base, scale, options.rebuild)
    print(
        f"\nscale {scale}: {records:,} records (learners + staff) in queued first loads; "
        f"{harness.machine_line()}"
    )
    print(
        f"{'workers':>7} {'seconds':>8} {'records/s':>10} {'x 1 worker':>10} "
        f"{'peak RSS per worker (MB)':>26}  runs"
    )
    single = None
    for count in counts:
        seconds, rss, statuses = _apply_with(server, base, count)
        rate = records / seconds if seconds else 0.0
        single = single or rate
        print(
            f"{count:>7} {seconds:>8.1f} {rate:>10,.0f} {rate / single:>10.2f} "
            f"{', '.join(f'{mb:.0f}' for mb in rss):>26}  {statuses}",
            flush=True,
        )
    print(f"after: {harness.machine_line()}")


def _ensure_queued_wales(server: dict, name: str, scale: float, rebuild: bool) -> int:
    """The template database: schools and one queued first-load run each. Its record count."""
    from wales import migrations_fingerprint

    version = f"{RECIPE} scale={scale} migrations={migrations_fingerprint()}"
    rows = []
    if not rebuild and harness.database_exists(server, name):
        rows = harness.server_execute(
            server, "SELECT version, records FROM bench_marker", database=name, missing_ok=True
        )
    if rows and rows[0][0] == version:
        print(f"bench database {name} reused ({version})")
        return rows[0][1]
    started = time.perf_counter()
    harness.database_drop(server, name)
    harness.database_create(server, name)
    from django.core.management import call_command
    from django.db import connection, connections

    from provisioning.services.runs import run_receive
    from provisioning.simulator import (
        school_snapshot,
        schools_create,
        simulation_dates,
        wales_schools,
    )

    call_command("migrate", verbosity=0)
    specs = list(wales_schools(scale))
    schools = schools_create(specs)
    summer, _autumn = simulation_dates()
    records = 0
    for spec in specs:
        snapshot = school_snapshot(spec, summer)
        records += len(snapshot["learners"]) + len(snapshot["staff"])
        run_receive(
            school=schools[spec.dfes_number], snapshot=snapshot, source="bench", enqueue=False
        )
    with connection.cursor() as cursor:
        cursor.execute("CREATE TABLE bench_marker (version text NOT NULL, records int NOT NULL)")
        cursor.execute("INSERT INTO bench_marker VALUES (%s, %s)", [version, records])
    connections.close_all()  # a template database takes no connections while copied
    print(f"bench database {name} built in {time.perf_counter() - started:.0f} s")
    return records


def _apply_with(server: dict, template: str, count: int) -> tuple[float, list[float], str]:
    """Apply every queued run of a fresh copy of ``template`` with ``count`` workers."""
    from celery import Celery

    name = f"{template}_w{count}"
    harness.database_drop(server, name)
    harness.database_create(server, name, template=template)
    queue = f"hwb-bench-{uuid.uuid4().hex[:8]}"
    redis_url = _redis_url()
    try:
        run_ids = [
            row[0] for row in _query(server, name, "SELECT id FROM provisioning_provisioningrun")
        ]
        sender = Celery(broker=redis_url)
        with sender.connection_for_write() as connection:
            for run_id in run_ids:
                sender.send_task(
                    "provisioning.tasks.run_apply",
                    args=[run_id],
                    queue=queue,
                    connection=connection,
                )
        env = harness.portal_env(
            server,
            name,
            DJANGO_SETTINGS_MODULE="hwb_portal.settings.production",
            CELERY_TASK_DEFAULT_QUEUE=queue,
        )
        logs = tempfile.TemporaryDirectory(prefix="hwb-bench-")
        workers = [_worker(env, queue, n, Path(logs.name)) for n in range(count)]
        peaks = [0.0] * count
        try:
            deadline = time.monotonic() + TIMEOUT_SECONDS
            while time.monotonic() < deadline:
                for index, worker in enumerate(workers):
                    if worker.poll() is not None:
                        log = Path(logs.name) / f"worker{index}.log"
                        sys.exit(f"a worker exited:\n{log.read_text(errors='replace')[-3000:]}")
                    peaks[index] = max(peaks[index], harness.peak_rss_mb_of(worker.pid))
                pending = _query(
                    server,
                    name,
                    "SELECT count(*) FROM provisioning_provisioningrun"
                    " WHERE status IN ('queued', 'running')",
                )[0][0]
                if not pending:
                    break
                time.sleep(0.5)
            else:
                sys.exit(f"runs still pending after {TIMEOUT_SECONDS} s")
        finally:
            for worker in workers:
                harness.stop(worker)
            logs.cleanup()
        seconds = _query(
            server,
            name,
            "SELECT extract(epoch FROM max(finished_at) - min(started_at))"
            " FROM provisioning_provisioningrun",
        )[0][0]
        statuses = ", ".join(
            f"{status} {number}"
            for status, number in _query(
                server,
                name,
                "SELECT status, count(*) FROM provisioning_provisioningrun GROUP BY status",
            )
        )
        return float(seconds), peaks, statuses
    finally:
        harness.database_drop(server, name)


def _redis_url() -> str:
    import os

    url = os.environ.get("REDIS_URL", "")
    if not url:
        sys.exit("bench/workers.py needs Redis: set REDIS_URL=redis://127.0.0.1:6379/0")
    return url


def _query(server: dict, name: str, sql: str) -> list:
    return harness.server_execute(server, sql, database=name)


def _worker(env: dict, queue: str, number: int, logs: Path) -> subprocess.Popen:
    """compose's worker command as one process (solo pool) reading the bench's queue."""
    command = harness.compose_command("worker")
    assert command[:4] == ["celery", "-A", "hwb_portal", "worker"], command
    with (logs / f"worker{number}.log").open("wb") as log:
        return subprocess.Popen(  # noqa: S603
            [
                sys.executable,
                "-m",
                *command,
                "--pool=solo",
                "--loglevel=WARNING",
                f"--queues={queue}",
                f"--hostname={queue}-{number}@%h",
                "--without-gossip",
                "--without-mingle",
            ],
            env=env,
            cwd=harness.ROOT,
            stdout=log,
            stderr=subprocess.STDOUT,
        )


if __name__ == "__main__":
    main()
