"""Uploading media through the API: cheap checks at the door, 202, owner-only access."""

from pathlib import Path

import pytest
from django.core.files.storage import storages
from rest_framework.test import APIClient

from accounts.tests.factories import UserFactory, api_client_for
from media.models import Media
from media.tests import media_images as images
from media.tests.media_images import api_upload, stored_files
from posts.services import post_create

pytestmark = pytest.mark.django_db


def test_upload_answers_202_pending_with_the_header_dimensions(settings):
    user = UserFactory()
    response = api_upload(
        api_client_for(user), images.jpeg((64, 48)), alt_text="A red and blue card"
    )

    assert response.status_code == 202
    body = response.json()
    assert body["status"] == "pending"
    assert (body["width"], body["height"]) == (64, 48)
    assert body["alt_text"] == "A red and blue card"
    assert body["variants"] == {}
    media = Media.objects.get(pk=body["id"])
    assert media.owner == user
    assert media.original_format == "JPEG"
    # The original is private: no URL, stored under the private storage only.
    assert storages["private"].exists(media.original.name)
    assert not any(
        path.is_relative_to(Path(settings.MEDIA_ROOT) / "public") for path in stored_files(settings)
    )


def test_upload_of_a_rotated_photo_reports_the_oriented_size():
    response = api_upload(api_client_for(UserFactory()), images.jpeg((64, 48), orientation=6))

    assert response.status_code == 202
    assert (response.json()["width"], response.json()["height"]) == (48, 64)


def test_upload_queues_processing_on_the_media_queue(
    redis_connection, django_capture_on_commit_callbacks
):
    import django_rq

    with django_capture_on_commit_callbacks(execute=True):
        response = api_upload(api_client_for(UserFactory()), images.jpeg())

    queue = django_rq.get_queue("media")
    assert response.status_code == 202
    assert queue.count == 1
    assert queue.jobs[0].func_name == "media.jobs.process_media"
    assert queue.jobs[0].args == (response.json()["id"],)


@pytest.mark.parametrize(
    ("data", "name", "content_type", "message", "status"),
    [
        (b"", "empty.jpg", "image/jpeg", "empty", 415),
        (b"<html><script>alert(1)</script></html>", "page.jpg", "image/jpeg", "not supported", 415),
        (b"just some text, honest", "notes.jpg", "image/jpeg", "not supported", 415),
        (images.svg(), "drawing.svg", "image/svg+xml", "not supported", 415),
        (images.png_bomb(), "bomb.png", "image/png", "too many pixels", 413),
        (images.png_bomb((10_000, 10_000)), "big.png", "image/png", "megapixels", 413),
        (b"\xff\xd8\xff\xe0" + b"\x00" * 30, "broken.jpg", "image/jpeg", "not a valid JPEG", 415),
    ],
    ids=[
        "zero-bytes",
        "html-named-jpg",
        "text-named-jpg",
        "svg",
        "png-bomb",
        "too-many-pixels",
        "bad-header",
    ],
)
def test_bad_files_are_refused_at_upload_and_nothing_is_stored(
    settings, redis_connection, data, name, content_type, message, status
):
    import django_rq

    response = api_upload(api_client_for(UserFactory()), data, name, content_type)

    assert response.status_code == status  # 413 past a limit, 415 for no image we take
    assert message in response.json()["detail"]
    assert "file" in response.json()["errors"]
    assert Media.objects.count() == 0
    assert stored_files(settings) == []
    assert django_rq.get_queue("media").count == 0


def test_a_file_over_the_size_limit_is_refused(settings):
    settings.MEDIA_MAX_UPLOAD_BYTES = 1_000

    response = api_upload(api_client_for(UserFactory()), images.jpeg((200, 200)))

    assert response.status_code == 413
    assert response.json()["code"] == "upload_too_large"
    assert "the limit" in response.json()["detail"]
    assert stored_files(settings) == []


def test_the_format_comes_from_the_bytes_not_the_name():
    response = api_upload(
        api_client_for(UserFactory()), images.transparent_png(), "photo.jpg", "image/jpeg"
    )

    assert response.status_code == 202
    assert Media.objects.get().original_format == "PNG"
    assert Media.objects.get().original.name.endswith(".png")


def test_alt_text_over_the_limit_is_refused(settings):
    response = api_upload(api_client_for(UserFactory()), images.jpeg(), alt_text="x" * 1_501)

    assert response.status_code == 400
    assert stored_files(settings) == []


def test_limits_are_readable_without_signing_in():
    response = APIClient().get("/api/v1/limits/")

    assert response.status_code == 200
    body = response.json()
    assert body["max_upload_bytes"] == 20 * 1024 * 1024
    assert body["max_pixels"] == 40_000_000
    assert body["max_per_post"] == 10
    assert body["max_frames"] == 300
    assert body["alt_text_max_length"] == 1_500


def test_uploading_needs_a_signed_in_user():
    response = APIClient().post(
        "/api/v1/media/", {"file": images.upload(images.jpeg())}, format="multipart"
    )

    assert response.status_code in (401, 403)


def test_owner_reads_and_changes_alt_text_of_an_unready_item():
    owner = UserFactory()
    client = api_client_for(owner)
    media_id = api_upload(client, images.jpeg()).json()["id"]

    assert client.get(f"/api/v1/media/{media_id}/").json()["status"] == "pending"
    response = client.patch(f"/api/v1/media/{media_id}/", {"alt_text": "A card"}, format="json")

    assert response.status_code == 200
    assert Media.objects.get(pk=media_id).alt_text == "A card"


def test_others_cannot_see_unready_or_unattached_media():
    media_id = api_upload(api_client_for(UserFactory()), images.jpeg()).json()["id"]
    stranger = api_client_for(UserFactory())

    assert stranger.get(f"/api/v1/media/{media_id}/").status_code == 404
    assert stranger.patch(f"/api/v1/media/{media_id}/", {"alt_text": "x"}).status_code == 404
    assert stranger.delete(f"/api/v1/media/{media_id}/").status_code == 404
    Media.objects.filter(pk=media_id).update(status=Media.Status.DONE)
    assert stranger.get(f"/api/v1/media/{media_id}/").status_code == 404


def test_others_read_a_ready_photo_on_a_post_but_cannot_change_it():
    owner = UserFactory()
    media_id = api_upload(api_client_for(owner), images.jpeg()).json()["id"]
    post_create(author=owner, title="On a post", media_ids=[media_id])
    Media.objects.filter(pk=media_id).update(status=Media.Status.DONE)
    stranger = api_client_for(UserFactory())

    assert stranger.get(f"/api/v1/media/{media_id}/").status_code == 200
    assert (
        stranger.patch(f"/api/v1/media/{media_id}/", {"alt_text": "x"}, format="json").status_code
        == 403
    )
    assert stranger.delete(f"/api/v1/media/{media_id}/").status_code == 403
    assert Media.objects.filter(pk=media_id).exists()


def test_a_failed_item_shows_its_reason_to_its_owner_only():
    owner = UserFactory()
    owner_client = api_client_for(owner)
    media_id = api_upload(owner_client, images.jpeg()).json()["id"]
    post_create(author=owner, title="On a post", media_ids=[media_id])
    Media.objects.filter(pk=media_id).update(status=Media.Status.FAILED, last_error="Broken image.")

    body = owner_client.get(f"/api/v1/media/{media_id}/").json()
    assert (body["status"], body["error"]) == ("failed", "Broken image.")
    assert api_client_for(UserFactory()).get(f"/api/v1/media/{media_id}/").status_code == 404


def test_deleting_an_item_removes_its_files(
    settings, run_worker, django_capture_on_commit_callbacks
):
    owner = UserFactory()
    client = api_client_for(owner)
    with django_capture_on_commit_callbacks(execute=True):
        media_id = api_upload(client, images.jpeg()).json()["id"]
    run_worker()
    assert Media.objects.get(pk=media_id).status == Media.Status.DONE
    assert len(stored_files(settings)) == 3  # the original, display, thumbnail

    with django_capture_on_commit_callbacks(execute=True):
        response = client.delete(f"/api/v1/media/{media_id}/")
    run_worker()

    assert response.status_code == 204
    assert not Media.objects.filter(pk=media_id).exists()
    assert stored_files(settings) == []
