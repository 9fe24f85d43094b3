"""A write without the CSRF token is refused on every form and on every API write made with
a session (a browser's cookies); nothing changes. API clients with a token need none."""

import pytest
from django.test import Client
from rest_framework.test import APIClient

from accounts.models import Follow, Invitation, User
from accounts.tests.factories import PASSWORD, UserFactory, api_client_for
from media.models import Media
from posts.models import Bookmark, Comment, Like, Post
from posts.services import comment_create
from posts.tests.factories import PostFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def world():
    me, them = UserFactory(username="me"), UserFactory(username="them")
    post = PostFactory(author=me, title="Mine")
    comment = comment_create(post=post, author=me, body="Mine")
    media = Media.objects.create(owner=me, status=Media.Status.DONE)
    return {"me": me, "them": them, "post": post, "comment": comment, "media": media}


def state() -> tuple:
    return (
        User.objects.count(),
        list(Post.objects.values_list("pk", "title", "body", "like_count", "comment_count")),
        list(Comment.objects.values_list("pk", "body")),
        Like.objects.count(),
        Bookmark.objects.count(),
        Follow.objects.count(),
        Invitation.objects.count(),
        list(Media.objects.values_list("pk", "alt_text")),
        list(User.objects.values_list("pk", "display_name", "bio", "password", "is_active")),
    )


FORMS = [
    "/logout/",
    "/settings/",
    "/settings/password/",
    "/settings/avatar/",
    "/settings/delete/",
    "/invite/",
    "/u/them/follow/",
    "/people/them/dismiss/",
    "/posts/new/",
    "/posts/{post}/edit/",
    "/posts/{post}/delete/",
    "/posts/{post}/like/",
    "/posts/{post}/bookmark/",
    "/posts/{post}/comments/",
    "/comments/{comment}/edit/",
    "/comments/{comment}/delete/",
]


@pytest.mark.parametrize("path", FORMS)
def test_every_form_refuses_a_post_without_the_csrf_token(world, path):
    client = Client(enforce_csrf_checks=True)
    client.force_login(world["me"])
    before = state()
    ids = {name: obj.pk for name, obj in world.items()}

    response = client.post(
        path.format(**ids),
        {"title": "Changed", "body": "Changed", "display_name": "Changed", "action": "set"},
    )

    assert response.status_code == 403
    assert state() == before


@pytest.mark.parametrize("path", ["/signup/", "/login/", "/password-reset/"])
def test_the_forms_of_signed_out_visitors_refuse_a_post_without_the_token(world, path):
    before = state()

    response = Client(enforce_csrf_checks=True).post(
        path, {"username": "new", "email": "new@example.com", "password": "x"}
    )

    assert response.status_code == 403
    assert state() == before


API_WRITES = [
    ("patch", "/api/v1/me/", {"display_name": "Changed"}),
    ("delete", "/api/v1/me/", {"password": PASSWORD}),
    ("post", "/api/v1/invites/", {"email": "friend@example.com"}),
    ("put", "/api/v1/users/them/follow/", None),
    ("delete", "/api/v1/suggestions/them/", None),
    ("post", "/api/v1/posts/", {"title": "Changed"}),
    ("patch", "/api/v1/posts/{post}/", {"title": "Changed"}),
    ("delete", "/api/v1/posts/{post}/", None),
    ("put", "/api/v1/posts/{post}/like/", None),
    ("put", "/api/v1/posts/{post}/bookmark/", None),
    ("post", "/api/v1/posts/{post}/comments/", {"body": "Changed"}),
    ("patch", "/api/v1/comments/{comment}/", {"body": "Changed"}),
    ("delete", "/api/v1/comments/{comment}/", None),
    ("patch", "/api/v1/media/{media}/", {"alt_text": "Changed"}),
    ("delete", "/api/v1/media/{media}/", None),
]


@pytest.mark.parametrize(
    ("method", "path", "data"), API_WRITES, ids=[f"{m} {p}" for m, p, _d in API_WRITES]
)
def test_session_api_writes_refuse_a_request_without_the_csrf_token(world, method, path, data):
    client = APIClient(enforce_csrf_checks=True)
    client.force_login(world["me"])
    before = state()
    ids = {name: obj.pk for name, obj in world.items()}

    response = getattr(client, method)(path.format(**ids), data, format="json")

    assert response.status_code == 403
    assert "CSRF" in response.json()["detail"]
    assert state() == before


def test_an_api_client_with_a_token_needs_no_csrf_token(world):
    client = APIClient(enforce_csrf_checks=True)
    client.credentials(**api_client_for(world["me"])._credentials)  # Authorization: Token ...

    response = client.patch("/api/v1/me/", {"display_name": "Changed"}, format="json")

    assert response.status_code == 200
