"""The worker lives through Redis going away (a restart, a fail-over): RQ's own worker quits on a
Redis error anywhere but in its dequeue. (`make faults` kills and restarts a real Redis.)"""

import redis
from redis.backoff import NoBackoff
from redis.retry import Retry
from rq import Queue

from friends_site.embedded_redis import free_port
from friends_site.worker import Worker


def test_the_worker_carries_on_while_redis_does_not_answer(redis_connection):
    worker = Worker([Queue("default", connection=redis_connection)], connection=redis_connection)
    worker.register_birth()
    # Then Redis goes away.
    gone = redis.Redis(port=free_port(), retry=Retry(NoBackoff(), 0))
    worker.connection = gone
    worker.queues = [Queue("default", connection=gone)]

    # Each of these raises ConnectionError in RQ's worker, which then quits.
    worker.heartbeat()
    worker.set_state("idle")
    worker.check_for_suspension(False)
    worker.run_maintenance_tasks()

    assert worker.get_state() == "idle"
