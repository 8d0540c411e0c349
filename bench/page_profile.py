"""Profiles the signed-in pages of bench/pages.py one request at a time, in this process.

Run: DATABASE_URL=postgres://postgres@127.0.0.1:5432/hwb_portal REDIS_URL=redis://127.0.0.1:6379/0 \
     .venv/bin/python bench/page_profile.py [--requests 200] [--page NAME] [--cprofile 25] [--sql]

The same bench database (bench/wales.py) and settings as bench/pages.py (production settings
with compose's environment, through bench/settings.py), but no gunicorn and no load: Django's
test client asks for each page ``--requests`` times with the sessions of people signed in
through the real pages, and prints the median and p95 time of a request, its SQL statements,
and the bare view's for comparison. ``--cprofile N`` prints each page's N most expensive
functions (cumulative); ``--sql`` prints one request's statements. Where the time of a page
goes, without the noise of a shared machine's concurrency.
"""

import argparse
import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import harness  # noqa: E402
import wales  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=200, help="per page (default 200)")
    parser.add_argument("--page", action="append", default=[], help="only pages named so")
    parser.add_argument("--cprofile", type=int, default=0, metavar="N", help="top N functions")
    parser.add_argument("--sql", action="store_true", help="print one request's statements")
    parser.add_argument("--sort", default="cumulative", help="cProfile order (tottime…)")
    parser.add_argument("--sql-width", type=int, default=160, help="characters of each")
    parser.add_argument("--smoke", action="store_true", help="the tiny Wales of --smoke")
    parser.add_argument("--env", action="append", default=[], metavar="NAME=VALUE")
    parser.add_argument("--child", help=argparse.SUPPRESS)
    options = parser.parse_args()
    if options.child:
        _profile(options, wales.People(**json.loads(options.child)))
        return

    server = harness.server_settings()
    name = f"{server['NAME']}_bench_pages" + ("_smoke" if options.smoke else "")
    people = wales.ensure(server, name, scale=0.002 if options.smoke else 1.0)
    env = harness.portal_env(
        server,
        name,
        HWB_DFES_LOOKUP_RATE="1000000/min",
        **dict(pair.split("=", 1) for pair in options.env),
    )
    harness.collectstatic(env)
    # Django is set up here with the build's settings: the pages are profiled in a fresh
    # process with the portal's.
    arguments = list(sys.argv[1:])
    people_json = json.dumps({**people.__dict__, "learners": []})
    subprocess.run(  # noqa: S603
        [sys.executable, __file__, *arguments, "--child", people_json],
        env=env,
        cwd=harness.ROOT,
        check=True,
    )


def _profile(options, people: wales.People) -> None:
    import cProfile
    import pstats

    import django

    django.setup()
    import pages
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext
    from django.urls import reverse

    clients = {}
    for who, username, code in (
        ("staff", people.staff, False),
        ("champion", people.champion, True),
        ("officer", people.officer, True),
    ):
        clients[who] = _signed_in(Client(HTTP_HOST="localhost"), username, code=code)
    clients["anonymous"] = Client(HTTP_HOST="localhost")
    bare = reverse("bench_bare")
    rows = [("bare view", "anonymous", bare), *pages._pages(people)]
    if options.page:
        rows = [row for row in rows if any(part in row[0] for part in options.page)]
    print(f"{options.requests} requests a page, one at a time; {harness.machine_line()}")
    print(f"{'page':30} {'p50 ms':>7} {'p95 ms':>7} {'queries':>7}")
    for name, who, path in rows:
        client = clients[who]
        for _ in range(10):  # warm: templates compiled, connections open, catalogues loaded
            _get(client, path)
        with CaptureQueriesContext(connection) as queries:
            _get(client, path)
        # A copy: each request's start empties the connection's log of queries.
        captured = list(queries.captured_queries)
        counted = len(captured)
        times = []
        profiler = cProfile.Profile() if options.cprofile else None
        for _ in range(options.requests):
            started = time.perf_counter()
            if profiler:
                profiler.enable()
            _get(client, path)
            if profiler:
                profiler.disable()
            times.append(time.perf_counter() - started)
        p95 = statistics.quantiles(times, n=100, method="inclusive")[94]
        print(f"{name:30} {statistics.median(times) * 1000:>7.2f} {p95 * 1000:>7.2f} {counted:>7}")
        if options.sql:
            for query in captured:
                print(f"    {query['time']}s  {query['sql'][: options.sql_width]}")
        if profiler:
            pstats.Stats(profiler).sort_stats(options.sort).print_stats(options.cprofile)


def _get(client, path: str):
    response = client.get(path)
    if response.status_code != 200:
        raise SystemExit(f"{path} answered {response.status_code}")
    return response


def _signed_in(client, username: str, *, code: bool):
    """Through the real pages, as bench/pages.py signs in: password, code, second sign-in."""
    from django.urls import reverse

    def post(name, data):
        response = client.post(reverse(name), data)
        if response.status_code != 302:
            raise SystemExit(f"POST {name}: {response.status_code}")

    post("accounts:sign_in", {"username": username, "password": wales.PASSWORD})
    answers = {"username": username, "password": wales.PASSWORD}
    if code:
        post("accounts:second_factor", {"code": harness.next_code(username)})
        answers["code"] = harness.next_code(username)
    post("accounts:reauth", answers)
    return client


if __name__ == "__main__":
    os.environ.setdefault("PYTHONUNBUFFERED", "1")
    main()
