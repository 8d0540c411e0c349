"""The benchmarks' Wales: a bench database holding a Wales-sized accounts table, built once.

About 550,000 accounts (every simulated school's learners, staff and governors, by set-based SQL:
the rest of Wales only has to be there, as rows the indexes must find their way through), and,
through the real services, what the measured pages show:
  - a 1,500-learner secondary provisioned by its MIS (a first load and a few daily runs), its
    digital champion (two-step verification) and a member of its staff;
  - a merger of three schools whose 150 staff the new school's MIS holds too, proposed by the
    real matcher, and the local-authority officer who reviews it;
  - learners of that secondary with a password, to sign in (bench/signin.py).
The database is kept and used again while its recipe and the migrations are unchanged (a marker
table says what built it); `--rebuild` builds it afresh.
"""

import hashlib
import random
import time
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

from harness import ROOT, database_create, database_drop, database_exists, server_execute

RECIPE = "wales-pages-4"
PASSWORD = "Bench-Cymru-Rhif-42"  # every bench account that signs in (not a secret: a bench)
TOTP_KEY = bytes.fromhex("48776220626576636820746f74702d6b65792101")  # 20 bytes, bench only
BIG_SCHOOL = "6794998"  # outside the simulated Wales, like the simulator's typical school
MERGER_LA = 661
MERGER_STAFF = 150
GOVERNORS_PER_LEARNERS = 40  # about one governor for every 40 learners


@dataclass(frozen=True)
class People:
    """Who the benchmarks sign in as, and what the pages are about."""

    staff: str
    champion: str
    officer: str
    notice: int
    lookup_dfes: str
    learners: tuple[str, ...]


def migrations_fingerprint() -> str:
    names = sorted(
        str(path.relative_to(ROOT))
        for path in ROOT.glob("*/migrations/[0-9]*.py")
        if path.is_file()
    )
    return hashlib.sha256("\n".join(names).encode()).hexdigest()[:16]


def ensure(server: dict, name: str, *, scale: float, rebuild: bool = False) -> People:
    """The bench database ``name`` built for ``scale`` (1 = all of Wales), Django set up on it."""
    from harness import django_setup

    version = f"{RECIPE} scale={scale} migrations={migrations_fingerprint()}"
    fresh = rebuild or not database_exists(server, name) or _marker(server, name) != version
    if fresh:
        database_drop(server, name)
        database_create(server, name)
    django_setup(server, name)
    if fresh:
        started = time.perf_counter()
        _build(scale)
        _marker_write(version)
        print(f"bench database {name} built in {time.perf_counter() - started:.0f} s")
    else:
        print(f"bench database {name} reused ({version})")
    return _people()


def _marker(server: dict, name: str) -> str | None:
    rows = server_execute(
        server,
        "SELECT version FROM bench_marker",
        database=name,
        missing_ok=True,
    )
    return rows[0][0] if rows else None


def _marker_write(version: str) -> None:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("CREATE TABLE bench_marker (version text NOT NULL)")
        cursor.execute("INSERT INTO bench_marker VALUES (%s)", [version])


# --- building -------------------------------------------------------------------------------


def _build(scale: float) -> None:
    from django.core.management import call_command

    started = time.perf_counter()
    call_command("migrate", verbosity=0)
    print(f"  migrated in {time.perf_counter() - started:.0f} s")
    _big_school()
    _merger()
    _wales(scale)
    # Every table's planner statistics, as autovacuum keeps them on a live database (a bench
    # server may run without it: then a freshly loaded table is planned as if nearly empty).
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")


def _password_hash() -> str:
    """One Argon2id hash of PASSWORD with the portal's own parameters (no rehash at sign-in)."""
    from accounts.hashers import OwaspArgon2PasswordHasher

    hasher = OwaspArgon2PasswordHasher()
    return hasher.encode(PASSWORD, hasher.salt())


def _give_app(account) -> None:
    from django_otp.plugins.otp_totp.models import TOTPDevice

    from accounts.second_factor import second_factor_key_give

    app = second_factor_key_give(actor=None, account=account, key=TOTP_KEY)
    # Each sign-in takes the next 30-second step's code, as if the person waited for it.
    TOTPDevice.objects.filter(pk=app.pk).update(tolerance=1000)


def _big_school() -> None:
    """A 1,500-learner secondary through its MIS: a first load and five daily runs."""
    from accounts.models import SchoolRole, User
    from accounts.services import school_role_grant
    from provisioning.services.runs import snapshot_import
    from provisioning.simulator import daily_snapshots, schools_create, typical_school

    started = time.perf_counter()
    spec = typical_school(dfes_number=BIG_SCHOOL, learners=1500)
    school = schools_create([spec])[BIG_SCHOOL]
    first_day = datetime.now(UTC).replace(microsecond=0) - timedelta(days=6)
    for snapshot in daily_snapshots(spec, first_day=first_day, days=5):
        run = snapshot_import(school=school, snapshot=snapshot, source="bench")
        assert run.status == run.Status.SUCCEEDED, (run.status, run.failure_reason)
    staff = list(
        User.objects.filter(school=school, kind=User.Kind.STAFF, is_active=True)
        .exclude(school_roles__isnull=False)
        .order_by("username")[:2]
    )
    champion, member = staff
    school_role_grant(
        actor=None, user=champion, school=school, role=SchoolRole.Role.DIGITAL_CHAMPION
    )
    _give_app(champion)
    learners = User.objects.filter(school=school, kind=User.Kind.LEARNER, is_active=True)
    User.objects.filter(pk__in=[champion.pk, member.pk]).update(password=_password_hash())
    learners.update(password=_password_hash())
    print(
        f"  {spec.name_en}: {learners.count():,} learners, "
        f"{User.objects.filter(school=school, kind=User.Kind.STAFF).count()} staff, "
        f"{time.perf_counter() - started:.0f} s"
    )


def _merger() -> None:
    """Three schools merging; the new school's MIS holds their 150 staff; matches proposed."""
    from accounts.models import User
    from accounts.services import account_create
    from provisioning.services.runs import snapshot_import
    from provisioning.simulator import WELSH_FORENAMES, WELSH_SURNAMES
    from school_changes.models import SchoolNotice
    from school_changes.services.staff_matches import staff_matches_propose
    from schools.models import LocalAuthority, School

    started = time.perf_counter()
    la = LocalAuthority.objects.get(code=MERGER_LA)
    rng = random.Random(MERGER_LA)  # noqa: S311 - a simulation, not a secret
    people = [
        (
            rng.choice(WELSH_FORENAMES),
            rng.choice(WELSH_SURNAMES),
            date(1960, 1, 1) + timedelta(days=rng.randrange(15_000)),
        )
        for _ in range(MERGER_STAFF)
    ]
    extracted_at = datetime.now(UTC).replace(microsecond=0) - timedelta(hours=1)

    def staff_snapshot(school, members, prefix):
        return {
            "school": school.dfes_number,
            "mis": "SIMS",
            "client_version": "bench",
            "extracted_at": extracted_at.isoformat(),
            "learners": [],
            "staff": [
                {
                    "staff_code": f"{prefix}{number:04d}",
                    "title": "Mx",
                    "forename": forename,
                    "surname": surname,
                    "date_of_birth": born.isoformat(),
                    "work_email": None,
                    "role": "teaching",
                    "is_headteacher": False,
                    "start_date": "2015-09-01",
                    "leaving_date": None,
                }
                for number, (forename, surname, born) in enumerate(members, start=1)
            ],
        }

    def school_of(number, name, phase):
        return School.objects.create(
            dfes_number=f"{MERGER_LA}{number}",
            local_authority=la,
            name_en=name,
            name_cy=name,
            phase=phase,
        )

    closing = []
    share = MERGER_STAFF // 3
    for index in range(3):
        school = school_of(5801 + index, f"Ysgol Gynradd Uno {index + 1}", "primary")
        members = people[index * share : (index + 1) * share]
        run = snapshot_import(school=school, snapshot=staff_snapshot(school, members, f"C{index}"))
        assert run.status == run.Status.SUCCEEDED, (run.status, run.failure_reason)
        closing.append(school)
    new_school = school_of(5810, "Ysgol Bro Uno", "secondary")
    run = snapshot_import(school=new_school, snapshot=staff_snapshot(new_school, people, "N"))
    assert run.status == run.Status.SUCCEEDED, (run.status, run.failure_reason)
    officer = account_create(
        actor=None,
        first_name="Owain",
        last_name="Swyddog",
        kind=User.Kind.LA_OFFICER,
        local_authority=la,
    )
    User.objects.filter(pk=officer.pk).update(password=_password_hash())
    _give_app(officer)
    notice = SchoolNotice.objects.create(
        kind=SchoolNotice.Kind.MERGER,
        status=SchoolNotice.Status.IN_PROGRESS,
        local_authority=la,
        submitted_by=officer,
        submitted_by_username=officer.username,
        effective_date=date.today() + timedelta(days=60),
        new_school_name=new_school.name_en,
        school=new_school,
    )
    notice.closing_schools.set(closing)
    match_list = staff_matches_propose(notice=notice, actor=officer)
    print(
        f"  merger: {match_list.matches.count()} staff matches proposed, "
        f"{time.perf_counter() - started:.0f} s"
    )


def _wales(scale: float) -> None:
    """Every simulated school with its learners, staff and governors, in three INSERTs."""
    from django.db import connection

    from accounts.models import User
    from provisioning.simulator import (
        OTHER_FORENAMES,
        WELSH_FORENAMES,
        WELSH_SURNAMES,
        ascii_letters,
        schools_create,
        wales_schools,
    )

    started = time.perf_counter()
    specs = list(wales_schools(scale))
    schools = schools_create(specs)
    rows = [
        (
            schools[spec.dfes_number].pk,
            spec.learners_estimate,
            spec.staff_estimate,
            spec.learners_estimate // GOVERNORS_PER_LEARNERS + 3,
        )
        for spec in specs
    ]
    names = [
        (first, last, (ascii_letters(last) + ascii_letters(first)[:1]).lower())
        for first in WELSH_FORENAMES + OTHER_FORENAMES
        for last in WELSH_SURNAMES
    ]
    columns = (
        "password, last_login, is_superuser, username, username_base, email, first_name, "
        "last_name, kind, school_id, local_authority_id, upn_hash, is_active, is_staff, "
        "must_change_password, preferred_language, date_joined, deactivated_at, "
        "deactivation_reason, deletion_due_at, session_generation"
    )
    with connection.cursor() as cursor:
        cursor.execute(
            "CREATE TEMPORARY TABLE bench_people (school_id bigint, learners int, staff int,"
            " governors int)"
        )
        # One statement each (arrays unnested), not a round trip per row.
        cursor.execute(
            "INSERT INTO bench_people SELECT * FROM unnest(%s::bigint[], %s::int[], %s::int[],"
            " %s::int[])",
            [list(column) for column in zip(*rows, strict=True)],
        )
        cursor.execute(
            "CREATE TEMPORARY TABLE bench_names (n int, first text, last text, base text)"
        )
        cursor.execute(
            "INSERT INTO bench_names SELECT * FROM unnest(%s::int[], %s::text[], %s::text[],"
            " %s::text[])",
            [list(range(len(names))), *(list(column) for column in zip(*names, strict=True))],
        )
        for kind, count_column in (
            (User.Kind.LEARNER, "learners"),
            (User.Kind.STAFF, "staff"),
            (User.Kind.GOVERNOR, "governors"),
        ):
            upn = (
                "encode(sha256(convert_to('bench:' || p.school_id || ':' || g.n, 'UTF8')), 'hex')"
                if kind == User.Kind.LEARNER
                else "NULL"
            )
            # Usernames shaped as the portal's (surname and initial, then a number) with a
            # bench-only part, so they never clash with those the services gave above. One
            # account in 50 is deactivated (a leaver awaiting deletion).
            tag = f"w{kind[:2]}"
            cursor.execute(
                f"""
                INSERT INTO accounts_user ({columns})
                SELECT '!', NULL, false, nm.base || '{tag}' || p.school_id || 'x' || g.n,
                       nm.base || '{tag}', nm.base || '{tag}' || p.school_id || 'x' || g.n
                       || '@hwbcymru.net', nm.first, nm.last, %s, p.school_id, NULL, {upn},
                       g.n %% 50 <> 0, false, false, '', now() - (g.n %% 900) * interval '1 day',
                       NULL, '', NULL, 0
                FROM bench_people p
                CROSS JOIN LATERAL generate_series(1, p.{count_column}) AS g(n)
                JOIN bench_names nm
                  ON nm.n = (hashtext(p.school_id || ':' || g.n) & 2147483647) %% {len(names)}
                """,
                [kind],
            )
        cursor.execute("ANALYZE accounts_user")
    print(
        f"  Wales at scale {scale}: {len(specs):,} schools, {User.objects.count():,} accounts, "
        f"{time.perf_counter() - started:.0f} s"
    )


def _people() -> People:
    from accounts.models import SchoolRole, User
    from school_changes.models import SchoolNotice

    champion = SchoolRole.objects.get(
        school__dfes_number=BIG_SCHOOL, role=SchoolRole.Role.DIGITAL_CHAMPION
    ).user
    hashed = User.objects.filter(school=champion.school, password__startswith="argon2")
    staff = hashed.filter(kind=User.Kind.STAFF).exclude(pk=champion.pk).get()
    notice = SchoolNotice.objects.get(local_authority_id=MERGER_LA, school__isnull=False)
    learners = hashed.filter(kind=User.Kind.LEARNER, is_active=True).order_by("username")
    return People(
        staff=staff.username,
        champion=champion.username,
        officer=notice.submitted_by.username,
        notice=notice.pk,
        lookup_dfes=notice.school.dfes_number,
        learners=tuple(learners.values_list("username", flat=True)),
    )


def bench_database_name(server: dict, purpose: str) -> str:
    return f"{server['NAME']}_bench_{purpose}"
