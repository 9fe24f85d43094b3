"""The request id: one short name for everything a request caused, in every log line.

RequestIdMiddleware takes a sane `X-Request-ID` from the client or the proxy in front (so one id
follows a request through the load balancer, nginx and Django) or makes one, and answers it in
the same header. While the request runs, the id is in a context variable: RequestIdFilter puts
it on every log record, and RequestIdQueue (settings.RQ["QUEUE_CLASS"]) into the meta of every
job queued meanwhile, whichever way it is queued (durable work, retries, the sweep); the worker
(friends_site/worker.py) sets it again while it runs the job, so the job's lines carry it too.
"""

from __future__ import annotations

import logging
import re
import time
import uuid
from contextvars import ContextVar, Token

from django.utils.functional import empty
from django_rq.queues import DjangoRQ

HEADER = "X-Request-ID"
META_KEY = "request_id"
# What a client may choose: short, and nothing that could forge a log line or a header.
VALID = re.compile(r"[A-Za-z0-9._-]{1,64}")

_current: ContextVar[str | None] = ContextVar("request_id", default=None)
access_logger = logging.getLogger("friends.access")


def current() -> str | None:
    """The id of the request (or job) this code runs for, if any."""
    return _current.get()


def bind(value: str | None) -> Token:
    """Make `value` the current id until `unbind(token)`."""
    return _current.set(value)


def unbind(token: Token) -> None:
    _current.reset(token)


def from_header(value: str | None) -> str:
    """The client's id when it is sane, else a new one."""
    if value and VALID.fullmatch(value):
        return value
    return uuid.uuid4().hex


class RequestIdMiddleware:
    """First in MIDDLEWARE (after the metrics' own): the id, the header, one access line."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        request_id = from_header(request.headers.get(HEADER))
        request.request_id = request_id
        token = bind(request_id)
        started = time.perf_counter()
        try:
            response = self.get_response(request)
            response[HEADER] = request_id
            self._log(request, response.status_code, started)
            return response
        finally:
            unbind(token)

    def _log(self, request, status: int, started: float) -> None:
        # Load balancers and Prometheus ask every few seconds: only their failures are logged.
        if status < 400 and getattr(request, "is_probe", False):
            return
        duration_ms = round((time.perf_counter() - started) * 1000, 1)
        user_id = _known_user_id(request)
        level = logging.ERROR if status >= 500 else logging.INFO
        # The path without its query string: queries may hold what logs must not (a token).
        access_logger.log(
            level,
            "%s %s %s %sms user=%s",
            request.method,
            request.path,
            status,
            duration_ms,
            user_id if user_id is not None else "-",
            extra={
                "method": request.method,
                "path": request.path,
                "status": status,
                "duration_ms": duration_ms,
                "user_id": user_id,
            },
        )


def _known_user_id(request) -> int | None:
    """The user's id when the request already loaded them: never a query of its own."""
    user = request.__dict__.get("user")
    if user is None:
        return None
    wrapped = getattr(user, "_wrapped", user)  # AuthenticationMiddleware's lazy object
    if wrapped is None or wrapped is empty:  # not loaded by anything: left so
        return None
    return getattr(wrapped, "pk", None)


class RequestIdFilter(logging.Filter):
    """On a handler (settings.LOGGING): the current id on the record, when there is one."""

    def filter(self, record: logging.LogRecord) -> bool:
        request_id = _current.get()
        if request_id is not None and not hasattr(record, META_KEY):
            record.request_id = request_id
        return True


class RequestIdQueue(DjangoRQ):
    """django-rq's queue, which writes the current id into the meta of every job it creates
    (enqueue, enqueue_at and enqueue_in all create their job here)."""

    def create_job(self, *args, meta: dict | None = None, **kwargs):
        request_id = _current.get()
        if request_id is not None:
            meta = {META_KEY: request_id, **(meta or {})}
        return super().create_job(*args, meta=meta, **kwargs)
