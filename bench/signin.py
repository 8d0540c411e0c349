"""Benchmarks signing in: concurrent real sign-ins through the sign-in page; prints PASS/FAIL.

Run: DATABASE_URL=postgres://postgres@127.0.0.1:5432/hwb_portal REDIS_URL=redis://127.0.0.1:6379/0 \
     .venv/bin/python bench/signin.py [--seconds 20] [--clients 20] [--smoke] [--rebuild]

The portal as bench/pages.py runs it (compose's gunicorn command, production settings, the
Wales-sized bench database of bench/wales.py). Each client signs a learner of the 1,500-learner
school in, one after another as at 9 o'clock: it opens the sign-in page (a fresh session and CSRF
token) and posts the username and password (Argon2id, accounts/hashers.py), which answers with
the redirect to the home page; then the next learner. Lock-out records, the audit entry and the
session are written as for anyone. Aim: at least 40 sign-ins a second on two cores.
`--smoke`: the tiny Wales and 2 s, for CI (figures printed, not judged).
"""

import argparse
import asyncio
import itertools
import re
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import harness  # noqa: E402
import wales  # noqa: E402

AIM_PER_SECOND = 40
SMOKE_SCALE = 0.002
_CSRF = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=None, help="default 20")
    parser.add_argument("--clients", type=int, default=20)
    parser.add_argument("--smoke", action="store_true", help="tiny data, 2 s, no aim")
    parser.add_argument("--rebuild", action="store_true", help="build the bench database afresh")
    parser.add_argument(
        "--env",
        action="append",
        default=[],
        metavar="NAME=VALUE",
        help="an environment variable for the portal (e.g. DJANGO_CONN_MAX_AGE=60), repeatable",
    )
    options = parser.parse_args()
    seconds = options.seconds or (2 if options.smoke else 20)

    server = harness.server_settings()
    # The same bench database as bench/pages.py.
    name = f"{server['NAME']}_bench_pages" + ("_smoke" if options.smoke else "")
    scale = SMOKE_SCALE if options.smoke else 1.0
    people = wales.ensure(server, name, scale=scale, rebuild=options.rebuild)
    _hash_costs()
    env = harness.portal_env(server, name, **dict(pair.split("=", 1) for pair in options.env))
    harness.collectstatic(env)
    with (
        tempfile.TemporaryDirectory(prefix="hwb-bench-") as work,
        harness.gunicorn(env, Path(work)) as port,
    ):
        rate = asyncio.run(_measure(port, people, options.clients, seconds, options.env))
    if options.smoke:
        return
    passed = rate >= AIM_PER_SECOND
    print(f"\n{'PASS' if passed else 'FAIL'}: {rate:.1f} sign-ins/s (aim >= {AIM_PER_SECOND}/s)")
    sys.exit(0 if passed else 1)


def _hash_costs() -> None:
    """One hash with Django's default Argon2 parameters and with ours, in this process."""
    from django.contrib.auth.hashers import Argon2PasswordHasher

    from accounts.hashers import OwaspArgon2PasswordHasher

    for label, hasher in (
        ("Django's default (m=100 MiB, t=2, p=8)", Argon2PasswordHasher()),
        ("the portal's (m=19 MiB, t=2, p=1)", OwaspArgon2PasswordHasher()),
    ):
        encoded = hasher.encode(wales.PASSWORD, hasher.salt())
        timings = []
        for _ in range(5):
            started = time.perf_counter()
            hasher.verify(wales.PASSWORD, encoded)
            timings.append((time.perf_counter() - started) * 1000)
        print(f"one Argon2id check, {label}: {statistics.median(timings):.0f} ms")


async def _measure(
    port: int, people: wales.People, clients: int, seconds: float, extra_env: list[str]
) -> float:
    from django.urls import reverse

    base = f"http://127.0.0.1:{port}"
    sign_in_url = base + reverse("accounts:sign_in")
    learners = itertools.cycle(people.learners)
    signed_in: list[float] = []
    posts: list[float] = []
    failures: dict[str, int] = {}

    async def client():
        async with harness.http_session() as session:
            while time.perf_counter() < deadline:
                session.cookie_jar.clear()  # a new person at the same computer
                started = time.perf_counter()
                async with session.get(sign_in_url, allow_redirects=False) as response:
                    token = _CSRF.search(await response.text())
                posted = time.perf_counter()
                async with session.post(
                    sign_in_url,
                    data={
                        "csrfmiddlewaretoken": token.group(1) if token else "",
                        "username": next(learners),
                        "password": wales.PASSWORD,
                    },
                    allow_redirects=False,
                ) as response:
                    await response.read()
                    status = response.status
                finished = time.perf_counter()
                if status == 302:
                    signed_in.append(finished - started)
                    posts.append(finished - posted)
                else:
                    failures[str(status)] = failures.get(str(status), 0) + 1

    print(
        f"\n{clients} clients signing {len(people.learners):,} learners in, one after another, "
        f"for {seconds:g} s; gunicorn (compose's command, 3 sync workers)"
        + "".join(f", {pair}" for pair in extra_env)
        + "; "
        f"{harness.machine_line()}"
    )
    deadline = time.perf_counter() + seconds
    started, cpu = time.perf_counter(), time.process_time()
    await asyncio.gather(*(client() for _ in range(clients)))
    elapsed = time.perf_counter() - started
    client_cpu = (time.process_time() - cpu) / elapsed
    rate = len(signed_in) / elapsed

    def ms(values, share):
        if len(values) < 2:
            return float("nan")
        return (
            statistics.quantiles(values, n=100, method="inclusive")[round(share * 100) - 1] * 1000
        )

    print(
        f"sign-ins: {len(signed_in):,} in {elapsed:.1f} s = {rate:.1f}/s; "
        f"whole sign-in (page + post) p50 {ms(signed_in, 0.5):.0f} ms, "
        f"p95 {ms(signed_in, 0.95):.0f} ms; the post alone p50 {ms(posts, 0.5):.0f} ms"
        + (f"; failures {failures}" if failures else "")
    )
    print(
        f"the clients themselves used {client_cpu:.0%} of one core; after: {harness.machine_line()}"
    )
    return rate


if __name__ == "__main__":
    main()
