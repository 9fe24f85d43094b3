"""The live updates' stream (/events/, core/streams.py) through Django's ASGI path, and the
events the services publish after commit (core/events.py)."""

from __future__ import annotations

import asyncio
import json

import django_rq
import pytest
from asgiref.sync import sync_to_async
from django.conf import settings
from django.test import AsyncClient

from accounts.tests.factories import UserFactory
from core import events
from media.models import Media
from media.services import media_create
from media.tests import media_images as images
from posts.models import Notification, NotificationKind
from posts.services import like_set
from posts.services.notifications import notifications_mark_read
from posts.tests.factories import PostFactory

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def anyio_backend():
    return "asyncio"


@pytest.fixture(autouse=True)
def _quick_heartbeat(settings):
    settings.EVENTS_HEARTBEAT_SECONDS = 0.3


class Stream:
    """An open /events/ response, read one server-sent event (or comment) at a time."""

    def __init__(self, response):
        self.response = response
        self.chunks = aiter(response.streaming_content)
        self.buffer = ""

    async def next_block(self, timeout: float = 5) -> str:
        while "\n\n" not in self.buffer:
            chunk = await asyncio.wait_for(anext(self.chunks), timeout)
            self.buffer += chunk.decode() if isinstance(chunk, bytes) else chunk
        block, self.buffer = self.buffer.split("\n\n", 1)
        return block

    async def next_event(self, timeout: float = 5) -> dict:
        while True:
            block = await self.next_block(timeout)
            fields = dict(line.split(": ", 1) for line in block.splitlines() if ": " in line)
            if "event" in fields:
                return {
                    "id": fields["id"],
                    "kind": fields["event"],
                    "data": json.loads(fields["data"]),
                }

    async def close(self) -> None:
        await self.chunks.aclose()


async def open_stream(user, **headers) -> Stream:
    client = AsyncClient()
    await client.aforce_login(user)
    response = await client.get("/events/", **headers)
    assert response.status_code == 200
    stream = Stream(response)
    assert (await stream.next_block()).startswith("retry: ")
    return stream


def subscribers(user) -> int:
    connection = django_rq.get_connection("default")
    return dict(connection.pubsub_numsub(events.channel_for(user.pk)))[
        events.channel_for(user.pk).encode()
    ]


@pytest.mark.anyio
async def test_signed_out_is_refused_with_a_plain_answer():
    response = await AsyncClient().get("/events/")
    assert response.status_code == 403
    assert response["Content-Type"].startswith("text/plain")


def test_under_wsgi_it_answers_at_once_that_it_is_not_served_there(client):
    client.force_login(UserFactory())
    response = client.get("/events/")
    assert response.status_code == 503
    assert response["Content-Type"].startswith("text/plain")


@pytest.mark.anyio
async def test_the_stream_is_an_unbuffered_event_stream():
    user = await sync_to_async(UserFactory)()
    client = AsyncClient()
    await client.aforce_login(user)
    response = await client.get("/events/")
    assert response.streaming
    assert response["Content-Type"] == "text/event-stream"
    assert response["Cache-Control"] == "no-cache"
    assert response["X-Accel-Buffering"] == "no"
    await Stream(response).close()


@pytest.mark.anyio
async def test_it_sends_the_unread_count_first_on_every_connect_last_event_id_or_not():
    alice, bob = await sync_to_async(UserFactory.create_batch)(2)
    post = await sync_to_async(PostFactory)(author=alice)
    await sync_to_async(Notification.objects.create)(
        recipient=alice,
        kind=NotificationKind.LIKE,
        group_key="like:1",
        post=post,
        updated_at=post.created_at,
    )
    for headers in ({}, {"HTTP_LAST_EVENT_ID": "12345"}):
        stream = await open_stream(alice, **headers)
        event = await stream.next_event()
        assert (event["kind"], event["data"]) == ("notifications", {"unread": 1})
        await stream.close()


@pytest.mark.anyio
async def test_photos_the_page_waits_for_that_finished_before_it_listened_come_first():
    alice, bob = await sync_to_async(UserFactory.create_batch)(2)

    def photos():
        made = [
            media_create(owner=owner, file=images.upload(images.jpeg(), "photo.jpg"))
            for owner in (alice, alice, alice, bob)
        ]
        Media.objects.filter(pk__in=[made[0].pk, made[3].pk]).update(status=Media.Status.DONE)
        Media.objects.filter(pk=made[1].pk).update(status=Media.Status.FAILED)
        return made

    ready, failed, pending, others = await sync_to_async(photos)()
    waiting = ",".join(str(m.pk) for m in (ready, failed, pending, others)) + ",x,"
    stream = await open_stream(alice, QUERY_STRING=f"media={waiting}")
    got = [await stream.next_event() for _ in range(3)]
    assert [(e["kind"], e["data"]) for e in got] == [
        ("media", {"id": ready.pk, "status": "ready", "kind": "photo"}),
        ("media", {"id": failed.pk, "status": "failed", "kind": "photo"}),
        ("notifications", {"unread": 0}),
    ]
    await stream.close()


@pytest.mark.anyio
async def test_a_published_event_reaches_the_open_stream_and_another_persons_does_not():
    alice, bob = await sync_to_async(UserFactory.create_batch)(2)
    stream = await open_stream(alice)
    await stream.next_event()  # the state on connect
    await sync_to_async(events.publish)(user_id=bob.pk, kind="media", data={"id": 1})
    await sync_to_async(events.publish)(user_id=alice.pk, kind="media", data={"id": 2})
    event = await stream.next_event()
    assert (event["kind"], event["data"]) == ("media", {"id": 2})
    assert event["id"].isdigit()
    await stream.close()


@pytest.mark.anyio
async def test_a_silent_stream_sends_heartbeat_comments():
    user = await sync_to_async(UserFactory)()
    stream = await open_stream(user)
    await stream.next_event()
    assert await stream.next_block(timeout=2) == ": ping"
    assert await stream.next_block(timeout=2) == ": ping"
    await stream.close()


@pytest.mark.anyio
async def test_a_client_that_disconnects_leaves_no_subscription_behind():
    """Through Django's own ASGI handler, as uvicorn runs it: the client's http.disconnect
    cancels the response, which unsubscribes and closes the Redis connection."""
    from django.core.asgi import get_asgi_application

    user = await sync_to_async(UserFactory)()
    client = AsyncClient()
    await client.aforce_login(user)
    cookie = f"{settings.SESSION_COOKIE_NAME}={client.cookies[settings.SESSION_COOKIE_NAME].value}"
    scope = {
        "type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1", "method": "GET",
        "scheme": "http", "path": "/events/", "raw_path": b"/events/", "query_string": b"",
        "root_path": "", "headers": [(b"host", b"testserver"), (b"cookie", cookie.encode())],
        "client": ("127.0.0.1", 5000), "server": ("testserver", 80),
    }  # fmt: skip
    disconnect = asyncio.Event()
    sent: list[dict] = []
    requested = False

    async def receive():
        nonlocal requested
        if not requested:
            requested = True
            return {"type": "http.request", "body": b"", "more_body": False}
        await disconnect.wait()
        return {"type": "http.disconnect"}

    async def send(message):
        sent.append(message)

    app = asyncio.ensure_future(get_asgi_application()(scope, receive, send))
    for _ in range(100):
        if any(b"event: notifications" in m.get("body", b"") for m in sent):
            break
        await asyncio.sleep(0.05)
    assert sent[0]["status"] == 200
    assert await sync_to_async(subscribers)(user) == 1
    disconnect.set()
    await asyncio.wait_for(app, 5)
    assert await sync_to_async(subscribers)(user) == 0


# --- Published after commit, by the services that change the state ----------------------------


@pytest.fixture
def listen(redis_connection):
    """Subscribe to a person's channel (sync); returns a function reading what arrived."""
    pubsubs = []

    def start(user):
        pubsub = redis_connection.pubsub(ignore_subscribe_messages=True)
        pubsub.subscribe(events.channel_for(user.pk))
        pubsubs.append(pubsub)

        def received(wait: float = 0.5) -> list[dict]:
            messages = []
            while (message := pubsub.get_message(timeout=wait)) is not None:
                messages.append(json.loads(message["data"]))
                wait = 0.2
            return [{"kind": m["kind"], "data": m["data"]} for m in messages]

        received(0.1)  # the subscription's confirmation
        return received

    yield start
    for pubsub in pubsubs:
        pubsub.close()


def test_publish_on_commit_sends_only_once_the_transaction_commits(listen):
    from django.db import transaction

    user = UserFactory()
    received = listen(user)
    with transaction.atomic():
        events.publish_on_commit(user_id=user.pk, kind="media", data={"id": 1})
        assert received(0.3) == []
    assert received() == [{"kind": "media", "data": {"id": 1}}]


def test_publish_on_commit_never_sends_a_rolled_back_change(listen):
    from django.db import transaction

    user = UserFactory()
    received = listen(user)

    def change_that_fails():
        with transaction.atomic():
            events.publish_on_commit(user_id=user.pk, kind="media", data={"id": 1})
            raise RuntimeError

    with pytest.raises(RuntimeError):
        change_that_fails()
    assert received(0.3) == []


def test_a_processed_photo_tells_its_owner_ready_or_failed(listen, run_worker):
    owner = UserFactory()
    received = listen(owner)
    ready = media_create(owner=owner, file=images.upload(images.jpeg(), "photo.jpg"))
    failed = media_create(owner=owner, file=images.upload(images.jpeg(), "broken.jpg"))
    type(failed).objects.filter(pk=failed.pk).update(attempts=99)  # gives up at once
    run_worker()
    got = received()
    assert {"kind": "media", "data": {"id": ready.pk, "status": "ready", "kind": "photo"}} in got
    assert {"kind": "media", "data": {"id": failed.pk, "status": "failed", "kind": "photo"}} in got


def test_a_delivered_notification_and_reading_it_send_the_unread_count(listen, run_worker):
    alice, bob = UserFactory.create_batch(2)
    post = PostFactory(author=alice)
    received = listen(alice)
    like_set(user=bob, post=post)
    run_worker()
    assert {"kind": "notifications", "data": {"unread": 1}} in received()
    notifications_mark_read(user=alice)
    assert received() == [{"kind": "notifications", "data": {"unread": 0}}]
    notifications_mark_read(user=alice)  # nothing left to read: nothing changed, no event
    assert received(0.3) == []
