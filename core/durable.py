"""Durable work: rows that a worker must finish, whatever dies on the way.

A kind of durable work is a model that inherits `DurableWork`, and one `register()` call in its
app's `ready()`:

    class EmailDelivery(DurableWork): ...
    durable.register(EmailDelivery, job="accounts.jobs.send_email", queue="email",
                     settings_prefix="EMAIL")

The service that needs the work writes the row (pending) in its own transaction and calls
`enqueue_on_commit(row)`. The job, given the row's id, calls `run(Model, id, work)`, which

1. claims the row in a committed transaction (processing, `attempts` + 1, `claimed_at`), or
   skips it when it is finished or claimed by a live worker;
2. calls `work(row)` while a heartbeat moves `claimed_at` forward every CLAIM_HEARTBEAT seconds;
3. marks the row done; or failed with the reason, for a permanent failure; or pending again
   after a back-off (<PREFIX>_RETRY_INTERVALS) for a transient one, until <PREFIX>_MAX_ATTEMPTS.

The minute sweep (core.sweep) hands out again what was left behind: rows pending past their
time with no job alive in Redis (Redis was down), and claims whose heartbeat stopped for
CLAIM_TIMEOUT seconds (the worker died). Job ids are `<model>-<id>-<attempts>`, so a row is
never queued twice for the same attempt.

The database going away for a moment (a restart, a fail-over) fails no work: `run` waits for it,
up to DURABLE_DATABASE_WAIT seconds, before it claims a row and before it records how the work
went. Giving up on recording a result would hand out work already done (an email sent twice).
For the same reason the sweep judges no claim dead within CLAIM_TIMEOUT of a worker missing the
database (a Redis key every host sees): heartbeats could not beat meanwhile.
"""

from __future__ import annotations

import contextlib
import functools
import logging
import smtplib
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, TypeVar

import django_rq
from django.conf import settings
from django.db import DatabaseError, InterfaceError, OperationalError, models, transaction
from django.db.models import Q
from django.utils import timezone
from redis.exceptions import RedisError
from rq.exceptions import NoSuchJobError
from rq.job import Job, JobStatus

from core import sweep
from core.heartbeat import RowHeartbeat

logger = logging.getLogger(__name__)

_JOB_ALIVE = {JobStatus.QUEUED, JobStatus.SCHEDULED, JobStatus.STARTED, JobStatus.DEFERRED}
DATABASE_MISSED_KEY = "friends:database-missed"
STOPPED_WORKER_REASON = "The worker doing it stopped before it finished."


class PermanentFailure(Exception):
    """The work can never succeed (a bad image, a refused address); the message is the reason
    kept on the row, shown to the person where the row is theirs."""


class DurableWork(models.Model):
    """Fields of a row of durable work. A subclass may name its states in its own words by
    redefining `Status` (and `status`) with the same four members: PENDING, PROCESSING, DONE
    and FAILED; the mechanism only uses those names."""

    class Status(models.TextChoices):
        PENDING = "pending", "Pending"
        PROCESSING = "processing", "Processing"
        DONE = "done", "Done"
        FAILED = "failed", "Failed"

    status = models.CharField(max_length=16, choices=Status.choices, default=Status.PENDING)
    attempts = models.PositiveSmallIntegerField(default=0)
    # When pending work is due: now for new rows, later for a retry after a back-off.
    next_attempt_at = models.DateTimeField(default=timezone.now)
    # The worker's claim, moved forward by its heartbeat while it works.
    claimed_at = models.DateTimeField(null=True, blank=True)
    last_error = models.TextField(blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        abstract = True
        indexes = [
            models.Index(fields=["status", "next_attempt_at"], name="%(app_label)s_%(class)s_due")
        ]


@dataclass(frozen=True)
class Kind:
    """A registered kind of durable work; its limits are read from settings on every use, so
    that settings can change (tests, deployments) without registering again."""

    model: type[DurableWork]
    job: str
    queue: str
    settings_prefix: str
    # The reason kept when the attempts run out on transient errors ("" keeps the last error).
    gave_up_reason: str = ""
    # Done rows older than this are deleted by the sweep (None: kept, e.g. as a history).
    forget_done_after_days: int | None = None

    @property
    def max_attempts(self) -> int:
        return getattr(settings, f"{self.settings_prefix}_MAX_ATTEMPTS")

    @property
    def retry_intervals(self) -> list[int]:
        return list(getattr(settings, f"{self.settings_prefix}_RETRY_INTERVALS")) or [0]

    @property
    def job_timeout(self) -> int:
        return getattr(settings, f"{self.settings_prefix}_JOB_TIMEOUT")

    def job_id(self, pk: int, attempt: int) -> str:
        return f"{self.model._meta.model_name}-{pk}-{attempt}"


_KINDS: dict[type[DurableWork], Kind] = {}


def register(model: type[DurableWork], **options: Any) -> Kind:
    """Make `model` a kind of durable work: its job, queue and settings prefix; the sweep
    hands out its rows left behind."""
    kind = Kind(model=model, **options)
    _KINDS[model] = kind
    sweep.register(f"{model._meta.label}: work left behind", lambda: requeue_stale(model))
    return kind


def kind_of(model: type[DurableWork]) -> Kind:
    return _KINDS[model]


def kinds() -> list[Kind]:
    """Every registered kind (the metrics count their rows by status)."""
    return list(_KINDS.values())


# --- Enqueueing -------------------------------------------------------------------------------


def enqueue_on_commit(row: DurableWork) -> None:
    """Queue the row's job once the current transaction commits (Redis down: the sweep will)."""
    model, pk = type(row), row.pk
    transaction.on_commit(lambda: enqueue(model, pk, attempt=0), robust=True)


def enqueue(model: type[DurableWork], pk: int, *, attempt: int, at: datetime | None = None) -> bool:
    """Put the job of row `pk` on its queue, now or `at` (a retry); False when Redis is down,
    which leaves the row pending for the sweep."""
    kind = kind_of(model)
    options = {
        "job_id": kind.job_id(pk, attempt),
        "job_timeout": kind.job_timeout,
        "result_ttl": 3600,
        "failure_ttl": 7 * 24 * 3600,
    }
    try:
        # "auto": enqueue now. Callers already run after commit, and the sweep must see a Redis
        # error at once (django-rq's default would defer the call to a commit hook).
        queue = django_rq.get_queue(kind.queue, commit_mode="auto")
        if at is not None and at > timezone.now():
            queue.enqueue_at(at, kind.job, pk, **options)
        else:
            queue.enqueue(kind.job, pk, **options)
    except (RedisError, OSError):
        logger.warning("Could not queue %s %s; the sweep will", model._meta.label, pk)
        return False
    return True


def job_alive(model: type[DurableWork], pk: int, attempt: int) -> bool:
    """True while the job for this row and attempt is queued, scheduled or running."""
    kind = kind_of(model)
    connection = django_rq.get_connection(kind.queue)
    try:
        job = Job.fetch(kind.job_id(pk, attempt), connection=connection)
    except NoSuchJobError:
        return False
    return job.get_status() in _JOB_ALIVE


def restart(row: DurableWork) -> None:
    """Do the work of a row again from the start (admin); its job is queued after commit."""
    model = type(row)
    with transaction.atomic():
        model.objects.filter(pk=row.pk).update(
            status=model.Status.PENDING,
            attempts=0,
            claimed_at=None,
            last_error="",
            finished_at=None,
            next_attempt_at=timezone.now(),
        )
        enqueue_on_commit(row)


# --- Running ----------------------------------------------------------------------------------


@dataclass
class Attempt:
    """What `run` did: "done", "skipped" (finished, or claimed by a live worker), "retrying",
    "failed", or "lost" (the row was finished or deleted by someone else meanwhile)."""

    outcome: str
    row: DurableWork | None = None
    result: dict | None = None


def run(
    model: type[DurableWork],
    pk: int,
    work: Callable[[Any], dict | None],
    *,
    on_done: Callable[[Any], None] | None = None,
    on_failed: Callable[[Any], None] | None = None,
) -> Attempt:
    """Claim row `pk`, call `work(row)` under a heartbeat, and record how it went.

    `work` returns the fields to save with the "done" status (or None); `on_done(row)` runs in
    the transaction that marks it done, `on_failed(row)` (its reason in `last_error`) in the
    one that marks it failed for good. Failures are classified once, here: PermanentFailure
    and 5xx mail replies fail the row with the reason; anything else is retried with back-off.
    """
    kind = kind_of(model)
    row = _when_the_database_answers(lambda: _claim(kind, pk, on_failed))
    if row is None:
        return Attempt("skipped")
    claimed = model.objects.filter(pk=pk, status=model.Status.PROCESSING)
    heartbeat = RowHeartbeat(
        claimed,
        field="claimed_at",
        stamp=row.claimed_at,
        interval=settings.CLAIM_HEARTBEAT,
        on_miss=database_missed,
    )
    try:
        with heartbeat:
            result = work(row) or {}
    except Exception as error:
        claim = claimed.filter(claimed_at=heartbeat.stamp)
        outcome = _when_the_database_answers(
            functools.partial(_attempt_failed, kind, row, claim, error, on_failed)
        )
        return Attempt(outcome, row)
    fields = {
        "status": model.Status.DONE,
        "finished_at": timezone.now(),
        "claimed_at": None,
        "last_error": "",
        **result,
    }

    def finish() -> int:
        with transaction.atomic():
            # Not conditional on our claim: work that is done is done, even if the sweep thought
            # this worker dead meanwhile (a second worker's result is then the same, and dropped).
            finished = (
                model.objects.filter(pk=pk)
                .exclude(status__in=[model.Status.DONE, model.Status.FAILED])
                .update(**fields)
            )
            if finished:
                for name, value in fields.items():
                    setattr(row, name, value)
                if on_done is not None:
                    on_done(row)
        return finished

    finished = _when_the_database_answers(finish)
    if not finished:
        logger.warning("%s %s was finished or deleted while this worker worked", model.__name__, pk)
        return Attempt("lost", row, result)
    return Attempt("done", row, result)


_Result = TypeVar("_Result")


def _when_the_database_answers(action: Callable[[], _Result]) -> _Result:
    """`action()`, tried again while the database does not answer, for up to
    DURABLE_DATABASE_WAIT seconds; `action` must be a transaction of its own (or a single
    statement), so that a try cut short left nothing behind."""
    deadline = time.monotonic() + settings.DURABLE_DATABASE_WAIT
    pause = 0.5
    while True:
        try:
            return action()
        except (OperationalError, InterfaceError) as error:
            if time.monotonic() + pause > deadline:
                raise
            logger.warning("The database does not answer (%s); again in %.1f s", error, pause)
            database_missed()
        connection = transaction.get_connection()
        if not connection.in_atomic_block:
            with contextlib.suppress(DatabaseError):
                connection.close()  # the next try connects anew
        time.sleep(pause)
        pause = min(pause * 2, 5.0)


def database_missed() -> None:
    """Note, for CLAIM_TIMEOUT seconds, that a worker could not reach the database: the sweep of
    every host then leaves claims alone, their heartbeats having been unable to beat."""
    # Redis down too: claims are judged by their age alone.
    with contextlib.suppress(RedisError, OSError):
        django_rq.get_connection("default").set(
            DATABASE_MISSED_KEY, "1", ex=max(1, round(settings.CLAIM_TIMEOUT))
        )


def _database_missed_lately() -> bool:
    try:
        return bool(django_rq.get_connection("default").exists(DATABASE_MISSED_KEY))
    except (RedisError, OSError):
        return False


def _claim(kind: Kind, pk: int, on_failed: Callable | None = None) -> DurableWork | None:
    """Mark the row processing by this worker (committed), or None when it must not run."""
    model = kind.model
    now = timezone.now()
    with transaction.atomic():
        row = model.objects.select_for_update().filter(pk=pk).first()
        if row is None or row.status in (model.Status.DONE, model.Status.FAILED):
            return None
        live_since = now - timedelta(seconds=settings.CLAIM_TIMEOUT)
        if row.status == model.Status.PROCESSING and row.claimed_at and row.claimed_at > live_since:
            return None  # another worker is on it right now
        if row.attempts >= kind.max_attempts:
            row.status, row.finished_at = model.Status.FAILED, now
            row.last_error = kind.gave_up_reason or row.last_error or "Gave up."
            row.save(update_fields=["status", "finished_at", "last_error"])
            if on_failed is not None:
                on_failed(row)
            return None
        row.status, row.claimed_at, row.attempts = model.Status.PROCESSING, now, row.attempts + 1
        row.save(update_fields=["status", "claimed_at", "attempts"])
    return row


def _attempt_failed(
    kind: Kind, row: DurableWork, claim, error: Exception, on_failed: Callable | None = None
) -> str:
    """Record a failed attempt: failed for good, or pending again after a back-off."""
    model = kind.model
    permanent = is_permanent(error)
    reason = str(error) if isinstance(error, PermanentFailure) else _describe(error)
    if permanent:
        logger.warning("%s %s failed for good: %s", model.__name__, row.pk, reason)
    elif is_transient(error):
        logger.warning("%s %s attempt %s failed: %s", model.__name__, row.pk, row.attempts, reason)
    else:  # not a known hiccup: a bug, most likely; retried all the same
        logger.error(
            "%s %s attempt %s failed", model.__name__, row.pk, row.attempts, exc_info=error
        )
    now = timezone.now()
    if permanent or row.attempts >= kind.max_attempts:
        if not permanent and kind.gave_up_reason:
            reason = kind.gave_up_reason
        fields = {
            "status": model.Status.FAILED,
            "finished_at": now,
            "claimed_at": None,
            "last_error": reason[:2000],
        }
        with transaction.atomic():
            if claim.update(**fields) and on_failed is not None:
                for name, value in fields.items():
                    setattr(row, name, value)
                on_failed(row)
        return "failed"
    intervals = kind.retry_intervals
    due = now + timedelta(seconds=intervals[min(row.attempts, len(intervals)) - 1])
    if claim.update(
        status=model.Status.PENDING, claimed_at=None, next_attempt_at=due, last_error=reason[:2000]
    ):
        enqueue(model, row.pk, attempt=row.attempts, at=due)
    return "retrying"


# --- Failures, classified once ----------------------------------------------------------------


def is_permanent(error: Exception) -> bool:
    """A failure that no retry can fix: PermanentFailure, or a mail server's 5xx reply (to the
    recipients, the sender or the message) other than its refusal of our credentials."""
    if isinstance(error, PermanentFailure):
        return True
    if isinstance(error, smtplib.SMTPRecipientsRefused):
        codes = [code for code, _message in error.recipients.values()]
        return bool(codes) and all(500 <= code < 600 for code in codes)
    if isinstance(error, smtplib.SMTPAuthenticationError):
        return False  # the operator's settings, not the message: retried until they are fixed
    if isinstance(error, smtplib.SMTPResponseException):
        return 500 <= error.smtp_code < 600
    return False


def is_transient(error: Exception) -> bool:
    """A known hiccup: a 4xx mail reply, the network, the database, Redis or object storage."""
    if is_permanent(error):
        return False
    if isinstance(error, smtplib.SMTPException | OSError | DatabaseError | RedisError):
        return True
    # S3 and its kin (botocore): matched by module, so that core needs no boto3.
    return type(error).__module__.split(".")[0] in ("botocore", "boto3", "s3transfer")


def _describe(error: Exception) -> str:
    if isinstance(error, smtplib.SMTPRecipientsRefused):
        replies = "; ".join(
            f"{code} {message.decode(errors='replace') if isinstance(message, bytes) else message}"
            for code, message in error.recipients.values()
        )
        return f"The mail server refused the recipient: {replies}"
    return f"{type(error).__name__}: {error}"


# --- The sweep's part -------------------------------------------------------------------------


def requeue_stale(model: type[DurableWork]) -> int:
    """Queue rows left pending past their time with no job alive, and free the claims of dead
    workers; forget old done rows. Returns how many jobs were queued."""
    kind = kind_of(model)
    now = timezone.now()
    dead_claims = Q(
        status=model.Status.PROCESSING,
        claimed_at__lt=now - timedelta(seconds=settings.CLAIM_TIMEOUT),
    )
    if _database_missed_lately():
        dead_claims = Q(pk__in=[])  # silent heartbeats may be live workers back from the wait
    # Younger pending rows are left to the job queued after their commit.
    overdue = Q(
        status=model.Status.PENDING,
        next_attempt_at__lte=now - timedelta(seconds=settings.SWEEP_GRACE),
    )
    rows = (
        model.objects.filter(dead_claims | overdue)
        .order_by("pk")
        .values_list("pk", "status", "claimed_at", "attempts")[:1000]
    )
    queued = 0
    for pk, status, claimed_at, attempts in rows:
        if status == model.Status.PROCESSING:
            freed = model.objects.filter(pk=pk, status=status, claimed_at=claimed_at).update(
                status=model.Status.PENDING,
                claimed_at=None,
                next_attempt_at=now,
                last_error=STOPPED_WORKER_REASON,
            )
            if not freed:
                continue
        else:
            try:
                if job_alive(model, pk, attempts):
                    continue  # a backlog, not a loss
            except RedisError:
                logger.warning("Redis is down: the sweep of %s stops here", model.__name__)
                break
        if not enqueue(model, pk, attempt=attempts):
            break
        queued += 1
    if kind.forget_done_after_days is not None:
        model.objects.filter(
            status=model.Status.DONE,
            finished_at__lt=now - timedelta(days=kind.forget_done_after_days),
        ).delete()
    return queued
