"""Script payloads typed into any text field come back as text on every page that shows it,
and as the same text in the API's JSON (which browsers do not render as HTML)."""

import pytest
from django.utils import timezone
from django.utils.html import escape

from accounts.tests.factories import FollowFactory, UserFactory, api_client_for
from media.models import Media
from posts.models import Post, PostPhoto
from posts.services import comment_create, like_set

pytestmark = pytest.mark.django_db

PAYLOADS = [
    "<script>alert(1)</script>",
    '"><img src=x onerror=alert(1)>',
    "javascript:alert(1)",
    "</textarea><svg onload=alert(1)>",
]


@pytest.mark.parametrize("payload", PAYLOADS)
def test_a_payload_in_every_text_field_is_shown_as_text(client, payload):
    author = UserFactory(username="author", display_name=payload, bio=payload)
    reader = UserFactory(username="reader")
    FollowFactory(follower=reader, followee=author)
    post = Post.objects.create(
        author=author, title=payload, body=f"{payload} https://x.io/?q={payload}"
    )
    photo = Media.objects.create(
        owner=author,
        status=Media.Status.DONE,
        attached_at=timezone.now(),
        alt_text=payload,
        width=10,
        height=10,
        variants={
            "display": {"name": "media/x/display.webp", "width": 10, "height": 10},
            "thumbnail": {"name": "media/x/thumbnail.webp", "width": 10, "height": 10},
        },
    )
    PostPhoto.objects.create(post=post, media=photo)
    comment_create(post=post, author=author, body=payload)
    like_set(user=reader, post=post)
    pages = [
        (reader, "/"),
        (reader, f"/posts/{post.pk}/"),
        (reader, "/u/author/"),
        (reader, "/u/author/followers/"),
        (reader, "/u/reader/following/"),
        (reader, "/people/?q=author"),
        (reader, "/likes/"),
        (author, f"/posts/{post.pk}/edit/"),
        (author, f"/comments/{post.comments.get().pk}/edit/"),
        (author, "/settings/"),
    ]

    for viewer, path in pages:
        client.force_login(viewer)
        html = client.get(path).content.decode()
        assert "<script>alert" not in html, path
        assert "<img src=x onerror" not in html, path
        assert "<svg onload" not in html, path
        assert "</textarea><svg" not in html, path
        assert 'href="javascript:' not in html.lower(), path

    shown = client.get(f"/posts/{post.pk}/").content.decode()
    assert escape(payload) in shown


@pytest.mark.parametrize("payload", PAYLOADS[:2])
def test_the_api_gives_the_text_back_as_it_was_typed_in_json(payload):
    author = UserFactory(display_name=payload)
    api = api_client_for(author)

    response = api.post("/api/v1/posts/", {"title": payload, "body": payload}, format="json")

    assert response.status_code == 201
    assert response["Content-Type"] == "application/json"
    assert (response.json()["title"], response.json()["author"]["display_name"]) == (
        payload,
        payload,
    )
