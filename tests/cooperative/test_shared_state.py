"""Several app servers share one Redis: the API throttle and the sessions hold across processes.

Two gunicorn servers (one with 3 workers, one with 1) run against the test database and a real Redis, as
in production (docs/DEPLOY.md). Needs PostgreSQL (the servers read rows this test commits) and Redis at
TEST_REDIS_URL (default redis://127.0.0.1:6379/15); CI (.ci/run) starts both and sets REQUIRE_REDIS=1, so
there a missing Redis fails instead of skipping.
"""

import http.cookiejar
import os
import re
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

import pytest
from django.conf import settings
from django.contrib.auth.hashers import PBKDF2PasswordHasher
from django.db import connection

from tests.api.factories import ApiTokenFactory
from tests.factories import AllianceProgramFactory, UserFactory

REDIS_URL = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/15")
THROTTLE_LIMIT = 120
ROOT = Path(__file__).resolve().parents[2]
GUNICORN = Path(sys.executable).with_name("gunicorn")

pytestmark = pytest.mark.django_db(transaction=True)


def _redis_reachable() -> bool:
    parts = urllib.parse.urlsplit(REDIS_URL)
    try:
        with socket.create_connection((parts.hostname, parts.port or 6379), timeout=1) as sock:
            sock.sendall(b"PING\r\n")
            return sock.recv(16).startswith(b"+PONG")
    except OSError:
        return False


@pytest.fixture(scope="module")
def redis_url():
    if _redis_reachable():
        import redis

        redis.Redis.from_url(REDIS_URL).flushdb()
        return REDIS_URL
    if os.environ.get("REQUIRE_REDIS") == "1":
        pytest.fail(f"Redis is not reachable at {REDIS_URL} (REQUIRE_REDIS=1)")
    pytest.skip(f"needs Redis at {REDIS_URL}")


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _database_url() -> str:
    db = connection.settings_dict
    return f"postgres://{db['USER']}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"


@pytest.fixture(scope="module")
def static_root(tmp_path_factory, redis_url):
    """Collected static files, as production serves them (whitenoise, manifest storage)."""
    root = tmp_path_factory.mktemp("static")
    env = {**os.environ, "DEBUG": "false", "SECRET_KEY": settings.SECRET_KEY, "STATIC_ROOT": str(root)}
    env.pop("DJANGO_SETTINGS_MODULE", None)
    subprocess.run(
        [sys.executable, "manage.py", "collectstatic", "--noinput", "-v0"], cwd=ROOT, env=env, check=True, timeout=300
    )
    return root


class Server:
    def __init__(self, *, workers: int, redis_url: str, static_root: Path):
        self.port = _free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        env = {
            **os.environ,
            "DEBUG": "false",
            "SECRET_KEY": settings.SECRET_KEY,
            "ALLOWED_HOSTS": "127.0.0.1",
            "SECURE_SSL_REDIRECT": "false",
            "DATABASE_URL": _database_url(),
            "CONN_MAX_AGE": "0",
            "REDIS_URL": redis_url,
            "STATIC_ROOT": str(static_root),
            "API_THROTTLE_RATE": f"{THROTTLE_LIMIT}/minute",
        }
        env.pop("DJANGO_SETTINGS_MODULE", None)
        self.process = subprocess.Popen(
            [
                str(GUNICORN),
                "cooperative.wsgi",
                "-b",
                f"127.0.0.1:{self.port}",
                "-w",
                str(workers),
                "--log-level",
                "warning",
            ],
            cwd=ROOT,
            env=env,
        )

    def wait_ready(self) -> None:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                with urllib.request.urlopen(self.url + "/health/", timeout=2) as response:
                    if response.status == 200:
                        return
            except OSError:
                time.sleep(0.2)
        raise AssertionError(f"{self.url} did not start")

    def stop(self) -> None:
        self.process.terminate()
        self.process.wait(timeout=30)


@pytest.fixture(scope="module")
def servers(django_db_setup, redis_url, static_root):
    """Server A with three workers, server B with one, both on the same Redis and database."""
    started = [
        Server(workers=3, redis_url=redis_url, static_root=static_root),
        Server(workers=1, redis_url=redis_url, static_root=static_root),
    ]
    try:
        for server in started:
            server.wait_ready()
        yield started
    finally:
        for server in started:
            server.stop()


def _status(url: str, headers: dict[str, str]) -> int:
    request = urllib.request.Request(url, headers=headers)
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status
    except urllib.error.HTTPError as error:
        return error.code


def test_the_throttle_counts_every_request_whichever_process_serves_it(on_postgres, servers):
    program = AllianceProgramFactory()
    token = ApiTokenFactory(partner=program.partner)
    headers = {"Authorization": f"Bearer {token.plain_token}"}

    answers = []
    for number in range(THROTTLE_LIMIT + 10):
        server = servers[number % 2]  # A's three workers and B take turns
        answers.append(_status(server.url + "/api/v1/programs/", headers))

    served_before_first_refusal = answers.index(429)
    assert served_before_first_refusal == THROTTLE_LIMIT
    assert set(answers[:THROTTLE_LIMIT]) == {200}
    assert set(answers[THROTTLE_LIMIT:]) == {429}


class _PlainHttpCookies(http.cookiejar.DefaultCookiePolicy):
    """Send the Secure cookies (DEBUG off marks session and CSRF cookies Secure) over the test's plain HTTP,
    as the TLS proxy in front of the servers would."""

    def return_ok_secure(self, cookie, request) -> bool:
        return True


def _opener() -> urllib.request.OpenerDirector:
    jar = http.cookiejar.CookieJar(policy=_PlainHttpCookies())
    return urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))


def test_a_session_made_on_one_server_is_valid_on_the_other(on_postgres, servers):
    user = UserFactory(username="gerente", is_superuser=True)
    # The servers run the production settings, whose hashers do not read the tests' fast MD5 hash.
    user.password = PBKDF2PasswordHasher().encode("una-clave-larga-2026", PBKDF2PasswordHasher().salt())
    user.save(update_fields=["password"])
    server_a, server_b = servers
    browser = _opener()
    login_page = browser.open(server_a.url + "/accounts/login/").read().decode()
    csrf = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', login_page).group(1)
    body = urllib.parse.urlencode(
        {"username": "gerente", "password": "una-clave-larga-2026", "csrfmiddlewaretoken": csrf}
    ).encode()
    logged_in = browser.open(urllib.request.Request(server_a.url + "/accounts/login/", data=body))
    assert logged_in.url == server_a.url + "/"

    # The cookie belongs to host 127.0.0.1 whatever the port: the same browser, now on server B.
    dashboard = browser.open(server_b.url + "/")
    assert dashboard.status == 200 and dashboard.url == server_b.url + "/"
    assert "/accounts/logout/" in dashboard.read().decode()
