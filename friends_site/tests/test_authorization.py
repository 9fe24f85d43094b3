"""Another person's things: every object page and endpoint refuses, and nothing changes.

One world per test: Ann owns a post with a ready photo, a comment, a like and a bookmark, an
unattached upload and a photo still processing; Mallory, signed in, tries every way in. After
each attempt the rows (and their texts and counters) are exactly as before.
"""

import pytest
from django.utils import timezone

from accounts.tests.factories import UserFactory, api_client_for
from media.models import Media
from posts.models import Bookmark, Comment, Like, Post, PostPhoto
from posts.services import bookmark_set, comment_create, like_set

pytestmark = pytest.mark.django_db


@pytest.fixture
def world():
    ann, mallory = UserFactory(username="ann"), UserFactory(username="mallory")
    post = Post.objects.create(author=ann, title="Ann's words", body="Ann's text")
    ready = Media.objects.create(
        owner=ann, status=Media.Status.DONE, attached_at=timezone.now(), alt_text="Ann's photo"
    )
    PostPhoto.objects.create(post=post, media=ready)
    processing = Media.objects.create(owner=ann, status=Media.Status.PROCESSING)
    unattached = Media.objects.create(owner=ann, status=Media.Status.DONE)
    comment = comment_create(post=post, author=ann, body="Ann's comment")
    like_set(user=ann, post=post)
    bookmark_set(user=ann, post=post)
    return {
        "ann": ann,
        "mallory": mallory,
        "post": post,
        "comment": comment,
        "ready": ready,
        "processing": processing,
        "unattached": unattached,
    }


def snapshot() -> tuple:
    return (
        list(
            Post.objects.order_by("pk").values_list(
                "pk", "title", "body", "like_count", "comment_count"
            )
        ),
        list(Comment.objects.order_by("pk").values_list("pk", "body")),
        list(Media.objects.order_by("pk").values_list("pk", "alt_text", "status")),
        list(Like.objects.order_by("pk").values_list("user", "post")),
        list(Bookmark.objects.order_by("pk").values_list("user", "post")),
        list(PostPhoto.objects.order_by("pk").values_list("post", "media", "position")),
    )


API_ATTEMPTS = [
    ("patch", "/api/v1/posts/{post}/", {"title": "Mallory's now"}, 403),
    ("put", "/api/v1/posts/{post}/", {"title": "Mallory's now", "body": ""}, 403),
    ("delete", "/api/v1/posts/{post}/", None, 403),
    ("patch", "/api/v1/posts/{post}/", {"media_ids": []}, 403),
    ("patch", "/api/v1/comments/{comment}/", {"body": "Mallory's now"}, 403),
    ("delete", "/api/v1/comments/{comment}/", None, 403),
    ("patch", "/api/v1/media/{ready}/", {"alt_text": "Mallory's now"}, 403),
    ("delete", "/api/v1/media/{ready}/", None, 403),
    ("get", "/api/v1/media/{processing}/", None, 404),
    ("patch", "/api/v1/media/{processing}/", {"alt_text": "x"}, 404),
    ("delete", "/api/v1/media/{processing}/", None, 404),
    ("get", "/api/v1/media/{unattached}/", None, 404),
    ("delete", "/api/v1/media/{unattached}/", None, 404),
    # Photos are attached by their owner only: someone else's are unknown ids.
    ("post", "/api/v1/posts/", {"title": "Taken", "media_ids": ["{unattached}"]}, 404),
    # Toggles act on the person's own like and bookmark: Ann's stay.
    ("delete", "/api/v1/posts/{post}/like/", None, 200),
    ("delete", "/api/v1/posts/{post}/bookmark/", None, 200),
]


@pytest.mark.parametrize(
    ("method", "path", "data", "status"),
    API_ATTEMPTS,
    ids=[f"{method} {path}" for method, path, _data, _status in API_ATTEMPTS],
)
def test_the_api_refuses_another_persons_things_and_changes_nothing(
    world, method, path, data, status
):
    before = snapshot()
    ids = {name: obj.pk for name, obj in world.items() if hasattr(obj, "pk")}
    if data is not None:
        data = {
            key: [int(item.format(**ids)) for item in value] if isinstance(value, list) else value
            for key, value in data.items()
        }

    response = getattr(api_client_for(world["mallory"]), method)(
        path.format(**ids), data, format="json"
    )

    assert response.status_code == status
    assert response["Content-Type"] == "application/json"
    assert snapshot() == before
    if method == "post":  # nothing written either
        assert not Post.objects.filter(title="Taken").exists()


PAGE_ATTEMPTS = [
    ("get", "/posts/{post}/edit/", 403),
    ("post", "/posts/{post}/edit/", 403),
    ("get", "/posts/{post}/delete/", 403),
    ("post", "/posts/{post}/delete/", 403),
    ("get", "/comments/{comment}/edit/", 403),
    ("post", "/comments/{comment}/edit/", 403),
    ("get", "/comments/{comment}/delete/", 403),
    ("post", "/comments/{comment}/delete/", 403),
    ("get", "/photos/{processing}/fragment/", 404),
    ("get", "/photos/{unattached}/fragment/", 404),
]


@pytest.mark.parametrize(
    ("method", "path", "status"),
    PAGE_ATTEMPTS,
    ids=[f"{method} {path}" for method, path, _status in PAGE_ATTEMPTS],
)
def test_the_pages_refuse_another_persons_things_and_change_nothing(
    client, world, method, path, status
):
    before = snapshot()
    ids = {name: obj.pk for name, obj in world.items() if hasattr(obj, "pk")}
    client.force_login(world["mallory"])

    response = getattr(client, method)(
        path.format(**ids), {"title": "Mallory's now", "body": "Mallory's now"}
    )

    assert response.status_code == status
    assert snapshot() == before


def test_a_person_sees_only_their_own_likes_and_bookmarks(client, world):
    client.force_login(world["mallory"])

    for path in ("/likes/", "/bookmarks/"):
        assert "Ann&#x27;s words" not in client.get(path).content.decode()
    api = api_client_for(world["mallory"])
    assert api.get("/api/v1/me/likes/").json()["results"] == []
    assert api.get("/api/v1/me/bookmarks/").json()["results"] == []
