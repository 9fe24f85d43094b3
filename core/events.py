"""Events for a person's open pages: what changed for them (a photo ready or failed, their
unread count, an export's progress), published on Redis pub/sub after the change commits and
streamed to the browser as server-sent events by the async view at /events/ (core/streams.py).

An event only says that something changed and carries the little the page needs to show it;
the database stays the truth: a page that reconnects reads the state again, so an event lost
while Redis or the stream was down costs nothing but a moment's delay.
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Callable

import django_rq
from django.conf import settings
from django.db import transaction
from redis.exceptions import RedisError

logger = logging.getLogger(__name__)


def channel_for(user_id: int) -> str:
    """The Redis pub/sub channel of one person's events. Channels are shared by every database
    of a Redis server: EVENTS_CHANNEL_PREFIX keeps two sites (or two test runs) apart."""
    return f"{settings.EVENTS_CHANNEL_PREFIX}:user:{user_id}"


def publish(*, user_id: int, kind: str, data: dict) -> None:
    """Publish `kind` with `data` (JSON-serialisable) to `user_id`'s open pages, now. Redis
    down: logged and dropped (the pages read the state again when they reconnect).

    The message carries an id (the time it was published, in microseconds) that the stream
    hands on as the event's `id:`, and its `sent` time for measuring the delivery."""
    sent = time.time()
    message = json.dumps(
        {"id": str(int(sent * 1_000_000)), "kind": kind, "data": data, "sent": sent},
        separators=(",", ":"),
    )
    try:
        django_rq.get_connection("default").publish(channel_for(user_id), message)
    except RedisError as error:
        logger.warning("Event %s for user %s not published: %s", kind, user_id, error)


def publish_on_commit(*, user_id: int, kind: str, data: dict | Callable[[], dict]) -> None:
    """Publish once the current transaction commits (at once outside one): a page must never
    hear of a change it cannot read yet. `data` may be a function, called after the commit,
    for what is only known then (a count read again)."""

    def send() -> None:
        publish(user_id=user_id, kind=kind, data=data() if callable(data) else data)

    transaction.on_commit(send, robust=True)


# --- The state a page reads again when its stream (re)connects --------------------------------

_ON_CONNECT: list[Callable] = []


def on_connect(state_for: Callable) -> None:
    """Register `state_for(user, query) -> list[(kind, data)]`, the events that bring a page up
    to date when its stream opens or reopens (posts: the unread count; media: the photos the
    page waits for, named in the stream's query, that finished meanwhile). Called in a thread
    (it may read the database); apps register in their AppConfig.ready()."""
    _ON_CONNECT.append(state_for)


def state_on_connect(user, query) -> list[tuple[str, dict]]:
    events: list[tuple[str, dict]] = []
    for state_for in _ON_CONNECT:
        events.extend(state_for(user, query))
    return events
