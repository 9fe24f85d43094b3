"""The write routes of notifications with real transactions (production's autocommit): the
changes that write events (pages and API), the worker that delivers them, and the routes that
mark them read or switch them (see test_write_paths.py for why)."""

from __future__ import annotations

import pytest

from accounts.tests.factories import UserFactory, api_client_for
from media.models import Media
from media.tests import media_images as images
from posts.models import Notification, NotificationEvent, NotificationKind, NotificationOptOut
from posts.services import like_set
from posts.tests.factories import PostFactory

pytestmark = [pytest.mark.django_db(transaction=True)]

API = "/api/v1"
Kind = NotificationKind


def lines(user) -> list[tuple[str, int]]:
    return list(
        Notification.objects.filter(recipient=user)
        .order_by("-updated_at", "-id")
        .values_list("kind", "actor_count")
    )


def test_page_like_comment_and_follow_each_notify_once_through_the_worker(client, run_worker):
    alice, bob = UserFactory(username="alice"), UserFactory(username="bob")
    post = PostFactory(author=alice)
    client.force_login(bob)

    assert client.post(f"/posts/{post.pk}/like/", {"action": "set"}).status_code == 302
    assert client.post(f"/posts/{post.pk}/comments/", {"body": "Nice, @alice"}).status_code == 302
    assert client.post("/u/alice/follow/", {"action": "set"}).status_code == 302
    assert Notification.objects.count() == 0  # never in the request

    run_worker()

    assert sorted(lines(alice)) == [
        (Kind.COMMENT, 1),
        (Kind.FOLLOW, 1),
        (Kind.LIKE, 1),
        (Kind.MENTION, 1),
    ]
    assert set(NotificationEvent.objects.values_list("status", flat=True)) == {"done"}


def test_api_like_unlike_like_comment_and_mention_notify_once_each(run_worker):
    alice, bob, carol = UserFactory(), UserFactory(), UserFactory(username="carol")
    post = PostFactory(author=alice)
    api = api_client_for(bob)

    api.put(f"{API}/posts/{post.pk}/like/")
    api.delete(f"{API}/posts/{post.pk}/like/")
    api.put(f"{API}/posts/{post.pk}/like/")
    created = api.post(f"{API}/posts/{post.pk}/comments/", {"body": "@carol see"}, format="json")
    api.patch(f"{API}/comments/{created.json()['id']}/", {"body": "@carol see this"}, format="json")
    mine = api.post(f"{API}/posts/", {"title": "Mine", "body": "Hi @carol"}, format="json")
    api.patch(f"{API}/posts/{mine.json()['id']}/", {"body": "Hi @carol!"}, format="json")
    run_worker()

    assert sorted(lines(alice)) == [(Kind.COMMENT, 1), (Kind.LIKE, 1)]
    assert sorted(lines(carol)) == [(Kind.MENTION, 1), (Kind.MENTION, 1)]


def test_api_post_with_a_photo_that_fails_tells_its_owner(run_worker):
    alice = UserFactory()
    api = api_client_for(alice)

    response = api.post(
        f"{API}/posts/",
        {"title": "Holiday", "images": [images.upload(images.jpeg((400, 300))[:1500], "cut.jpg")]},
        format="multipart",
    )
    assert response.status_code == 201
    run_worker()

    assert Media.objects.get().status == Media.Status.FAILED
    assert lines(alice) == [(Kind.PHOTO_FAILED, 0)]


def test_the_page_marks_what_it_shows_read_and_the_api_marks_the_rest(client, run_worker):
    alice = UserFactory()
    for _ in range(3):
        like_set(user=UserFactory(), post=PostFactory(author=alice))
    run_worker()
    client.force_login(alice)

    assert client.get("/notifications/").status_code == 200
    assert Notification.objects.filter(read_at__isnull=True).count() == 0

    like_set(user=UserFactory(), post=PostFactory(author=alice))
    run_worker()
    answer = api_client_for(alice).post(f"{API}/notifications/read/", {}, format="json")
    assert answer.json() == {"unread_count": 0}


def test_switches_from_the_page_and_the_api_are_kept(client):
    alice = UserFactory()
    client.force_login(alice)

    response = client.post("/settings/notifications/", {kind: "on" for kind in Kind.values})
    assert response.status_code == 302
    response = client.post("/settings/notifications/", {"follow": "on"})
    assert response.status_code == 302
    assert NotificationOptOut.objects.filter(user=alice).count() == len(Kind.values) - 1

    api = api_client_for(alice)
    answer = api.put(
        f"{API}/me/notification-settings/", dict.fromkeys(Kind.values, True), format="json"
    )
    assert answer.status_code == 200
    assert not NotificationOptOut.objects.exists()


def test_admin_delivers_an_event_again_without_telling_anyone_twice(client, run_worker):
    alice = UserFactory()
    like_set(user=UserFactory(), post=PostFactory(author=alice))
    run_worker()
    event = NotificationEvent.objects.get()
    client.force_login(UserFactory(is_staff=True, is_superuser=True))

    response = client.post(
        "/admin/posts/notificationevent/",
        {"action": "deliver_again", "_selected_action": [event.pk]},
    )
    assert response.status_code == 302
    run_worker()

    event.refresh_from_db()
    assert (event.status, event.attempts) == (NotificationEvent.Status.DONE, 1)
    assert lines(alice) == [(Kind.LIKE, 1)]
    assert (
        client.get(f"/admin/posts/notification/{Notification.objects.get().pk}/change/").status_code
        == 200
    )
