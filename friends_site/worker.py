"""The RQ worker class of Friends: an ordinary worker that also schedules the minute sweep.

Nothing is lost when Redis or a worker dies because the database keeps the pending work
(durable work rows: core.durable) and the sweep (core.sweep) hands out what was left behind.
Every worker looks at the sweep from its maintenance loop, several times an interval
(SWEEP_INTERVAL_SECONDS, a minute by default); a Redis lock that lives one interval makes one
sweep an interval run however many workers and hosts there are.

Redis restarting (or failing over) does not end a worker: see RedisTolerantWorker.
"""

from __future__ import annotations

import contextlib
import logging
import os
import time

import django_rq
import redis
from django.conf import settings
from rq.worker import Worker as RQWorker

from core import request_id
from core.sweep import run_sweep
from friends_site.startup import require_secret_key

logger = logging.getLogger(__name__)

SWEEP_LOCK_KEY = "friends:sweep-lock"


def sweep_check_seconds() -> int:
    """How often each worker looks whether the sweep is due: a sixth of the interval, so that
    sweeps come at least one interval and at most a third more apart (60 to 80 s by default)."""
    return max(1, settings.SWEEP_INTERVAL_SECONDS // 6)


def schedule_sweep(connection) -> bool:
    """Enqueue one sweep unless a worker (of any host) did in the last interval. True if it did."""
    interval = settings.SWEEP_INTERVAL_SECONDS
    if not connection.set(SWEEP_LOCK_KEY, "1", nx=True, ex=interval):
        return False
    django_rq.get_queue("default").enqueue(run_sweep, result_ttl=600, failure_ttl=3600)
    return True


# Redis not answering for a moment: refused, cut, or too slow.
_REDIS_AWAY = (redis.exceptions.ConnectionError, redis.exceptions.TimeoutError)


class RedisTolerantWorker(RQWorker):
    """RQ's worker quits on a Redis error anywhere but in its dequeue (which waits for Redis):
    watching a job, its heartbeat, its maintenance. Here those let the error go and the worker
    carries on; the dequeue then waits for Redis as RQ's does. What RQ's bookkeeping misses
    meanwhile does not matter: the database rows of durable work (core.durable) say what is
    done, and the sweep hands out what is not."""

    def execute_job(self, job, queue) -> None:
        try:
            super().execute_job(job, queue)
        except _REDIS_AWAY as error:
            logger.warning("Redis went away while job %s ran: %s", job.id, error)
            if self._horse_pid:  # still at work: wait for it (its own timeout bounds it)
                with contextlib.suppress(ChildProcessError):
                    os.waitpid(self._horse_pid, 0)
                self._horse_pid = 0

    def heartbeat(self, *args, **kwargs) -> None:
        try:
            super().heartbeat(*args, **kwargs)
            if not self.connection.exists(self.key):
                self.register_birth()  # Redis came back empty: be listed among the workers again
        except _REDIS_AWAY as error:
            logger.warning("Worker heartbeat: Redis does not answer: %s", error)

    def set_state(self, state: str, pipeline=None) -> None:
        try:
            super().set_state(state, pipeline)
        except _REDIS_AWAY as error:
            logger.warning("Worker state %s: Redis does not answer: %s", state, error)

    def dequeue_job_and_maintain_ttl(self, timeout, max_idle_time=None):
        while True:
            try:
                return super().dequeue_job_and_maintain_ttl(timeout, max_idle_time)
            except _REDIS_AWAY as error:  # raised outside RQ's own wait for Redis
                logger.warning("Worker dequeue: Redis does not answer: %s", error)
                time.sleep(1)

    def check_for_suspension(self, burst: bool) -> None:
        with contextlib.suppress(*_REDIS_AWAY):
            super().check_for_suspension(burst)

    def run_maintenance_tasks(self) -> None:
        try:
            super().run_maintenance_tasks()
        except _REDIS_AWAY as error:
            logger.warning("Worker maintenance: Redis does not answer: %s", error)


class Worker(RedisTolerantWorker):
    """Wakes up at least every sweep_check_seconds() so the sweep runs even on an idle queue."""

    def __init__(self, *args, **kwargs):
        require_secret_key()  # jobs sign password-reset links
        kwargs.setdefault("maintenance_interval", sweep_check_seconds())
        super().__init__(*args, **kwargs)

    @property
    def dequeue_timeout(self) -> int:
        return min(super().dequeue_timeout, sweep_check_seconds())

    def run_maintenance_tasks(self) -> None:
        super().run_maintenance_tasks()
        try:
            schedule_sweep(self.connection)
        except Exception:  # the worker must keep serving jobs whatever the sweep does
            logger.exception("Could not schedule the sweep")

    def execute_job(self, job, queue) -> None:
        # The id of the request that queued the job (core.request_id), while it runs: on the
        # lines of the work horse (forked with it) and of this process watching it, and on
        # whatever the job queues in turn (a retry).
        token = request_id.bind(job.meta.get(request_id.META_KEY))
        try:
            super().execute_job(job, queue)
        finally:
            request_id.unbind(token)
