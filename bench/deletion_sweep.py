"""Benchmarks the 12-month deletion sweep: 100,000 accounts whose time is up, deleted by the
daily job while a "web" thread keeps reading accounts; prints the rate, the longest transaction
the sweep held open (its locks last no longer) and the web's slowest answer, with the aims.

Run: DATABASE_URL=postgres://postgres@127.0.0.1:5432/hwb_portal .venv/bin/python \
     bench/deletion_sweep.py [--accounts 100000] [--smoke]
It works in a throwaway test database (test_<name>), never in the real one. PostgreSQL only.
Aims (issue 14): 100,000 due accounts in under 60 s, no lock held over 1 s, the web answering.
"""

import argparse
import os
import sys
import threading
import time
from datetime import timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "hwb_portal.settings.test")

import django  # noqa: E402

django.setup()

from django.db import connection, connections  # noqa: E402
from django.test.utils import setup_test_environment  # noqa: E402
from django.utils import timezone  # noqa: E402

SWEEP_AIM_S = 60.0
LOCK_AIM_S = 1.0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--accounts", type=int, default=100_000)
    parser.add_argument("--smoke", action="store_true", help="1,000 accounts, not judged")
    options = parser.parse_args()
    if connection.vendor != "postgresql":
        sys.exit("PostgreSQL only: set DATABASE_URL")
    setup_test_environment()
    old_name = connection.creation.create_test_db(verbosity=0, autoclobber=True)
    try:
        run(1_000 if options.smoke else options.accounts, judged=not options.smoke)
    finally:
        connections.close_all()
        connection.creation.destroy_test_db(old_name, verbosity=0)


def _due_accounts(school_id: int, count: int) -> None:
    """``count`` deactivated accounts whose 12 months are up, inserted in SQL in one go."""
    with connection.cursor() as cursor:
        cursor.execute(
            """
            INSERT INTO accounts_user (password, is_superuser, username, username_base, email,
                first_name, last_name, kind, school_id, is_staff, is_active, must_change_password,
                date_joined, deactivated_at, deactivation_reason, deletion_due_at,
                session_generation, preferred_language)
            SELECT '!', false, 'gone' || g.n, 'gone', 'gone' || g.n || '@hwbcymru.net', 'Gone',
                   'Leaver' || g.n, 'learner', %s, false, false, false,
                   now() - interval '3 years', now() - interval '13 months', 'left',
                   now() - interval '1 month', 0, ''
            FROM generate_series(1, %s) AS g(n)
            """,
            [school_id, count],
        )
        cursor.execute("ANALYZE accounts_user")


def run(count: int, *, judged: bool) -> None:
    from accounts.models import User
    from accounts.retention import accounts_delete_due
    from accounts.services import account_create
    from schools.models import LocalAuthority, School

    school = School.objects.create(
        dfes_number="6614002",
        local_authority=LocalAuthority.objects.get(code=661),
        name_en="Bench Secondary",
        phase="secondary",
    )
    staying = account_create(
        actor=None, first_name="Aros", last_name="Yma", kind="staff", school=school
    )
    _due_accounts(school.pk, count)
    print(
        f"{count:,} accounts due for deletion; batch size "
        f"{django.conf.settings.HWB_DELETION_BATCH_SIZE:,}"
    )

    done = threading.Event()
    longest_transaction = [0.0]
    slowest_read = [0.0]

    def watch() -> None:
        """Another connection: how long the sweep's open transaction has been running."""
        with connections["default"].cursor() as cursor:
            while not done.is_set():
                cursor.execute(
                    "SELECT COALESCE(EXTRACT(EPOCH FROM max(now() - xact_start)), 0)"
                    " FROM pg_stat_activity WHERE datname = current_database()"
                    " AND pid <> pg_backend_pid() AND xact_start IS NOT NULL"
                    " AND state IN ('active', 'idle in transaction')"
                )
                longest_transaction[0] = max(longest_transaction[0], float(cursor.fetchone()[0]))
                time.sleep(0.02)
        connections["default"].close()

    def web() -> None:
        """The web meanwhile: a signed-in page reads its account (a row the sweep leaves)."""
        while not done.is_set():
            start = time.perf_counter()
            User.objects.get(pk=staying.pk)
            slowest_read[0] = max(slowest_read[0], time.perf_counter() - start)
            time.sleep(0.05)
        connections["default"].close()

    threads = [threading.Thread(target=watch), threading.Thread(target=web)]
    for thread in threads:
        thread.start()
    start = time.perf_counter()
    deleted = accounts_delete_due(now=timezone.now() + timedelta(seconds=1))
    seconds = time.perf_counter() - start
    done.set()
    for thread in threads:
        thread.join()
    assert deleted == count and User.objects.filter(pk=staying.pk).exists()

    def verdict(ok: bool) -> str:
        return ("PASS" if ok else "FAIL") if judged else "smoke"

    print(
        f"  swept in {seconds:.1f} s ({deleted / seconds:,.0f} accounts/s) "
        f"(aim < {SWEEP_AIM_S:.0f} s: {verdict(seconds < SWEEP_AIM_S)})"
    )
    print(
        f"  longest open transaction seen {longest_transaction[0]:.2f} s "
        f"(aim < {LOCK_AIM_S:.0f} s: {verdict(longest_transaction[0] < LOCK_AIM_S)})"
    )
    print(f"  the web's slowest read meanwhile {slowest_read[0] * 1000:.1f} ms")
    print(f"  load average {os.getloadavg()[0]:.2f}, {os.cpu_count()} CPUs")


if __name__ == "__main__":
    main()
