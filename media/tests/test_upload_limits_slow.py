"""A 200 MB upload under gunicorn with production settings stops at the per-file limit: the 413
comes back long before the body is sent, and nothing of it stays (make slow)."""

from __future__ import annotations

import contextlib
import http.client
import json
import os
import select
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import django_rq
import pytest
from django.conf import settings
from django.db import connection
from django.test import Client

from accounts.tests.factories import UserFactory
from conftest import _database_url
from friends_site.embedded_redis import free_port
from media.models import Media
from scripts.benchlib import production_env, stop_processes, wait_for_http

pytestmark = [pytest.mark.slow, pytest.mark.django_db(transaction=True)]

MB = 1024 * 1024
BODY_FILE_BYTES = 200 * MB
CHUNK = 256 * 1024
CSRF_SECRET = "s" * 32  # a CSRF cookie of the right shape; the header repeats it


@pytest.fixture
def upload_temp_dir(tmp_path) -> Path:
    folder = tmp_path / "uploads"
    folder.mkdir()
    return folder


@pytest.fixture
def server(upload_temp_dir):
    """gunicorn (one sync worker, production settings over plain HTTP) on the test database and
    Redis, streaming uploads to `upload_temp_dir`; yields its port."""
    port = free_port()
    env = production_env(
        DATABASE_URL=_database_url(connection.settings_dict),
        REDIS_URL=settings.REDIS_URL,
        MEDIA_ROOT=str(settings.MEDIA_ROOT),
        FILE_UPLOAD_TEMP_DIR=str(upload_temp_dir),
    )
    process = subprocess.Popen(
        [
            sys.executable, "-m", "gunicorn", "friends_site.wsgi:application",
            "--bind", f"127.0.0.1:{port}", "--workers", "1", "--log-level", "warning",
        ],
        cwd=settings.BASE_DIR,
        env=env,
        start_new_session=True,
    )  # fmt: skip
    try:
        wait_for_http(port, timeout=30)
        yield port
    finally:
        stop_processes([process], timeout=15)
        # A worker still busy when its master was killed would go on alone.
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGKILL)


def send_huge_upload(port: int, session_key: str) -> tuple[int, bytes, float]:
    """POST api/v1/media/ with a 200 MB file, sent in chunks until an answer arrives (or the
    server closes). Returns the bytes sent by then, the answer, and the seconds it took."""
    boundary = "----upload-limit-test"
    head = (
        f"--{boundary}\r\n"
        'Content-Disposition: form-data; name="file"; filename="huge.jpg"\r\n'
        "Content-Type: image/jpeg\r\n\r\n"
    ).encode()
    tail = f"\r\n--{boundary}--\r\n".encode()
    length = len(head) + BODY_FILE_BYTES + len(tail)
    request = (
        "POST /api/v1/media/ HTTP/1.1\r\n"
        f"Host: 127.0.0.1:{port}\r\n"
        f"Content-Type: multipart/form-data; boundary={boundary}\r\n"
        f"Content-Length: {length}\r\n"
        f"Cookie: sessionid={session_key}; csrftoken={CSRF_SECRET}\r\n"
        f"X-CSRFToken: {CSRF_SECRET}\r\n"
        "\r\n"
    ).encode()
    chunk = b"\xff\xd8\xff" + b"\x00" * (CHUNK - 3)
    sent = 0
    started = time.monotonic()
    with socket.create_connection(("127.0.0.1", port), timeout=20) as client:
        client.sendall(request + head)
        try:
            while sent < BODY_FILE_BYTES:
                readable, _, _ = select.select([client], [], [], 0)
                if readable:
                    break  # the answer (or the close) came first
                client.sendall(chunk[: BODY_FILE_BYTES - sent])
                sent += min(CHUNK, BODY_FILE_BYTES - sent)
            else:
                client.sendall(tail)
        except (BrokenPipeError, ConnectionResetError):
            pass  # the server closed without reading the rest: what it should do
        answer = b""
        try:
            while data := client.recv(65536):
                answer += data
        except (ConnectionResetError, TimeoutError):
            pass
    return sent, answer, time.monotonic() - started


def test_a_200_mb_upload_is_answered_413_long_before_it_is_sent_and_leaves_nothing(
    server, upload_temp_dir
):
    user = UserFactory()
    browser = Client()
    browser.force_login(user)

    sent, answer, seconds = send_huge_upload(server, browser.cookies["sessionid"].value)

    status_line, _, rest = answer.partition(b"\r\n")
    body = rest.partition(b"\r\n\r\n")[2]
    print(f"\n413 after {sent / MB:.1f} MB of {BODY_FILE_BYTES / MB:.0f} MB sent, {seconds:.2f} s")
    assert status_line == b"HTTP/1.1 413 Request Entity Too Large"
    assert json.loads(body)["code"] == "upload_too_large"
    # The 20 MB limit, a chunk, and what the two sockets' buffers hold.
    assert sent < 60 * MB
    assert list(upload_temp_dir.iterdir()) == []
    assert Media.objects.count() == 0
    assert django_rq.get_queue("media").count == 0
    # The only worker is free again at once.
    limits = http.client.HTTPConnection("127.0.0.1", server, timeout=5)
    limits.request("GET", "/api/v1/limits/")
    assert limits.getresponse().status == 200
