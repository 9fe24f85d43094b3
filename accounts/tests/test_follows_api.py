"""Follows through the API: idempotent PUT/DELETE, bad input, lists, profiles, search."""

import pytest
from rest_framework.test import APIClient

from accounts.models import Follow
from accounts.tests.factories import FollowFactory, UserFactory, api_client_for

pytestmark = pytest.mark.django_db


def test_follow_and_unfollow_are_idempotent_and_show_in_the_profile():
    alice, bob = UserFactory(username="alice"), UserFactory(username="bob")
    client = api_client_for(alice)

    for _ in range(2):
        response = client.put("/api/v1/users/bob/follow/")
        assert response.status_code == 200
        assert response.json()["is_following"] is True
        assert response.json()["followers_count"] == 1
    assert Follow.objects.filter(follower=alice, followee=bob).count() == 1

    profile = api_client_for(bob).get("/api/v1/users/alice/").json()
    assert profile["follows_you"] is True
    assert profile["is_following"] is False
    assert profile["following_count"] == 1

    for _ in range(2):
        response = client.delete("/api/v1/users/BOB/follow/")
        assert response.status_code == 200
        assert response.json()["is_following"] is False
        assert response.json()["followers_count"] == 0
    assert not Follow.objects.exists()


def test_following_yourself_is_a_409_with_a_message():
    alice = UserFactory(username="alice")
    response = api_client_for(alice).put("/api/v1/users/alice/follow/")
    assert response.status_code == 409
    assert response.json()["detail"] == "You cannot follow yourself."
    assert not Follow.objects.exists()


def test_following_an_unknown_or_inactive_user_is_404():
    alice = UserFactory()
    UserFactory(username="gone", is_active=False)
    client = api_client_for(alice)
    assert client.put("/api/v1/users/nobody/follow/").status_code == 404
    assert client.put("/api/v1/users/gone/follow/").status_code == 404
    assert client.get("/api/v1/users/nobody/").status_code == 404
    assert client.get("/api/v1/users/nobody/followers/").status_code == 404
    assert not Follow.objects.exists()


def test_the_api_needs_authentication():
    UserFactory(username="bob")
    assert APIClient().put("/api/v1/users/bob/follow/").status_code in (401, 403)
    assert not Follow.objects.exists()


def test_followers_and_following_lists_are_paginated_with_flags():
    star = UserFactory(username="star")
    viewer = UserFactory(username="viewer")
    fans = UserFactory.create_batch(25)
    for fan in fans:
        FollowFactory(follower=fan, followee=star)
    FollowFactory(follower=viewer, followee=fans[-1])
    FollowFactory(follower=star, followee=viewer)

    client = api_client_for(viewer)
    first = client.get("/api/v1/users/star/followers/").json()
    assert first["count"] == 25
    assert len(first["results"]) == 20
    # Newest follow first; the viewer follows the newest fan.
    assert first["results"][0]["username"] == fans[-1].username
    assert first["results"][0]["is_following"] is True
    assert first["results"][1]["is_following"] is False
    second = client.get(first["next"]).json()
    assert len(second["results"]) == 5

    following = client.get("/api/v1/users/star/following/").json()
    assert [u["username"] for u in following["results"]] == ["viewer"]


def test_profile_counts_and_mutual_friends():
    me, them = UserFactory(username="me"), UserFactory(username="them")
    shared, only_mine, one_way = UserFactory(), UserFactory(), UserFactory()
    for a, b in [(me, shared), (shared, me), (them, shared), (shared, them)]:
        FollowFactory(follower=a, followee=b)
    FollowFactory(follower=me, followee=only_mine)
    FollowFactory(follower=only_mine, followee=me)
    FollowFactory(follower=them, followee=one_way)  # one way: not a friend of them
    FollowFactory(follower=one_way, followee=me)
    FollowFactory(follower=me, followee=one_way)

    profile = api_client_for(me).get("/api/v1/users/them/").json()
    assert profile["mutual_friends_count"] == 1
    assert profile["followers_count"] == 1
    assert profile["following_count"] == 2
    assert profile["posts_count"] == 0
    assert profile["is_following"] is False


def test_user_search_by_username_or_display_name_any_case():
    viewer = UserFactory()
    UserFactory(username="alice_w", display_name="Alice Wonder")
    UserFactory(username="bob", display_name="Bobby ALICEson")
    UserFactory(username="carol", display_name="Carol")
    UserFactory(username="alice_gone", is_active=False)

    found = api_client_for(viewer).get("/api/v1/users/", {"search": "aLiCe"}).json()
    assert sorted(u["username"] for u in found["results"]) == ["alice_w", "bob"]
