"""What the HTTP and worker benchmarks share: bench databases, the portal as compose runs it
(its gunicorn command, production settings and compose's environment), signing in through the
real pages, and a bounded asyncio load of concurrent clients.

Bench databases live on the PostgreSQL server DATABASE_URL names, under names of their own
(never the database DATABASE_URL names).
"""

import asyncio
import contextlib
import os
import re
import resource
import secrets
import shlex
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import environ  # noqa: E402
import psycopg2  # noqa: E402
import yaml  # noqa: E402

# The data is built with the test settings (tasks run eagerly, mail kept in memory); the
# portal under test must hash UPNs with the same key.
BUILD_SETTINGS = "hwb_portal.settings.test"
BENCH_SETTINGS = "bench.settings"  # production settings plus the bare view


# --- databases ------------------------------------------------------------------------------


def server_settings() -> dict:
    url = os.environ.get("DATABASE_URL", "")
    server = environ.Env.db_url_config(url) if url else {}
    if "postgresql" not in server.get("ENGINE", ""):
        sys.exit("the benchmarks measure PostgreSQL: set DATABASE_URL=postgres://…")
    return server


def database_url(server: dict, name: str) -> str:
    auth = server.get("USER") or "postgres"
    if server.get("PASSWORD"):
        auth += f":{server['PASSWORD']}"
    return (
        f"postgres://{auth}@{server.get('HOST') or '127.0.0.1'}:{server.get('PORT') or 5432}/{name}"
    )


def _connect(server: dict, database: str = "postgres"):
    connection = psycopg2.connect(
        dbname=database,
        user=server.get("USER") or None,
        password=server.get("PASSWORD") or None,
        host=server.get("HOST") or None,
        port=server.get("PORT") or None,
    )
    connection.autocommit = True
    return connection


def server_execute(
    server: dict, sql: str, *, database: str = "postgres", missing_ok: bool = False
) -> list:
    try:
        connection = _connect(server, database)
    except psycopg2.OperationalError:
        if missing_ok:
            return []
        raise
    try:
        with connection.cursor() as cursor:
            try:
                cursor.execute(sql)
            except psycopg2.errors.UndefinedTable:
                if missing_ok:
                    return []
                raise
            return cursor.fetchall() if cursor.description else []
    finally:
        connection.close()


def _checked(server: dict, name: str) -> str:
    if not name.replace("_", "").isalnum() or name == server.get("NAME"):
        sys.exit(f"{name!r}: a bench database needs a plain name of its own")
    return name


def database_exists(server: dict, name: str) -> bool:
    rows = server_execute(
        server, f"SELECT 1 FROM pg_database WHERE datname = '{_checked(server, name)}'"
    )
    return bool(rows)


def database_create(server: dict, name: str, *, template: str | None = None) -> None:
    sql = f"CREATE DATABASE {_checked(server, name)}"
    if template:
        sql += f" TEMPLATE {_checked(server, template)}"
    server_execute(server, sql)


def database_drop(server: dict, name: str) -> None:
    server_execute(server, f"DROP DATABASE IF EXISTS {_checked(server, name)} WITH (FORCE)")


def django_setup(server: dict, name: str) -> None:
    """Django in this process, on the bench database ``name`` (before any model is imported)."""
    os.environ["DATABASE_URL"] = database_url(server, name)
    os.environ["DJANGO_SETTINGS_MODULE"] = BUILD_SETTINGS
    import django

    django.setup()


def peak_rss_mb_of(pid: int) -> float:
    """A process's peak resident memory (VmHWM), in MB."""
    with open(f"/proc/{pid}/status") as status:
        for line in status:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    return 0.0


def own_peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def machine_line() -> str:
    load = ", ".join(f"{value:.2f}" for value in os.getloadavg())
    return f"{os.cpu_count()} CPUs, load average {load}"


# --- the portal as compose runs it ------------------------------------------------------------


def _compose() -> dict:
    return yaml.safe_load((ROOT / "docker-compose.yml").read_text())


def compose_command(service: str) -> list[str]:
    """The command compose runs for one of the portal's services (web, worker, beat)."""
    return shlex.split(_compose()["services"][service]["command"])


def compose_portal() -> tuple[list[str], dict]:
    """compose's web command and the environment compose gives the portal's services."""
    command = compose_command("web")
    assert command[0] == "gunicorn", command
    return command, dict(_compose()["x-portal"]["environment"])


def portal_env(server: dict, name: str, *, proxies: int = 0, **extra: str) -> dict:
    """compose's environment for the portal, on the bench database and this machine's Redis.

    The secrets are made up; the UPN key is the one the data was built with. Compose's
    HWB_TRUSTED_PROXY_COUNT is its nginx: ``proxies`` says how many are really in front.
    """
    from django.conf import settings

    _command, compose_env = compose_portal()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "HWB_"))}
    env.update({key: str(value) for key, value in compose_env.items()})
    env.update(
        {
            "DJANGO_SETTINGS_MODULE": BENCH_SETTINGS,
            "DJANGO_SECRET_KEY": secrets.token_urlsafe(50),
            "HWB_UPN_HASH_KEY": settings.HWB_UPN_HASH_KEY,
            "DATABASE_URL": database_url(server, name),
            "REDIS_URL": os.environ.get("REDIS_URL", ""),
            "EMAIL_URL": "consolemail://",
            "HWB_TRUSTED_PROXY_COUNT": str(proxies),
            "HWB_MEDIA_ROOT": tempfile.gettempdir(),
            **extra,
        }
    )
    return env


def collectstatic(env: dict) -> None:
    """Production pages need collected static files (the image collects them when built)."""
    if not (ROOT / "var" / "staticfiles" / "staticfiles.json").exists():
        subprocess.run(  # noqa: S603
            [sys.executable, "manage.py", "collectstatic", "--noinput", "--verbosity=0"],
            env=env,
            cwd=ROOT,
            check=True,
        )


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _wait_for_port(port: int, process: subprocess.Popen, log: Path, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            sys.exit(f"{process.args[:3]} exited:\n{log.read_text(errors='replace')[-3000:]}")
        with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), 0.2):
            return
        time.sleep(0.1)
    sys.exit(f"nothing answered on port {port}")


def stop(process: subprocess.Popen) -> None:
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


@contextlib.contextmanager
def gunicorn(env: dict, work: Path):
    """compose's web command (deploy/gunicorn.conf.py: its workers, its access log), on a free
    local port instead of the backend network. Yields the port."""
    command, _env = compose_portal()
    port = free_port()
    log = work / "gunicorn.log"
    with log.open("wb") as output:
        process = subprocess.Popen(  # noqa: S603
            [sys.executable, "-m", "gunicorn", *command[1:], "--bind", f"127.0.0.1:{port}"],
            env=env,
            cwd=ROOT,
            stdout=output,
            stderr=subprocess.STDOUT,
        )
        try:
            _wait_for_port(port, process, log)
            yield port
        finally:
            stop(process)


NGINX = "/usr/sbin/nginx"


@contextlib.contextmanager
def nginx(upstream: int, work: Path):
    """Debian's nginx with deploy/nginx.conf (ports and paths templated) in front of
    ``upstream``, as tests/servers.py runs it. Yields its port."""
    if not os.access(NGINX, os.X_OK):
        sys.exit("--nginx needs nginx (apt-get install nginx)")
    port = free_port()
    work.mkdir(parents=True, exist_ok=True)
    work.chmod(0o777)
    text = (ROOT / "deploy" / "nginx.conf").read_text()
    for old, new in {
        "user nginx;\n": "",
        "listen 80;": f"listen 127.0.0.1:{port};",
        "server web:8000;": f"server 127.0.0.1:{upstream};",
        "http {\n": "http {\n"
        + "".join(
            f"    {kind}_temp_path {work / kind};\n"
            for kind in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi")
        ),
    }.items():
        assert old in text, f"deploy/nginx.conf no longer has {old!r}"
        text = text.replace(old, new, 1)
    config = work / "nginx.conf"
    config.write_text(text)
    log = work / "nginx.log"
    with log.open("wb") as output:
        process = subprocess.Popen(  # noqa: S603
            [
                NGINX,
                "-c",
                str(config),
                "-p",
                str(work),
                "-e",
                str(work / "error.log"),
                "-g",
                f"daemon off; pid {work / 'nginx.pid'};",
            ],
            stdout=output,
            stderr=subprocess.STDOUT,
        )
        try:
            _wait_for_port(port, process, log)
            yield port
        finally:
            stop(process)


# --- signing in -------------------------------------------------------------------------------

_CSRF = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')


def next_code(username: str) -> str:
    """A code the account's authenticator app shows for a step it has not used yet (the bench
    apps accept any step: each sign-in takes the next, as if the person waited for it)."""
    from django_otp.oath import TOTP
    from django_otp.plugins.otp_totp.models import TOTPDevice

    app = TOTPDevice.objects.get(user__username=username, confirmed=True)
    step = max(app.last_t + 1, int(time.time()) // app.step)
    totp = TOTP(app.bin_key)
    totp.time = step * app.step
    return f"{totp.token():06d}"


async def _form_post(session, base: str, path: str, data: dict, *, expect: str | None = None):
    async with session.get(base + path, allow_redirects=False) as response:
        page = await response.text()
        if response.status != 200:
            raise RuntimeError(f"GET {path}: {response.status}")
    token = _CSRF.search(page)
    if token is None:
        raise RuntimeError(f"GET {path}: no CSRF token in the form")
    async with session.post(
        base + path,
        data={"csrfmiddlewaretoken": token.group(1), **data},
        allow_redirects=False,
    ) as response:
        await response.read()
        if response.status != 302 or (expect and expect not in response.headers["Location"]):
            raise RuntimeError(f"POST {path}: {response.status} {response.headers.get('Location')}")
        return response


async def sign_in(session, base: str, username: str, password: str, *, code: bool) -> None:
    """Sign in through the real pages: the password, the code (when the account needs one),
    and User management's second sign-in (password and code again)."""
    from django.urls import reverse

    await _form_post(
        session, base, reverse("accounts:sign_in"), {"username": username, "password": password}
    )
    answers = {"username": username, "password": password}
    if code:
        # Django's ORM refuses to run inside the event loop: the codes are read in a thread.
        await _form_post(
            session,
            base,
            reverse("accounts:second_factor"),
            {"code": await asyncio.to_thread(next_code, username)},
        )
        answers["code"] = await asyncio.to_thread(next_code, username)
    await _form_post(session, base, reverse("accounts:reauth"), answers)


def http_session(**kwargs):
    import aiohttp

    # gunicorn's sync workers close every connection after its response: no keep-alive.
    return aiohttp.ClientSession(
        connector=aiohttp.TCPConnector(limit=0, force_close=True),
        cookie_jar=aiohttp.CookieJar(unsafe=True),
        headers={"Host": "localhost"},
        **kwargs,
    )


# --- load -------------------------------------------------------------------------------------


@dataclass
class Load:
    """What ``clients`` concurrent clients got from one page in ``seconds``."""

    name: str
    seconds: float = 0.0
    client_cpu: float = 0.0  # share of one core the clients themselves used
    latencies: list[float] = field(default_factory=list)
    failures: dict[str, int] = field(default_factory=dict)

    @property
    def rate(self) -> float:
        return len(self.latencies) / self.seconds if self.seconds else 0.0

    def percentile_ms(self, share: float) -> float:
        if not self.latencies:
            return float("nan")
        if len(self.latencies) < 2:
            return self.latencies[0] * 1000
        return (
            statistics.quantiles(self.latencies, n=100, method="inclusive")[round(share * 100) - 1]
            * 1000
        )


async def load(session, url: str, *, name: str, clients: int, seconds: float) -> Load:
    """Each client asks for ``url`` again as soon as it has its answer (a closed loop), for
    ``seconds``; only 200 answers count, anything else is a failure."""
    result = Load(name)
    deadline = time.perf_counter() + seconds

    async def client():
        while time.perf_counter() < deadline:
            started = time.perf_counter()
            try:
                async with session.get(url, allow_redirects=False) as response:
                    await response.read()
                    status = response.status
            except OSError as error:
                status = type(error).__name__
            if status == 200:
                result.latencies.append(time.perf_counter() - started)
            else:
                result.failures[str(status)] = result.failures.get(str(status), 0) + 1

    started, cpu = time.perf_counter(), time.process_time()
    await asyncio.gather(*(client() for _ in range(clients)))
    result.seconds = time.perf_counter() - started
    result.client_cpu = (time.process_time() - cpu) / result.seconds
    return result
