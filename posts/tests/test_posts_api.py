"""Posts, likes, bookmarks and comments through the API: the two-person journey and refusals."""

import pytest
from rest_framework.test import APIClient

from accounts.tests.factories import UserFactory, api_client_for
from posts.models import Comment, Post
from posts.tests.factories import CommentFactory, PostFactory

pytestmark = pytest.mark.django_db


def signed_up_client(username: str) -> APIClient:
    """Sign up and get a token through the API alone, as a new client app would."""
    client = APIClient()
    password = "correct-horse-battery-staple"
    signup = client.post(
        "/api/v1/auth/signup/",
        {"username": username, "email": f"{username}@example.com", "password": password},
        format="json",
    )
    assert signup.status_code == 201, signup.content
    token = client.post(
        "/api/v1/auth/token/", {"username": username, "password": password}, format="json"
    )
    assert token.status_code == 200, token.content
    client.credentials(HTTP_AUTHORIZATION=f"Token {token.json()['token']}")
    return client


def test_two_people_follow_post_like_bookmark_comment_edit_and_delete():
    a, b = signed_up_client("alice"), signed_up_client("bob")
    assert a.get("/api/v1/me/").json()["username"] == "alice"

    assert b.put("/api/v1/users/alice/follow/").json()["is_following"] is True
    created = a.post("/api/v1/posts/", {"title": "Hello", "body": "First!"}, format="json")
    assert created.status_code == 201
    post = created.json()
    assert (post["like_count"], post["comment_count"], post["is_liked"]) == (0, 0, False)
    assert post["author"]["username"] == "alice"
    assert post["media"] == []
    url = f"/api/v1/posts/{post['id']}/"

    feed = b.get("/api/v1/feed/").json()["results"]
    assert [p["id"] for p in feed] == [post["id"]]

    liked = b.put(url + "like/").json()
    assert (liked["like_count"], liked["is_liked"]) == (1, True)
    assert b.put(url + "like/").json()["like_count"] == 1  # idempotent
    assert a.get(url).json()["is_liked"] is False  # the flag is the viewer's own
    assert a.get(url).json()["like_count"] == 1

    marked = b.put(url + "bookmark/").json()
    assert marked["is_bookmarked"] is True
    assert b.put(url + "bookmark/").json()["is_bookmarked"] is True
    assert [p["id"] for p in b.get("/api/v1/me/bookmarks/").json()["results"]] == [post["id"]]
    assert [p["id"] for p in b.get("/api/v1/me/likes/").json()["results"]] == [post["id"]]

    comment = b.post(url + "comments/", {"body": "Nice one"}, format="json")
    assert comment.status_code == 201
    comment_url = f"/api/v1/comments/{comment.json()['id']}/"
    assert b.get(url).json()["comment_count"] == 1
    edited = b.patch(comment_url, {"body": "Nice one!"}, format="json").json()
    assert edited["body"] == "Nice one!"
    assert edited["edited_at"] is not None
    assert [c["body"] for c in a.get(url + "comments/").json()["results"]] == ["Nice one!"]

    patched = a.patch(url, {"title": "Hello, world"}, format="json").json()
    assert (patched["title"], patched["body"]) == ("Hello, world", "First!")
    assert patched["edited_at"] is not None
    assert patched["like_count"] == 1

    assert b.delete(url + "like/").json()["like_count"] == 0
    assert b.delete(url + "like/").json()["like_count"] == 0
    assert b.delete(url + "bookmark/").json()["is_bookmarked"] is False
    assert b.get("/api/v1/me/likes/").json()["results"] == []

    assert b.delete(comment_url).status_code == 204
    assert a.get(url).json()["comment_count"] == 0
    assert a.delete(url).status_code == 204
    assert a.get(url).status_code == 404
    assert b.get("/api/v1/feed/").json()["results"] == []


def test_someone_else_cannot_change_or_delete_a_post_or_comment():
    alice, bob = UserFactory(), UserFactory()
    post = PostFactory(author=alice, title="Mine", body="Original")
    comment = CommentFactory(post=post, author=alice, body="My comment")
    b = api_client_for(bob)
    url = f"/api/v1/posts/{post.pk}/"

    assert b.patch(url, {"title": "Hacked"}, format="json").status_code == 403
    assert b.put(url, {"title": "Hacked", "body": "x"}, format="json").status_code == 403
    assert b.patch(url, {"title": "x" * 500}, format="json").status_code == 403
    assert b.delete(url).status_code == 403
    cu = f"/api/v1/comments/{comment.pk}/"
    assert b.patch(cu, {"body": "Hacked"}, format="json").status_code == 403
    assert b.delete(cu).status_code == 403

    post.refresh_from_db()
    comment.refresh_from_db()
    assert (post.title, post.body, post.edited_at) == ("Mine", "Original", None)
    assert (comment.body, comment.edited_at) == ("My comment", None)


def test_the_post_author_may_delete_any_comment_on_their_post():
    alice, bob = UserFactory(), UserFactory()
    post = PostFactory(author=alice)
    comment = api_client_for(bob).post(
        f"/api/v1/posts/{post.pk}/comments/", {"body": "hi"}, format="json"
    )
    a = api_client_for(alice)
    url = f"/api/v1/comments/{comment.json()['id']}/"
    assert a.patch(url, {"body": "edited by alice"}, format="json").status_code == 403
    assert a.delete(url).status_code == 204
    assert not Comment.objects.exists()
    post.refresh_from_db()
    assert post.comment_count == 0


def test_overlong_or_empty_fields_are_400_with_field_errors():
    client = api_client_for(UserFactory())
    response = client.post("/api/v1/posts/", {"title": "t" * 201, "body": "b" * 10_001})
    assert response.status_code == 400
    assert set(response.json()["errors"]) == {"title", "body"}
    assert client.post("/api/v1/posts/", {"title": "   "}).status_code == 400
    assert not Post.objects.exists()

    post = PostFactory()
    comments = f"/api/v1/posts/{post.pk}/comments/"
    response = client.post(comments, {"body": "c" * 2_001}, format="json")
    assert response.status_code == 400
    assert "body" in response.json()["errors"]
    assert client.post(comments, {"body": ""}, format="json").status_code == 400
    assert not Comment.objects.exists()


def test_unknown_posts_and_comments_are_404():
    client = api_client_for(UserFactory())
    assert client.get("/api/v1/posts/999/").status_code == 404
    assert client.put("/api/v1/posts/999/like/").status_code == 404
    assert client.post("/api/v1/posts/999/comments/", {"body": "x"}).status_code == 404
    assert client.get("/api/v1/comments/999/").status_code == 404


def test_html_in_text_comes_back_as_text():
    client = api_client_for(UserFactory())
    script = "<script>alert('x')</script>"
    post = client.post("/api/v1/posts/", {"title": script, "body": script}, format="json").json()
    assert post["title"] == script
    assert post["body"] == script
