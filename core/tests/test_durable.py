"""The durable-work mechanism on its own terms: failures classified once, back-off, giving up,
the sweep's part, forgetting old rows. Kinds used: media.FileDeletion (the simplest one) and
accounts.EmailDelivery (the SMTP replies)."""

import smtplib
from datetime import timedelta

import django_rq
import pytest
from django.db import OperationalError
from django.utils import timezone
from redis.exceptions import ConnectionError as RedisConnectionError
from rq.registry import ScheduledJobRegistry

from core import durable, sweep
from media.models import FileDeletion

pytestmark = pytest.mark.django_db


def refused(code: int) -> smtplib.SMTPRecipientsRefused:
    return smtplib.SMTPRecipientsRefused({"ada@example.com": (code, b"reply")})


@pytest.mark.parametrize(
    ("error", "permanent", "transient"),
    [
        (durable.PermanentFailure("bad image"), True, False),
        (refused(550), True, False),
        (refused(451), False, True),
        (smtplib.SMTPDataError(554, b"rejected"), True, False),
        (smtplib.SMTPDataError(452, b"insufficient storage"), False, True),
        (smtplib.SMTPSenderRefused(450, b"try later", "noreply@example.com"), False, True),
        (smtplib.SMTPAuthenticationError(535, b"bad credentials"), False, True),
        (smtplib.SMTPServerDisconnected("gone"), False, True),
        (ConnectionRefusedError(111, "refused"), False, True),
        (TimeoutError("timed out"), False, True),
        (OperationalError("server closed the connection"), False, True),
        (RedisConnectionError("down"), False, True),
        (ValueError("a bug"), False, False),
    ],
    ids=lambda value: type(value).__name__ if isinstance(value, Exception) else str(value),
)
def test_failures_are_classified_once(error, permanent, transient):
    assert durable.is_permanent(error) is permanent
    assert durable.is_transient(error) is transient


def test_a_greylisted_recipient_among_refused_ones_is_retried():
    error = smtplib.SMTPRecipientsRefused(
        {"a@example.com": (550, b"no"), "b@example.com": (451, b"later")}
    )

    assert durable.is_permanent(error) is False


def deletion(**fields) -> FileDeletion:
    return FileDeletion.objects.create(names={"default": []}, **fields)


def test_work_done_marks_the_row_done_with_the_fields_it_returns():
    row = deletion()

    attempt = durable.run(FileDeletion, row.pk, lambda r: {"names": {"default": ["x"]}})

    row.refresh_from_db()
    assert attempt.outcome == "done"
    assert (row.status, row.attempts, row.names) == ("done", 1, {"default": ["x"]})
    assert row.finished_at is not None
    assert row.claimed_at is None
    assert durable.run(FileDeletion, row.pk, lambda r: None).outcome == "skipped"


def test_a_transient_failure_goes_back_to_pending_with_back_off_and_a_scheduled_job(
    settings, redis_connection
):
    settings.MEDIA_RETRY_INTERVALS = [60, 600]
    row = deletion()

    def storage_hiccup(_row):
        raise OSError("storage hiccup")

    attempt = durable.run(FileDeletion, row.pk, storage_hiccup)

    row.refresh_from_db()
    assert attempt.outcome == "retrying"
    assert (row.status, row.attempts) == ("pending", 1)
    assert row.last_error == "OSError: storage hiccup"
    wait = row.next_attempt_at - timezone.now()
    assert timedelta(seconds=55) < wait <= timedelta(seconds=60)
    scheduled = ScheduledJobRegistry(queue=django_rq.get_queue("media"))
    assert scheduled.get_job_ids() == [f"filedeletion-{row.pk}-1"]
    # Not due yet: the sweep leaves it to its scheduled job.
    settings.SWEEP_GRACE = 0
    assert durable.requeue_stale(FileDeletion) == 0


def test_a_permanent_failure_fails_at_once_with_the_reason(settings, redis_connection):
    row = deletion()

    def refuse(_row):
        raise durable.PermanentFailure("This can never work.")

    assert durable.run(FileDeletion, row.pk, refuse).outcome == "failed"

    row.refresh_from_db()
    assert (row.status, row.attempts, row.last_error) == ("failed", 1, "This can never work.")
    assert django_rq.get_queue("media").count == 0
    assert ScheduledJobRegistry(queue=django_rq.get_queue("media")).count == 0


def test_the_last_transient_failure_gives_up_with_the_kinds_reason(settings):
    settings.MEDIA_MAX_ATTEMPTS = 2
    row = deletion(attempts=1)

    def hiccup(_row):
        raise OSError("still down")

    assert durable.run(FileDeletion, row.pk, hiccup).outcome == "failed"

    row.refresh_from_db()
    assert (row.status, row.attempts) == ("failed", 2)
    assert row.last_error == "OSError: still down"  # FileDeletion keeps the last error


def test_on_failed_runs_once_with_the_reason_whichever_way_a_row_fails_for_good(settings):
    settings.MEDIA_MAX_ATTEMPTS = 2
    told = []

    def tell(row):
        told.append((row.pk, row.status, row.last_error))

    def refuse(_row):
        raise durable.PermanentFailure("Never.")

    def hiccup(_row):
        raise OSError("down")

    refused, last_try, out_of_tries = deletion(), deletion(attempts=1), deletion(attempts=2)
    retried = deletion()
    assert durable.run(FileDeletion, refused.pk, refuse, on_failed=tell).outcome == "failed"
    assert durable.run(FileDeletion, last_try.pk, hiccup, on_failed=tell).outcome == "failed"
    assert durable.run(FileDeletion, out_of_tries.pk, hiccup, on_failed=tell).outcome == "skipped"
    assert durable.run(FileDeletion, retried.pk, hiccup, on_failed=tell).outcome == "retrying"
    assert durable.run(FileDeletion, refused.pk, refuse, on_failed=tell).outcome == "skipped"

    assert told == [
        (refused.pk, "failed", "Never."),
        (last_try.pk, "failed", "OSError: down"),
        (out_of_tries.pk, "failed", "Gave up."),
    ]


def test_a_failing_on_failed_leaves_the_row_unfinished_for_the_sweep(settings):
    row = deletion()

    def refuse(_row):
        raise durable.PermanentFailure("Never.")

    def broken(_row):
        raise OperationalError("the database went away")

    with pytest.raises(OperationalError):
        durable.run(FileDeletion, row.pk, refuse, on_failed=broken)

    row.refresh_from_db()
    assert row.status == "processing"  # the sweep frees the claim once it is silent


def test_a_row_claimed_by_a_live_worker_is_left_alone_and_a_dead_ones_is_handed_out(
    settings, redis_connection
):
    live = deletion(status="processing", claimed_at=timezone.now(), attempts=1)
    dead = deletion(
        status="processing", claimed_at=timezone.now() - timedelta(seconds=31), attempts=1
    )

    assert durable.run(FileDeletion, live.pk, lambda r: None).outcome == "skipped"
    assert durable.requeue_stale(FileDeletion) == 1

    dead.refresh_from_db()
    assert (dead.status, dead.last_error) == ("pending", durable.STOPPED_WORKER_REASON)
    [job] = django_rq.get_queue("media").jobs
    assert (job.id, job.args) == (f"filedeletion-{dead.pk}-1", (dead.pk,))


def test_a_pending_row_is_queued_once_by_the_sweep_and_not_while_its_job_lives(
    settings, redis_connection
):
    settings.SWEEP_GRACE = 0
    row = deletion()

    assert durable.requeue_stale(FileDeletion) == 1
    assert durable.requeue_stale(FileDeletion) == 0  # its job is queued: a backlog, not a loss
    assert durable.job_alive(FileDeletion, row.pk, 0)
    assert django_rq.get_queue("media").count == 1


def test_done_rows_are_forgotten_after_their_kinds_time(settings):
    old = deletion(status="done", finished_at=timezone.now() - timedelta(days=8))
    recent = deletion(status="done", finished_at=timezone.now() - timedelta(days=6))
    failed = deletion(status="failed", finished_at=timezone.now() - timedelta(days=30))

    durable.requeue_stale(FileDeletion)

    assert set(FileDeletion.objects.values_list("pk", flat=True)) == {recent.pk, failed.pk}
    assert not FileDeletion.objects.filter(pk=old.pk).exists()


def test_the_sweep_runs_every_registered_task_even_when_one_fails(monkeypatch):
    ran = []
    tasks = {
        "first": lambda: ran.append("first") or 1,
        "broken": lambda: 1 / 0,
        "last": lambda: ran.append("last") or 2,
    }
    monkeypatch.setattr(sweep, "_TASKS", tasks)

    counts = sweep.run_sweep()

    assert ran == ["first", "last"]
    assert counts == {"first": 1, "broken": -1, "last": 2}


def test_every_kind_of_durable_work_is_swept():
    names = set(sweep._TASKS)

    assert {
        "accounts.EmailDelivery: work left behind",
        "media.Media: work left behind",
        "media.FileDeletion: work left behind",
        "media: unused and failed uploads deleted",
    } <= names
