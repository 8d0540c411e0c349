"""The portal as docker-compose.yml runs it, for tests: its gunicorn command with the production
settings, and Debian's nginx with deploy/nginx.conf in front (ports and upstream templated).

Processes started here are stopped by the context managers that start them; their output (access
logs among it) goes to files the test reads as they grow.
"""

import contextlib
import http.client
import json
import os
import secrets
import shlex
import shutil
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
import yaml
from django.conf import settings
from django.db import connection

from tests.services import require

ROOT = Path(settings.BASE_DIR)
NGINX = shutil.which("nginx") or "/usr/sbin/nginx"


def free_port() -> int:
    """A port nothing listens on (bound, then closed again): a server that is down."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def compose_service(name: str) -> dict:
    return yaml.safe_load((ROOT / "docker-compose.yml").read_text())["services"][name]


def production_env(**extra: str) -> dict:
    """The environment compose gives the portal, pointed at the test database and Redis."""
    db = connection.settings_dict
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "HWB_"))}
    env.update(
        {
            "DJANGO_SETTINGS_MODULE": "hwb_portal.settings.production",
            "DJANGO_SECRET_KEY": secrets.token_urlsafe(50),
            # The test database's learners were hashed with the test settings' key.
            "HWB_UPN_HASH_KEY": settings.HWB_UPN_HASH_KEY,
            "DJANGO_ALLOWED_HOSTS": "localhost,127.0.0.1",
            "DJANGO_SECURE_SSL_REDIRECT": "false",
            "DJANGO_SECURE_COOKIES": "false",
            "DATABASE_URL": (
                f"postgres://{db['USER']}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}"
                f"/{db['NAME']}"
            ),
            "REDIS_URL": os.environ.get("REDIS_URL", ""),
            "EMAIL_URL": "consolemail://",
        }
    )
    env.update(extra)
    return env


def require_postgresql() -> None:
    require(
        connection.vendor == "postgresql",
        "PostgreSQL",
        "set DATABASE_URL=postgres://postgres@127.0.0.1:5432/hwb_portal",
    )


def production_caches(redis_url: str) -> dict:
    """The CACHES setting the production settings make of ``redis_url``."""
    code = "import json; from django.conf import settings; print(json.dumps(settings.CACHES))"
    result = subprocess.run(  # noqa: S603
        [sys.executable, "-c", code],
        env=production_env(REDIS_URL=redis_url),
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    )
    return json.loads(result.stdout)


@pytest.fixture
def cache_with_redis_down(settings):
    """The cache as the production settings configure it, with nothing listening at REDIS_URL."""
    settings.CACHES = production_caches(f"redis://127.0.0.1:{free_port()}/0")


@pytest.fixture(scope="session")
def collected_static():
    """Production pages need collected static files (the image collects them when built)."""
    if not (ROOT / "var" / "staticfiles" / "staticfiles.json").exists():
        subprocess.run(  # noqa: S603
            [sys.executable, "manage.py", "collectstatic", "--noinput", "--verbosity=0"],
            env=production_env(DATABASE_URL="sqlite:///:memory:"),
            cwd=ROOT,
            check=True,
        )


def gunicorn_command(port: int) -> list[str]:
    """compose's web command, bound to a local port instead of the backend network."""
    command = shlex.split(compose_service("web")["command"])
    assert command[0] == "gunicorn", command
    return [sys.executable, "-m", "gunicorn", *command[1:], "--bind", f"127.0.0.1:{port}"]


def wait_for_port(port: int, process: subprocess.Popen, log: "Log", timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            pytest.fail(f"{process.args[:3]} exited:\n{log.text}")
        with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), 0.2):
            return
        time.sleep(0.1)
    pytest.fail(f"nothing answered on port {port}:\n{log.text}")


def stop(process: subprocess.Popen) -> None:
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


class Log:
    """A server's output (its access log among it), written to a file and read as it grows."""

    def __init__(self, path: Path):
        self.path = path
        self.file = path.open("wb")

    @property
    def text(self) -> str:
        if not self.file.closed:
            self.file.flush()
        return self.path.read_text(errors="replace")


@contextlib.contextmanager
def gunicorn(env: dict, work: Path):
    """compose's gunicorn (its config, its worker count) on a free local port."""
    port = free_port()
    log = Log(work / "gunicorn.log")
    process = subprocess.Popen(  # noqa: S603
        gunicorn_command(port), env=env, cwd=ROOT, stdout=log.file, stderr=subprocess.STDOUT
    )
    try:
        wait_for_port(port, process, log)
        yield port, log
    finally:
        stop(process)
        log.file.close()


def nginx_config(*, listen: int, upstream: int, work: Path) -> str:
    """deploy/nginx.conf with the test's ports and a scratch directory for nginx's files."""
    text = (ROOT / "deploy" / "nginx.conf").read_text()
    replacements = {
        # Debian has no "nginx" user; the workers run as nobody, writing only in `work`.
        "user nginx;\n": "",
        "listen 80;": f"listen 127.0.0.1:{listen};",
        "server web:8000;": f"server 127.0.0.1:{upstream};",
        "http {\n": (
            "http {\n"
            + "".join(
                f"    {kind}_temp_path {work / kind};\n"
                for kind in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi")
            )
        ),
    }
    for old, new in replacements.items():
        assert old in text, f"deploy/nginx.conf no longer has {old!r}"
        text = text.replace(old, new, 1)
    return text


@contextlib.contextmanager
def nginx(*, upstream: int, work: Path):
    """Debian's nginx running deploy/nginx.conf in front of ``upstream``."""
    require(os.access(NGINX, os.X_OK), "nginx", "apt-get install -y nginx")
    port = free_port()
    work.mkdir(parents=True, exist_ok=True)
    work.chmod(0o777)
    config = work / "nginx.conf"
    config.write_text(nginx_config(listen=port, upstream=upstream, work=work))
    log = Log(work / "nginx.log")
    process = subprocess.Popen(  # noqa: S603
        [
            NGINX,
            "-c",
            str(config),
            "-p",
            str(work),
            "-e",
            str(work / "startup.log"),
            "-g",
            f"daemon off; pid {work / 'nginx.pid'};",
        ],
        stdout=log.file,
        stderr=subprocess.STDOUT,
    )
    try:
        wait_for_port(port, process, log)
        yield port, log
    finally:
        stop(process)
        log.file.close()


def http_get(port: int, path: str, *, timeout: float = 5, headers=None):
    """(status, headers, body) of a GET, or raises socket.timeout."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    try:
        conn.request("GET", path, headers={"Host": "localhost", **(headers or {})})
        response = conn.getresponse()
        return response.status, dict(response.getheaders()), response.read()
    finally:
        conn.close()


def http_post(port: int, path: str, body: bytes, *, headers=None, timeout: float = 10):
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    try:
        conn.request(
            "POST",
            path,
            body=body,
            headers={"Host": "localhost", "Content-Type": "application/json", **(headers or {})},
        )
        response = conn.getresponse()
        return response.status, dict(response.getheaders()), response.read()
    finally:
        conn.close()
