"""Every page and API route that shows a person or what is theirs, walked three ways.

Ann blocked Bob. Each of them wrote a post with a photo and a comment on it, and Carol (and the
other of the two, before the block) commented on both posts. Every route below is tried:

- by Bob on Ann's things, and by Ann on Bob's: 404, as for something that does not exist
  (the API's error format), and nothing is written. Ann may still open Bob's profile page to
  unblock him (no posts, no tabs), and block, unblock or mute him;
- by Carol, a third person, on the same things: the route works (so the list is real);
- by anyone on the things of Dave, who left (deactivated; a job deletes the rest later): 404.

The one rule behind all of it is accounts.policies (people_visible_q, interact_with).
"""

from __future__ import annotations

from types import SimpleNamespace

import pytest
from django.test import Client
from django.utils import timezone

from accounts.models import Block, Follow, Mute, User
from accounts.services import block_set
from accounts.tests.factories import FollowFactory, UserFactory, api_client_for
from media.models import Media
from posts.models import Bookmark, Comment, Like, Post, PostPhoto
from posts.tests.factories import CommentFactory

pytestmark = pytest.mark.django_db

API = "/api/v1"


def _post_with_photo(author: User) -> SimpleNamespace:
    post = Post.objects.create(author=author, title=f"{author.username}'s words", body="Text")
    photo = Media.objects.create(
        owner=author,
        status=Media.Status.DONE,
        width=800,
        height=600,
        attached_at=timezone.now(),
        variants={
            "display": {"name": f"media/{author.pk}/display.webp", "width": 800, "height": 600},
            "thumbnail": {"name": f"media/{author.pk}/thumb.webp", "width": 640, "height": 480},
        },
    )
    PostPhoto.objects.create(post=post, media=photo, position=0)
    comment = CommentFactory(post=post, author=author, body=f"{author.username}'s comment")
    return SimpleNamespace(post=post, photo=photo, comment=comment, comments={})


@pytest.fixture
def world():
    ann = UserFactory(username="ann", likes_public=True)
    bob = UserFactory(username="bob", likes_public=True)
    carol = UserFactory(username="carol", likes_public=True)
    dave = UserFactory(username="dave", likes_public=True)
    things = {person.username: _post_with_photo(person) for person in (ann, bob, dave)}
    # Everyone comments on everyone else's post, before anything happens.
    for visitor in (ann, bob, carol, dave):
        for owner, mine in things.items():
            if owner != visitor.username:
                mine.comments[visitor.username] = CommentFactory(
                    post=mine.post, author=visitor, body=f"{visitor.username} says hi"
                )
    for person in (ann, bob, carol):  # following each other; the block ends Ann's and Bob's
        for other in (ann, bob, carol, dave):
            if other != person:
                FollowFactory(follower=person, followee=other)
    block_set(blocker=ann, blocked=bob)
    User.objects.filter(pk=dave.pk).update(is_active=False)
    return SimpleNamespace(ann=ann, bob=bob, carol=carol, dave=dave, things=things)


def snapshot() -> tuple:
    return (
        list(Post.objects.order_by("pk").values_list("pk", "title", "like_count", "comment_count")),
        list(Comment.objects.order_by("pk").values_list("pk", "body")),
        list(Like.objects.order_by("pk").values_list("user", "post")),
        list(Bookmark.objects.order_by("pk").values_list("user", "post")),
        list(Follow.objects.order_by("pk").values_list("follower", "followee")),
        list(Block.objects.order_by("pk").values_list("blocker", "blocked")),
        list(Mute.objects.order_by("pk").values_list("muter", "muted")),
        list(Media.objects.order_by("pk").values_list("pk", "alt_text")),
    )


# (name, method, path, body, what a third person gets, what the blocker gets on the blocked
# person's). In paths: {user} is the person whose things they are, {post} their post, {photo}
# its photo, {comment} their comment on it, {mine} the visitor's own comment on it.
ROUTES = [
    # --- Pages
    ("profile", "get", "/u/{user}/", None, 200, 200),
    ("followers tab", "get", "/u/{user}/followers/", None, 200, 404),
    ("following tab", "get", "/u/{user}/following/", None, 200, 404),
    ("likes tab", "get", "/u/{user}/likes/", None, 200, 404),
    ("post page", "get", "/posts/{post}/", None, 200, 404),
    ("photo viewer", "get", "/posts/{post}/photos/1/", None, 200, 404),
    ("photo viewer fragment", "get-fragment", "/posts/{post}/photos/1/", None, 200, 404),
    ("photo tile", "get", "/posts/{post}/photos/1/tile/", None, 200, 404),
    ("photo fragment", "get", "/photos/{photo}/fragment/", None, 200, 404),
    ("like", "post", "/posts/{post}/like/", {"action": "set"}, 302, 404),
    ("unlike", "post", "/posts/{post}/like/", {"action": "unset"}, 302, 404),
    ("bookmark", "post", "/posts/{post}/bookmark/", {"action": "set"}, 302, 404),
    ("comment", "post", "/posts/{post}/comments/", {"body": "Hello"}, 302, 404),
    ("edit own comment page", "get", "/comments/{mine}/edit/", None, 200, 404),
    ("edit own comment", "post", "/comments/{mine}/edit/", {"body": "Changed"}, 302, 404),
    ("delete own comment page", "get", "/comments/{mine}/delete/", None, 200, 404),
    ("delete own comment", "post", "/comments/{mine}/delete/", None, 302, 404),
    ("follow", "post", "/u/{user}/follow/", {"action": "set"}, 302, 404),
    ("unfollow", "post", "/u/{user}/follow/", {"action": "unset"}, 302, 404),
    ("mute", "post", "/u/{user}/mute/", {"action": "set"}, 302, 302),
    ("block confirmation", "get", "/u/{user}/block/", None, 200, 200),
    ("block", "post", "/u/{user}/block/", {"action": "set"}, 302, 302),
    # --- API
    ("api profile", "get", f"{API}/users/{{user}}/", None, 200, 200),
    ("api followers", "get", f"{API}/users/{{user}}/followers/", None, 200, 404),
    ("api following", "get", f"{API}/users/{{user}}/following/", None, 200, 404),
    ("api posts by author", "get", f"{API}/posts/?author={{user}}", None, 200, 404),
    ("api post", "get", f"{API}/posts/{{post}}/", None, 200, 404),
    ("api post edit", "patch", f"{API}/posts/{{post}}/", {"title": "Mine now"}, 403, 404),
    ("api post delete", "delete", f"{API}/posts/{{post}}/", None, 403, 404),
    ("api like", "put", f"{API}/posts/{{post}}/like/", None, 200, 404),
    ("api unlike", "delete", f"{API}/posts/{{post}}/like/", None, 200, 404),
    ("api bookmark", "put", f"{API}/posts/{{post}}/bookmark/", None, 200, 404),
    ("api unbookmark", "delete", f"{API}/posts/{{post}}/bookmark/", None, 200, 404),
    ("api comments", "get", f"{API}/posts/{{post}}/comments/", None, 200, 404),
    ("api comment", "post", f"{API}/posts/{{post}}/comments/", {"body": "Hello"}, 201, 404),
    ("api their comment", "get", f"{API}/comments/{{comment}}/", None, 200, 404),
    ("api own comment", "get", f"{API}/comments/{{mine}}/", None, 200, 404),
    ("api edit own comment", "patch", f"{API}/comments/{{mine}}/", {"body": "New"}, 200, 404),
    ("api delete own comment", "delete", f"{API}/comments/{{mine}}/", None, 204, 404),
    ("api photo", "get", f"{API}/media/{{photo}}/", None, 200, 404),
    ("api follow", "put", f"{API}/users/{{user}}/follow/", None, 200, 404),
    ("api unfollow", "delete", f"{API}/users/{{user}}/follow/", None, 200, 404),
    ("api mute", "put", f"{API}/users/{{user}}/mute/", None, 200, 200),
    ("api unmute", "delete", f"{API}/users/{{user}}/mute/", None, 200, 200),
    ("api block", "put", f"{API}/users/{{user}}/block/", None, 200, 200),
]
WRITES_ALLOWED_TO_BLOCKER = {"mute", "block", "api mute", "api unmute", "api block"}


def _request(world, visitor: User, owner: User, route) -> object:
    _name, method, path, body, _third, _blocker = route
    mine = world.things[owner.username]
    url = path.format(
        user=owner.username,
        post=mine.post.pk,
        photo=mine.photo.pk,
        comment=mine.comment.pk,
        mine=mine.comments[visitor.username].pk,
    )
    if url.startswith(API):
        return getattr(api_client_for(visitor), method)(url, body, format="json")
    client = Client()
    client.force_login(visitor)
    if method == "get-fragment":
        return client.get(url, HTTP_X_FRAGMENT="1")
    return getattr(client, method)(url, body or {})


def _assert_not_found(response) -> None:
    assert response.status_code == 404
    if response.request["PATH_INFO"].startswith(API):
        assert response.json() == {"detail": "Not found.", "code": "not_found", "errors": {}}


IDS = [route[0] for route in ROUTES]


@pytest.mark.parametrize("route", ROUTES, ids=IDS)
def test_the_blocked_person_finds_nothing_of_the_blocker(world, route):
    before = snapshot()

    response = _request(world, world.bob, world.ann, route)

    _assert_not_found(response)
    assert snapshot() == before


@pytest.mark.parametrize("route", ROUTES, ids=IDS)
def test_the_blocker_finds_nothing_of_the_blocked_person_but_the_way_to_unblock(world, route):
    before = snapshot()

    response = _request(world, world.ann, world.bob, route)

    assert response.status_code == route[5]
    if route[5] == 404:
        _assert_not_found(response)
    if route[0] not in WRITES_ALLOWED_TO_BLOCKER:
        assert snapshot() == before


@pytest.mark.parametrize("route", ROUTES, ids=IDS)
@pytest.mark.parametrize("owner", ["ann", "bob"])
def test_a_third_person_reaches_every_route(world, route, owner):
    response = _request(world, world.carol, getattr(world, owner), route)

    assert response.status_code == route[4]


@pytest.mark.parametrize("route", ROUTES, ids=IDS)
@pytest.mark.parametrize("visitor", ["ann", "carol"])
def test_nobody_finds_anything_of_someone_who_left(world, route, visitor):
    before = snapshot()

    response = _request(world, getattr(world, visitor), world.dave, route)

    _assert_not_found(response)
    assert snapshot() == before


def test_the_blocker_sees_the_blocked_persons_profile_only_to_unblock(client, world):
    client.force_login(world.ann)

    page = client.get("/u/bob/").content.decode()

    assert "Unblock" in page
    assert "bob&#x27;s words" not in page
    assert "/u/bob/followers/" not in page
    api = api_client_for(world.ann).get(f"{API}/users/bob/").json()
    assert (api["username"], api["is_blocked"], api["is_following"]) == ("bob", True, False)


def test_anonymous_visitors_find_nothing_of_someone_who_left(client, world):
    things = world.things["dave"]
    for url in ("/u/dave/", f"/posts/{things.post.pk}/", f"/posts/{things.post.pk}/photos/1/"):
        assert client.get(url).status_code == 404
