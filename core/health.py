"""Probes for load balancers and orchestrators: `/healthz` and `/readyz` (docs/OPERATIONS.md).

`/healthz` says the process answers and touches nothing else: a load balancer that restarts
what fails it must not restart every web server because the database is down. `/readyz` checks
what a request needs (the database, Redis, both storages, the queues' backlog) with
django-health-check, concurrently and each within READY_CHECK_TIMEOUT, and answers 200 or 503
with what is down and why in a few words, never a traceback.

ProbeMiddleware answers these paths (and `/metrics`) before the rest of the middleware runs:
nothing there may load a session, a user or a language from the database, set a cookie, or
refuse the load balancer's Host header (ALLOWED_HOSTS holds the site's names, not the
addresses that probes use).
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import datetime
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor

from asgiref.sync import async_to_sync, iscoroutinefunction
from django.conf import settings
from django.http import JsonResponse
from django.urls import resolve
from django.views.decorators.cache import never_cache
from health_check.base import HealthCheck
from health_check.checks import Database, Storage
from health_check.contrib.redis import Redis
from health_check.exceptions import HealthCheckException, ServiceUnavailable
from health_check.views import HealthCheckView
from redis.asyncio import Redis as AsyncRedis
from redis.asyncio.retry import Retry
from redis.backoff import NoBackoff
from redis.exceptions import RedisError

from core.queues import PROBE_TIMEOUT_SECONDS, queue_figures

PROBE_PATHS = frozenset({"/healthz", "/readyz", "/metrics"})


class ProbeMiddleware:
    """Early in MIDDLEWARE (after SecurityMiddleware, whose HTTPS redirect skips these paths:
    SECURE_REDIRECT_EXEMPT): calls the view of a probe's URL directly."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if request.path_info not in PROBE_PATHS:
            return self.get_response(request)
        request.is_probe = True  # core.request_id: no access line when it answers well
        match = resolve(request.path_info)
        view = match.func
        if iscoroutinefunction(view):
            view = async_to_sync(view)
        return view(request, *match.args, **match.kwargs)


@never_cache
def healthz(request):
    """The process is alive: nothing else is asked."""
    return JsonResponse({"status": "ok"})


@dataclasses.dataclass
class StorageCheck(Storage):
    """django-health-check's write, read and delete of a small file, with S3's errors (botocore)
    and the disk's (OSError) said in a few words like its own."""

    def run(self):
        try:
            super().run()
        except HealthCheckException:
            raise
        except Exception as error:
            raise ServiceUnavailable(f"{type(error).__name__}: {str(error)[:200]}") from error


@dataclasses.dataclass
class QueueBacklog(HealthCheck):
    """Every queue holds at most `max_queued` waiting jobs and `max_failed` failed ones (0: no
    limit). Waiting work piling up means too few workers, or none."""

    max_queued: int = 0
    max_failed: int = 0

    def run(self):
        try:
            figures = queue_figures()
        except (RedisError, OSError) as error:
            raise ServiceUnavailable("Redis does not answer") from error
        problems = []
        for queue in figures:
            if self.max_queued and queue.queued > self.max_queued:
                problems.append(f"{queue.name}: {queue.queued} waiting (limit {self.max_queued})")
            if self.max_failed and queue.failed > self.max_failed:
                problems.append(f"{queue.name}: {queue.failed} failed (limit {self.max_failed})")
        if problems:
            raise ServiceUnavailable("; ".join(problems))


def _redis_client() -> AsyncRedis:
    return AsyncRedis.from_url(
        settings.REDIS_URL,
        socket_timeout=PROBE_TIMEOUT_SECONDS,
        socket_connect_timeout=PROBE_TIMEOUT_SECONDS,
        retry=Retry(NoBackoff(), 0),
    )


def readiness_checks() -> dict[str, HealthCheck]:
    """What /readyz asks, by the name its answer gives each."""
    checks: dict[str, HealthCheck] = {
        "database": Database(),
        "redis": Redis(client_factory=_redis_client),
        "storage": StorageCheck(alias="default"),
        "private_storage": StorageCheck(alias="private"),
        "queues": QueueBacklog(
            max_queued=settings.READY_MAX_QUEUE_LENGTH, max_failed=settings.READY_MAX_FAILED_JOBS
        ),
    }
    for check in checks.values():
        # django-health-check waits a second more than this for a check's own error.
        check.timeout = datetime.timedelta(seconds=settings.READY_CHECK_TIMEOUT)
    return checks


@contextlib.contextmanager
def _threads_not_waited_for() -> Iterator[ThreadPoolExecutor]:
    """Threads for the checks that block. A check past its time is abandoned, not waited for
    (the loop's default executor is joined when the loop ends, which would hold the answer
    until a hung connection gives up); it ends with its own timeout."""
    executor = ThreadPoolExecutor(max_workers=8, thread_name_prefix="readyz")
    try:
        yield executor
    finally:
        executor.shutdown(wait=False, cancel_futures=True)


class ReadinessView(HealthCheckView):
    """/readyz: 200 when every check passes, else 503; JSON either way."""

    async def get(self, request, *args, **kwargs):
        checks = readiness_checks()
        with _threads_not_waited_for() as executor:
            results = await asyncio.gather(
                *(check.get_result(executor) for check in checks.values())
            )
        answers = {}
        for name, result in zip(checks, results, strict=True):
            answers[name] = {"ok": result.error is None}
            if result.error is not None:
                answers[name]["error"] = str(result.error)
        ready = all(answer["ok"] for answer in answers.values())
        return JsonResponse(
            {"status": "ok" if ready else "unavailable", "checks": answers},
            status=200 if ready else 503,
        )


readyz = ReadinessView.as_view()
