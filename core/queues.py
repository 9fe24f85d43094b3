"""The queues as an operator sees them: how many jobs wait, run, wait for a retry or failed, and
how many workers serve each queue. `/readyz` (core.health) and `/metrics` (core.metrics) read
the same figures.

They are read on a connection of their own with short timeouts (PROBE_TIMEOUT_SECONDS): a probe
must answer quickly that Redis does not, where the queues' own connection would wait.
Registries are counted as they are (no clean-up on the way): a probe writes nothing.
"""

from __future__ import annotations

from dataclasses import dataclass

import redis
from django.conf import settings
from redis.backoff import NoBackoff
from redis.retry import Retry
from rq import Queue, Worker

PROBE_TIMEOUT_SECONDS = 1

_connections: dict[str, redis.Redis] = {}


@dataclass(frozen=True)
class QueueFigures:
    name: str
    queued: int
    started: int
    scheduled: int
    failed: int
    workers: int


def probe_connection(url: str) -> redis.Redis:
    """A Redis client for `url` that gives up after PROBE_TIMEOUT_SECONDS (one pool a URL)."""
    connection = _connections.get(url)
    if connection is None:
        connection = redis.Redis.from_url(
            url,
            socket_timeout=PROBE_TIMEOUT_SECONDS,
            socket_connect_timeout=PROBE_TIMEOUT_SECONDS,
            retry=Retry(NoBackoff(), 0),  # redis-py retries 3 times by default: 4 s, not 1
        )
        _connections[url] = connection
    return connection


def queue_figures() -> list[QueueFigures]:
    """The figures of every queue of settings.RQ_QUEUES; raises RedisError when Redis does not
    answer."""
    figures = []
    for name, config in settings.RQ_QUEUES.items():
        queue = Queue(name, connection=probe_connection(config["URL"]))
        figures.append(
            QueueFigures(
                name=name,
                queued=queue.count,
                started=queue.started_job_registry.get_job_count(cleanup=False),
                scheduled=queue.scheduled_job_registry.get_job_count(cleanup=False),
                failed=queue.failed_job_registry.get_job_count(cleanup=False),
                workers=Worker.count(queue=queue),
            )
        )
    return figures
