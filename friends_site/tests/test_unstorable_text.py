"""Text the database cannot store (NUL, lone surrogates) is refused on every text input.

PostgreSQL refuses a NUL in any text value and a lone surrogate in UTF-8, so either would be a
500 there if it reached a query. Every input answers a 400 (JSON naming the field, or a page),
or, for a form post, the form again with the error next to the field; nothing is written.

JSON bodies are sent as raw JSON text with escapes (`"a\\u0000b"`, `"a\\ud800b"`): the test
client cannot encode a lone surrogate itself, and a real client sends exactly that text. Form
posts and query strings are decoded with replacement characters, so only a NUL reaches them.
"""

from __future__ import annotations

import base64
import json
import re
from types import SimpleNamespace

import pytest
from django.contrib.auth.tokens import default_token_generator
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode
from rest_framework.test import APIClient

from accounts.models import ApiToken, EmailDelivery, Follow, User
from accounts.tests.factories import PASSWORD, UserFactory, api_client_for
from media.models import Media
from media.services import media_create
from media.tests import media_images as images
from media.tests.media_images import stored_files
from posts.models import Comment, Post
from posts.tests.factories import CommentFactory, PostFactory

pytestmark = pytest.mark.django_db

API = "/api/v1"
STRONG = "plum-orchard-velvet-42"
NUL_MESSAGE = "Null characters are not allowed."
SURROGATE_MESSAGE = "Surrogate characters are not allowed"
# The JSON escape of each character, and what the answer says about it.
UNSTORABLE = {
    "nul": ("\\u0000", NUL_MESSAGE),
    "surrogate": ("\\ud800", SURROGATE_MESSAGE),
}
BAD = "<bad>"  # where a test puts the character


@pytest.fixture
def world():
    """Me (signed in where a case needs it), my post, my comment on it and a photo of mine."""
    me = UserFactory(username="me", email="me@example.com", display_name="Me", bio="Bio")
    post = PostFactory(author=me, title="Title", body="Body")
    comment = CommentFactory(post=post, author=me, body="Comment")
    photo = media_create(owner=me, file=images.upload(images.jpeg((8, 8))), alt_text="Alt")
    return SimpleNamespace(me=me, post=post, comment=comment, photo=photo, api=api_client_for(me))


def stored(settings) -> dict:
    """Everything a refused request might have written: rows, their texts, files."""
    return {
        "users": list(
            User.objects.order_by("pk").values_list(
                "username", "email", "display_name", "bio", "password", "last_login", "avatar"
            )
        ),
        "posts": list(Post.objects.order_by("pk").values_list("pk", "title", "body", "edited_at")),
        "comments": list(Comment.objects.order_by("pk").values_list("pk", "body", "edited_at")),
        "media": list(Media.objects.order_by("pk").values_list("pk", "alt_text")),
        "follows": Follow.objects.count(),
        "deliveries": EmailDelivery.objects.count(),
        "tokens": ApiToken.objects.count(),
        "files": sorted(stored_files(settings)),
    }


def errors_for(response, field: str) -> str:
    """Every message the API gave for `field` (or its items: "alt_texts.0"), as one text."""
    errors = response.json()["errors"]
    return json.dumps([m for key, m in errors.items() if key.split(".")[0] == field])


# --- API: JSON bodies -------------------------------------------------------------------------

# (what, signed in, method, path, body with BAD where the character goes, field)
JSON_INPUTS = [
    ("sign-up username", False, "post", "/auth/signup/", {"username": f"new{BAD}"}, "username"),
    ("sign-up email", False, "post", "/auth/signup/", {"email": f"new{BAD}@example.com"}, "email"),
    (
        "sign-up password",
        False,
        "post",
        "/auth/signup/",
        {"password": f"{STRONG}{BAD}"},
        "password",
    ),
    (
        "sign-up display name",
        False,
        "post",
        "/auth/signup/",
        {"display_name": f"New{BAD}"},
        "display_name",
    ),
    ("sign-up invite", False, "post", "/auth/signup/", {"invite": f"token{BAD}"}, "invite"),
    ("token username", False, "post", "/auth/token/", {"username": f"me{BAD}"}, "username"),
    ("token password", False, "post", "/auth/token/", {"password": f"x{BAD}"}, "password"),
    ("token name", False, "post", "/auth/token/", {"name": f"Phone{BAD}"}, "name"),
    (
        "password reset email",
        False,
        "post",
        "/auth/password-reset/",
        {"email": f"me{BAD}@example.com"},
        "email",
    ),
    ("me display name", True, "patch", "/me/", {"display_name": f"A{BAD}B"}, "display_name"),
    ("me bio", True, "patch", "/me/", {"bio": f"A{BAD}B"}, "bio"),
    ("leave password", True, "delete", "/me/", {"password": f"{PASSWORD}{BAD}"}, "password"),
    ("invite email", True, "post", "/invites/", {"email": f"pal{BAD}@example.com"}, "email"),
    ("media alt text", True, "patch", "/media/{photo}/", {"alt_text": f"A{BAD}B"}, "alt_text"),
    ("new post title", True, "post", "/posts/", {"title": f"A{BAD}B"}, "title"),
    ("new post body", True, "post", "/posts/", {"body": f"A{BAD}B"}, "body"),
    ("post patch title", True, "patch", "/posts/{post}/", {"title": f"A{BAD}B"}, "title"),
    ("post patch body", True, "patch", "/posts/{post}/", {"body": f"A{BAD}B"}, "body"),
    ("post put title", True, "put", "/posts/{post}/", {"title": f"A{BAD}B"}, "title"),
    ("post put body", True, "put", "/posts/{post}/", {"body": f"A{BAD}B"}, "body"),
    ("new comment", True, "post", "/posts/{post}/comments/", {"body": f"A{BAD}B"}, "body"),
    ("comment patch", True, "patch", "/comments/{comment}/", {"body": f"A{BAD}B"}, "body"),
]
# What the rest of each body holds: valid, so that the character is the only fault.
JSON_DEFAULTS = {
    "/auth/signup/": {"username": "new", "email": "new@example.com", "password": STRONG},
    "/auth/token/": {"username": "me", "password": PASSWORD},
    "/posts/": {"title": "Title"},
    "/posts/{post}/": {"title": "Title", "body": "Body"},
}


@pytest.mark.parametrize("character", UNSTORABLE)
@pytest.mark.parametrize(
    ("signed_in", "method", "path", "body", "field"),
    [case[1:] for case in JSON_INPUTS],
    ids=[case[0] for case in JSON_INPUTS],
)
def test_api_json_text_the_database_cannot_store_is_a_400_naming_the_field(
    settings, world, character, signed_in, method, path, body, field
):
    escape, message = UNSTORABLE[character]
    full_body = {**JSON_DEFAULTS.get(path, {}), **body}
    raw_json = json.dumps(full_body).replace(BAD, escape)
    assert escape in raw_json  # the body holds the escape itself, not an escaped backslash
    client = world.api if signed_in else APIClient()
    before = stored(settings)

    response = getattr(client, method)(
        API + path.format(post=world.post.pk, comment=world.comment.pk, photo=world.photo.pk),
        raw_json,
        content_type="application/json",
    )

    assert response.status_code == 400, response.content
    assert errors_for(response, field) != "[]"
    assert message in errors_for(response, field)
    assert stored(settings) == before


# --- API: multipart fields --------------------------------------------------------------------


def test_api_upload_with_a_nul_in_its_alt_text_is_refused_and_nothing_is_stored(settings, world):
    before = stored(settings)

    response = world.api.post(
        f"{API}/media/",
        {"file": images.upload(images.jpeg((8, 8))), "alt_text": "A\x00B"},
        format="multipart",
    )

    assert response.status_code == 400
    assert NUL_MESSAGE in errors_for(response, "alt_text")
    assert stored(settings) == before


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"title": "Holiday", "alt_texts": ["A\x00B"]}, "alt_texts"),
        ({"title": "Holi\x00day", "alt_texts": ["A beach"]}, "title"),
    ],
    ids=["alt_texts", "title"],
)
def test_api_post_with_images_and_a_nul_in_a_form_field_is_refused(settings, world, fields, field):
    before = stored(settings)

    response = world.api.post(
        f"{API}/posts/",
        {**fields, "images": [images.upload(images.jpeg((8, 8)))]},
        format="multipart",
    )

    assert response.status_code == 400
    assert NUL_MESSAGE in errors_for(response, field)
    assert stored(settings) == before


def test_api_me_with_a_new_avatar_and_a_nul_in_the_display_name_is_refused(settings, world):
    before = stored(settings)

    response = world.api.patch(
        f"{API}/me/",
        {"display_name": "A\x00B", "avatar": images.upload(images.jpeg((8, 8)))},
        format="multipart",
    )

    assert response.status_code == 400
    assert NUL_MESSAGE in errors_for(response, "display_name")
    assert stored(settings) == before


# --- Pages: form posts ------------------------------------------------------------------------


def _signup_form():
    return {
        "username": "new",
        "email": "new@example.com",
        "display_name": "New",
        "password1": STRONG,
        "password2": STRONG,
    }


def _post_form():
    return {"title": "Title", "body": "Body", "alt_texts": "A photo", "images": [_image()]}


def _image():
    return images.upload(images.jpeg((8, 8)))


# (page, signed in, path, valid form data, its text fields, the form's name in the context)
PAGE_FORMS = [
    ("sign-up", False, "/signup/", _signup_form, list(_signup_form()), "form"),
    (
        "log-in",
        False,
        "/login/",
        lambda: {"username": "me", "password": PASSWORD},
        ["username", "password"],
        "form",
    ),
    (
        "settings",
        True,
        "/settings/",
        lambda: {"display_name": "Me", "bio": "Bio"},
        ["display_name", "bio"],
        "form",
    ),
    (
        "password change",
        True,
        "/settings/password/",
        lambda: {"old_password": PASSWORD, "new_password1": STRONG, "new_password2": STRONG},
        ["old_password", "new_password1", "new_password2"],
        "form",
    ),
    (
        "password reset",
        False,
        "/password-reset/",
        lambda: {"email": "me@example.com"},
        ["email"],
        "form",
    ),
    ("new post", True, "/posts/new/", _post_form, ["title", "body", "alt_texts"], "form"),
    ("post edit", True, "/posts/{post}/edit/", _post_form, ["title", "body", "alt_texts"], "form"),
    (
        "new comment",
        True,
        "/posts/{post}/comments/",
        lambda: {"body": "Nice"},
        ["body"],
        "comment_form",
    ),
    ("comment edit", True, "/comments/{comment}/edit/", lambda: {"body": "Nice"}, ["body"], "form"),
]
PAGE_CASES = [
    pytest.param(signed_in, path, data, field, form, id=f"{page} {field}")
    for page, signed_in, path, data, fields, form in PAGE_FORMS
    for field in fields
]


def error_next_to(html: str, field: str, message: str) -> bool:
    """The field's own error list (rendered just before it, `aria-describedby` it) says it."""
    errors = re.search(rf'<ul class="errorlist" id="id_{field}_error">(.*?)</ul>', html)
    return errors is not None and f"<li>{message}</li>" in errors.group(1)


@pytest.mark.parametrize(("signed_in", "path", "data", "field", "form"), PAGE_CASES)
def test_page_form_with_a_nul_shows_the_error_next_to_the_field_and_writes_nothing(
    settings, client, world, signed_in, path, data, field, form
):
    if signed_in:
        client.force_login(world.me)
    body = data()
    body[field] = f"A\x00{body[field]}"
    before = stored(settings)

    response = client.post(path.format(post=world.post.pk, comment=world.comment.pk), body)

    assert response.status_code == 200
    assert NUL_MESSAGE in response.context[form].errors[field]
    assert error_next_to(response.content.decode(), field, NUL_MESSAGE)
    assert stored(settings) == before
    if not signed_in:
        assert "_auth_user_id" not in client.session


def test_password_reset_confirm_page_with_a_nul_in_the_new_password_keeps_the_old_one(
    settings, client, world
):
    uid = urlsafe_base64_encode(force_bytes(world.me.pk))
    token = default_token_generator.make_token(world.me)
    form_page = client.get(f"/password-reset/{uid}/{token}/")
    assert form_page.status_code == 302  # to the same form without the token in the address
    before = stored(settings)

    response = client.post(
        form_page["Location"], {"new_password1": f"{STRONG}\x00", "new_password2": STRONG}
    )

    assert response.status_code == 200
    assert error_next_to(response.content.decode(), "new_password1", NUL_MESSAGE)
    assert stored(settings) == before


# --- Query strings, paths, cookies, the Authorization header ----------------------------------


@pytest.mark.parametrize(
    ("path", "parameter"),
    [
        ("/users/?search=a%00b", "search"),
        ("/posts/?author=a%00b", "author"),
        ("/feed/?cursor=a%00b", "cursor"),
        ("/feed/?page_size=1%00", "page_size"),
        ("/suggestions/?limit=1%00", "limit"),
        ("/posts/{post}/comments/?page=1%00", "page"),
        ("/posts/?a%00b=1", "a\x00b"),
    ],
    ids=["search", "author", "cursor", "page_size", "limit", "page", "parameter-name"],
)
def test_api_query_parameter_with_a_nul_is_a_400_naming_it(world, path, parameter):
    response = world.api.get(API + path.format(post=world.post.pk))

    assert response.status_code == 400
    assert response.json()["errors"] == {parameter: [NUL_MESSAGE]}


@pytest.mark.parametrize(
    "path", ["/people/?q=a%00b", "/?before=1_%00", "/u/me/?page=1%00", "/likes/?page=%00"]
)
def test_page_query_parameter_with_a_nul_is_a_400_page(client, world, path):
    client.force_login(world.me)

    response = client.get(path)

    assert response.status_code == 400
    assert NUL_MESSAGE in response.content.decode()


@pytest.mark.parametrize(
    "position", ["a\x00b", "garbage", "2024-13-45 10:00:00"], ids=["nul", "text", "no-such-day"]
)
def test_api_feed_cursor_forged_with_a_position_that_is_no_time_is_an_invalid_cursor(
    world, position
):
    # The cursor's own text is base64, so the position it hides is checked by the paginator.
    forged = base64.b64encode(f"p={position}".replace("\x00", "%00").encode()).decode()

    response = world.api.get(f"{API}/feed/", {"cursor": forged})

    assert response.status_code == 404
    assert response.json()["detail"] == "Invalid cursor"


def test_api_feed_cursor_made_by_the_feed_still_pages():
    me = UserFactory()
    PostFactory.create_batch(3, author=me)
    client = api_client_for(me)

    first = client.get(f"{API}/feed/", {"page_size": 2}).json()
    second = client.get(first["next"]).json()

    assert len(first["results"]) == 2
    assert len(second["results"]) == 1


@pytest.mark.parametrize(
    ("method", "path"),
    [("get", "/users/a%00b/"), ("put", "/users/a%00b/follow/")],
    ids=["profile", "follow"],
)
def test_api_path_with_a_nul_is_a_400_naming_it_and_writes_nothing(settings, world, method, path):
    before = stored(settings)

    response = getattr(world.api, method)(API + path)

    assert response.status_code == 400
    assert response.json()["errors"] == {"path": [NUL_MESSAGE]}
    assert stored(settings) == before


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("get", "/u/a%00b/"),
        ("post", "/u/a%00b/follow/"),
        ("get", "/invite/unsubscribe/a%00b/"),
        ("post", "/invite/unsubscribe/a%00b/"),
    ],
)
def test_page_path_with_a_nul_is_a_400_page_and_writes_nothing(
    settings, client, world, method, path
):
    client.force_login(world.me)
    before = stored(settings)

    response = getattr(client, method)(path)

    assert response.status_code == 400
    assert NUL_MESSAGE in response.content.decode()
    assert stored(settings) == before


@pytest.mark.parametrize("path", ["/u/a%ED%A0%80b/", f"{API}/users/a%ED%A0%80b/"])
def test_path_with_bytes_that_are_not_utf8_finds_no_one(client, world, path):
    # Django keeps bytes that are not UTF-8 (a surrogate's encoding) percent-encoded in the
    # path, so the username looked up is the storable text "a%ED%A0%80b": nobody's.
    client.force_login(world.me)

    response = client.get(path)

    assert response.status_code == 404


def test_page_with_a_nul_in_a_cookie_is_a_400_page(client, world):
    client.force_login(world.me)
    client.cookies["theme"] = "a\x00b"

    response = client.get("/")

    assert response.status_code == 400
    assert NUL_MESSAGE in response.content.decode()


@pytest.mark.parametrize("character", ["\x00", "\ud800"], ids=["nul", "surrogate"])
def test_api_authorization_header_with_unstorable_text_is_a_400_before_any_lookup(
    world, character, django_assert_num_queries
):
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token abc{character}def")

    with django_assert_num_queries(0):
        response = client.get(f"{API}/me/")

    assert response.status_code == 400
    assert list(response.json()["errors"]) == ["Authorization"]
