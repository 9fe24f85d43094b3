"""Fixtures shared by every test: a private media folder, a clean Redis database, a worker."""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import time
from urllib.parse import quote

import django_rq
import pytest
from django.conf import settings as django_settings
from django.db import connection
from rq import SimpleWorker


@pytest.fixture(autouse=True)
def _media_storage(settings, tmp_path):
    """Every test writes media under its own temporary folder."""
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {
            "BACKEND": "django.core.files.storage.FileSystemStorage",
            "OPTIONS": {"location": tmp_path / "media" / "public", "base_url": "/media/"},
        },
        "private": {
            "BACKEND": "django.core.files.storage.FileSystemStorage",
            "OPTIONS": {"location": tmp_path / "media" / "private", "base_url": None},
        },
    }


@pytest.fixture(autouse=True)
def redis_connection():
    """The tests' own Redis database (TEST_REDIS_DB), flushed before each test."""
    connection = django_rq.get_connection("default")
    assert connection.connection_pool.connection_kwargs.get("db") == django_settings.TEST_REDIS_DB
    connection.flushdb()
    return connection


@pytest.fixture
def run_worker(redis_connection):
    """Run every queued job in this process (so `mail.outbox` sees the mail), then return."""

    def run(*, with_scheduler: bool = False) -> None:
        queues = [django_rq.get_queue(name) for name in django_settings.RQ_QUEUES]
        SimpleWorker(queues, connection=redis_connection).work(
            burst=True, with_scheduler=with_scheduler
        )

    return run


@pytest.fixture
def worker_process(settings):
    """Start real `manage.py rqworker` processes on the test database and the tests' Redis.

    Tests that use it need `transactional_db` (the worker reads committed rows only).
    `start(*queues, extra_env={...}, burst=False)` returns the Popen; all are killed at the end.
    """
    processes: list[subprocess.Popen] = []

    def start(*queues: str, extra_env: dict | None = None, burst: bool = False):
        env = {
            **os.environ,
            "DJANGO_SETTINGS_MODULE": "friends_site.test_settings",
            "DATABASE_URL": _database_url(connection.settings_dict),
            "REDIS_URL": settings.REDIS_URL,
            "TEST_REDIS_DB": str(settings.TEST_REDIS_DB),
            "MEDIA_ROOT": str(settings.MEDIA_ROOT),
            **(extra_env or {}),
        }
        command = [sys.executable, "manage.py", "rqworker", *(queues or settings.RQ_QUEUES)]
        command += ["--with-scheduler"] + (["--burst"] if burst else [])
        process = subprocess.Popen(
            command, cwd=django_settings.BASE_DIR, env=env, start_new_session=True
        )
        processes.append(process)
        return process

    yield start
    for process in processes:
        # The worker leads its own process group, with its scheduler and job children in it.
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout=10)


def _database_url(database: dict) -> str:
    if database["ENGINE"].endswith("sqlite3"):
        return f"sqlite:///{database['NAME']}"
    credentials = quote(database["USER"] or "")
    if database.get("PASSWORD"):
        credentials += ":" + quote(database["PASSWORD"])
    host = f"{database['HOST'] or '127.0.0.1'}:{database['PORT'] or 5432}"
    return f"postgres://{credentials}@{host}/{database['NAME']}"


def wait_for_a_fresh_window(seconds: int, *, margin: float) -> None:
    """Limits count in fixed windows of `seconds` (core.ratelimit): counts that straddle a
    window's end are split between two windows, and a limit a test reaches is then not reached.
    When the current window ends within `margin` seconds, wait for the next one."""
    left = seconds - time.time() % seconds
    if left < margin:
        time.sleep(left + 0.1)
