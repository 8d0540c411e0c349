"""Benchmarks the account pages and look-ups as a school and Wales grow; prints figures.

Run: DATABASE_URL=postgres://postgres@127.0.0.1:5432/hwb_portal .venv/bin/python bench/accounts.py
It works in a throwaway test database (test_<name>), never in the real one.
"""

import os
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "hwb_portal.settings.test")

import django  # noqa: E402

django.setup()

from django.db import connection  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import setup_test_environment  # noqa: E402

REPEATS = 15
LIST_AIM_MS = 50  # issue 13: the account list with every filter, 5,000 accounts


def _median_ms(action) -> float:
    timings = []
    for _ in range(REPEATS):
        start = time.perf_counter()
        action()
        timings.append((time.perf_counter() - start) * 1000)
    return statistics.median(timings)


def _queries_of(action) -> list[str]:
    """The SQL statements an action sends (counted at the driver, whatever DEBUG says)."""
    statements: list[str] = []

    def record(run, sql, *args):
        statements.append(sql)
        return run(sql, *args)

    with connection.execute_wrapper(record):
        action()
    return statements


def _bulk_accounts(school, count: int, prefix: str) -> None:
    from accounts.models import User

    User.objects.bulk_create(
        [
            User(
                username=f"{prefix}{n}",
                email=f"{prefix}{n}@hwbcymru.net",
                first_name=f"First{n}",
                last_name=f"{prefix.title()}{n:06d}",
                kind=User.Kind.LEARNER if n % 8 else User.Kind.STAFF,
                school=school,
                password="!",
            )
            for n in range(count)
        ],
        batch_size=5000,
    )


def main() -> None:
    setup_test_environment()
    old_name = connection.creation.create_test_db(verbosity=0, autoclobber=True)
    try:
        run()
    finally:
        connection.creation.destroy_test_db(old_name, verbosity=0)


def run() -> None:
    from django_otp import DEVICE_ID_SESSION_KEY

    from accounts.models import SchoolRole, User
    from accounts.services import account_create, school_role_grant
    from schools.models import LocalAuthority, School
    from tests.second_factor import give_second_factor

    print(f"database: {connection.vendor}")
    school = School.objects.create(
        dfes_number="6612001",
        local_authority=LocalAuthority.objects.get(code=661),
        name_en="Bench School",
        phase="secondary",
    )
    champion = account_create(
        actor=None,
        first_name="Bench",
        last_name="Champion",
        kind=User.Kind.STAFF,
        school=school,
        password="Bench-Pass-42",
    )
    school_role_grant(
        actor=None, user=champion, school=school, role=SchoolRole.Role.DIGITAL_CHAMPION
    )
    client = Client()
    client.force_login(champion)
    session = client.session
    session["hwb_reauth"] = {"user": champion.pk, "at": time.time()}
    # A champion gives a second factor: the session has passed it, as after a real sign-in.
    session[DEVICE_ID_SESSION_KEY] = give_second_factor(champion).persistent_id
    session.save()
    assert client.get("/user-management/accounts/").status_code == 200, "not the page itself"

    print("\nChampion's account list (one page of 25), by the size of the school")
    print(f"{'accounts':>9} {'median ms':>10} {'queries':>8}")
    baseline = None
    size = 1
    for target in (100, 1_000, 5_000):
        _bulk_accounts(school, target - size, f"s{target}x")
        size = target
        queries = _queries_of(lambda: client.get("/user-management/accounts/"))
        median = _median_ms(lambda: client.get("/user-management/accounts/?q=first12"))
        baseline = baseline or median
        print(f"{target:>9} {median:>10.1f} {len(queries):>8}   ({median / baseline:.2f}x)")

    every = (
        "/user-management/accounts/?q=first12&kind=learner&status=active&password=never"
        "&sort=last_sign_in"
    )
    queries = _queries_of(lambda: client.get(every))
    median = _median_ms(lambda: client.get(every))
    verdict = "PASS" if median < LIST_AIM_MS else "FAIL"
    print(
        f"every filter and a sort at {size:,} accounts: {median:.1f} ms median, "
        f"{len(queries)} queries (aim < {LIST_AIM_MS} ms: {verdict})"
    )
    download = "/user-management/accounts/download.csv"
    assert client.get(download).status_code == 200
    median = _median_ms(lambda: b"".join(client.get(download).streaming_content))
    print(f"the whole list as CSV ({size:,} accounts): {median:.0f} ms median")

    print("\nUsername for a new account, by how many already share its surname and initial")
    print(f"{'clashes':>9} {'median ms':>10}")
    for clashes in (0, 500, 2_000):
        User.objects.bulk_create(
            [
                User(username=f"clashb{n}", email=f"c{n}@x", first_name="B", last_name="Clash")
                for n in range(
                    2 + User.objects.filter(username__startswith="clashb").count(), clashes + 2
                )
            ]
        )
        from accounts.usernames import username_next_free

        median = _median_ms(lambda: username_next_free("clashb"))
        print(f"{clashes:>9} {median:>10.2f}")

    if connection.vendor == "postgresql":
        _bulk_accounts(None, 50_000, "wales")
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE accounts_user")
            cursor.execute("EXPLAIN SELECT * FROM accounts_user WHERE username = %s", ["wales123"])
            plan = cursor.fetchone()[0]
        print(f"\nsign-in look-up among {User.objects.count():,} accounts: {plan}")
        median = _median_ms(lambda: User.objects.get_by_natural_key("WALES123"))
        print(f"  median {median:.2f} ms")


if __name__ == "__main__":
    main()
