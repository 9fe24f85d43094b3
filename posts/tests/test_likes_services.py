"""Likes and bookmarks: idempotent, counted on the post, toggled by plain forms, listed."""

import re

import pytest

from accounts.tests.factories import UserFactory
from posts.models import Bookmark, Like
from posts.services import bookmark_set, bookmark_unset, like_set, like_unset
from posts.tests.factories import PostFactory

pytestmark = pytest.mark.django_db


def test_like_set_and_unset_keep_the_counter_right():
    post = PostFactory()
    alice, bob = UserFactory(), UserFactory()
    assert like_set(user=alice, post=post) is True
    assert like_set(user=alice, post=post) is False
    assert like_set(user=bob, post=post) is True
    post.refresh_from_db()
    assert post.like_count == 2
    assert like_unset(user=alice, post=post) is True
    assert like_unset(user=alice, post=post) is False
    post.refresh_from_db()
    assert post.like_count == 1 == Like.objects.count()


def test_bookmarks_are_idempotent():
    post, me = PostFactory(), UserFactory()
    assert bookmark_set(user=me, post=post) is True
    assert bookmark_set(user=me, post=post) is False
    assert Bookmark.objects.count() == 1
    assert bookmark_unset(user=me, post=post) is True
    assert bookmark_unset(user=me, post=post) is False
    assert not Bookmark.objects.exists()


def test_like_and_bookmark_toggles_work_without_javascript(client):
    post, me = PostFactory(title="Good one"), UserFactory()
    client.force_login(me)
    response = client.post(f"/posts/{post.pk}/like/", {"action": "set", "next": "/likes/"})
    assert response["Location"] == "/likes/"
    client.post(f"/posts/{post.pk}/bookmark/", {"action": "set"})
    post.refresh_from_db()
    assert post.like_count == 1

    likes_page = client.get("/likes/").content.decode()
    assert "Good one" in likes_page
    assert "Liked</span>" in likes_page
    assert "Good one" in client.get("/bookmarks/").content.decode()

    client.post(f"/posts/{post.pk}/like/", {"action": "unset"})
    client.post(f"/posts/{post.pk}/bookmark/", {"action": "unset"})
    post.refresh_from_db()
    assert post.like_count == 0
    assert "You have not liked any post yet" in client.get("/likes/").content.decode()
    assert "Nothing bookmarked yet" in client.get("/bookmarks/").content.decode()


def test_the_like_toggle_answers_the_pages_script_with_the_same_toggle_redrawn(client):
    post, me = PostFactory(), UserFactory()
    client.force_login(me)
    page = client.get(f"/posts/{post.pk}/").content.decode()
    off = re.search(rf'<form[^>]*action="/posts/{post.pk}/like/".*?</form>', page, re.S).group(0)
    assert "<span>Like</span>" in off

    response = client.post(
        f"/posts/{post.pk}/like/",
        {"action": "set", "next": f"/posts/{post.pk}/"},
        HTTP_X_FRAGMENT="1",
    )

    assert response.status_code == 200
    on = response.content.decode().strip()
    assert on.startswith(f'<form method="post" action="/posts/{post.pk}/like/"')
    assert 'aria-pressed="true">♥ <span>Liked</span> <span class="count">1</span>' in on
    assert 'name="action" value="unset"' in on
    assert f'name="next" value="/posts/{post.pk}/"' in on
    # The page, reloaded, draws exactly that toggle (but for its CSRF token, masked anew).
    page = client.get(f"/posts/{post.pk}/").content.decode()
    token = re.compile(r'name="csrfmiddlewaretoken" value="[^"]*"')
    assert token.sub("", on) in token.sub("", page)


def test_without_javascript_a_toggle_redirects_back_with_a_message(client):
    post, me = PostFactory(), UserFactory()
    client.force_login(me)

    response = client.post(f"/posts/{post.pk}/bookmark/", {"action": "set", "next": "/likes/"})

    assert response.status_code == 302
    assert response["Location"] == "/likes/"
    assert Bookmark.objects.filter(user=me, post=post).exists()
    response = client.post(f"/posts/{post.pk}/bookmark/", {"action": "unset"}, follow=True)
    assert "Bookmark removed." in response.content.decode()
    assert not Bookmark.objects.exists()


def test_session_api_toggle_needs_the_csrf_token():
    from rest_framework.test import APIClient

    post, me = PostFactory(), UserFactory()
    client = APIClient(enforce_csrf_checks=True)
    client.force_login(me)
    assert client.put(f"/api/v1/posts/{post.pk}/like/").status_code == 403
    assert not Like.objects.exists()
    client.get(f"/posts/{post.pk}/")
    token = client.cookies["csrftoken"].value
    response = client.put(f"/api/v1/posts/{post.pk}/like/", HTTP_X_CSRFTOKEN=token)
    assert response.status_code == 200
    assert response.json()["like_count"] == 1
