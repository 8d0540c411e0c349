"""Benchmarks applying MIS snapshots for all of Wales on PostgreSQL; prints figures and targets.

Run: DATABASE_URL=postgres://postgres@127.0.0.1:5432/hwb_portal \
     .venv/bin/python bench/provisioning.py [--scale 1.0] [--batch N] [--seed N] [--profile]
     [--keep] [--smoke]
It works in a throwaway database (hwb_bench, or --database NAME), created and dropped on the
server DATABASE_URL names, never in the real one. In one run it measures, through the real
services as a worker uses them when every school sends in the same hour (``run_receive`` stores
each snapshot as a queued run; ``runs_apply_queued`` applies up to ``--batch`` schools' runs
together in one pass; ``--batch 1`` imports each school by itself through ``snapshot_import``):
  (a) the first load of every school of the simulated Wales (accounts created),
  (b) the same snapshots again (nothing changes),
  (c) the September after (every learner moves up; year 6 start year 7 at a secondary),
  (d) for comparison, a raw COPY of the same learner and staff rows into an unindexed table,
      school by school (a transaction each, as the runs have), and (d*) all in one COPY,
  (e) one typical school's daily snapshot (1,000 learners, a few changes), median of several,
and the peak memory as the schools go by, which should stay flat.
"""

import argparse
import contextlib
import cProfile
import io
import os
import pstats
import resource
import statistics
import sys
import tempfile
import time
from collections import Counter, defaultdict
from datetime import UTC, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "hwb_portal.settings.test")

import environ  # noqa: E402
import psycopg2  # noqa: E402

BENCH_DATABASE = "hwb_bench"
DAILY_REPEATS = 9
TARGETS = {"a": 0.10, "b": 0.25, "c": 0.10}
DAILY_TARGET_MS = 150
SMOKE_SCALE = 0.005


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scale", type=float, default=1.0, help="share of Wales (default 1)")
    parser.add_argument("--seed", type=int, default=None)
    parser.add_argument(
        "--profile", action="store_true", help="profile the service (Python and SQL) per phase"
    )
    parser.add_argument("--keep", action="store_true", help="keep the database afterwards")
    parser.add_argument(
        "--smoke", action="store_true", help="a tiny Wales, figures printed, aims not judged (CI)"
    )
    parser.add_argument(
        "--batch",
        type=int,
        default=None,
        help="schools' runs applied together (default HWB_RUN_BATCH_RUNS; 1: one at a time)",
    )
    parser.add_argument(
        "--database",
        default=BENCH_DATABASE,
        help=f"the throwaway database (default {BENCH_DATABASE})",
    )
    options = parser.parse_args()

    url = os.environ.get("DATABASE_URL", "")
    server = environ.Env.db_url_config(url) if url else {}
    if "postgresql" not in server.get("ENGINE", ""):
        sys.exit("bench/provisioning.py measures PostgreSQL: set DATABASE_URL=postgres://…")
    name = options.database
    if not name.replace("_", "").isalnum() or name == server.get("NAME"):
        sys.exit("--database: a plain name, not the database DATABASE_URL names")
    _database_recreate(server, name)
    bench_url = url.rsplit("/", 1)[0] + "/" + name
    os.environ["DATABASE_URL"] = bench_url
    try:
        import django

        django.setup()
        passed = Bench(options).run()
    finally:
        from django.db import connections

        connections.close_all()
        if not options.keep:
            _database_drop(server, name)
    sys.exit(0 if passed or options.smoke else 1)


def _server_connection(server: dict):
    connection = psycopg2.connect(
        dbname="postgres",
        user=server.get("USER") or None,
        password=server.get("PASSWORD") or None,
        host=server.get("HOST") or None,
        port=server.get("PORT") or None,
    )
    connection.autocommit = True
    return connection


def _database_recreate(server: dict, name: str) -> None:
    _database_drop(server, name)
    _server_execute(server, f"CREATE DATABASE {name}")


def _database_drop(server: dict, name: str) -> None:
    _server_execute(server, f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")


def _server_execute(server: dict, sql: str) -> None:
    connection = _server_connection(server)
    try:
        with connection.cursor() as cursor:
            cursor.execute(sql)
    finally:
        connection.close()


def _peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # kilobytes on Linux


class Phase:
    """Seconds spent in the timed call, records it handled, and the runs' counts added up."""

    def __init__(self, name: str):
        self.name = name
        self.seconds = 0.0
        self.records = 0
        self.statuses: Counter = Counter()
        self.counts: dict[str, Counter] = {"learners": Counter(), "staff": Counter()}

    @property
    def rate(self) -> float:
        return self.records / self.seconds if self.seconds else 0.0


class Bench:
    def __init__(self, options):
        from provisioning.simulator import DEFAULT_SEED

        self.scale = SMOKE_SCALE if options.smoke else options.scale
        self.seed = options.seed if options.seed is not None else DEFAULT_SEED
        self.profile = options.profile
        self.batch = options.batch
        self.pending: list = []
        self.profiles: dict[str, tuple[cProfile.Profile, dict]] = {}
        self.copy_files: dict = {}

    def run(self) -> bool:
        from django.conf import settings
        from django.core.management import call_command
        from django.db import connection

        from provisioning.simulator import schools_create, simulation_dates, wales_schools

        started = time.perf_counter()
        call_command("migrate", verbosity=0)
        self.batch = max(1, self.batch or settings.HWB_RUN_BATCH_RUNS)
        settings.HWB_RUN_BATCH_RUNS = self.batch
        print(f"database: {connection.vendor} {connection.settings_dict['NAME']}; {_machine()}")
        print(
            f"runs applied {self.batch} schools at a time"
            if self.batch > 1
            else "runs applied one at a time"
        )
        self.specs = list(wales_schools(self.scale, self.seed))
        self.schools = schools_create(self.specs)
        self.summer, self.autumn = simulation_dates()
        print(
            f"scale {self.scale}: {len(self.specs):,} schools; summer snapshots of "
            f"{self.summer:%Y-%m-%d}, September snapshots of {self.autumn:%Y-%m-%d}"
        )
        self._copy_tables_create()

        with contextlib.ExitStack() as files:
            # Every row COPY takes school by school, kept on disk to COPY all of it in one go.
            self.copy_files = {
                table: files.enter_context(tempfile.TemporaryFile("w+", encoding="utf-8"))
                for table in ("bench_copy_learner", "bench_copy_staff")
            }
            first, copy = self.first_load()
            copy_at_once = self.copy_at_once()
        second = self.load_again()
        september = self.september()
        daily = self.typical_school_day()

        print("\nRecords (learners + staff) per second")
        print(f"{'':40} {'records':>9} {'seconds':>8} {'rec/s':>9} {'of COPY':>8}")
        for phase in (copy_at_once, copy, first, second, september):
            share = phase.rate / copy.rate if copy.rate else 0
            print(
                f"{phase.name:40} {phase.records:>9,} {phase.seconds:>8.2f} "
                f"{phase.rate:>9,.0f} {share:>8.1%}"
            )
        print(
            "(d) is COPY school by school, a transaction each, like the runs; (d*) is one COPY of "
            "all of it."
        )
        print(f"\n(e) a typical school's daily snapshot: median {daily:.1f} ms")

        results = [
            ("(a) first load >= 10% of COPY", first.rate >= TARGETS["a"] * copy.rate),
            ("(b) unchanged reload >= 25% of COPY", second.rate >= TARGETS["b"] * copy.rate),
            ("(c) September >= 10% of COPY", september.rate >= TARGETS["c"] * copy.rate),
            (f"(e) daily snapshot < {DAILY_TARGET_MS} ms", daily < DAILY_TARGET_MS),
        ]
        print("\nTargets")
        for label, passed in results:
            print(f"  {'PASS' if passed else 'FAIL'}  {label}")
        print(f"\nwhole benchmark: {time.perf_counter() - started:.0f} s; {_machine()}")
        for name, (profile, sql) in self.profiles.items():
            self._profile_print(name, profile, sql)
        return all(passed for _label, passed in results)

    # --- the phases -----------------------------------------------------------------------------

    def first_load(self) -> tuple[Phase, Phase]:
        from provisioning.simulator import school_snapshot

        print("\n(a) first load of every school, and (d) the raw COPY of the same rows")
        first, copy = (
            Phase("(a) first load (accounts created)"),
            Phase("(d) raw COPY, school by school"),
        )
        checkpoints = {max(1, round(len(self.specs) * share)): share for share in (0.25, 0.5, 1)}
        for number, spec in enumerate(self.specs, start=1):
            snapshot = school_snapshot(spec, self.summer)
            self._copy(spec.dfes_number, snapshot, copy)
            self._apply(spec, snapshot, first)
            if number in checkpoints:
                print(f"  {checkpoints[number]:>4.0%} of schools: peak RSS {_peak_rss_mb():.0f} MB")
        self._flush(first)
        self._phase_print(first)
        from accounts.models import User

        print(f"  accounts: {User.objects.count():,}")
        return first, copy

    def copy_at_once(self) -> Phase:
        """The same rows again, in one COPY per table: the fastest PostgreSQL takes them."""
        from django.db import connection

        phase = Phase("(d*) raw COPY, all in one go")
        with connection.cursor() as cursor:
            cursor.execute("TRUNCATE bench_copy_learner, bench_copy_staff")
            started = time.perf_counter()
            for table, rows in self.copy_files.items():
                rows.seek(0)
                cursor.copy_expert(f"COPY {table} FROM STDIN", rows)
                phase.records += cursor.rowcount
            phase.seconds = time.perf_counter() - started
        return phase

    def load_again(self) -> Phase:
        from provisioning.simulator import school_snapshot

        print("\n(b) the same snapshots again")
        phase = Phase("(b) unchanged reload")
        for spec in self.specs:
            self._apply(spec, school_snapshot(spec, self.summer), phase)
        self._flush(phase)
        self._phase_print(phase)
        changed = sum(
            number
            for counts in phase.counts.values()
            for name, number in counts.items()
            if name not in {"received", "unchanged"}
        )
        print(f"  everything unchanged: {'yes' if not changed else f'NO ({changed} changes)'}")
        return phase

    def september(self) -> Phase:
        from accounts.models import AccountMove
        from provisioning.simulator import september_moves

        print("\n(c) September: every school's new-year snapshot")
        phase = Phase("(c) September moves")
        moves_before = AccountMove.objects.count()
        stats: dict = {}
        total = len(self.specs)
        checkpoints = {max(1, round(total * share)): share for share in (0.25, 0.5, 1)}
        for number, (spec, snapshot) in enumerate(
            september_moves(self.specs, extracted_at=self.autumn, stats=stats), start=1
        ):
            self._apply(spec, snapshot, phase)
            if number in checkpoints:
                print(f"  {checkpoints[number]:>4.0%} of schools: peak RSS {_peak_rss_mb():.0f} MB")
        self._flush(phase)
        self._phase_print(phase)
        learners = phase.counts["learners"]
        print(
            f"  simulated: {stats['year_7_transitions']:,} year 6 to year 7, "
            f"{stats['summer_moves']:,} other moves between schools"
        )
        print(
            f"  runs counted: moved_in {learners['moved_in']:,}, "
            f"awaiting_leaver {learners['awaiting_leaver']:,}; "
            f"account moves recorded: {AccountMove.objects.count() - moves_before:,}"
        )
        return phase

    def typical_school_day(self) -> float:
        from provisioning.simulator import daily_snapshots, schools_create, typical_school

        spec = typical_school(seed=self.seed)
        self.schools.update(schools_create([spec]))
        first_day = datetime.now(UTC).replace(microsecond=0) - timedelta(days=DAILY_REPEATS + 1)
        phase = Phase("(e) daily")
        timings = []
        for day, snapshot in enumerate(
            daily_snapshots(spec, first_day=first_day, days=DAILY_REPEATS)
        ):
            before = phase.seconds
            self.pending.append((spec, snapshot))  # one school's night: a batch of one
            run = self._flush(phase)[0]
            if day == 0:
                learners = run.counts["learners"]["received"]
                print(
                    f"\n(e) a typical school ({learners:,} learners, "
                    f"{run.counts['staff']['received']} staff): first load "
                    f"{(phase.seconds - before) * 1000:.0f} ms"
                )
            else:
                timings.append((phase.seconds - before) * 1000)
        print(
            "  daily snapshots (3 changes each): "
            + ", ".join(f"{ms:.0f}" for ms in timings)
            + " ms; last run: "
            + _counts_line(run.counts["learners"])
        )
        return statistics.median(timings)

    # --- measuring ------------------------------------------------------------------------------

    def _apply(self, spec, snapshot: dict, phase: Phase) -> None:
        """A school's snapshot arrives: applied by itself (``--batch 1``), or queued and applied
        with the others once ``--batch`` of them have arrived."""
        self.pending.append((spec, snapshot))
        if len(self.pending) >= self.batch:
            self._flush(phase)

    def _flush(self, phase: Phase) -> list:
        """Apply the snapshots that have arrived; the time is storing and applying them."""
        from django.db import connection

        from provisioning.models import ProvisioningRun
        from provisioning.services.batches import runs_apply_queued
        from provisioning.services.runs import run_receive, snapshot_import

        items, self.pending = self.pending, []
        if not items:
            return []
        profile, sql = self._profiler(phase.name)
        wrapper = _SqlTimer(sql) if sql is not None else None
        with connection.execute_wrapper(wrapper) if wrapper else contextlib.nullcontext():
            if profile is not None:
                profile.enable()
            started = time.perf_counter()
            if self.batch == 1:
                runs = [
                    snapshot_import(
                        school=self.schools[spec.dfes_number], snapshot=snapshot, source="bench"
                    )
                    for spec, snapshot in items
                ]
            else:
                runs = [
                    run_receive(
                        school=self.schools[spec.dfes_number],
                        snapshot=snapshot,
                        source="bench",
                        enqueue=False,
                    )
                    for spec, snapshot in items
                ]
                for run in runs:  # as workers take the runs' tasks in turn
                    runs_apply_queued(run_id=run.pk)
            phase.seconds += time.perf_counter() - started
            if profile is not None:
                profile.disable()
        runs = list(
            ProvisioningRun.objects.filter(pk__in=[run.pk for run in runs])
            .defer("snapshot", "accounts", "record_names")
            .order_by("pk")
        )
        for (spec, snapshot), run in zip(items, runs, strict=True):
            phase.records += len(snapshot["learners"]) + len(snapshot["staff"])
            phase.statuses[run.status] += 1
            for kind in ("learners", "staff"):
                phase.counts[kind].update(run.counts.get(kind, {}))
            if run.status != "succeeded":
                print(f"  {spec.dfes_number}: {run.status} {run.failure_reason}")
        return runs

    def _profiler(self, name: str):
        if not self.profile:
            return None, None
        if name not in self.profiles:
            self.profiles[name] = (cProfile.Profile(), defaultdict(lambda: [0, 0.0]))
        return self.profiles[name]

    def _copy_tables_create(self) -> None:
        from django.db import connection

        with connection.cursor() as cursor:
            cursor.execute(
                "CREATE TABLE bench_copy_learner (school varchar(7), upn varchar(13),"
                " forename varchar(100), surname varchar(100), preferred_forename varchar(100),"
                " date_of_birth date, year_group varchar(2), admission_date date,"
                " leaving_date date)"
            )
            cursor.execute(
                "CREATE TABLE bench_copy_staff (school varchar(7), staff_code varchar(10),"
                " title varchar(100), forename varchar(100), surname varchar(100),"
                " date_of_birth date, work_email varchar(254), role varchar(12),"
                " is_headteacher boolean, start_date date, leaving_date date)"
            )

    def _copy(self, dfes_number: str, snapshot: dict, phase: Phase) -> None:
        """COPY the snapshot's rows as they are into plain tables: the floor for any loader.

        The rows are formatted first (not timed): the time is the COPY itself and its commit.
        """
        from django.db import connection

        learners = io.StringIO(
            "".join(
                _copy_line(
                    dfes_number,
                    r["upn"],
                    r["forename"],
                    r["surname"],
                    r["preferred_forename"],
                    r["date_of_birth"],
                    r["year_group"],
                    r["admission_date"],
                    r["leaving_date"],
                )
                for r in snapshot["learners"]
            )
        )
        staff = io.StringIO(
            "".join(
                _copy_line(
                    dfes_number,
                    r["staff_code"],
                    r["title"],
                    r["forename"],
                    r["surname"],
                    r["date_of_birth"],
                    r["work_email"],
                    r["role"],
                    "t" if r["is_headteacher"] else "f",
                    r["start_date"],
                    r["leaving_date"],
                )
                for r in snapshot["staff"]
            )
        )
        started = time.perf_counter()
        with connection.cursor() as cursor:  # autocommit: each COPY commits, as each run does
            cursor.copy_expert("COPY bench_copy_learner FROM STDIN", learners)
            cursor.copy_expert("COPY bench_copy_staff FROM STDIN", staff)
        phase.seconds += time.perf_counter() - started
        self.copy_files["bench_copy_learner"].write(learners.getvalue())
        self.copy_files["bench_copy_staff"].write(staff.getvalue())
        phase.records += len(snapshot["learners"]) + len(snapshot["staff"])

    # --- printing -------------------------------------------------------------------------------

    def _phase_print(self, phase: Phase) -> None:
        statuses = ", ".join(f"{status} {count}" for status, count in phase.statuses.items())
        print(
            f"  {phase.records:,} records in {phase.seconds:.1f} s: {phase.rate:,.0f} records/s "
            f"({statuses})"
        )
        print(f"  learners: {_counts_line(phase.counts['learners'])}")
        print(f"  staff:    {_counts_line(phase.counts['staff'])}")

    def _profile_print(self, name: str, profile: cProfile.Profile, sql: dict) -> None:
        print(f"\n=== profile of {name} ===")
        out = io.StringIO()
        stats = pstats.Stats(profile, stream=out).strip_dirs().sort_stats("tottime")
        stats.print_stats(25)
        print(out.getvalue())
        total = sum(seconds for _count, seconds in sql.values())
        print(f"SQL statements by time (total {total:.1f} s):")
        for statement, (count, seconds) in sorted(sql.items(), key=lambda item: -item[1][1])[:20]:
            print(f"  {seconds:8.2f} s {count:>7,}x  {statement}")


class _SqlTimer:
    """Adds each SQL statement's time to its first words (the statement's kind and table)."""

    def __init__(self, totals: dict):
        self.totals = totals

    def __call__(self, execute, sql, params, many, context):
        started = time.perf_counter()
        try:
            return execute(sql, params, many, context)
        finally:
            key = " ".join(sql.split())[:110]
            entry = self.totals[key]
            entry[0] += 1
            entry[1] += time.perf_counter() - started


def _machine() -> str:
    load = ", ".join(f"{value:.2f}" for value in os.getloadavg())
    return f"{os.cpu_count()} CPUs, load average {load}"


def _copy_value(value) -> str:
    if value is None:
        return "\\N"
    return value.replace("\\", "\\\\") if "\\" in value else value


def _copy_line(*values) -> str:
    return "\t".join(map(_copy_value, values)) + "\n"


def _counts_line(counts) -> str:
    return ", ".join(f"{name} {number:,}" for name, number in counts.items())


if __name__ == "__main__":
    main()
