"""Fixtures shared by every test: a private media folder, a clean Redis database, a worker."""

from __future__ import annotations

import django_rq
import pytest
from django.conf import settings as django_settings
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
