"""The RQ worker class of Friends: an ordinary worker that also schedules the minute sweep.

Nothing is lost when Redis or a worker dies because the database keeps the pending work
(durable work rows: core.durable) and the sweep (core.sweep) hands out what was left behind.
Every worker schedules the sweep from its maintenance loop; a short Redis lock makes one sweep
a minute run however many workers and hosts there are.
"""

from __future__ import annotations

import logging

import django_rq
from rq.worker import Worker as RQWorker

from core.sweep import run_sweep
from friends_site.startup import require_secret_key

logger = logging.getLogger(__name__)

SWEEP_INTERVAL_SECONDS = 60
SWEEP_LOCK_KEY = "friends:sweep-lock"


def schedule_sweep(connection) -> bool:
    """Enqueue one sweep unless another worker did in the last interval. True if enqueued."""
    if not connection.set(SWEEP_LOCK_KEY, "1", nx=True, ex=SWEEP_INTERVAL_SECONDS - 5):
        return False
    django_rq.get_queue("default").enqueue(run_sweep, result_ttl=600, failure_ttl=3600)
    return True


class Worker(RQWorker):
    """Wakes up at least every 30 s so the minute sweep runs even on an idle queue."""

    def __init__(self, *args, **kwargs):
        require_secret_key()  # jobs sign password-reset links
        kwargs.setdefault("maintenance_interval", SWEEP_INTERVAL_SECONDS)
        super().__init__(*args, **kwargs)

    @property
    def dequeue_timeout(self) -> int:
        return min(super().dequeue_timeout, 30)

    def run_maintenance_tasks(self) -> None:
        super().run_maintenance_tasks()
        try:
            schedule_sweep(self.connection)
        except Exception:  # the worker must keep serving jobs whatever the sweep does
            logger.exception("Could not schedule the sweep")
