"""Durable work when the database goes away for a moment: the job waits for it instead of
failing, a result is never dropped (which would get the work done twice), a heartbeat beats on,
and the sweep judges no claim dead right after. (`make faults` does it for real, with a proxy
cut in front of PostgreSQL.) Kind used: media.FileDeletion."""

import threading
import time

import pytest
from django.db import OperationalError
from django.db.models import QuerySet
from django.utils import timezone

from core import durable
from core.heartbeat import RowHeartbeat
from media.models import FileDeletion

AWAY = "server closed the connection unexpectedly"


def deletion(**fields) -> FileDeletion:
    return FileDeletion.objects.create(names={"default": []}, **fields)


def away_for(calls: int, real):
    """`real`, raising the database's OperationalError on its first `calls` calls."""
    missed = []

    def flaky(*args, **kwargs):
        if len(missed) < calls:
            missed.append(1)
            raise OperationalError(AWAY)
        return real(*args, **kwargs)

    flaky.missed = missed
    return flaky


@pytest.mark.django_db
def test_a_job_that_finds_the_database_away_waits_for_it_then_does_the_work(
    settings, monkeypatch, redis_connection
):
    settings.DURABLE_DATABASE_WAIT = 10
    row = deletion()
    claim = away_for(2, durable._claim)
    monkeypatch.setattr(durable, "_claim", claim)
    runs = []

    attempt = durable.run(FileDeletion, row.pk, lambda r: runs.append(r.pk))

    row.refresh_from_db()
    assert len(claim.missed) == 2
    assert attempt.outcome == "done"
    assert (row.status, row.attempts, runs) == ("done", 1, [row.pk])
    # Meanwhile the sweep of every host was told to leave claims alone.
    assert redis_connection.exists(durable.DATABASE_MISSED_KEY)


@pytest.mark.django_db
def test_work_done_while_the_database_went_away_is_recorded_once_it_is_back(settings, monkeypatch):
    settings.DURABLE_DATABASE_WAIT = 10
    row = deletion()
    real_update = QuerySet.update
    missed = []

    def update(queryset, **fields):
        if fields.get("status") == FileDeletion.Status.DONE and not missed:
            missed.append(1)
            raise OperationalError(AWAY)
        return real_update(queryset, **fields)

    monkeypatch.setattr(QuerySet, "update", update)
    runs = []

    attempt = durable.run(FileDeletion, row.pk, lambda r: runs.append(r.pk))

    row.refresh_from_db()
    assert missed == [1]
    assert attempt.outcome == "done"
    assert (row.status, row.attempts, len(runs)) == ("done", 1, 1)


@pytest.mark.django_db
def test_past_the_wait_the_error_ends_the_job_and_the_row_is_left_for_the_sweep(
    settings, monkeypatch
):
    settings.DURABLE_DATABASE_WAIT = 0
    row = deletion()
    monkeypatch.setattr(durable, "_claim", away_for(100, durable._claim))

    with pytest.raises(OperationalError):
        durable.run(FileDeletion, row.pk, lambda r: None)

    row.refresh_from_db()
    assert (row.status, row.attempts) == ("pending", 0)


@pytest.mark.django_db
def test_a_database_error_in_the_work_is_transient_and_retried(settings, redis_connection):
    settings.MEDIA_RETRY_INTERVALS = [60]
    row = deletion()

    def database_away(_row):
        raise OperationalError(AWAY)

    attempt = durable.run(FileDeletion, row.pk, database_away)

    row.refresh_from_db()
    assert attempt.outcome == "retrying"
    assert (row.status, row.attempts) == ("pending", 1)
    assert row.last_error == f"OperationalError: {AWAY}"


@pytest.mark.django_db
def test_the_sweep_judges_no_claim_dead_right_after_a_worker_missed_the_database(
    settings, redis_connection
):
    settings.CLAIM_TIMEOUT = 30
    silent_since = timezone.now() - timezone.timedelta(seconds=60)
    row = deletion(status=FileDeletion.Status.PROCESSING, claimed_at=silent_since, attempts=1)

    durable.database_missed()

    assert durable.requeue_stale(FileDeletion) == 0
    row.refresh_from_db()
    assert row.status == "processing"
    # CLAIM_TIMEOUT later (the key expires), a claim still silent is a dead worker's.
    assert 0 < redis_connection.ttl(durable.DATABASE_MISSED_KEY) <= 30
    redis_connection.delete(durable.DATABASE_MISSED_KEY)
    assert durable.requeue_stale(FileDeletion) == 1
    row.refresh_from_db()
    assert row.status == "pending"


@pytest.mark.django_db(transaction=True)
def test_a_heartbeat_that_misses_the_database_beats_on_once_it_is_back(monkeypatch):
    claimed_at = timezone.now()
    row = deletion(status=FileDeletion.Status.PROCESSING, claimed_at=claimed_at, attempts=1)
    claim = FileDeletion.objects.filter(pk=row.pk, status=FileDeletion.Status.PROCESSING)
    real_update = QuerySet.update
    beats = []

    def update(queryset, **fields):
        if threading.current_thread().name == "row-heartbeat":
            beats.append(1)
            if len(beats) <= 2:
                raise OperationalError(AWAY)
        return real_update(queryset, **fields)

    monkeypatch.setattr(QuerySet, "update", update)
    misses = []

    with RowHeartbeat(
        claim, field="claimed_at", stamp=claimed_at, interval=0.1, on_miss=lambda: misses.append(1)
    ) as beat:
        time.sleep(0.6)

    assert misses == [1, 1]
    assert len(beats) > 3
    stamped = FileDeletion.objects.get(pk=row.pk).claimed_at
    assert stamped > claimed_at
    assert stamped == beat.stamp
