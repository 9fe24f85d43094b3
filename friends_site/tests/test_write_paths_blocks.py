"""Blocking and muting, pages and API, with real transactions (as production's autocommit).

Each request commits on its own, as in production: a block writes its row and deletes the
follows between the two people both ways in one transaction of its own; refused writes of a
blocked person leave every row and counter as it was. On PostgreSQL, a follow and a block
between the same two people at the same moment end with the block and no follow.
"""

from __future__ import annotations

import threading
import time

import pytest
from django.db import connection

from accounts import policies
from accounts.models import Block, Follow, Mute
from accounts.services import block_set, follow_create
from accounts.tests.factories import FollowFactory, UserFactory, api_client_for
from posts.models import Bookmark, Comment, Like, Post
from posts.tests.factories import PostFactory

pytestmark = [pytest.mark.django_db(transaction=True)]

API = "/api/v1"


def _befriended():
    ann, bob = UserFactory(username="ann"), UserFactory(username="bob")
    FollowFactory(follower=ann, followee=bob)
    FollowFactory(follower=bob, followee=ann)
    return ann, bob


# --- API --------------------------------------------------------------------------------------


def test_api_block_ends_the_follows_both_ways_and_unblock_keeps_them_ended():
    ann, bob = _befriended()
    api = api_client_for(ann)

    blocked = api.put(f"{API}/users/bob/block/")

    assert blocked.status_code == 200
    assert blocked.json()["is_blocked"] is True
    assert list(Block.objects.values_list("blocker", "blocked")) == [(ann.pk, bob.pk)]
    assert not Follow.objects.exists()
    assert api.get(f"{API}/me/blocks/").json()["results"][0]["user"]["username"] == "bob"

    unblocked = api.delete(f"{API}/users/bob/block/")

    assert (unblocked.status_code, unblocked.json()["is_blocked"]) == (200, False)
    assert not Block.objects.exists()
    assert not Follow.objects.exists()


def test_api_mute_then_unmute():
    ann, _bob = _befriended()
    api = api_client_for(ann)

    assert api.put(f"{API}/users/bob/mute/").json()["is_muted"] is True
    assert list(Mute.objects.values_list("muter", "muted")) == [(ann.pk, _bob.pk)]
    assert Follow.objects.count() == 2  # a mute changes nothing else
    assert api.get(f"{API}/me/mutes/").json()["count"] == 1
    assert api.delete(f"{API}/users/bob/mute/").json()["is_muted"] is False
    assert not Mute.objects.exists()


def test_api_writes_of_a_blocked_person_are_404_and_change_nothing():
    ann, bob = _befriended()
    post = PostFactory(author=ann)
    block_set(blocker=ann, blocked=bob)
    api = api_client_for(bob)

    answers = [
        api.put(f"{API}/users/ann/follow/").status_code,
        api.put(f"{API}/posts/{post.pk}/like/").status_code,
        api.put(f"{API}/posts/{post.pk}/bookmark/").status_code,
        api.post(f"{API}/posts/{post.pk}/comments/", {"body": "Hi"}, format="json").status_code,
        api.put(f"{API}/users/ann/block/").status_code,
    ]

    assert answers == [404] * 5
    assert not Follow.objects.exists()
    assert not Like.objects.exists()
    assert not Bookmark.objects.exists()
    assert not Comment.objects.exists()
    assert Post.objects.values_list("like_count", "comment_count").get() == (0, 0)
    assert Block.objects.count() == 1


# --- Pages ------------------------------------------------------------------------------------


def test_block_page_confirms_then_blocks_and_settings_unblock(client):
    ann, bob = _befriended()
    client.force_login(ann)

    assert client.get("/u/bob/block/").status_code == 200
    blocked = client.post("/u/bob/block/", {"action": "set"})

    assert (blocked.status_code, blocked["Location"]) == (302, "/u/bob/")
    assert Block.objects.filter(blocker=ann, blocked=bob).exists()
    assert not Follow.objects.exists()

    unblocked = client.post("/u/bob/block/", {"action": "unset", "next": "/settings/#blocked"})

    assert (unblocked.status_code, unblocked["Location"]) == (302, "/settings/#blocked")
    assert not Block.objects.exists()


def test_mute_page_toggle_sets_and_unsets(client):
    ann, bob = _befriended()
    client.force_login(ann)

    muted = client.post("/u/bob/mute/", {"action": "set"}, headers={"X-Fragment": "1"})
    assert muted.status_code == 200
    assert 'aria-pressed="true"' in muted.content.decode()
    assert Mute.objects.filter(muter=ann, muted=bob).exists()

    unmuted = client.post("/u/bob/mute/", {"action": "unset", "next": "/settings/#muted"})
    assert (unmuted.status_code, unmuted["Location"]) == (302, "/settings/#muted")
    assert not Mute.objects.exists()


def test_page_writes_of_a_blocked_person_are_404_and_change_nothing(client):
    ann, bob = _befriended()
    post = PostFactory(author=ann)
    block_set(blocker=ann, blocked=bob)
    client.force_login(bob)

    answers = [
        client.post("/u/ann/follow/", {"action": "set"}).status_code,
        client.post(f"/posts/{post.pk}/like/", {"action": "set"}).status_code,
        client.post(f"/posts/{post.pk}/bookmark/", {"action": "set"}).status_code,
        client.post(f"/posts/{post.pk}/comments/", {"body": "Hi"}).status_code,
        client.post("/u/ann/mute/", {"action": "set"}).status_code,
        client.post("/u/ann/block/", {"action": "set"}).status_code,
    ]

    assert answers == [404] * 6
    assert not Follow.objects.exists()
    assert not Like.objects.exists()
    assert not Comment.objects.exists()
    assert not Mute.objects.exists()
    assert Block.objects.count() == 1


# --- A follow and a block at the same moment --------------------------------------------------


@pytest.mark.skipif(
    "connection.vendor != 'postgresql'",
    reason="row locks: SQLite runs one writing transaction at a time anyway",
)
def test_a_follow_racing_a_block_ends_with_the_block_and_no_follow(monkeypatch):
    ann, bob = UserFactory(username="ann"), UserFactory(username="bob")
    rule = policies.interact_with
    checked = threading.Event()

    class SlowRule:
        def enforce(self, user, person):
            rule.enforce(user, person)  # Bob may follow Ann: nobody blocked anyone yet
            checked.set()
            time.sleep(0.5)  # Ann's block arrives now, before the follow is written

    monkeypatch.setattr(policies, "interact_with", SlowRule())
    errors = []

    def follow() -> None:
        try:
            follow_create(follower=bob, followee=ann)
        except Exception as error:  # reported by the assertion below
            errors.append(error)
        finally:
            connection.close()

    follower = threading.Thread(target=follow)
    follower.start()
    assert checked.wait(timeout=10)
    block_set(blocker=ann, blocked=bob)  # waits for the follow's transaction to end
    follower.join(timeout=30)

    assert errors == []
    assert Block.objects.filter(blocker=ann, blocked=bob).exists()
    assert not Follow.objects.exists()
