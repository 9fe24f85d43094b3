"""The RQ worker class of Friends: an ordinary worker that also runs the sweeper every minute.

Nothing is lost when Redis or a worker dies because the database keeps the pending work (an
`EmailDelivery`, a `Media` row) and `sweep_pending_work` re-enqueues what was left behind.
Every worker schedules the sweep from its maintenance loop; a short Redis lock makes one sweep
a minute run however many workers and hosts there are.
"""

from __future__ import annotations

import logging

import django_rq
from django.conf import settings
from rq.worker import Worker as RQWorker

from friends_site.startup import require_secret_key

logger = logging.getLogger(__name__)

SWEEP_INTERVAL_SECONDS = 60
SWEEP_LOCK_KEY = "friends:sweep-lock"


def sweep_pending_work() -> dict[str, int]:
    """Re-enqueue work the database says is pending but no queue holds (job)."""
    from accounts.services import email_deliveries_requeue_stale
    from posts.services.media import media_requeue_stale

    counts = {"email_deliveries": email_deliveries_requeue_stale()}
    # Media left pending (Redis down) or processing past any job's time (worker killed).
    counts["media"] = media_requeue_stale()
    logger.info("Sweep re-enqueued %s", counts)
    return counts


def schedule_sweep(connection) -> bool:
    """Enqueue one sweep unless another worker did in the last interval. True if enqueued."""
    if not connection.set(SWEEP_LOCK_KEY, "1", nx=True, ex=SWEEP_INTERVAL_SECONDS - 5):
        return False
    django_rq.get_queue("default").enqueue(sweep_pending_work, result_ttl=600, failure_ttl=3600)
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
        if getattr(settings, "SWEEP_ENABLED", True):
            try:
                schedule_sweep(self.connection)
            except Exception:  # the worker must keep serving jobs whatever the sweep does
                logger.exception("Could not schedule the sweep")
