"""A database at an older layout upgrades with every row kept and its pages still answering.

Run by CI: the code of BASE (the last commit before the apps were split: transfers then held
notices, staff matching and the service desk) is taken from git, migrates a fresh PostgreSQL
database and fills it with the demo (provisioning runs included) and an open Account Transfer
request; then this checkout's migrations run over it. Every table keeps its rows, the open
request holds its claim, and the demo people's pages answer 200.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/hwb_portal python scripts/check_upgrade.py
"""

import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

TOP = Path(__file__).resolve().parent.parent
BASE = "1fde88c"  # main before the restructure (notices, mergers and service desk in transfers)
PYTHON = sys.executable
PSQL_ENV = os.environ | {"PGOPTIONS": "--client-min-messages=warning"}

# Run inside a checkout (old or new) by ``manage.py shell``: prints each table's row count.
COUNT_ROWS = """
import json
from django.db import connection
with connection.cursor() as cursor:
    cursor.execute("SELECT tablename FROM pg_tables WHERE schemaname = 'public'")
    tables = sorted(row[0] for row in cursor.fetchall())
    counts = {}
    for table in tables:
        cursor.execute(f'SELECT count(*) FROM "{table}"')
        counts[table] = cursor.fetchone()[0]
print(json.dumps(counts))
"""

# Run in the old checkout: Siân Jones (joness2, moved Llanberis -> Brynrefail in the demo) asks
# for her previous account, as the README's demo journey does.
OPEN_A_TRANSFER = """
from accounts.models import User
from provisioning.selectors import staff_record_of
from transfers.services import transfer_request_submit
new = User.objects.get(username="joness2")
namesakes = User.objects.filter(first_name=new.first_name, last_name=new.last_name)
old = namesakes.exclude(pk=new.pk).get()
transfer_request_submit(
    requester=new, previous_dfes=old.school.dfes_number, previous_username=old.username,
    message="Please approve the transfer of my account.", headteacher_confirmed=True,
    ip_address="192.0.2.1",
)
print("open transfer request for", old.username)
"""

# Run in the new checkout: the demo people's pages, signed in through the real pages.
PAGES = """
import sys
from django.test import Client
from accounts.models import User
from django.utils import timezone
from django_otp import DEVICE_ID_SESSION_KEY
from accounts.reauth import SESSION_KEY as REAUTH_KEY
from accounts.second_factor import second_factor_app, second_factor_required
from school_changes.models import SchoolNotice

def signed_in(username):
    # Signed in, past the second sign-in and (with the demo app) the second factor.
    user = User.objects.get(username=username)
    client = Client()
    client.force_login(user)
    session = client.session
    if second_factor_required(user):
        session[DEVICE_ID_SESSION_KEY] = second_factor_app(user).persistent_id
    session[REAUTH_KEY] = {"user": user.pk, "at": timezone.now().timestamp()}
    session.save()
    return client

failures, seen = [], 0
notice = SchoolNotice.objects.filter(kind="merger").first()
for username, paths in {
    "joness2": ["/user-management/", "/user-management/my-profile/",
                "/user-management/account-transfer/status/"],
    "lewism": ["/user-management/", "/local-authority/",
               f"/local-authority/notices/{notice.pk}/",
               f"/local-authority/notices/{notice.pk}/staff-matches/"],
    "morrisi2": ["/user-management/my-profile/"],
    "hwbadmin": ["/admin/", "/admin/school_changes/schoolnotice/",
                 f"/admin/school_changes/schoolnotice/{notice.pk}/change/",
                 "/admin/service_desk/servicedeskrequest/", "/admin/transfers/transferrequest/",
                 "/admin/accounts/accountmoveclaim/"],
}.items():
    client = signed_in(username)
    for path in paths:
        seen += 1
        status = client.get(path).status_code
        if status != 200:
            failures.append(f"{username} {path}: {status}")
print(f"{seen} pages checked")
if failures or not seen:
    print("\\n".join(failures) or "no page could be checked", file=sys.stderr)
    sys.exit(1)
"""


def _run(command: list[str], **options) -> subprocess.CompletedProcess:
    """Our own commands (git, tar, psql, manage.py), never input from outside."""
    return subprocess.run(command, **options)  # noqa: S603


def _manage(cwd: Path, env: dict, *args: str, stdin: str | None = None) -> str:
    result = _run(
        [PYTHON, "manage.py", *args],
        cwd=cwd,
        env=env,
        input=stdin,
        capture_output=True,
        text=True,
    )
    if result.returncode != 0:
        sys.stderr.write(result.stdout[-3000:] + result.stderr[-6000:])
        raise SystemExit(f"manage.py {' '.join(args)} failed in {cwd}")
    return result.stdout


def main() -> int:
    started = time.monotonic()
    url = os.environ.get("DATABASE_URL", "")
    if not url.startswith(("postgres://", "postgresql://")):
        print("DATABASE_URL must point at PostgreSQL", file=sys.stderr)
        return 1
    if _run(["git", "cat-file", "-e", f"{BASE}^{{commit}}"], cwd=TOP).returncode:
        print(f"commit {BASE} is not in this clone (a shallow clone?): fetch it", file=sys.stderr)
        return 1
    parts = urlsplit(url)
    name = parts.path.lstrip("/") + "_upgrade"
    upgrade_url = urlunsplit(parts._replace(path="/" + name))
    admin_url = urlunsplit(parts._replace(path="/postgres"))
    for sql in (f'DROP DATABASE IF EXISTS "{name}"', f'CREATE DATABASE "{name}"'):
        _run(["psql", admin_url, "-q", "-c", sql], check=True, env=PSQL_ENV)
    env = {key: value for key, value in os.environ.items() if key not in ("REDIS_URL", "CI")} | {
        "DATABASE_URL": upgrade_url,
        "DJANGO_SETTINGS_MODULE": "hwb_portal.settings.local",
        "DJANGO_ALLOWED_HOSTS": "testserver,127.0.0.1,localhost",
        "PYTHONPATH": "",
    }
    with tempfile.TemporaryDirectory() as old:
        archive = _run(["git", "archive", BASE], cwd=TOP, capture_output=True, check=True)
        _run(["tar", "-x", "-C", old], input=archive.stdout, check=True)
        old_env = env | {"EMAIL_URL": f"filemail:///{old}/mail"}
        _manage(Path(old), old_env, "migrate", "--verbosity", "0")
        _manage(Path(old), old_env, "seed_demo")
        print(_manage(Path(old), old_env, "shell", stdin=OPEN_A_TRANSFER).strip().splitlines()[-1])
        before = json.loads(_manage(Path(old), old_env, "shell", stdin=COUNT_ROWS).splitlines()[-1])
    print(_manage(TOP, env, "migrate").strip().splitlines()[-1])
    after = json.loads(_manage(TOP, env, "shell", stdin=COUNT_ROWS).splitlines()[-1])
    # Django's own bookkeeping grows (migrations, permissions of new models); nothing else moves.
    grows = {"django_migrations", "auth_permission", "django_content_type"}
    lost = {
        table: (rows, after.get(table))
        for table, rows in before.items()
        if (after.get(table) != rows and table not in grows) or after.get(table, 0) < rows
    }
    if lost:
        print(f"rows not kept (before, after): {lost}", file=sys.stderr)
        return 1
    claims = after.get("accounts_accountmoveclaim", 0)
    if claims != 1:
        print(f"the open transfer request holds {claims} claims, not 1", file=sys.stderr)
        return 1
    print(f"{len(before)} tables, {sum(before.values())} rows kept; 1 claim for the open request")
    print(_manage(TOP, env, "shell", stdin=PAGES).strip().splitlines()[-1])
    _run(["psql", admin_url, "-q", "-c", f'DROP DATABASE "{name}"'], check=True, env=PSQL_ENV)
    print(f"upgrade checked in {time.monotonic() - started:.0f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
