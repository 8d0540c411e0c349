#!/usr/bin/env python3
"""Two schools' Provisioning Clients, against a running portal: a learner changes school.

Standard library only, so it runs anywhere Python 3.11 does. It plays school A's and school B's
clients through the API (docs/provisioning-api.md):

1. A sends its roll with a new learner on roll           -> the learner's account is created at A;
2. B sends its roll, without the learner;
3. A sends the learner as a leaver (leaving date today)   -> A's record of them ends;
4. B sends the learner on roll (admitted today)          -> the account moves to B (moved_in),
                                                            with the same username and password.

After each step it follows the run until it has finished and prints its status, its counts and the
learner's username. It exits non-zero if a step fails or the username changed.

Usage:

    python manage.py issue_client_token 6612001      # the Hwb team: one token per school
    python manage.py issue_client_token 6814004
    python scripts/client_demo.py --base-url http://127.0.0.1:8000 \\
        --school-a 6612001 --token-a hwbpc_... --school-b 6814004 --token-b hwbpc_...

Each option may come from the environment instead: HWB_URL (default http://127.0.0.1:8000),
HWB_SCHOOL_A, HWB_TOKEN_A, HWB_SCHOOL_B, HWB_TOKEN_B.

The schools must exist in the portal (import_schools, or the seed_demo command). Each run uses a
new random UPN (or --upn); the learner of an earlier run disappears from the schools' rolls and is
counted as having left.
"""

import argparse
import json
import os
import random
import sys
import time
import urllib.error
import urllib.request
from datetime import UTC, date, datetime

# The UPN check letter (see domain.md): 23 letters, no I, O or S.
CHECK_LETTERS = "ABCDEFGHJKLMNPQRTUVWXYZ"
FINISHED = {"succeeded", "failed", "held", "discarded"}


def upn_for(dfes_number: str, serial: int) -> str:
    """A valid permanent UPN issued by this school this year: LA, establishment, year, serial."""
    digits = f"{dfes_number}{date.today():%y}{serial % 1000:03d}"
    total = sum(int(char) * position for position, char in enumerate(digits, start=2))
    return CHECK_LETTERS[total % 23] + digits


class Client:
    """One school's Provisioning Client."""

    def __init__(self, base_url: str, token: str, school: str):
        self.base_url = base_url.rstrip("/")
        self.token = token
        self.school = school

    def call(self, method: str, path: str, body: dict | None = None) -> tuple[int, dict]:
        data = json.dumps(body).encode() if body is not None else None
        request = urllib.request.Request(  # noqa: S310 - the URL is the portal's, given by the user
            self.base_url + path,
            data=data,
            method=method,
            headers={
                "Authorization": f"Bearer {self.token}",
                "Content-Type": "application/json",
                "Accept": "application/json",
            },
        )
        try:
            with urllib.request.urlopen(request, timeout=60) as response:  # noqa: S310
                return response.status, json.loads(response.read() or b"{}")
        except urllib.error.HTTPError as error:
            return error.code, json.loads(error.read() or b"{}")

    def send(self, *, learners: list[dict], staff: list[dict]) -> dict:
        snapshot = {
            "school": self.school,
            "mis": "SIMS",
            "client_version": "demo-1.0",
            "extracted_at": datetime.now(UTC).isoformat().replace("+00:00", "Z"),
            "learners": learners,
            "staff": staff,
        }
        status, answer = self.call("POST", "/api/provisioning/v1/snapshots/", snapshot)
        if status != 202:
            raise SystemExit(f"{self.school}: the portal answered {status}: {answer}")
        return self.follow(answer["status_url"])

    def follow(self, status_url: str, *, timeout: float = 120) -> dict:
        """Poll the run until it has finished (a worker applies it)."""
        deadline = time.monotonic() + timeout
        while True:
            status, run = self.call("GET", status_url)
            if status != 200:
                raise SystemExit(f"{self.school}: {status_url} answered {status}: {run}")
            if run["status"] in FINISHED or time.monotonic() > deadline:
                return run
            time.sleep(0.5)


def learner(upn: str, **fields) -> dict:
    return {
        "upn": upn,
        "forename": "Gwenllian",
        "surname": "Demo",
        "preferred_forename": None,
        "date_of_birth": "2015-04-17",
        "year_group": "6",
        "admission_date": "2019-09-03",
        "leaving_date": None,
        **fields,
    }


def teacher(school: str) -> dict:
    """A teacher who stays, so that no snapshot is empty."""
    return {
        "staff_code": "DEMO1",
        "title": "Mr",
        "forename": "Dafydd",
        "surname": f"Athro{school[-3:]}",
        "date_of_birth": "1980-02-11",
        "work_email": None,
        "role": "teaching",
        "is_headteacher": False,
        "start_date": "2012-09-01",
        "leaving_date": None,
    }


def report(step: str, client: Client, run: dict, upn: str) -> str | None:
    counts = run["counts"]["learners"]
    shown = ", ".join(f"{name} {number}" for name, number in counts.items() if number)
    username = run["accounts"]["learners"].get(upn)
    print(f"{step}\n    school {client.school}, run {run['run']}: {run['status']}")
    print(f"    learners: {shown or 'nothing'}")
    for error in run["errors"]:
        print(
            f"    error in {error['record']}: {error['field']} {error['code']}: {error['message']}"
        )
    print(f"    the learner's username: {username or '-'}")
    if run["status"] != "succeeded":
        raise SystemExit(f"The run did not succeed: {run['status']}. {run.get('reason') or ''}")
    return username


def main(argv: list[str] | None = None) -> int:
    env = os.environ.get
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--base-url", default=env("HWB_URL", "http://127.0.0.1:8000"))
    parser.add_argument("--school-a", default=env("HWB_SCHOOL_A"), help="school A's DfES number")
    parser.add_argument("--token-a", default=env("HWB_TOKEN_A"), help="school A's client token")
    parser.add_argument("--school-b", default=env("HWB_SCHOOL_B"), help="school B's DfES number")
    parser.add_argument("--token-b", default=env("HWB_TOKEN_B"), help="school B's client token")
    parser.add_argument("--upn", help="the learner's UPN (default: a new valid one)")
    args = parser.parse_args(argv)
    missing = [
        name for name in ("school_a", "token_a", "school_b", "token_b") if not getattr(args, name)
    ]
    if missing:
        parser.error("missing " + ", ".join("--" + name.replace("_", "-") for name in missing))

    school_a = Client(args.base_url, args.token_a, args.school_a)
    school_b = Client(args.base_url, args.token_b, args.school_b)
    upn = args.upn or upn_for(args.school_a, random.randrange(1000))  # noqa: S311 - not a secret
    today = date.today().isoformat()
    print(f"The learner: UPN {upn}, moving from {school_a.school} to {school_b.school}\n")

    first = report(
        "1. School A sends its roll with the learner on it",
        school_a,
        school_a.send(learners=[learner(upn)], staff=[teacher(school_a.school)]),
        upn,
    )
    report(
        "2. School B sends its roll, without the learner",
        school_b,
        school_b.send(learners=[], staff=[teacher(school_b.school)]),
        upn,
    )
    report(
        "3. School A sends the learner as a leaver",
        school_a,
        school_a.send(
            learners=[learner(upn, leaving_date=today)], staff=[teacher(school_a.school)]
        ),
        upn,
    )
    last = report(
        "4. School B sends the learner on roll",
        school_b,
        school_b.send(
            learners=[learner(upn, admission_date=today, year_group="7")],
            staff=[teacher(school_b.school)],
        ),
        upn,
    )
    if first and first == last:
        print(f"\nThe account {last} moved from {school_a.school} to {school_b.school}.")
        return 0
    print(f"\nThe username changed ({first} -> {last}): the account did not move.", file=sys.stderr)
    return 1


if __name__ == "__main__":
    sys.exit(main())
