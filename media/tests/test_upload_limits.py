"""Limits on what one request and one person may upload, and on what an animation may become.

A file over MEDIA_MAX_UPLOAD_BYTES stops the reading of its body (413); a body over
MEDIA_MAX_REQUEST_BYTES is refused before it is read (413); a person past their upload rate or
daily bytes gets a 429 with Retry-After; failed media leave a day after they failed; a GIF whose
later frame enlarges the canvas past the pixel limit fails, once, with a reason.
"""

import io
import os
from datetime import timedelta
from pathlib import Path

import django_rq
import pytest
from django.core.files.storage import storages
from django.test import Client
from django.test.client import BOUNDARY, MULTIPART_CONTENT, FakePayload, encode_multipart
from django.utils import timezone
from PIL import Image
from rest_framework.test import APIClient
from rq.registry import ScheduledJobRegistry

from accounts.tests.factories import UserFactory
from media import imaging
from media.limits import media_sizes
from media.models import FileDeletion, Media
from media.services import media_create, media_delete_unused_and_failed
from media.tests import media_images as images
from media.tests.media_images import stored_files
from posts.models import Post
from posts.services import post_create

pytestmark = pytest.mark.django_db

MB = 1024 * 1024


@pytest.fixture
def upload_temp_dir(settings, tmp_path) -> Path:
    """Uploads over FILE_UPLOAD_MAX_MEMORY_SIZE stream to temporary files in this folder."""
    folder = tmp_path / "uploads"
    folder.mkdir()
    settings.FILE_UPLOAD_TEMP_DIR = str(folder)
    return folder


class CountingInput:
    """A WSGI input that records how many bytes of the body were read."""

    def __init__(self, body: bytes):
        self.stream = FakePayload(body)
        self.read_bytes = 0

    def read(self, size=-1):
        data = self.stream.read(size)
        self.read_bytes += len(data)
        return data

    def readline(self, size=-1):
        line = self.stream.readline(size)
        self.read_bytes += len(line)
        return line


def post_multipart(client, path: str, fields: dict, **extra):
    """POST `fields` as multipart through `client`; returns the response and how many bytes of
    the body the server read (and the body's size)."""
    body = encode_multipart(BOUNDARY, fields)
    counting = CountingInput(body)
    response = client.generic(
        "POST", path, body, content_type=MULTIPART_CONTENT, **{"wsgi.input": counting}, **extra
    )
    return response, counting.read_bytes, len(body)


def jpeg_of(size: int) -> bytes:
    """A valid JPEG followed by random bytes, `size` bytes in all."""
    head = images.jpeg((64, 48))
    return head + os.urandom(size - len(head))


def logged_in_page_client(user, page: str = "/posts/new/") -> tuple[Client, str]:
    """A browser-like client that checks CSRF, logged in, with the token the page gave it."""
    client = Client(enforce_csrf_checks=True)
    client.force_login(user)
    assert client.get(page).status_code == 200
    return client, client.cookies["csrftoken"].value


def media_queue_is_empty() -> bool:
    return django_rq.get_queue("media").count == 0


# --- One file over MEDIA_MAX_UPLOAD_BYTES -----------------------------------------------------


@pytest.mark.parametrize("authentication", ["session-with-csrf", "forced"])
def test_a_file_over_the_limit_through_the_api_is_a_413_and_the_rest_is_never_read(
    settings, upload_temp_dir, authentication
):
    # "session-with-csrf": SessionAuthentication's CSRF check parses the body;
    # "forced": the view's request.data does.
    settings.MEDIA_MAX_UPLOAD_BYTES = 2 * MB
    settings.FILE_UPLOAD_MAX_MEMORY_SIZE = 100_000  # the first 2 MB go to a temporary file
    user = UserFactory()
    client = APIClient(enforce_csrf_checks=True)
    extra = {}
    if authentication == "forced":
        client.force_authenticate(user)
    else:
        client.force_login(user)
        client.get("/posts/new/")
        extra["HTTP_X_CSRFTOKEN"] = client.cookies["csrftoken"].value

    response, read, sent = post_multipart(
        client,
        "/api/v1/media/",
        {"alt_text": "A big one", "file": images.upload(jpeg_of(12 * MB), "big.jpg")},
        **extra,
    )

    assert response.status_code == 413
    assert response.json() == {
        "detail": "big.jpg: the file is larger than 2 MB, the limit.",
        "code": "upload_too_large",
        "errors": {},
    }
    assert sent > 12 * MB
    assert read < 3.5 * MB  # the limit and a chunk or so
    assert list(upload_temp_dir.iterdir()) == []
    assert Media.objects.count() == 0
    assert stored_files(settings) == []
    assert media_queue_is_empty()


def test_a_post_through_the_api_with_one_photo_over_the_limit_keeps_nothing(
    settings, upload_temp_dir
):
    settings.MEDIA_MAX_UPLOAD_BYTES = 2 * MB
    settings.FILE_UPLOAD_MAX_MEMORY_SIZE = 100_000
    client = APIClient()
    client.force_authenticate(UserFactory())
    photos = [images.upload(jpeg_of(MB), "small.jpg"), images.upload(jpeg_of(5 * MB), "big.jpg")]

    response, read, _sent = post_multipart(
        client, "/api/v1/posts/", {"title": "Two photos", "images": photos}
    )

    assert response.status_code == 413
    assert response.json()["code"] == "upload_too_large"
    assert "big.jpg" in response.json()["detail"]
    assert read < 4.5 * MB
    assert Post.objects.count() == 0
    assert Media.objects.count() == 0
    # The first photo, complete, was in a temporary file too.
    assert list(upload_temp_dir.iterdir()) == []


@pytest.mark.parametrize(
    ("page", "csrf_checked"),
    [("new", True), ("edit", True), ("new", False)],
    ids=["new", "edit", "new-without-csrf-check"],
)
def test_a_file_over_the_limit_on_the_post_page_shows_the_form_again_with_a_413(
    settings, upload_temp_dir, page, csrf_checked
):
    # With the CSRF check, it parses the body; without it (the test client's default, an
    # exempt view), the upload middleware does, before the view.
    settings.MEDIA_MAX_UPLOAD_BYTES = 2 * MB
    settings.FILE_UPLOAD_MAX_MEMORY_SIZE = 100_000
    user = UserFactory()
    post = post_create(author=user, title="Before") if page == "edit" else None
    path = f"/posts/{post.pk}/edit/" if post else "/posts/new/"
    client, token = logged_in_page_client(user, path)
    if not csrf_checked:
        client.handler.enforce_csrf_checks = False

    response, read, _sent = post_multipart(
        client,
        path,
        {
            "csrfmiddlewaretoken": token,  # first, as the form draws it: the check reads it
            "title": "Holiday",
            "body": "By the sea",
            "images": [images.upload(jpeg_of(6 * MB), "beach.jpg")],
            "alt_texts": "Waves",
        },
    )

    assert response.status_code == 413
    assert "posts/post_form.html" in [template.name for template in response.templates]
    form = response.context["form"]
    message = "beach.jpg: the file is larger than 2 MB, the limit."
    assert form.errors == {"images": [message]}
    assert message in response.content.decode()
    assert form["title"].value() == "Holiday"  # what was typed before the file stays
    assert read < 3.5 * MB
    assert list(upload_temp_dir.iterdir()) == []
    assert Media.objects.count() == 0
    assert list(Post.objects.values_list("title", flat=True)) == (["Before"] if post else [])


def test_a_file_over_the_limit_on_the_avatar_page_answers_the_413_page(settings, upload_temp_dir):
    settings.MEDIA_MAX_UPLOAD_BYTES = 2 * MB
    settings.FILE_UPLOAD_MAX_MEMORY_SIZE = 100_000
    user = UserFactory()
    client, token = logged_in_page_client(user, "/settings/")

    response, read, _sent = post_multipart(
        client,
        "/settings/avatar/",
        {"csrfmiddlewaretoken": token, "avatar": images.upload(jpeg_of(5 * MB), "me.jpg")},
    )

    assert response.status_code == 413
    assert [template.name for template in response.templates][0] == "413.html"
    assert "me.jpg: the file is larger than 2 MB, the limit." in response.content.decode()
    assert read < 3.5 * MB
    assert list(upload_temp_dir.iterdir()) == []
    assert Media.objects.count() == 0


# --- A body over MEDIA_MAX_REQUEST_BYTES ------------------------------------------------------


def test_a_request_over_the_total_is_refused_through_the_api_before_its_body_is_read(settings):
    settings.MEDIA_MAX_REQUEST_BYTES = MB
    client = APIClient()
    client.force_authenticate(UserFactory())
    photos = [images.upload(jpeg_of(700_000), f"{n}.jpg") for n in range(2)]

    fields = {"title": "T", "images": photos}
    response, read, sent = post_multipart(client, "/api/v1/posts/", fields)

    assert response.status_code == 413
    assert response.json() == {
        "detail": f"This upload is {sent / MB:.1f} MB; the limit is 1 MB for everything sent "
        "at once.",
        "code": "upload_too_large",
        "errors": {},
    }
    assert read == 0
    assert Post.objects.count() == Media.objects.count() == 0


def test_a_request_over_the_total_on_the_post_page_shows_the_form_before_its_body_is_read(
    settings,
):
    settings.MEDIA_MAX_REQUEST_BYTES = MB
    client, token = logged_in_page_client(UserFactory())
    photos = [images.upload(jpeg_of(700_000), f"{n}.jpg") for n in range(2)]

    response, read, _sent = post_multipart(
        client, "/posts/new/", {"csrfmiddlewaretoken": token, "title": "T", "images": photos}
    )

    assert response.status_code == 413
    assert read == 0
    assert "posts/post_form.html" in [template.name for template in response.templates]
    errors = response.context["form"].errors
    assert list(errors) == ["__all__"]
    assert "the limit is 1 MB for everything sent at once" in errors["__all__"][0]
    assert Post.objects.count() == Media.objects.count() == 0


# --- A person's upload rate and daily bytes ---------------------------------------------------


def api_client_of(user) -> APIClient:
    client = APIClient()
    client.force_authenticate(user)
    return client


@pytest.mark.parametrize("configured", ["MEDIA_UPLOAD_RATE", "RATELIMIT_RATES"])
def test_past_the_upload_rate_the_api_answers_429_with_retry_after(settings, configured):
    if configured == "MEDIA_UPLOAD_RATE":
        settings.MEDIA_UPLOAD_RATE = (2, 3600)
    else:
        settings.MEDIA_UPLOAD_RATE = (100, 3600)
        rates = getattr(settings, "RATELIMIT_RATES", {})
        settings.RATELIMIT_RATES = {**rates, "uploads": (2, 7200)}
    user = UserFactory()
    client = api_client_of(user)

    statuses = [images.api_upload(client, images.jpeg()).status_code for _ in range(3)]
    refused = images.api_upload(client, images.jpeg())

    assert statuses == [202, 202, 429]
    assert 0 < int(refused["Retry-After"]) <= (3600 if configured == "MEDIA_UPLOAD_RATE" else 7200)
    assert "You can upload 2 photos every" in refused.json()["detail"]
    assert Media.objects.filter(owner=user).count() == 2
    # Another person's uploads are theirs to count.
    assert images.api_upload(api_client_of(UserFactory()), images.jpeg()).status_code == 202


def test_past_the_daily_bytes_the_api_answers_429_and_a_refused_upload_is_not_counted(settings):
    settings.MEDIA_DAILY_UPLOAD_BYTES = 150_000
    user = UserFactory()
    client = api_client_of(user)

    first = images.api_upload(client, jpeg_of(100_000))
    refused = images.api_upload(client, jpeg_of(100_000))
    smaller = images.api_upload(client, jpeg_of(40_000))

    assert (first.status_code, refused.status_code, smaller.status_code) == (202, 429, 202)
    assert 0 < int(refused["Retry-After"]) <= 24 * 3600
    assert "You can upload 0.143051 MB every 24 hours" in refused.json()["detail"]
    assert Media.objects.filter(owner=user).count() == 2


def test_past_the_daily_bytes_the_post_page_shows_the_message_on_the_form_with_429(settings):
    settings.MEDIA_DAILY_UPLOAD_BYTES = 150_000
    user = UserFactory()
    client, token = logged_in_page_client(user)

    def publish(title: str):
        return post_multipart(
            client,
            "/posts/new/",
            {
                "csrfmiddlewaretoken": token,
                "title": title,
                "images": [images.upload(jpeg_of(100_000), f"{title}.jpg")],
            },
        )[0]

    assert publish("First").status_code == 302
    response = publish("Second")

    assert response.status_code == 429
    assert 0 < int(response["Retry-After"]) <= 24 * 3600
    form = response.context["form"]
    assert list(form.errors) == ["images"]
    assert form.errors["images"][0].startswith("You can upload 0.143051 MB every 24 hours")
    assert form["title"].value() == "Second"
    assert list(Post.objects.values_list("title", flat=True)) == ["First"]
    assert Media.objects.filter(owner=user).count() == 1


def test_past_the_upload_rate_the_avatar_page_answers_the_429_page(settings):
    settings.MEDIA_UPLOAD_RATE = (1, 3600)
    user = UserFactory()
    client, token = logged_in_page_client(user, "/settings/")

    def upload_avatar():
        return post_multipart(
            client,
            "/settings/avatar/",
            {"csrfmiddlewaretoken": token, "avatar": images.upload(images.jpeg(), "me.jpg")},
        )[0]

    assert upload_avatar().status_code == 302
    response = upload_avatar()

    assert response.status_code == 429
    assert int(response["Retry-After"]) > 0
    assert "You can upload 1 photo every 60 minutes" in response.content.decode()
    assert Media.objects.filter(owner=user).count() == 1


# --- Failed media leave a day after they failed -----------------------------------------------


def failed_media(kind: str, *, failed_ago: timedelta) -> Media:
    """An item of `kind` that failed `failed_ago`, uploaded three days ago."""
    owner = UserFactory()
    media_kind = Media.Kind.AVATAR if kind == "avatar" else Media.Kind.PHOTO
    media = media_create(owner=owner, file=images.upload(images.jpeg()), kind=media_kind)
    if kind == "post photo":
        post_create(author=owner, title="With a photo", media_ids=[media.pk])
    now = timezone.now()
    Media.objects.filter(pk=media.pk).update(
        status=Media.Status.FAILED,
        last_error="The file is truncated or damaged.",
        created_at=now - timedelta(days=3),
        finished_at=now - failed_ago,
    )
    media.refresh_from_db()
    return media


@pytest.mark.parametrize("kind", ["unattached photo", "post photo", "avatar"])
def test_failed_media_are_deleted_a_day_after_they_failed_but_not_before(
    settings, kind, run_worker, django_capture_on_commit_callbacks
):
    media = failed_media(kind, failed_ago=timedelta(hours=23))
    owner_view = api_client_of(media.owner).get(f"/api/v1/media/{media.pk}/")

    with django_capture_on_commit_callbacks(execute=True):
        assert media_delete_unused_and_failed() == 0
    assert Media.objects.filter(pk=media.pk).exists()
    assert owner_view.json()["error"] == "The file is truncated or damaged."

    Media.objects.filter(pk=media.pk).update(finished_at=timezone.now() - timedelta(hours=25))
    with django_capture_on_commit_callbacks(execute=True):
        assert media_delete_unused_and_failed() == 1
    run_worker()

    assert not Media.objects.filter(pk=media.pk).exists()
    assert FileDeletion.objects.get().status == FileDeletion.Status.DONE
    assert not storages["private"].exists(media.original.name)
    if kind == "post photo":
        post = Post.objects.get()
        assert list(post.photos.all()) == []


def test_a_photo_in_use_that_did_not_fail_is_never_swept(django_capture_on_commit_callbacks):
    owner = UserFactory()
    media = media_create(owner=owner, file=images.upload(images.jpeg()))
    post_create(author=owner, title="Kept", media_ids=[media.pk])
    Media.objects.filter(pk=media.pk).update(
        status=Media.Status.DONE, created_at=timezone.now() - timedelta(days=30)
    )

    with django_capture_on_commit_callbacks(execute=True):
        assert media_delete_unused_and_failed() == 0
    assert Media.objects.filter(pk=media.pk).exists()


# --- Animations whose later frame enlarges the canvas -----------------------------------------


@pytest.mark.parametrize(
    "extent",
    [(10_000, 10_000), (1_200, 1_200)],
    ids=["past-twice-the-limit-pillow-errors", "under-twice-the-limit-pillow-only-warns"],
)
def test_a_gif_with_a_giant_later_frame_fails_with_a_reason_after_one_attempt(
    settings, run_worker, django_capture_on_commit_callbacks, extent
):
    settings.MEDIA_MAX_PIXELS = 1_000_000
    gif = images.gif_with_giant_later_frame(extent)
    assert len(gif) < 4_000

    with django_capture_on_commit_callbacks(execute=True):
        response = images.api_upload(api_client_of(UserFactory()), gif, "giant.gif", "image/gif")
    assert response.status_code == 202  # its header says 16×16: the worker finds out
    run_worker(with_scheduler=True)

    media = Media.objects.get(pk=response.json()["id"])
    assert media.status == Media.Status.FAILED
    assert media.attempts == 1
    assert media.last_error == "Frame 2 of the animation is larger than 1 megapixels, the limit."
    assert ScheduledJobRegistry(queue=django_rq.get_queue("media")).count == 0
    assert media_queue_is_empty()


def test_each_frame_is_checked_against_the_pixel_limit_even_without_pillows_guard(monkeypatch):
    # Pillow's own check of an enlarged canvas switched off: ours still refuses the frame.
    monkeypatch.setattr(Image, "_decompression_bomb_check", lambda *args, **kwargs: None)
    limits = imaging.Limits(
        max_bytes=MB, max_pixels=1_000_000, max_frames=10, max_animation_pixels=10_000_000
    )

    with pytest.raises(imaging.ImageRejected) as refused:
        imaging.render(
            io.BytesIO(images.gif_with_giant_later_frame((1_200, 1_200))),
            limits=limits,
            sizes=media_sizes(),
        )

    assert str(refused.value) == "Frame 2 of the animation is 1200×1200; the limit is 1 megapixels."
