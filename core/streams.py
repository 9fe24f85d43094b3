"""`/events/`: a signed-in person's live updates as server-sent events (core/events.py).

An async view: while it waits for Redis it holds no thread, so one ASGI process keeps
thousands of streams open (README, "Live updates"). Each stream subscribes to the person's
channel, says `retry:` once, sends the state a page may have missed (the unread count...:
core.events.on_connect) on every connect, so a reconnect after a lost event misses nothing
the database knows, then every event as `id:`/`event:`/`data:`, and a `: ping` comment when
it has been silent for EVENTS_HEARTBEAT_SECONDS (proxies close silent connections).
"""

from __future__ import annotations

import json
import logging
import time

import redis.asyncio as aioredis
from asgiref.sync import sync_to_async
from django.conf import settings
from django.core.handlers.asgi import ASGIRequest
from django.db import connections
from django.http import HttpResponse, StreamingHttpResponse
from django.views.decorators.http import require_GET
from redis.exceptions import RedisError

from core import events

logger = logging.getLogger(__name__)


@require_GET
async def events_stream(request):
    if not isinstance(request, ASGIRequest):
        # Under WSGI (runserver, a sync gunicorn) a stream would hold a thread for ever: the
        # page's EventSource gives up on this answer and polls instead.
        return HttpResponse(
            "Live updates are served under ASGI only.\n", status=503, content_type="text/plain"
        )
    user = await request.auser()
    if not user.is_authenticated:
        return HttpResponse(
            "Sign in to receive live updates.\n", status=403, content_type="text/plain"
        )
    response = StreamingHttpResponse(
        _stream(user, request.GET.copy()), content_type="text/event-stream"
    )
    response["Cache-Control"] = "no-cache"
    response["X-Accel-Buffering"] = "no"  # nginx: hand each event on at once
    return response


def event_frame(*, kind: str, data: dict, event_id: str | None = None) -> str:
    """One server-sent event (its data is compact JSON: one line)."""
    if event_id is None:
        event_id = str(int(time.time() * 1_000_000))
    payload = json.dumps(data, separators=(",", ":"))
    return f"id: {event_id}\nevent: {kind}\ndata: {payload}\n\n"


def _state(user, query) -> list[tuple[str, dict]]:
    try:
        return events.state_on_connect(user, query)
    finally:
        # The stream may stay open for hours: it must not keep a database connection.
        connections.close_all()


async def _stream(user, query):
    client = aioredis.from_url(settings.RQ_QUEUES["default"]["URL"])
    pubsub = client.pubsub(ignore_subscribe_messages=True)
    heartbeat = settings.EVENTS_HEARTBEAT_SECONDS
    try:
        # Subscribed before the state is read: a change after the read is then an event.
        await pubsub.subscribe(events.channel_for(user.pk))
        yield f"retry: {settings.EVENTS_RETRY_MS}\n\n"
        for kind, data in await sync_to_async(_state)(user, query):
            yield event_frame(kind=kind, data=data)
        last_write = time.monotonic()
        while True:
            wait = max(0.0, heartbeat - (time.monotonic() - last_write))
            message = await pubsub.get_message(timeout=wait)
            if message is None:
                if time.monotonic() - last_write >= heartbeat:
                    yield ": ping\n\n"
                    last_write = time.monotonic()
                continue
            try:
                event = json.loads(message["data"])
                frame = event_frame(kind=event["kind"], data=event["data"], event_id=event["id"])
            except (ValueError, KeyError, TypeError):
                logger.warning("Malformed event on %s dropped", message.get("channel"))
                continue
            yield frame
            last_write = time.monotonic()
    except RedisError as error:
        # The stream ends; the browser reconnects after `retry` and reads the state again.
        logger.warning("Event stream of user %s ended: %s", user.pk, error)
    finally:
        # The client went (the task is cancelled) or the server stops: unsubscribe and close.
        try:
            await pubsub.aclose()
            await client.aclose()
        except Exception as error:  # noqa: BLE001 - a dead Redis must not hide the close
            logger.info("Closing an event stream: %s", error)
