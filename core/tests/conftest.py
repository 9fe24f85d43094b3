"""Outages and the log, for the tests of what operators see (health, request ids, metrics)."""

from __future__ import annotations

import io
import json
import logging
import socket

import pytest
from django.db import connection

from friends_site.embedded_redis import free_port


@pytest.fixture
def database_down(transactional_db):
    """The database stops answering: new connections are refused (PostgreSQL: a port nobody
    listens on; SQLite: a file that cannot be opened). Rows made before stay for after."""
    settings_dict = connection.settings_dict
    saved = dict(settings_dict)
    connection.close()
    if connection.vendor == "sqlite":
        settings_dict["NAME"] = "/nonexistent-folder/friends.sqlite3"
    else:
        settings_dict["HOST"], settings_dict["PORT"] = "127.0.0.1", free_port()
    yield
    connection.close()
    settings_dict.clear()
    settings_dict.update(saved)


def _point_redis_at(settings, url: str) -> None:
    settings.REDIS_URL = url
    settings.RQ_QUEUES = {name: {**queue, "URL": url} for name, queue in settings.RQ_QUEUES.items()}


@pytest.fixture
def redis_down(settings):
    """Redis refuses connections (for the code that reads settings.REDIS_URL and RQ_QUEUES)."""
    _point_redis_at(settings, f"redis://127.0.0.1:{free_port()}/0")


@pytest.fixture
def redis_hanging(settings):
    """Redis accepts connections and never answers (a host behind a dropping firewall, a frozen
    server): a socket that listens and never reads."""
    with socket.socket() as hole:
        hole.bind(("127.0.0.1", 0))
        hole.listen(64)
        _point_redis_at(settings, f"redis://127.0.0.1:{hole.getsockname()[1]}/0")
        yield


@pytest.fixture
def log_lines():
    """What the settings' console handler writes meanwhile, as a list of parsed JSON lines
    (call the returned function to read them)."""
    handler = next(h for h in logging.getLogger().handlers if h.name == "console")
    buffer = io.StringIO()
    previous = handler.setStream(buffer)

    def lines() -> list[dict]:
        return [json.loads(line) for line in buffer.getvalue().splitlines() if line.strip()]

    yield lines
    handler.setStream(previous)
