"""The log-in limits hold across processes: gunicorn with two workers, requests two at a time,
behind one trusted proxy hop (make slow)."""

from __future__ import annotations

import http.client
import json
import os
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor

import pytest
from django.conf import settings
from django.contrib.auth.hashers import PBKDF2PasswordHasher
from django.db import connection

from accounts.tests.factories import PASSWORD, UserFactory
from conftest import _database_url
from friends_site.embedded_redis import free_port

pytestmark = [pytest.mark.slow, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def gunicorn_two_workers():
    port = free_port()
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "friends_site.settings",
        "DJANGO_DEBUG": "0",
        "DJANGO_HTTPS": "0",
        "DJANGO_SECRET_KEY": "k" * 50,
        "DJANGO_ALLOWED_HOSTS": "127.0.0.1",
        "DATABASE_URL": _database_url(connection.settings_dict),
        "REDIS_URL": settings.REDIS_URL,  # the tests' Redis database: its cache holds the counters
        "RATELIMIT_ENABLE": "1",
        "TRUSTED_PROXY_HOPS": "1",
        "LOG_LEVEL": "WARNING",
    }
    process = subprocess.Popen(
        [
            sys.executable, "-m", "gunicorn", "friends_site.wsgi:application",
            "--bind", f"127.0.0.1:{port}", "--workers", "2", "--log-level", "warning",
        ],
        cwd=settings.BASE_DIR,
        env=env,
    )  # fmt: skip
    deadline = time.monotonic() + 30
    while True:
        try:
            http.client.HTTPConnection("127.0.0.1", port, timeout=2).request("GET", "/login/")
            break
        except OSError:
            assert time.monotonic() < deadline, "gunicorn did not start"
            time.sleep(0.2)
    yield port
    process.terminate()
    process.wait(timeout=20)


def token_login(port: int, password: str, client_address: str) -> int:
    """POST auth/token/ on a new connection, as a proxy forwarding `client_address` would."""
    http_connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    body = json.dumps({"username": "grace", "password": password})
    headers = {"Content-Type": "application/json", "X-Forwarded-For": client_address}
    http_connection.request("POST", "/api/v1/auth/token/", body, headers)
    status = http_connection.getresponse().status
    http_connection.close()
    return status


def test_ten_failures_spread_over_two_workers_stop_the_eleventh_from_that_address_only(
    gunicorn_two_workers,
):
    grace = UserFactory(username="grace")
    # Hashed as production hashes (the suite's own settings use a fast hasher it does not know).
    hasher = PBKDF2PasswordHasher()
    grace.password = hasher.encode(PASSWORD, hasher.salt())
    grace.save(update_fields=["password"])
    port = gunicorn_two_workers

    with ThreadPoolExecutor(max_workers=2) as pool:  # two at a time: both workers take some
        failures = list(pool.map(lambda _: token_login(port, "wrong", "203.0.113.9"), range(10)))

    assert failures == [400] * 10
    assert token_login(port, PASSWORD, "203.0.113.9") == 429
    assert token_login(port, PASSWORD, "198.51.100.7") in (200, 201)
