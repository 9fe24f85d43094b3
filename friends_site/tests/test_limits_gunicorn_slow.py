"""The limits hold across processes: gunicorn with two workers, requests two at a time, behind
one trusted proxy hop (make slow). Log-in failures, API throttles, and what gunicorn itself
refuses, all answered in the API's error format."""

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

from accounts.limits import LOGIN_FAILURES
from accounts.services import token_create
from accounts.tests.factories import PASSWORD, UserFactory
from conftest import _database_url, wait_for_a_fresh_window
from friends_site.embedded_redis import free_port

pytestmark = [pytest.mark.slow, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def gunicorn_two_workers():
    """gunicorn as production runs it (gunicorn.conf.py from the project's directory)."""
    processes = []

    def start(**overrides: str) -> int:
        port, process = _start_gunicorn(overrides)
        processes.append(process)
        return port

    yield start
    for process in processes:
        process.terminate()
        process.wait(timeout=20)


def _start_gunicorn(overrides: dict[str, str]) -> tuple[int, subprocess.Popen]:
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
        **overrides,
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
    return port, process


def send(port: int, method: str, path: str, body: str | None = None, **headers: str):
    """One request on a new connection: the response, its body read."""
    http_connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    http_connection.request(method, path, body, {"Content-Type": "application/json", **headers})
    response = http_connection.getresponse()
    response.content = response.read()
    http_connection.close()
    return response


def assert_error_format(response, code: str) -> None:
    assert response.getheader("Content-Type") == "application/json"
    body = json.loads(response.content)
    assert (set(body), body["code"]) == ({"detail", "code", "errors"}, code)


def token_login(port: int, password: str, client_address: str):
    """POST auth/token/, as a proxy forwarding `client_address` would."""
    body = json.dumps({"username": "grace", "password": password})
    return send(port, "POST", "/api/v1/auth/token/", body, **{"X-Forwarded-For": client_address})


def test_ten_failures_spread_over_two_workers_stop_the_eleventh_from_that_address_only(
    gunicorn_two_workers,
):
    grace = UserFactory(username="grace")
    # Hashed as production hashes (the suite's own settings use a fast hasher it does not know).
    hasher = PBKDF2PasswordHasher()
    grace.password = hasher.encode(PASSWORD, hasher.salt())
    grace.save(update_fields=["password"])
    port = gunicorn_two_workers()
    # Ten production hashes take seconds: all of them in one window of the limit.
    wait_for_a_fresh_window(LOGIN_FAILURES.seconds, margin=30)

    with ThreadPoolExecutor(max_workers=2) as pool:  # two at a time: both workers take some
        failures = list(pool.map(lambda _: token_login(port, "wrong", "203.0.113.9"), range(10)))

    assert [response.status for response in failures] == [401] * 10
    refused = token_login(port, PASSWORD, "203.0.113.9")
    assert refused.status == 429
    assert int(refused.getheader("Retry-After")) > 0
    assert_error_format(refused, "throttled")
    assert token_login(port, PASSWORD, "198.51.100.7").status in (200, 201)


def test_the_api_throttle_counts_a_person_across_both_workers(gunicorn_two_workers):
    port = gunicorn_two_workers(API_THROTTLE_PERSON="6/3600")
    token = token_create(user=UserFactory(), name="throttled")[1]
    authorization = {"Authorization": f"Token {token}"}

    with ThreadPoolExecutor(max_workers=2) as pool:
        answers = list(
            pool.map(lambda _: send(port, "GET", "/api/v1/me/", **authorization), range(6))
        )
    refused = send(port, "GET", "/api/v1/feed/", **authorization)

    assert [response.status for response in answers] == [200] * 6
    assert refused.status == 429
    assert 0 < int(refused.getheader("Retry-After")) <= 3600
    assert_error_format(refused, "throttled")
    stranger = token_create(user=UserFactory(), name="another")[1]
    assert send(port, "GET", "/api/v1/me/", Authorization=f"Token {stranger}").status == 200


def test_a_request_gunicorn_cannot_read_is_refused_in_the_error_format(gunicorn_two_workers):
    port = gunicorn_two_workers()

    too_long = send(port, "GET", "/api/v1/posts/?q=" + "x" * 5000)
    header_too_large = send(port, "GET", "/api/v1/posts/", **{"X-Filler": "x" * 9000})

    assert too_long.status == 414
    assert_error_format(too_long, "uri_too_long")
    assert header_too_large.status == 431
    assert_error_format(header_too_large, "request_header_fields_too_large")
