"""Benchmarks a bulk password reset of a 1,500-learner school and its credential sheet; prints
figures with their aims (PASS/FAIL).

Run: DATABASE_URL=postgres://postgres@127.0.0.1:5432/hwb_portal .venv/bin/python bench/bulk_reset.py
It works in a throwaway test database (test_<name>), never in the real one, with the project's
own password hashers (the tests' fast MD5 is replaced by production's Argon2id).
Aims (issue 13): the reset end to end (the champion's POST and the sheet) under 5 s; the sheet
alone under 1 s for 1,500 cards.
"""

import os
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "hwb_portal.settings.test")

import django  # noqa: E402

django.setup()

from django.db import connection  # noqa: E402
from django.test import Client, override_settings  # noqa: E402
from django.test.utils import setup_test_environment  # noqa: E402

LEARNERS = 150 if "--smoke" in sys.argv else 1500  # --smoke: CI's quick run, not judged
RESET_AIM_S = 5.0
SHEET_AIM_S = 1.0


def main() -> None:
    setup_test_environment()
    old_name = connection.creation.create_test_db(verbosity=0, autoclobber=True)
    try:
        with override_settings(PASSWORD_HASHERS=["accounts.hashers.OwaspArgon2PasswordHasher"]):
            run()
    finally:
        connection.creation.destroy_test_db(old_name, verbosity=0)


def run() -> None:
    from django_otp import DEVICE_ID_SESSION_KEY

    from accounts.models import SchoolRole, User
    from accounts.services import account_create, school_role_grant
    from schools.models import LocalAuthority, School
    from tests.second_factor import give_second_factor

    school = School.objects.create(
        dfes_number="6614002",
        local_authority=LocalAuthority.objects.get(code=661),
        name_en="Bench Secondary",
        phase="secondary",
    )
    champion = account_create(
        actor=None, first_name="Bench", last_name="Champion", kind="staff", school=school
    )
    school_role_grant(
        actor=None, user=champion, school=school, role=SchoolRole.Role.DIGITAL_CHAMPION
    )
    User.objects.bulk_create(
        [
            User(
                username=f"learner{n}",
                username_base="learner",
                email=f"learner{n}@hwbcymru.net",
                first_name=f"Dysgwr{n}",
                last_name="Bench",
                kind=User.Kind.LEARNER,
                school=school,
                password="!",
            )
            for n in range(LEARNERS)
        ]
    )
    client = Client()
    client.force_login(champion)
    session = client.session
    session["hwb_reauth"] = {"user": champion.pk, "at": time.time()}
    session[DEVICE_ID_SESSION_KEY] = give_second_factor(champion).persistent_id
    session.save()

    start = time.perf_counter()
    response = client.post("/user-management/accounts/reset-passwords/", {"kind": "learner"})
    assert response.status_code == 302, response.status_code
    reset = time.perf_counter() - start
    start = time.perf_counter()
    sheet = client.get("/user-management/accounts/credentials/")
    sheet_seconds = time.perf_counter() - start
    total = reset + sheet_seconds
    cards = sheet.content.decode().count('class="hwb-card"')
    assert cards == LEARNERS, cards
    print(
        f"database: {connection.vendor}; {LEARNERS:,} learners; "
        "one-time passwords hashed with Argon2id m=1 MiB, t=1"
    )
    print(f"  reset (the POST: hashing, one transaction, audit) {reset:.2f} s")
    print(
        f"  credential sheet ({cards:,} cards)              {sheet_seconds:.2f} s  "
        f"(aim < {SHEET_AIM_S:.0f} s: {'PASS' if sheet_seconds < SHEET_AIM_S else 'FAIL'})"
    )
    print(
        f"  end to end                                    {total:.2f} s  "
        f"(aim < {RESET_AIM_S:.0f} s: {'PASS' if total < RESET_AIM_S else 'FAIL'})"
    )
    print(f"  load average {os.getloadavg()[0]:.2f}, {os.cpu_count()} CPUs")


if __name__ == "__main__":
    main()
