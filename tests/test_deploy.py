"""What users deploy: docker-compose.yml, and nginx in front of compose's gunicorn, run for real
with the production settings (Debian's nginx with deploy/nginx.conf; no Docker engine needed)."""

import contextlib
import http.client
import json
import os
import re
import shutil
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path
from types import SimpleNamespace

import pytest
from django.core.management import CommandError, call_command

from accounts.models import User
from schools.models import School
from tests.servers import (
    ROOT,
    compose_service,
    free_port,
    gunicorn,
    http_get,
    http_post,
    nginx,
    production_env,
    require_postgresql,
)
from tests.services import require

# --- docker-compose.yml ---------------------------------------------------------------------------


KEY_PREFIXES = ("DJANGO_", "HWB_")


def compose_config(env: dict, empty: Path) -> subprocess.CompletedProcess:
    require(bool(shutil.which("docker-compose")), "docker-compose", "apt install docker-compose")
    return subprocess.run(  # noqa: S603
        # An empty --env-file: a developer's own .env must not fill the keys in.
        ["docker-compose", "-f", "docker-compose.yml", "--env-file", str(empty), "config", "-q"],
        env={**{k: v for k, v in os.environ.items() if not k.startswith(KEY_PREFIXES)}, **env},
        cwd=ROOT,
        capture_output=True,
        text=True,
    )


def test_compose_refuses_to_start_without_a_secret_key_and_a_upn_hash_key(tmp_path):
    keys = {"DJANGO_SECRET_KEY": "s" * 50, "HWB_UPN_HASH_KEY": "u" * 40}
    empty = tmp_path / "empty.env"
    empty.write_text("")

    neither = compose_config({}, empty)
    no_upn_key = compose_config({"DJANGO_SECRET_KEY": keys["DJANGO_SECRET_KEY"]}, empty)
    no_secret = compose_config({"HWB_UPN_HASH_KEY": keys["HWB_UPN_HASH_KEY"]}, empty)
    both = compose_config(keys, empty)

    assert neither.returncode != 0
    assert no_upn_key.returncode != 0 and "HWB_UPN_HASH_KEY" in no_upn_key.stderr
    assert no_secret.returncode != 0 and "DJANGO_SECRET_KEY" in no_secret.stderr
    assert both.returncode == 0, both.stderr


def test_compose_starts_with_no_demo_data_and_publishes_only_nginx():
    services = {
        name: compose_service(name)
        for name in ("proxy", "migrate", "web", "worker", "beat", "demo", "db", "redis")
    }
    for name, service in services.items():
        if name != "demo":
            assert "seed_demo" not in str(service.get("command", "")), name
            assert "profiles" not in service, name
    # The demo data only when asked for (docker compose --profile demo up), and it says so.
    assert services["demo"]["profiles"] == ["demo"]
    assert "--i-know-this-is-not-production" in services["demo"]["command"]
    # Only nginx is published; gunicorn listens on the backend network alone.
    assert "ports" not in services["web"]
    assert services["proxy"]["ports"] == ["8000:80"]
    assert services["web"]["networks"] == ["backend"]
    image, tag = services["proxy"]["image"].split(":")
    assert image == "nginx" and tag[0].isdigit(), "the official image, pinned to a version"
    assert services["web"]["environment"]["HWB_TRUSTED_PROXY_COUNT"] == "1"


def test_the_readme_tells_how_to_create_the_first_account_not_a_demo_password_for_compose():
    readme = (ROOT / "README.md").read_text()
    stack = readme[readme.index("## Running the whole stack") :]
    stack = stack[: stack.index("\n## ", 4)]
    assert "createsuperuser" in stack
    assert "--profile demo" in stack
    assert "Hwb-Demo-2026" not in stack


# --- seed_demo ------------------------------------------------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_seed_demo_refuses_to_run_with_the_production_settings():
    require_postgresql()
    result = subprocess.run(  # noqa: S603
        [sys.executable, "manage.py", "seed_demo"],
        env=production_env(),
        cwd=ROOT,
        capture_output=True,
        text=True,
    )

    assert result.returncode != 0
    assert "--i-know-this-is-not-production" in result.stderr
    assert "createsuperuser" in result.stderr
    assert not User.objects.exists() and not School.objects.filter(dfes_number="6612001").exists()


def test_seed_demo_needs_to_be_told_outside_the_local_settings(db, settings, capsys):
    settings.HWB_DEMO_DATA_ALLOWED = False
    with pytest.raises(CommandError, match="--i-know-this-is-not-production"):
        call_command("seed_demo")
    assert not User.objects.filter(username="hwbadmin").exists()

    call_command("seed_demo", "--i-know-this-is-not-production")
    assert User.objects.get(username="hwbadmin").is_superuser
    assert "Demo data is ready" in capsys.readouterr().out


# --- nginx in front of gunicorn, run for real -----------------------------------------------------


@pytest.fixture(scope="module")
def stack(django_db_setup, django_db_blocker, collected_static, tmp_path_factory):
    """compose's gunicorn (production settings, 3 sync workers) with deploy/nginx.conf in front."""
    with django_db_blocker.unblock():
        require_postgresql()
        env = production_env(HWB_TRUSTED_PROXY_COUNT="1")
    work = tmp_path_factory.mktemp("stack")
    with (
        gunicorn(env, work) as (web, web_log),
        nginx(upstream=web, work=work / "nginx") as (proxy, proxy_log),
    ):
        # Each worker loads Django on its first request: wait until all three have.
        deadline = time.monotonic() + 60
        while sum(answers_within(proxy, 5) for _ in range(6)) < 6:
            assert time.monotonic() < deadline, web_log.text[-3000:]
        yield SimpleNamespace(web=web, proxy=proxy, web_log=web_log, proxy_log=proxy_log)


class SlowClients:
    """Clients that open a request and send its headers a byte at a time, never finishing."""

    def __init__(self, port: int, count: int):
        self.sockets = []
        for _ in range(count):
            sock = socket.create_connection(("127.0.0.1", port))
            sock.sendall(b"GET /healthz/ HTTP/1.1\r\nHost: localhost\r\nX-Slow: ")
            self.sockets.append(sock)
        self.stopped = threading.Event()
        self.thread = threading.Thread(target=self._trickle, daemon=True)
        self.thread.start()

    def _trickle(self):
        while not self.stopped.wait(0.5):
            for sock in self.sockets:
                with contextlib.suppress(OSError):
                    sock.sendall(b"a")

    def close(self):
        self.stopped.set()
        self.thread.join()
        for sock in self.sockets:
            sock.close()


def answers_within(port: int, seconds: float) -> bool:
    started = time.monotonic()
    try:
        status, _headers, _body = http_get(port, "/healthz/", timeout=seconds)
    except TimeoutError:
        return False
    return status in (200, 503) and time.monotonic() - started < seconds


def test_slow_clients_do_not_stop_the_portal_answering_behind_nginx(stack):
    """Three clients trickling headers hold gunicorn's three sync workers when it faces them
    itself; behind nginx, which waits for whole requests, everyone else is still answered."""
    workers = 3
    slow = SlowClients(stack.proxy, workers)
    try:
        time.sleep(1)
        assert answers_within(stack.proxy, 2), "behind nginx the portal answers at once"
    finally:
        slow.close()

    # The same three clients straight at gunicorn, as the old compose file published it.
    slow = SlowClients(stack.web, workers)
    try:
        time.sleep(1)
        assert not answers_within(stack.web, 3), "gunicorn alone: every worker is held"
    finally:
        slow.close()
    # Once they go, gunicorn answers again (the next tests use it).
    deadline = time.monotonic() + 30
    while not answers_within(stack.web, 2):
        assert time.monotonic() < deadline, "gunicorn did not recover"


def test_signed_link_tokens_are_not_kept_in_the_access_logs(stack):
    """The links in headteachers' and authorisers' emails carry a signed token: nginx and
    gunicorn log it as [token], and the page moves it into the session (tested elsewhere)."""
    from django.core import signing

    token = signing.dumps({"r": 12345, "n": "abcdefghijklmnop"}, salt="anything")
    for path in (f"/service-desk/authorise/{token}/", f"/transfers/decide/{token}/"):
        status, _headers, _body = http_get(
            stack.proxy, path, headers={"Referer": f"http://localhost{path}"}
        )
        assert status == 400  # not a link this portal signed: a page says so

    deadline = time.monotonic() + 5
    while not all(
        "/transfers/decide/[token]/" in log.text for log in (stack.web_log, stack.proxy_log)
    ):
        assert time.monotonic() < deadline, (stack.web_log.text[-2000:], stack.proxy_log.text)
        time.sleep(0.1)
    for log in (stack.proxy_log.text, stack.web_log.text):
        assert "/service-desk/authorise/[token]/" in log and "/transfers/decide/[token]/" in log
        assert token not in log
        assert token.split(":")[0] not in log and token.split(":")[-1] not in log


def test_forms_sent_through_nginx_pass_the_csrf_origin_check(stack):
    """A browser at http://localhost:8000 sends Origin and Host with the port: nginx passes the
    Host on as the browser sent it, so Django sees the same origin (no 403 on every form)."""
    host = f"localhost:{stack.proxy}"
    conn = http.client.HTTPConnection("127.0.0.1", stack.proxy, timeout=10)
    conn.request("GET", "/sign-in/", headers={"Host": host})
    response = conn.getresponse()
    page = response.read().decode()
    assert response.status == 200
    cookie = response.getheader("Set-Cookie").split(";")[0]
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page).group(1)
    conn.request(
        "POST",
        "/i18n/setlang/",
        body=f"csrfmiddlewaretoken={token}&language=cy&next=/sign-in/",
        headers={
            "Host": host,
            "Origin": f"http://{host}",
            "Cookie": cookie,
            "Content-Type": "application/x-www-form-urlencoded",
        },
    )
    response = conn.getresponse()
    response.read()
    conn.close()
    assert response.status == 302, "the form was refused"


def test_nginx_answers_the_api_in_json_even_when_it_answers_itself(stack, settings):
    too_big = b" " * (settings.HWB_SNAPSHOT_MAX_BYTES + 1)
    status, headers, body = http_post(stack.proxy, "/api/provisioning/v1/snapshots/", too_big)
    assert status == 413
    assert headers["Content-Type"] == "application/json"
    assert json.loads(body)["errors"][0]["code"] == "too_large"

    status, headers, body = http_get(stack.proxy, "/api/provisioning/v1/runs/")
    assert status == 401 and headers["Content-Type"] == "application/json"


def test_with_gunicorn_down_nginx_answers_the_api_with_503_and_retry_after(tmp_path):
    with nginx(upstream=free_port(), work=tmp_path / "nginx") as (proxy, _log):
        status, headers, body = http_get(proxy, "/api/provisioning/v1/runs/")
        page_status, _headers, _page = http_get(proxy, "/sign-in/")

    assert (status, headers["Content-Type"], headers["Retry-After"]) == (
        503,
        "application/json",
        "60",
    )
    assert json.loads(body)["errors"][0]["code"] == "unavailable"
    assert page_status == 502  # people's pages: nginx's own error page
