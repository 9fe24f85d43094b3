"""Photos on pages: placeholders, ready images, failures for the owner only, forms, serving."""

import pytest
from django.core.files.storage import storages
from django.db import connection
from django.test.utils import CaptureQueriesContext
from rest_framework.test import APIClient

from accounts.tests.factories import UserFactory
from media.models import Media
from media.services import media_create
from media.tests import media_images as images
from posts.models import Post
from posts.services import post_create

pytestmark = pytest.mark.django_db


@pytest.fixture
def photo_post(django_capture_on_commit_callbacks):
    """A post by a new user with one photo (pending until a worker runs)."""

    def make(size=(64, 48), alt_text="Two colours", **kwargs) -> tuple[Post, Media]:
        owner = UserFactory()
        with django_capture_on_commit_callbacks(execute=True):
            media = media_create(
                owner=owner, file=images.upload(images.jpeg(size, **kwargs)), alt_text=alt_text
            )
        post = post_create(author=owner, title="A photo", media_ids=[media.pk])
        return post, media

    return make


def page(client, user, url: str) -> str:
    client.force_login(user)
    response = client.get(url)
    assert response.status_code == 200
    return response.content.decode()


def test_the_owner_sees_a_placeholder_of_the_right_shape_while_processing(client, photo_post):
    post, media = photo_post(size=(64, 48), orientation=6)

    html = page(client, post.author, f"/posts/{post.pk}/")

    # The post's tile asks again for itself (posts:photo_tile), linking to the viewer once ready.
    assert f'data-fragment-refresh="/posts/{post.pk}/photos/1/tile/"' in html
    assert "aspect-ratio: 48 / 64" in html
    assert "Processing photo" in html


def test_others_see_nothing_of_a_photo_still_processing(client, photo_post):
    post, _media = photo_post()

    html = page(client, UserFactory(), f"/posts/{post.pk}/")

    assert "data-fragment-refresh" not in html
    assert "Processing photo" not in html
    assert '<img class="media-image"' not in html


def test_a_ready_photo_has_srcset_size_alt_and_lazy_loading(client, photo_post, run_worker):
    post, media = photo_post(size=(1200, 900), alt_text="A <b>bold</b> card")
    run_worker()
    media.refresh_from_db()

    html = page(client, UserFactory(), f"/posts/{post.pk}/")

    assert f'src="{media.thumbnail_url}"' in html
    assert f'srcset="{media.thumbnail_url} 640w, {media.display_url} 1200w"' in html
    assert 'width="1200" height="900"' in html
    assert 'loading="lazy"' in html
    assert 'alt="A &lt;b&gt;bold&lt;/b&gt; card"' in html
    assert "data-fragment-refresh" not in html


def test_a_failed_photo_shows_its_reason_to_its_owner_only(client, photo_post):
    post, media = photo_post()
    Media.objects.filter(pk=media.pk).update(
        status=Media.Status.FAILED, last_error="The file is truncated or damaged."
    )

    assert "The file is truncated or damaged." in page(client, post.author, f"/posts/{post.pk}/")
    assert "truncated" not in page(client, UserFactory(), f"/posts/{post.pk}/")


def test_the_feed_loads_photos_in_a_fixed_number_of_queries(
    client, django_capture_on_commit_callbacks
):
    owner = UserFactory()
    client.force_login(owner)

    def feed_queries(posts: int, photos_each: int) -> int:
        Post.objects.all().delete()
        for _ in range(posts):
            with django_capture_on_commit_callbacks(execute=True):
                photos = [
                    media_create(owner=owner, file=images.upload(images.jpeg()))
                    for _ in range(photos_each)
                ]
            post_create(author=owner, title="Photos", media_ids=[p.pk for p in photos])
        client.get("/")  # the side column beside posts is drawn once, then kept
        with CaptureQueriesContext(connection) as queries:
            response = client.get("/")
        assert response.content.decode().count("data-fragment-refresh") == posts * photos_each
        return len(queries)

    one = feed_queries(posts=1, photos_each=1)
    many = feed_queries(posts=4, photos_each=3)

    # Session, user, the page's post ids, the posts with authors and flags, their photos; the
    # unread notifications' count in the navigation. (The people suggested beside the posts:
    # their column kept since the first visit, accounts.suggestion_box.)
    assert one == many == 6


def test_the_post_form_shows_the_limits_and_takes_photos_with_alt_texts(
    client, run_worker, django_capture_on_commit_callbacks
):
    user = UserFactory()
    client.force_login(user)
    form = client.get("/posts/new/").content.decode()
    assert "Up to 10 photos" in form
    assert 'name="images"' in form
    assert "multiple" in form

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            "/posts/new/",
            {
                "title": "Photos",
                "body": "",
                "images": [
                    images.upload(images.jpeg(), "a.jpg"),
                    images.upload(images.jpeg(), "b.jpg"),
                ],
                "alt_texts": "A card\nAnother card",
            },
        )

    assert response.status_code == 302
    post = Post.objects.get()
    photos = post.photos.order_by("post_photo__position")
    assert list(photos.values_list("alt_text", flat=True)) == ["A card", "Another card"]
    run_worker()
    assert set(post.photos.values_list("status", flat=True)) == {"ready"}


def test_the_post_form_shows_a_bad_photo_as_a_form_error(client, settings):
    client.force_login(UserFactory())

    response = client.post(
        "/posts/new/",
        {"title": "Bad", "images": [images.upload(b"<html></html>", "evil.jpg")]},
    )

    assert response.status_code == 200
    assert "evil.jpg: This file type is not supported" in response.content.decode()
    assert Post.objects.count() == 0


def test_the_edit_form_removes_a_photo(client, photo_post, django_capture_on_commit_callbacks):
    post, media = photo_post()
    client.force_login(post.author)
    assert (
        f'name="remove_media_ids" value="{media.pk}"'
        in client.get(f"/posts/{post.pk}/edit/").content.decode()
    )

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            f"/posts/{post.pk}/edit/",
            {"title": post.title, "body": post.body, "remove_media_ids": [media.pk]},
        )

    assert response.status_code == 302
    assert not Media.objects.filter(pk=media.pk).exists()


def test_variants_are_served_with_nosniff_and_originals_never(client, photo_post, run_worker):
    post, media = photo_post()
    run_worker()
    media.refresh_from_db()

    response = client.get(media.display_url)
    assert response.status_code == 200
    assert response["Content-Type"] == "image/webp"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert b"".join(response.streaming_content).startswith(b"RIFF")

    assert storages["private"].exists(media.original.name)
    assert client.get(f"/media/{media.original.name}").status_code == 404
    assert client.get(f"/media/../private/{media.original.name}").status_code == 404
    assert client.get("/media/media/../../private/x.webp").status_code == 404


def test_the_settings_page_takes_an_avatar(client, run_worker, django_capture_on_commit_callbacks):
    user = UserFactory()
    client.force_login(user)
    settings_page = client.get("/settings/").content.decode()
    assert 'action="/settings/avatar/"' in settings_page

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            "/settings/avatar/", {"avatar": images.upload(images.jpeg((300, 200)))}
        )
    assert response.status_code == 302
    assert "being processed" in client.get("/settings/").content.decode()

    with django_capture_on_commit_callbacks(execute=True):
        run_worker()
    user.refresh_from_db()
    assert user.avatar is not None
    assert user.avatar.avatar_large_url in client.get("/settings/").content.decode()


def test_the_settings_page_refuses_a_bad_avatar(client):
    client.force_login(UserFactory())

    response = client.post(
        "/settings/avatar/", {"avatar": images.upload(images.svg(), "a.svg")}, follow=True
    )

    assert "not supported" in response.content.decode()
    assert Media.objects.count() == 0


def test_me_takes_an_avatar_upload(run_worker, django_capture_on_commit_callbacks):
    user = UserFactory()
    api = APIClient()
    api.force_authenticate(user)

    with django_capture_on_commit_callbacks(execute=True):
        response = api.patch(
            "/api/v1/me/", {"avatar": images.upload(images.jpeg((120, 100)))}, format="multipart"
        )
    assert response.status_code == 200
    assert response.json()["avatar_pending"]["status"] == "pending"
    with django_capture_on_commit_callbacks(execute=True):
        run_worker()

    user.refresh_from_db()  # the next request loads the user afresh
    body = api.get("/api/v1/me/").json()
    assert body["avatar_pending"] is None
    assert body["avatar"]["variants"]["avatar_400"]["width"] == 400
